// Db over PGlite: PostgreSQL compiled to WASM, in this process, one connection.
//
// Serialization: PGlite 0.5 runs every query()/exec() and a whole transaction() under one
// internal mutex, so statements from other callers (including pg-boss, which shares the
// instance) wait while a transaction is open; transactions never interleave. The flip side:
// using the outer Db inside a transaction deadlocks, which the Db port documents. Every call,
// pg-boss's included, first passes a priority gate (query-priority.ts) that takes them one at a
// time with a Teams turn's calls first; inside a transaction, statements go straight to it.
//
// Not for more than one process: PGlite keeps an exclusive in-memory copy of the data directory.
// Several replicas need DATABASE_URL (a PostgreSQL server).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Db, EmbeddedConnection, QueryResult, Queryable } from './db.ts';
import { createPriorityGate } from './query-priority.ts';
import { StoreError, queryFailed } from './errors.ts';
import { assertSchemaName } from './schema-name.ts';

export interface PgliteDbOptions {
  /** Folder for the embedded database (files go to `${dataDir}/pglite`); undefined keeps it in memory (tests). */
  dataDir?: string | undefined;
  /** Schema for our tables (search_path). Default: public. */
  schema?: string | undefined;
  /** Create a new data directory in this process instead of a child process (pglite-init.ts itself). */
  initializeInProcess?: boolean;
}

interface PgliteRunner {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
}

function toResult<T>(result: { rows: T[]; affectedRows?: number }): QueryResult<T> {
  // affectedRows is set for INSERT/UPDATE/DELETE; for SELECT the row count is what came back.
  return { rows: result.rows, rowCount: result.affectedRows && result.affectedRows > 0 ? result.affectedRows : result.rows.length };
}

function runner(target: PgliteRunner, isOpen: () => boolean): Queryable {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      if (!isOpen()) throw new StoreError('closed', 'The embedded database is closed; the store was used after close().');
      try {
        return toResult(await target.query<T>(sql, [...params]));
      } catch (error) {
        throw queryFailed(sql, error);
      }
    },
  };
}

/** Where the embedded database of a data folder lives. */
export function embeddedDatabaseDir(dataDir: string): string {
  return join(dataDir, 'pglite');
}

const INIT_SCRIPT = fileURLToPath(new URL('./pglite-init.ts', import.meta.url));

/** See pglite-init.ts: the one-time memory peak of a new database belongs in a process that exits. */
async function initializeInChildProcess(dataDir: string): Promise<void> {
  try {
    await promisify(execFile)(process.execPath, ['--no-warnings', INIT_SCRIPT, dataDir], { timeout: 120_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new StoreError('unavailable', `Could not create the embedded database in ${embeddedDatabaseDir(dataDir)}${stderr ? `: ${stderr.split('\n').at(-1)}` : ''}. Check DATA_DIR is writable.`, { cause: error });
  }
}

// PostgreSQL's default shared_buffers (128 MB) lives inside PGlite's WebAssembly heap and shows up
// in the process's resident memory. The bridge's tables are a few megabytes, so 16 MB of buffers
// holds them whole; measured at open: 490 MB RSS with the default, 351 MB with these settings.
const EMBEDDED_POSTGRES_SETTINGS = ['shared_buffers=16MB', 'work_mem=2MB'];

export async function createPgliteDb(options: PgliteDbOptions = {}): Promise<Db> {
  const schema = options.schema === undefined ? undefined : assertSchemaName(options.schema);
  let pglite: PGlite;
  try {
    if (options.dataDir === undefined) {
      pglite = await PGlite.create({ postgresqlconf: EMBEDDED_POSTGRES_SETTINGS });
    } else {
      const dir = embeddedDatabaseDir(options.dataDir);
      await mkdir(dir, { recursive: true });
      if (!options.initializeInProcess && !existsSync(join(dir, 'PG_VERSION'))) await initializeInChildProcess(options.dataDir);
      pglite = await PGlite.create({ dataDir: dir, postgresqlconf: EMBEDDED_POSTGRES_SETTINGS });
    }
  } catch (error) {
    throw new StoreError(
      'unavailable',
      `Could not open the embedded database${options.dataDir === undefined ? '' : ` in ${embeddedDatabaseDir(options.dataDir)}`}: check DATA_DIR is writable and not used by another running instance.`,
      { cause: error },
    );
  }
  if (schema !== undefined) {
    // One connection, so a session-level search_path covers every later statement (pg-boss
    // qualifies its own objects with its schema, so it is unaffected).
    await pglite.exec(`CREATE SCHEMA IF NOT EXISTS "${schema}"; SET search_path TO "${schema}"`);
  }

  let open = true;
  const isOpen = () => open;
  const gate = createPriorityGate();
  const gatedQuery = <T>(sql: string, params?: unknown[]) => gate.run(() => pglite.query<T>(sql, params));
  const outer = runner({ query: gatedQuery }, isOpen);
  const forJobs: EmbeddedConnection = {
    query: gatedQuery,
    exec: (sql) => gate.run(() => pglite.exec(sql)),
    listen: (channel, callback) => pglite.listen(channel, callback),
  };

  function transactionDb(tx: Transaction): Db {
    const inner = runner(tx, () => open && !tx.closed);
    const db: Db = {
      target: { kind: 'pglite', pglite: forJobs, schema },
      query: inner.query,
      transaction: (fn) => fn(db),
      close: () => Promise.reject(new StoreError('closed', 'close() called on a transaction-bound Db; close the outer Db instead.')),
    };
    return db;
  }

  return {
    target: { kind: 'pglite', pglite: forJobs, schema },
    query: outer.query,
    async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      if (!open) throw new StoreError('closed', 'The embedded database is closed; the store was used after close().');
      return gate.run(() => pglite.transaction((tx) => fn(transactionDb(tx))));
    },
    async close() {
      if (!open) return;
      open = false;
      await pglite.close();
    },
  };
}
