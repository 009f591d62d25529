// The shipped env/.env.local, with overrides, and the problems loadConfig reports for an environment.
import { ConfigError, loadConfig } from '../../../src/config/config.ts';
import { readEnvironment } from '../../../src/config/env-files.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;

export function localEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { ...readEnvironment(ROOT, { TEAMSFX_ENV: 'local' }), ...overrides };
}

/** Every problem loadConfig lists for `env`; empty when it is valid. */
export function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
