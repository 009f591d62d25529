// Removes the run's shared folder (global-setup.ts).
import { rm } from 'node:fs/promises';
import { SHARED_DIR_ENV } from './global-setup.ts';

export default async function globalTeardown(): Promise<void> {
  const dir = process.env[SHARED_DIR_ENV];
  if (dir) await rm(dir, { recursive: true, force: true });
}
