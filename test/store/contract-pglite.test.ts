// The repository contracts against PGlite (embedded PostgreSQL), migrated from scratch.
import { afterAll, beforeAll, describe } from '@jest/globals';
import { createPgliteDb } from '../../src/store/pglite-db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { createSqlStore } from '../../src/store/store.ts';
import type { Store } from '../../src/store/ports.ts';
import { allContracts } from './contract/index.ts';


describe('store contracts: PGlite', () => {
  let store: Store | undefined;
  beforeAll(async () => {
    // A schema other than public, as the PostgreSQL variant uses, to prove search_path handling.
    const db = await createPgliteDb({ schema: 'bridge' });
    await migrate(db);
    store = createSqlStore(db);
  });
  afterAll(async () => {
    await store?.close();
  });
  allContracts({
    store: () => {
      if (store === undefined) throw new Error('store not opened');
      return store;
    },
    concurrency: 10,
  });
});
