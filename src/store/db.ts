// The Db port: the one thing repositories, migrations and the job queue need from a database.
// Two adapters implement it: PGlite (embedded, one process, persisted under `${dataDir}/pglite`)
// and a PostgreSQL server through a pg Pool (several replicas share it). Both speak the same
// PostgreSQL dialect, so the SQL above this line is written once.
import { createPgliteDb } from './pglite-db.ts';
import { createPgDb } from './pg-db.ts';

export type Row = Record<string, unknown>;

export interface QueryResult<T> {
  rows: T[];
  /** Rows inserted, updated, deleted or returned by the statement. */
  rowCount: number;
}

export interface Queryable {
  /**
   * Runs one statement with `$1..$n` parameters. JSON values must be passed as JSON text (and cast
   * `$n::jsonb` in SQL): node-postgres would otherwise turn JS arrays into PostgreSQL arrays.
   * int8 columns arrive as numbers or strings depending on the driver: convert with Number().
   */
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
}

/**
 * The embedded database as the job queue calls it (pg-boss's PGlite adapter): through the same
 * priority gate as the store's own calls (pglite-db.ts).
 */
export interface EmbeddedConnection {
  query<T = Row>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(sql: string): Promise<Array<{ rows: Row[] }>>;
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
}

/** How the job queue (pg-boss) reaches the same database. */
export type DbTarget =
  | { kind: 'pglite'; pglite: EmbeddedConnection; schema: string | undefined }
  | { kind: 'postgres'; connectionString: string; schema: string | undefined };

export interface Db extends Queryable {
  readonly target: DbTarget;
  /**
   * Runs `fn` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it
   * throws (and rethrows). Calling `transaction` on the transaction-bound Db joins the outer
   * transaction (no savepoint), so repository methods that need atomicity compose inside a larger
   * transaction. Never use the outer Db inside `fn`: on PGlite the single connection is held by
   * the transaction, so that call would wait for ever.
   */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** Closes the connection(s). Stop the job queue first: on PGlite it shares the instance. */
  close(): Promise<void>;
}

export interface DatabaseConfig {
  /** Folder for the embedded database; PGlite keeps its files in `${dataDir}/pglite`. */
  dataDir: string;
  /** DATABASE_URL: when set, a PostgreSQL server is used instead of PGlite. */
  databaseUrl?: string | undefined;
  /** PostgreSQL schema to use (search_path); tests use one per file. Default: public. */
  schema?: string | undefined;
}

/** PGlite unless DATABASE_URL is set. */
export async function openDatabase(config: DatabaseConfig): Promise<Db> {
  if (config.databaseUrl !== undefined && config.databaseUrl !== '') {
    return createPgDb({ connectionString: config.databaseUrl, schema: config.schema });
  }
  return createPgliteDb({ dataDir: config.dataDir, schema: config.schema });
}

export { createPgliteDb, createPgDb };
export { assertSchemaName } from './schema-name.ts';
