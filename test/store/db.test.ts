// The Db adapters: transactions, errors, schema isolation, persistence.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPgliteDb } from '../../src/store/pglite-db.ts';
import { createPgDb } from '../../src/store/pg-db.ts';
import { assertSchemaName, openDatabase, type Db } from '../../src/store/db.ts';
import { openStore } from '../../src/store/store.ts';
import { linkDraft } from './support/fixtures.ts';
import { POSTGRES_URL, describePostgres, dropSchema, uniqueSchemaName } from './support/postgres.ts';

function dbBehaviour(open: () => Promise<Db>): void {
  test('transaction commits on resolve and rolls back on throw; nested calls join', async () => {
    const db = await open();
    try {
      await db.query(`CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY)`);
      await db.query(`DELETE FROM t`);
      await db.transaction(async (tx) => {
        await tx.query(`INSERT INTO t VALUES ($1)`, [1]);
        await tx.transaction((inner) => inner.query(`INSERT INTO t VALUES ($1)`, [2]));
      });
      await expect(
        db.transaction(async (tx) => {
          await tx.query(`INSERT INTO t VALUES ($1)`, [3]);
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      const { rows, rowCount } = await db.query<{ id: number }>(`SELECT id FROM t ORDER BY id`);
      expect(rows.map((r) => r.id)).toEqual([1, 2]);
      expect(rowCount).toBe(2);
      const deleted = await db.query(`DELETE FROM t WHERE id = $1`, [1]);
      expect(deleted.rowCount).toBe(1);
    } finally {
      await db.close();
    }
  });

  test('a failing statement becomes a StoreError with its SQLSTATE and the driver error as cause', async () => {
    const db = await open();
    try {
      const error = await db.query(`SELECT * FROM no_such_table`).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'StoreError', code: 'query-failed', sqlState: '42P01' });
      expect((error as Error).cause).toBeDefined();
      // The connection is still usable afterwards.
      expect((await db.query<{ one: number }>(`SELECT 1 AS one`)).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
    await expect(db.query('SELECT 1')).rejects.toMatchObject({ code: 'closed' });
  });
}

describe('Db on PGlite', () => {
  dbBehaviour(() => createPgliteDb({ schema: 'dbtest' }));

  test('closing and reopening the same data directory keeps the data', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'incident-bridge-store-'));
    try {
      const first = await openStore({ dataDir });
      const draft = linkDraft();
      expect((await first.store.links.save(draft, null)).ok).toBe(true);
      await first.store.close();

      const second = await openStore({ dataDir });
      expect(second.migrations.applied).toEqual([]);
      expect(await second.store.links.get(draft.linkId)).toMatchObject({ linkId: draft.linkId, version: 1 });
      await second.store.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('openDatabase and configuration', () => {
  test('picks PGlite without DATABASE_URL', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'incident-bridge-open-'));
    try {
      const db = await openDatabase({ dataDir, databaseUrl: undefined });
      expect(db.target.kind).toBe('pglite');
      await db.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('refuses schema names that would need quoting', () => {
    expect(assertSchemaName('bridge_1')).toBe('bridge_1');
    for (const bad of ['Bridge', '1abc', 'a-b', 'x"; DROP SCHEMA public; --', '', 'a'.repeat(64)]) {
      expect(() => assertSchemaName(bad)).toThrow(expect.objectContaining({ code: 'invalid-config' }));
    }
  });

  test('an unreachable server fails fast with an actionable, password-free message', async () => {
    const error = await createPgDb({ connectionString: 'postgres://user:secret@127.0.0.1:1/none' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unavailable', message: expect.stringContaining('check DATABASE_URL') });
    expect((error as Error).message).not.toContain('secret');
  });
});

describePostgres('Db on PostgreSQL', () => {
  const schema = uniqueSchemaName('db');
  afterAll(() => dropSchema(schema));
  dbBehaviour(async () => {
    const db = await createPgDb({ connectionString: POSTGRES_URL, schema });
    await db.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    return db;
  });
  test('openDatabase picks PostgreSQL when DATABASE_URL is set', async () => {
    const db = await openDatabase({ dataDir: 'unused', databaseUrl: POSTGRES_URL, schema });
    expect(db.target).toMatchObject({ kind: 'postgres', schema });
    await db.close();
  });
});
