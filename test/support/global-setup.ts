// Once per Jest run, before the workers start: a folder for what test files prepare once and share
// (embedded-database.ts). Workers inherit the environment, so they find it; global-teardown.ts removes it.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SHARED_DIR_ENV = 'INCIDENT_BRIDGE_TEST_SHARED_DIR';

export default async function globalSetup(): Promise<void> {
  process.env[SHARED_DIR_ENV] = await mkdtemp(join(tmpdir(), 'incident-bridge-tests-'));
}
