import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { packageApp, parseEnvArg } from '../../scripts/package-app.ts';
import { AppPackageError, placeholdersIn, substitutePlaceholders, validateManifest } from '../../scripts/app-package/manifest.ts';
import { createZip } from '../../scripts/app-package/zip.ts';
import { colorIcon, outlineIcon } from '../../scripts/make-icons.ts';
import { readZip } from './read-zip.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const APP = join(ROOT, 'appPackage');
const template = JSON.parse(readFileSync(join(APP, 'manifest.json'), 'utf8')) as Record<string, unknown>;

/** Values a provisioned environment would have; none of them real. */
const ENV = {
  TEAMS_APP_ID: '2b1a8b34-0a5e-4a44-9a50-6f0f3b5a7c10',
  BOT_ID: '5e0c7a3e-4d0c-4b6b-8d84-6a0d8c5e2f11',
  BOT_DOMAIN: 'bridge.example.com',
  APP_NAME_SUFFIX: 'test',
  APP_WEBSITE_URL: 'https://bridge.example.com',
};
/** An env name with no env files, so only the given variables count. */
const NO_FILES_ENV = 'package-test-no-such-env';

let outDir: string;
beforeAll(() => {
  outDir = mkdtempSync(join(tmpdir(), 'app-package-'));
});
afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

describe('manifest', () => {
  test('uses exactly the documented placeholders', () => {
    expect(placeholdersIn(template)).toEqual(['APP_NAME_SUFFIX', 'APP_WEBSITE_URL', 'BOT_DOMAIN', 'BOT_ID', 'TEAMS_APP_ID']);
  });

  test('validates against the offline Teams schema once the placeholders are filled', async () => {
    expect(template['$schema']).toBe('https://developer.microsoft.com/json-schemas/teams/v1.30/MicrosoftTeams.schema.json');
    expect(await validateManifest(substitutePlaceholders(template, ENV, 'test'))).toEqual([]);
  });

  test('the schema check can fail: a broken manifest is reported', async () => {
    const broken = { ...substitutePlaceholders(template, ENV, 'test'), id: 'not-a-guid', accentColor: 'blue', unexpected: true };
    const errors = await validateManifest(broken);
    expect(errors.join('\n')).toMatch(/\/id /);
    expect(errors.join('\n')).toMatch(/\/accentColor /);
    expect(errors.join('\n')).toMatch(/additional properties/);
  });

  test('one bot for personal, team and group chat; no files; the compose-box commands', () => {
    const bot = (template['bots'] as Record<string, unknown>[])[0] ?? {};
    expect(bot['botId']).toBe('${{BOT_ID}}');
    expect(bot['scopes']).toEqual(['personal', 'team', 'groupChat']);
    expect(bot['supportsFiles']).toBe(false);
    const lists = bot['commandLists'] as { scopes: string[]; commands: { title: string; description: string }[] }[];
    expect(lists[0]?.scopes).toEqual(['personal', 'team', 'groupChat']);
    expect(lists[0]?.commands.map((c) => c.title)).toEqual([
      'help', 'incident', 'list', 'severity', 'tag', 'comment', 'assign', 'status', 'subscribe', 'unsubscribe', 'subscriptions', 'connector',
    ]);
    expect(template['validDomains']).toEqual(['${{BOT_DOMAIN}}']);
  });

  test('placeholder values cannot break out of their string', () => {
    const filled = substitutePlaceholders({ a: 'x ${{V}} y' }, { V: '", "evil": "1' }, 'test');
    expect(filled).toEqual({ a: 'x ", "evil": "1 y' });
    expect(() => substitutePlaceholders({ a: '${{V}}' }, { V: 'a\nb' }, 'test')).toThrow(/control characters/);
  });
});

describe('icons', () => {
  test('color.png is 192x192 and opaque, outline.png is 32x32 white on transparent', () => {
    const color = PNG.sync.read(readFileSync(join(APP, 'color.png')));
    expect([color.width, color.height]).toEqual([192, 192]);
    const outline = PNG.sync.read(readFileSync(join(APP, 'outline.png')));
    expect([outline.width, outline.height]).toEqual([32, 32]);
    let transparent = 0;
    let drawn = 0;
    for (let i = 0; i < outline.data.length; i += 4) {
      const alpha = outline.data[i + 3] ?? 0;
      if (alpha === 0) transparent += 1;
      else {
        drawn += 1;
        // Every visible pixel is white; only its alpha varies (anti-aliased edges).
        expect([outline.data[i], outline.data[i + 1], outline.data[i + 2]]).toEqual([255, 255, 255]);
      }
    }
    expect(transparent).toBeGreaterThan(32 * 32 * 0.3);
    expect(drawn).toBeGreaterThan(32 * 32 * 0.1);
  });

  test('the committed icons are what scripts/make-icons.ts draws', () => {
    expect(PNG.sync.read(readFileSync(join(APP, 'color.png'))).data).toEqual(colorIcon().data);
    expect(PNG.sync.read(readFileSync(join(APP, 'outline.png'))).data).toEqual(outlineIcon().data);
  });
});

describe('package script', () => {
  test('builds a zip with the manifest and both icons, no placeholders left', async () => {
    const { zipPath } = await packageApp({ rootDir: ROOT, envName: NO_FILES_ENV, processEnv: ENV, outDir });
    expect(zipPath).toBe(join(outDir, `appPackage.${NO_FILES_ENV}.zip`));
    const entries = readZip(readFileSync(zipPath));
    expect([...entries.keys()]).toEqual(['manifest.json', 'color.png', 'outline.png']);
    const manifestText = entries.get('manifest.json')?.toString('utf8') ?? '';
    expect(manifestText).not.toMatch(/\$\{\{/);
    const manifest = JSON.parse(manifestText) as Record<string, unknown>;
    expect(manifest['id']).toBe(ENV.TEAMS_APP_ID);
    expect((manifest['bots'] as { botId: string }[])[0]?.botId).toBe(ENV.BOT_ID);
    expect(manifest['validDomains']).toEqual(['bridge.example.com']);
    expect(entries.get('color.png')).toEqual(readFileSync(join(APP, 'color.png')));
  });

  test('missing variables fail with every name and the file to set them in', async () => {
    const promise = packageApp({ rootDir: ROOT, envName: NO_FILES_ENV, processEnv: { BOT_ID: ENV.BOT_ID, APP_NAME_SUFFIX: '  ' }, outDir });
    await expect(promise).rejects.toBeInstanceOf(AppPackageError);
    await expect(promise).rejects.toMatchObject({
      code: 'missing-variables',
      message: expect.stringContaining(`APP_NAME_SUFFIX, APP_WEBSITE_URL, BOT_DOMAIN, TEAMS_APP_ID`),
    });
    await expect(promise).rejects.toThrow(`env/.env.${NO_FILES_ENV}`);
  });

  test('a value the schema refuses fails before anything is written', async () => {
    await expect(packageApp({ rootDir: ROOT, envName: NO_FILES_ENV, processEnv: { ...ENV, TEAMS_APP_ID: 'my-app' }, outDir: join(outDir, 'never') })).rejects.toMatchObject({
      code: 'invalid-manifest',
      message: expect.stringContaining('/id'),
    });
  });

  test('a bad env name is refused', async () => {
    await expect(packageApp({ rootDir: ROOT, envName: '../x', processEnv: ENV, outDir })).rejects.toThrow(/not a valid environment name/);
  });

  test('--env parsing', () => {
    expect(parseEnvArg([])).toBe('local');
    expect(parseEnvArg(['--env', 'dev'])).toBe('dev');
    expect(parseEnvArg(['--env=dev'])).toBe('dev');
  });
});

describe('zip writer', () => {
  test('round-trips, deflating text and storing incompressible data', () => {
    const random = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919) % 251));
    const zip = createZip([
      { name: 'a.txt', data: Buffer.from('hello '.repeat(100)) },
      { name: 'dir/ü.bin', data: random },
      { name: 'empty', data: Buffer.alloc(0) },
    ]);
    const entries = readZip(zip);
    expect(entries.get('a.txt')?.toString()).toBe('hello '.repeat(100));
    expect(entries.get('dir/ü.bin')).toEqual(random);
    expect(entries.get('empty')).toEqual(Buffer.alloc(0));
    expect(zip.length).toBeLessThan(600 + 512);
  });

  test('is reproducible and refuses unsafe names', () => {
    const files = [{ name: 'm.json', data: Buffer.from('{}') }];
    expect(createZip(files)).toEqual(createZip(files));
    expect(() => createZip([{ name: '../x', data: Buffer.alloc(1) }])).toThrow(/relative path/);
    expect(() => createZip([{ name: '/x', data: Buffer.alloc(1) }])).toThrow(/relative path/);
    expect(() => createZip([...files, ...files])).toThrow(/duplicate/);
  });
});
