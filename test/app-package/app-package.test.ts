import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { packageApp, parseEnvArg } from '../../scripts/package-app.ts';
import { AppPackageError, placeholdersIn, substitutePlaceholders, validateManifest } from '../../scripts/app-package/manifest.ts';
import { createZip } from '../../scripts/app-package/zip.ts';
import { colorIcon, outlineIcon } from '../../scripts/make-icons.ts';
import { readZip, zipEntryInfo } from './read-zip.ts';
import { SEARCH_COMMAND_ID, SEARCH_PARAMETER } from '../../src/bot/routes/incident-search.ts';

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

  test('one bot for personal, team and group chat; no files; the compose-box commands (12, the schema\'s most; /subscriptions is in /help)', () => {
    const bot = (template['bots'] as Record<string, unknown>[])[0] ?? {};
    expect(bot['botId']).toBe('${{BOT_ID}}');
    expect(bot['scopes']).toEqual(['personal', 'team', 'groupChat']);
    expect(bot['supportsFiles']).toBe(false);
    const lists = bot['commandLists'] as { scopes: string[]; commands: { title: string; description: string }[] }[];
    expect(lists[0]?.scopes).toEqual(['personal', 'team', 'groupChat']);
    expect(lists[0]?.commands.map((c) => c.title)).toEqual([
      'help', 'incident', 'list', 'severity', 'tag', 'comment', 'assign', 'status', 'subscribe', 'unsubscribe', 'warroom', 'connector',
    ]);
    expect(template['validDomains']).toEqual(['${{BOT_DOMAIN}}']);
  });

  test('the compose box searches incidents: one query command whose id and parameter the bot answers to, served by the same bot', () => {
    const [extension, ...others] = template['composeExtensions'] as Record<string, unknown>[];
    expect(others).toEqual([]);
    expect(extension?.['botId']).toBe('${{BOT_ID}}');
    const [command] = extension?.['commands'] as Record<string, unknown>[];
    expect(command).toMatchObject({ id: SEARCH_COMMAND_ID, type: 'query', initialRun: true, parameters: [{ name: SEARCH_PARAMETER, inputType: 'text' }] });
  });

  test('declares channel features (tier1): Teams refuses a 1.25+ manifest with the team scope without it, and it lets the bot into private and shared channels', () => {
    expect(Number(template['manifestVersion'])).toBeGreaterThanOrEqual(1.25);
    expect(template['supportsChannelFeatures']).toBe('tier1');
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
    const entries = await readZip(readFileSync(zipPath));
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

  test('a value the schema refuses fails before anything is written, naming the variable it came from', async () => {
    const promise = packageApp({ rootDir: ROOT, envName: NO_FILES_ENV, processEnv: { ...ENV, TEAMS_APP_ID: 'my-app', BOT_ID: 'bot' }, outDir: join(outDir, 'never') });
    await expect(promise).rejects.toMatchObject({ code: 'invalid-manifest' });
    const message = await promise.then(() => '', (error: Error) => error.message);
    expect(message).toMatch(/\/id must match pattern[^\n]*\n\s+-> comes from TEAMS_APP_ID \([^)]*\) = 'my-app'; fix it in env\/\.env\.package-test-no-such-env/);
    expect(message).toMatch(/\/bots\/0\/botId must match pattern[^\n]*\n\s+-> comes from BOT_ID \([^)]*\) = 'bot'/);
  });

  test('the shipped env/.env.dev template fails naming every variable to fill, placeholders included', async () => {
    // A copy of the project's app package and dev template, so a developer's own env/.env.dev.user
    // cannot fill anything in.
    const root = mkdtempSync(join(tmpdir(), 'app-package-template-'));
    try {
      mkdirSync(join(root, 'env'));
      copyFileSync(join(ROOT, 'env', '.env.dev'), join(root, 'env', '.env.dev'));
      mkdirSync(join(root, 'appPackage'));
      for (const file of ['manifest.json', 'color.png', 'outline.png']) copyFileSync(join(APP, file), join(root, 'appPackage', file));
      const promise = packageApp({ rootDir: root, envName: 'dev', processEnv: {}, outDir: join(root, 'build') });
      await expect(promise).rejects.toMatchObject({ code: 'missing-variables' });
      const message = await promise.then(() => '', (error: Error) => error.message);
      expect(message).toContain('- TEAMS_APP_ID (a GUID identifying the Teams app; atk provision creates the app and writes it) is not set');
      for (const name of ['BOT_ID', 'BOT_DOMAIN', 'APP_WEBSITE_URL']) {
        expect(message).toMatch(new RegExp(`- ${name} \\([^)]*\\) is still the template's placeholder '<[^>]+>'`));
      }
      expect(message).toContain("BOT_DOMAIN (the host name of the bot's public endpoint, e.g. bridge.contoso.com; atk provision writes it) is still the template's placeholder '<bot-host-name>'");
      expect(message).toContain('Set them in env/.env.dev');
      expect(message).not.toMatch(/must match pattern/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
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
  test('round-trips through an independent reader, deflating text and storing PNGs', async () => {
    const png = readFileSync(join(APP, 'color.png'));
    const zip = await createZip([
      { name: 'a.txt', data: Buffer.from('hello '.repeat(100)) },
      { name: 'dir/ü.png', data: png },
      { name: 'empty', data: Buffer.alloc(0) },
    ]);
    const entries = await readZip(zip);
    expect(entries.get('a.txt')?.toString()).toBe('hello '.repeat(100));
    expect(entries.get('dir/ü.png')).toEqual(png);
    expect(entries.get('empty')).toEqual(Buffer.alloc(0));
    const info = await zipEntryInfo(zip);
    expect([...info].map(([name, entry]) => [name, entry.method])).toEqual([['a.txt', 8], ['dir/ü.png', 0], ['empty', 8]]);
  });

  test('is reproducible: a fixed 1980-01-01 00:00 timestamp and no extended timestamp field', async () => {
    const files = [{ name: 'm.json', data: Buffer.from('{}') }];
    const zip = await createZip(files);
    expect(await zipEntryInfo(zip)).toEqual(new Map([['m.json', { method: 8, dosDate: (0 << 9) | (1 << 5) | 1, dosTime: 0, extraFieldCount: 0 }]]));
    expect(await createZip(files)).toEqual(zip);
  });

  test('refuses unsafe and duplicate names', async () => {
    const files = [{ name: 'm.json', data: Buffer.from('{}') }];
    await expect(createZip([{ name: '../x', data: Buffer.alloc(1) }])).rejects.toThrow(/invalid relative path/);
    await expect(createZip([{ name: '/x', data: Buffer.alloc(1) }])).rejects.toThrow(/absolute path/);
    await expect(createZip([{ name: 'a\\b', data: Buffer.alloc(1) }])).rejects.toThrow(/forward slashes/);
    await expect(createZip([...files, ...files])).rejects.toThrow(/duplicate/);
  });
});
