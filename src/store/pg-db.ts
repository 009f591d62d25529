// Db over a PostgreSQL server through a pg Pool: the mode for several replicas (DATABASE_URL).
import pg from 'pg';
import type { Db, QueryResult, Queryable } from './db.ts';
import { StoreError, queryFailed } from './errors.ts';
import { assertSchemaName } from './schema-name.ts';

export interface PgDbOptions {
  connectionString: string;
  /** Schema for our tables, applied as every connection's search_path. Default: the server's (public). */
  schema?: string | undefined;
  /** Pool size. Default 10 (pg's default). */
  max?: number;
  /**
   * Errors of idle pooled connections (server restart, network drop). pg emits them on the pool;
   * unhandled, they would crash the process. Default: ignored (the next query reconnects).
   */
  onIdleError?: (error: Error) => void;
}

interface PgRunner {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

function runner(target: PgRunner, isOpen: () => boolean): Queryable {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      if (!isOpen()) throw new StoreError('closed', 'The database pool is closed; the store was used after close().');
      try {
        const result = await target.query(sql, [...params]);
        return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
      } catch (error) {
        throw queryFailed(sql, error);
      }
    },
  };
}

/** The connection string with any password masked, for error messages. */
export function redactConnectionString(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '(unparseable connection string)';
  }
}

export async function createPgDb(options: PgDbOptions): Promise<Db> {
  const schema = options.schema === undefined ? undefined : assertSchemaName(options.schema);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    // search_path as a startup parameter: every pooled connection gets it before its first query.
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  pool.on('error', (error) => options.onIdleError?.(error));

  // Fail fast with an actionable message rather than on the first repository call.
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => {});
    throw new StoreError(
      'unavailable',
      `Could not connect to PostgreSQL at ${redactConnectionString(options.connectionString)}: check DATABASE_URL, that the server is running, and its credentials.`,
      { cause: error },
    );
  }

  let open = true;
  const isOpen = () => open;
  const target = { kind: 'postgres' as const, connectionString: options.connectionString, schema };

  return {
    target,
    query: runner(pool, isOpen).query,
    async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      if (!open) throw new StoreError('closed', 'The database pool is closed; the store was used after close().');
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw new StoreError('unavailable', `Could not get a PostgreSQL connection for a transaction: ${(error as Error).message}`, { cause: error });
      }
      let settled = false;
      const txDb: Db = {
        target,
        query: runner(client, () => open && !settled).query,
        transaction: (inner) => inner(txDb),
        close: () => Promise.reject(new StoreError('closed', 'close() called on a transaction-bound Db; close the outer Db instead.')),
      };
      const control = runner(client, () => open);
      let broken: Error | undefined;
      try {
        await control.query('BEGIN');
        const result = await fn(txDb);
        await control.query('COMMIT');
        settled = true;
        return result;
      } catch (error) {
        if (!settled) {
          settled = true;
          // A failed ROLLBACK means the connection is unusable: release(err) destroys it.
          await client.query('ROLLBACK').catch((rollbackError: Error) => {
            broken = rollbackError;
          });
        }
        throw error;
      } finally {
        client.release(broken);
      }
    },
    async close() {
      if (!open) return;
      open = false;
      await pool.end();
    },
  };
}
