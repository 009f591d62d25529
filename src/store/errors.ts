// The store's coded errors. Expected races (lost compare-and-set, taken claims) are results, not
// errors; a StoreError means the database could not do what was asked.
import { CodedError } from '../domain/errors.ts';

export type StoreErrorCode =
  | 'invalid-config' // a store option is malformed (schema name, data directory)
  | 'unavailable' // could not connect or open the database
  | 'query-failed' // the database refused or failed a statement
  | 'migration-failed' // a schema migration failed; the database is left at the previous version
  | 'closed' // used after close()
  | 'invalid-argument'; // a repository was called with a value it cannot store

export class StoreError extends CodedError<StoreErrorCode> {
  /** PostgreSQL SQLSTATE of the underlying error, when there is one (e.g. '23505' unique_violation). */
  readonly sqlState?: string;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown; sqlState?: string }) {
    super(code, message, options);
    if (options?.sqlState !== undefined) this.sqlState = options.sqlState;
  }
}

/** The SQLSTATE of a pg or PGlite error (both expose `code`), if any. */
export function sqlStateOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** Wraps a driver error, keeping it as the cause, naming the statement (first line only: no data). */
export function queryFailed(sql: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const firstLine = sql.trim().split('\n', 1)[0]?.slice(0, 120) ?? '';
  const reason = error instanceof Error ? error.message : String(error);
  const sqlState = sqlStateOf(error);
  return new StoreError('query-failed', `Database statement failed (${reason}) in: ${firstLine}`, {
    cause: error,
    ...(sqlState !== undefined ? { sqlState } : {}),
  });
}

/**
 * The database refused this record's data (SQLSTATE class 22 data exception, e.g. 22P02 for a
 * lone surrogate in jsonb; class 54 program limit exceeded, e.g. a value too large), or a
 * repository refused the argument. Storing the same record again fails again, unlike an outage
 * ('unavailable', connection errors of class 08), which is not the record's fault.
 */
export function isRefusedRecord(error: unknown): error is StoreError {
  return error instanceof StoreError && (error.code === 'invalid-argument' || (error.sqlState !== undefined && /^(22|54)/.test(error.sqlState)));
}
