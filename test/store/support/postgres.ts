// The PostgreSQL server for integration tests: DATABASE_URL, or the local default. Each test file
// gets its own schema, dropped afterwards. With REQUIRE_POSTGRES=1 (CI) an unreachable server
// fails the PostgreSQL variants instead of skipping them.
import { randomBytes } from 'node:crypto';
import { describe, test } from '@jest/globals';
import pg from 'pg';
import { redactConnectionString } from '../../../src/store/pg-db.ts';

export const POSTGRES_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const POSTGRES_REQUIRED = process.env['REQUIRE_POSTGRES'] === '1';

/** Whether the server answers, within a short connect timeout (so a missing server skips fast). */
export async function probePostgres(url: string = POSTGRES_URL): Promise<{ ok: true } | { ok: false; reason: string }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  } finally {
    await client.end().catch(() => {});
  }
}

export function uniqueSchemaName(prefix: string): string {
  return `t_${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`.toLowerCase();
}

export async function dropSchema(schema: string, url: string = POSTGRES_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export const postgresStatus = await probePostgres();

/**
 * `describe` when the server is reachable; otherwise skipped, or (REQUIRE_POSTGRES=1) replaced by
 * a failing test that says why.
 */
export function describePostgres(name: string, body: () => void): void {
  if (postgresStatus.ok) {
    describe(name, body);
  } else if (POSTGRES_REQUIRED) {
    describe(name, () => {
      test('PostgreSQL is reachable (REQUIRE_POSTGRES=1)', () => {
        throw new Error(`PostgreSQL at ${redactConnectionString(POSTGRES_URL)} is unreachable (${postgresStatus.ok ? '' : postgresStatus.reason}); start it or set DATABASE_URL.`);
      });
    });
  } else {
    describe.skip(`${name} (PostgreSQL unreachable: skipped; set REQUIRE_POSTGRES=1 to fail instead)`, body);
  }
}
