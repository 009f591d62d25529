// A new data folder's embedded database, created once per Jest run and copied into each test's
// data folder: creating one (initdb, the migrations and pg-boss's schema, in a child process; see
// src/store/pglite-db.ts) takes seconds per test file, a copy a fraction of one. The template is
// made by the product's own code path (createPgliteDb on an empty folder), so a copy is what the
// bridge's first start would have made. Creating it is tested where it is the subject
// (test/store/db.test.ts), which does not seed.
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createPgliteDb, embeddedDatabaseDir } from '../../src/store/pglite-db.ts';
import { SHARED_DIR_ENV } from './global-setup.ts';

/** The run's template data folder, made by the first test file that needs it. */
async function template(): Promise<string> {
  const shared = process.env[SHARED_DIR_ENV];
  if (!shared) throw new Error(`${SHARED_DIR_ENV} is not set: run the tests through Jest, whose configuration names test/support/global-setup.ts`);
  const ready = join(shared, 'embedded-database');
  if (existsSync(ready)) return ready;
  // Both workers may get here at once: each builds its own and the first rename wins (a rename
  // never replaces a folder that has files), so `ready` is only ever seen complete.
  const building = await mkdtemp(join(shared, 'building-'));
  const db = await createPgliteDb({ dataDir: building });
  await db.close();
  try {
    await rename(building, ready);
  } catch (error) {
    if (!existsSync(ready)) throw error;
    await rm(building, { recursive: true, force: true });
  }
  return ready;
}

/** Gives the (new, empty) data folder the embedded database the bridge's first start would create. */
export async function seedEmbeddedDatabase(dataDir: string): Promise<void> {
  await cp(embeddedDatabaseDir(await template()), embeddedDatabaseDir(dataDir), { recursive: true });
}
