// The repository contracts against a PostgreSQL server, in a schema of this file's own (dropped
// afterwards). Concurrency cases really run in parallel here: the pool has one connection per caller.
import { afterAll, beforeAll } from '@jest/globals';
import { openStore } from '../../src/store/store.ts';
import type { Store } from '../../src/store/ports.ts';
import { allContracts } from './contract/index.ts';
import { POSTGRES_URL, describePostgres, dropSchema, uniqueSchemaName } from './support/postgres.ts';

describePostgres('store contracts: PostgreSQL', () => {
  const schema = uniqueSchemaName('contract');
  let store: Store | undefined;
  beforeAll(async () => {
    ({ store } = await openStore({ dataDir: 'unused', databaseUrl: POSTGRES_URL, schema }));
  });
  afterAll(async () => {
    await store?.close();
    await dropSchema(schema);
  });
  allContracts({
    store: () => {
      if (store === undefined) throw new Error('store not opened');
      return store;
    },
    concurrency: 8,
  });
});
