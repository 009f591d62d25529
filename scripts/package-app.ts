// `npm run package [-- --env local|dev]`: builds the Teams app package
// appPackage/build/appPackage.<env>.zip (manifest.json + color.png + outline.png).
// Steps: read env/.env.<env> (+ .user + process environment, like the app itself), substitute the
// manifest's ${{VAR}} placeholders, validate against the offline Teams manifest schema, zip.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { readEnvironment } from '../src/config/env-files.ts';
import { AppPackageError, explainSchemaErrors, substitutePlaceholders, validateManifest } from './app-package/manifest.ts';
import { createZip, type ZipEntry } from './app-package/zip.ts';

export interface PackageOptions {
  /** Project root: has appPackage/ and env/. */
  rootDir: string;
  /** local, dev, ...: selects env/.env.<envName>. */
  envName: string;
  /** Overrides the env files, as the process environment does. */
  processEnv?: Readonly<Record<string, string | undefined>>;
  /** Where the zip goes; default <rootDir>/appPackage/build. */
  outDir?: string;
}

export interface PackageResult {
  zipPath: string;
  manifest: Record<string, unknown>;
}

/** Icon sizes the manifest's icons must have (Microsoft Learn, "Teams app package"). */
const ICON_SIZES = { color: 192, outline: 32 } as const;

export async function packageApp(options: PackageOptions): Promise<PackageResult> {
  const { rootDir, envName } = options;
  if (!/^[a-z0-9-]+$/i.test(envName)) {
    throw new AppPackageError('invalid-variable', `--env '${envName}' is not a valid environment name; use e.g. local or dev.`);
  }
  const appDir = join(rootDir, 'appPackage');
  const envFile = join('env', `.env.${envName}`);
  const env = readEnvironment(rootDir, { ...(options.processEnv ?? {}), TEAMSFX_ENV: envName });

  const template = JSON.parse(readRequired(join(appDir, 'manifest.json'), rootDir).toString('utf8')) as Record<string, unknown>;
  const manifest = substitutePlaceholders(template, env, envFile);

  const errors = explainSchemaErrors(await validateManifest(manifest), template, env, envFile);
  if (errors.length > 0) {
    throw new AppPackageError(
      'invalid-manifest',
      `appPackage/manifest.json with ${envFile} does not match its schema ${String(manifest['$schema'])}:\n  ${errors.join('\n  ')}`,
    );
  }

  const icons = manifest['icons'] as { color: string; outline: string };
  const files: ZipEntry[] = [{ name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8') }];
  for (const kind of ['color', 'outline'] as const) {
    const data = readRequired(join(appDir, icons[kind]), rootDir);
    checkIcon(data, icons[kind], ICON_SIZES[kind]);
    files.push({ name: icons[kind], data });
  }

  const outDir = options.outDir ?? join(appDir, 'build');
  mkdirSync(outDir, { recursive: true });
  const zipPath = join(outDir, `appPackage.${envName}.zip`);
  writeFileSync(zipPath, await createZip(files));
  return { zipPath, manifest };
}

function readRequired(path: string, rootDir: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new AppPackageError('missing-file', `${relative(rootDir, path)} is missing; run scripts/make-icons.ts for the icons.`, { cause });
  }
}

function checkIcon(data: Buffer, name: string, size: number): void {
  let png: PNG;
  try {
    png = PNG.sync.read(data);
  } catch (cause) {
    throw new AppPackageError('invalid-manifest', `appPackage/${name} is not a PNG.`, { cause });
  }
  if (png.width !== size || png.height !== size) {
    throw new AppPackageError('invalid-manifest', `appPackage/${name} is ${png.width}x${png.height}; Teams needs ${size}x${size}.`);
  }
}

/** `--env dev` or `--env=dev`; default local. */
export function parseEnvArg(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--env') return argv[i + 1] ?? '';
    if (arg.startsWith('--env=')) return arg.slice('--env='.length);
  }
  return 'local';
}

if (import.meta.main) {
  const rootDir = fileURLToPath(new URL('..', import.meta.url));
  try {
    const { zipPath } = await packageApp({ rootDir, envName: parseEnvArg(process.argv.slice(2)), processEnv: process.env });
    console.log(`wrote ${relative(rootDir, zipPath)}`);
  } catch (error) {
    console.error(error instanceof AppPackageError ? `package: ${error.message}` : error);
    process.exitCode = 1;
  }
}
