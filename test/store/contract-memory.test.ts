// The repository contracts against the in-memory fake (test/fakes/memory-store.ts).
import { afterAll, beforeAll, describe } from '@jest/globals';
import { createMemoryStore } from '../fakes/memory-store.ts';
import type { Store } from '../../src/store/ports.ts';
import { allContracts } from './contract/index.ts';

describe('store contracts: in-memory fake', () => {
  let store: Store | undefined;
  beforeAll(() => {
    store = createMemoryStore();
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
