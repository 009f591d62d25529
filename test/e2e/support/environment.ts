// When the real-client tests may skip. Only a developer machine without Chromium skips them; in CI
// they always run (.ci/run installs Chromium first), so a missing browser fails there loudly
// instead of passing silently.
import { existsSync } from 'node:fs';
import { CHROMIUM_PATH } from './browser.ts';

/** CI systems set CI=true (GitHub Actions, GitLab, Azure Pipelines with it mapped); '0'/'false' mean no. */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  const value = (env['CI'] ?? '').trim().toLowerCase();
  return value !== '' && value !== '0' && value !== 'false';
}

/** The reason to skip, or null to run. */
export function e2eSkipReason(env: NodeJS.ProcessEnv = process.env, chromiumPresent: boolean = existsSync(CHROMIUM_PATH)): string | null {
  if (chromiumPresent || isCi(env)) return null;
  return `end-to-end tests skipped: ${CHROMIUM_PATH} is missing (install it with "apt-get install chromium"; with CI=true they run and fail instead)`;
}
