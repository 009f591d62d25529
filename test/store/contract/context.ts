import type { Store } from '../../../src/store/ports.ts';

export interface ContractContext {
  /** The store under test; valid inside tests (opened in the backend's beforeAll). */
  store(): Store;
  /** How many concurrent callers the concurrency cases use (PostgreSQL: up to the pool size). */
  concurrency: number;
}
