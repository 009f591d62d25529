// Agents Toolkit-style environment files: env/.env.<name> holds the settings of one environment,
// env/.env.<name>.user the secrets kept out of git. The process environment overrides both.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';

export function readEnvironment(rootDir: string, processEnv: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const envName = processEnv['TEAMSFX_ENV'] || 'local';
  if (!/^[a-z0-9-]+$/i.test(envName)) {
    throw new Error(`TEAMSFX_ENV '${envName}' is not a valid environment name; use letters, digits and dashes (e.g. local, dev).`);
  }
  const merged: Record<string, string | undefined> = {};
  for (const file of [`.env.${envName}`, `.env.${envName}.user`]) {
    const path = join(rootDir, 'env', file);
    if (existsSync(path)) Object.assign(merged, parse(readFileSync(path)));
  }
  return { ...merged, ...processEnv, TEAMSFX_ENV: envName };
}
