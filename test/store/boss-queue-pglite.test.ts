// pg-boss on PGlite, through fromPglite() and the store's own PGlite instance.
import { describe } from '@jest/globals';
import { createPgliteDb } from '../../src/store/pglite-db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { queueContract } from './boss-queue.contract.ts';

describe('job queue on PGlite', () => {
  queueContract(async () => {
    const db = await createPgliteDb({ schema: 'bridge' });
    await migrate(db); // the store's tables next to pg-boss's, as in the application
    return { db, schema: 'pgboss', cleanup: async () => {} };
  });
});
