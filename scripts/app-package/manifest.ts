// Turns appPackage/manifest.json (with Agents Toolkit-style ${{VAR}} placeholders) into the
// manifest that goes into the app package, and validates it against the Teams app manifest
// JSON schema shipped offline in @microsoft/app-manifest (the Microsoft 365 Agents Toolkit's own
// manifest package; its build/json-schemas/teams/v1.x/ are the schemas published at
// developer.microsoft.com/json-schemas/teams/v1.x/).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import AppManifest from '@microsoft/app-manifest';
import { CodedError } from '../../src/domain/errors.ts';

export type PackageErrorCode = 'missing-variables' | 'invalid-variable' | 'invalid-manifest' | 'missing-file';

export class AppPackageError extends CodedError<PackageErrorCode> {}

const PLACEHOLDER = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Every placeholder name used in `value` (any JSON), sorted, unique. */
export function placeholdersIn(value: unknown): string[] {
  const names = new Set<string>();
  walkStrings(value, (text) => {
    for (const match of text.matchAll(PLACEHOLDER)) if (match[1]) names.add(match[1]);
    return text;
  });
  return [...names].sort();
}

/**
 * What each manifest variable holds, for error messages. `atk provision` writes TEAMS_APP_ID,
 * BOT_ID and BOT_DOMAIN into env/.env.<env>; `npm run package` alone needs them set by hand.
 */
const VARIABLE_HINTS: Readonly<Record<string, string>> = {
  TEAMS_APP_ID: 'a GUID identifying the Teams app; atk provision creates the app and writes it',
  BOT_ID: "the Azure Bot's Microsoft App id, a GUID; atk provision writes it",
  BOT_DOMAIN: "the host name of the bot's public endpoint, e.g. bridge.contoso.com; atk provision writes it",
  APP_WEBSITE_URL: 'an https:// URL of your SOC portal or runbook',
  APP_NAME_SUFFIX: 'a short suffix for the app name, e.g. dev',
};

/** A value such as `<bot-host-name>`: the template's hint, never filled in. */
const TEMPLATE_HINT = /<[^<>\s][^<>]*>/;

function describe(name: string): string {
  const hint = VARIABLE_HINTS[name];
  return hint ? `${name} (${hint})` : name;
}

/**
 * Replaces ${{VAR}} in every string of the manifest with env[VAR]. Works on the parsed JSON, so a
 * value can never break the JSON structure. Unset or empty variables, and values still holding
 * the env template's `<...>` hints, fail, all named at once.
 */
export function substitutePlaceholders<T>(manifest: T, env: Readonly<Record<string, string | undefined>>, envFile: string): T {
  const problems: { name: string; reason: string }[] = [];
  for (const name of placeholdersIn(manifest)) {
    const value = env[name]?.trim();
    if (!value) problems.push({ name, reason: `${describe(name)} is not set` });
    else if (TEMPLATE_HINT.test(value)) problems.push({ name, reason: `${describe(name)} is still the template's placeholder '${value}'` });
  }
  if (problems.length > 0) {
    const names = problems.map((problem) => problem.name);
    throw new AppPackageError(
      'missing-variables',
      `The manifest needs ${names.join(', ')}:\n  - ${problems.map((problem) => problem.reason).join('\n  - ')}\n` +
        `Set ${names.length === 1 ? 'it' : 'them'} in ${envFile} (or its .user file, or the process environment) and run again.`,
    );
  }
  return walkStrings(manifest, (text) =>
    text.replace(PLACEHOLDER, (_, name: string) => {
      const value = (env[name] ?? '').trim();
      if (/[\u0000-\u001F\u007F]/.test(value)) {
        throw new AppPackageError('invalid-variable', `${name} contains control characters; check ${envFile}.`);
      }
      return value;
    }),
  ) as T;
}

/** JSON pointer (as ajv reports it, e.g. `/bots/0/botId`) of every string holding placeholders, with their names. */
export function placeholderPointers(value: unknown, pointer = ''): Map<string, string[]> {
  const found = new Map<string, string[]>();
  if (typeof value === 'string') {
    const names = [...value.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '');
    if (names.length > 0) found.set(pointer, names);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const escaped = key.replace(/~/g, '~0').replace(/\//g, '~1');
      for (const [path, names] of placeholderPointers(item, `${pointer}/${escaped}`)) found.set(path, names);
    }
  }
  return found;
}

/**
 * Schema errors say where (`/id must match pattern ...`); the person running the script needs to
 * know which variable fed that place and what it held. Appends that to each error about a value
 * that came from a variable.
 */
export function explainSchemaErrors(errors: readonly string[], template: unknown, env: Readonly<Record<string, string | undefined>>, envFile: string): string[] {
  const pointers = placeholderPointers(template);
  return errors.map((error) => {
    const pointer = /^(\/\S*)/.exec(error)?.[1];
    const names = pointer === undefined ? undefined : pointers.get(pointer);
    if (!names) return error;
    const values = [...new Set(names)].map((name) => `${describe(name)} = '${(env[name] ?? '').trim()}'`).join(', ');
    return `${error}\n    -> comes from ${values}; fix it in ${envFile}`;
  });
}

function walkStrings(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item) => walkStrings(item, map));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walkStrings(item, map)]));
  }
  return value;
}

/** The schema file for a manifest's "$schema" URL, from the installed @microsoft/app-manifest. */
export function loadManifestSchema(schemaUrl: unknown): object {
  const match = typeof schemaUrl === 'string' ? /\/json-schemas\/teams\/(v1\.\d+|vDevPreview)\/MicrosoftTeams\.schema\.json$/.exec(schemaUrl) : null;
  if (!match) {
    throw new AppPackageError('invalid-manifest', `manifest "$schema" must be a developer.microsoft.com/json-schemas/teams/v1.x/MicrosoftTeams.schema.json URL, got ${JSON.stringify(schemaUrl)}`);
  }
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('@microsoft/app-manifest/package.json'));
  const file = join(packageDir, 'build', 'json-schemas', 'teams', match[1] ?? '', 'MicrosoftTeams.schema.json');
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new AppPackageError('missing-file', `No offline schema for ${match[1]} in @microsoft/app-manifest; update that devDependency or the manifest version.`, { cause });
  }
  // The published schemas contain "\a" and "\v" in regex patterns, which JSON.parse reads but
  // ajv's unicode regexes reject; the toolkit itself rewrites them the same way
  // (OfficeDev/microsoft-teams-app-schema#190).
  return JSON.parse(raw.replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b')) as object;
}

/** Schema errors of `manifest` as readable lines; empty when valid. Offline. */
export async function validateManifest(manifest: Readonly<Record<string, unknown>>): Promise<string[]> {
  const schema = loadManifestSchema(manifest['$schema']);
  return AppManifest.AppManifestUtils.validateAgainstSchema(manifest as never, schema as never);
}
