// Prepares a new embedded database directory, then exits: initdb, our migrations and pg-boss's
// schema. Run as a short-lived child process by pglite-db.ts, because PGlite's WebAssembly heap
// only ever grows: initdb loads a second module and the first DDL runs take it past 700 MB of
// resident memory, while a process that opens a prepared directory stays far below that.
// Keeping that one-time peak out of the long-running bridge keeps its high-water mark low.
import { createPgliteDb } from './pglite-db.ts';
import { migrate } from './migrate.ts';
import { createBossQueue } from './boss-queue.ts';

const dataDir = process.argv[2];
if (!dataDir) {
  process.stderr.write('usage: pglite-init.ts <DATA_DIR>\n');
  process.exit(2);
}
const db = await createPgliteDb({ dataDir, initializeInProcess: true });
await migrate(db);
const queue = await createBossQueue({ db });
await queue.stop({ graceful: false });
await db.close();
