// Migrations: idempotent, race-free across replicas, refusing edited history.
import { afterAll, describe, expect, test } from '@jest/globals';
import { createPgliteDb } from '../../src/store/pglite-db.ts';
import { createPgDb } from '../../src/store/pg-db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { MIGRATIONS, type Migration } from '../../src/store/migrations/index.ts';
import type { Db } from '../../src/store/db.ts';
import { POSTGRES_URL, describePostgres, dropSchema, uniqueSchemaName } from './support/postgres.ts';

const latest = MIGRATIONS.length;

async function tables(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

describe('migrations on PGlite', () => {
  test('apply once, then are a no-op; schema_migrations records them', async () => {
    const db = await createPgliteDb({ schema: 'mig' });
    try {
      expect(await migrate(db)).toEqual({ applied: MIGRATIONS.map((m) => m.version), unknown: [], current: latest });
      expect(await migrate(db)).toEqual({ applied: [], unknown: [], current: latest });
      expect(await tables(db)).toEqual(expect.arrayContaining(['schema_migrations', 'incident_links', 'change_events', 'leases']));
      const { rows } = await db.query<{ version: number; name: string }>(`SELECT version, name FROM schema_migrations ORDER BY version`);
      expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    } finally {
      await db.close();
    }
  });

  test('a failing migration rolls back entirely and reports migration-failed', async () => {
    const db = await createPgliteDb();
    try {
      const broken: Migration[] = [...MIGRATIONS, { version: latest + 1, name: 'broken', statements: ['CREATE TABLE half_done (id int)', 'SELECT no_such_function()'] }];
      await expect(migrate(db, broken)).rejects.toMatchObject({ code: 'migration-failed' });
      expect(await tables(db)).not.toContain('half_done');
      expect(await tables(db)).not.toContain('incident_links'); // same transaction: nothing applied
      expect((await migrate(db)).applied).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await db.close();
    }
  });

  test('refuses a shipped migration whose text changed, and reports versions it does not know', async () => {
    const db = await createPgliteDb();
    try {
      const extra: Migration = { version: latest + 1, name: 'later', statements: ['CREATE TABLE later_table (id int)'] };
      await migrate(db, [...MIGRATIONS, extra]);
      expect(await migrate(db)).toEqual({ applied: [], unknown: [latest + 1], current: latest + 1 });
      const edited: Migration[] = [...MIGRATIONS, { ...extra, statements: ['CREATE TABLE later_table (id bigint)'] }];
      await expect(migrate(db, edited)).rejects.toMatchObject({ code: 'migration-failed', message: expect.stringContaining('changed after it was applied') });
      await expect(migrate(db, [MIGRATIONS[0] as Migration, { ...extra, version: 3 }])).rejects.toMatchObject({ code: 'migration-failed' });
    } finally {
      await db.close();
    }
  });
});

describePostgres('migrations on PostgreSQL', () => {
  const schema = uniqueSchemaName('migrate');
  afterAll(() => dropSchema(schema));

  test('replicas migrating at the same moment: one applies, the others find it done', async () => {
    // Separate pools, as separate replicas would have; none of them has created the schema yet.
    const replicas = await Promise.all(Array.from({ length: 4 }, () => createPgDb({ connectionString: POSTGRES_URL, schema, max: 2 })));
    try {
      const reports = await Promise.all(replicas.map((db) => migrate(db)));
      expect(reports.filter((r) => r.applied.length > 0)).toHaveLength(1);
      expect(reports.every((r) => r.current === latest && r.unknown.length === 0)).toBe(true);
      const first = replicas[0] as Db;
      const { rows } = await first.query<{ count: string }>(`SELECT count(*) AS count FROM schema_migrations`);
      expect(Number(rows[0]?.count)).toBe(latest);
      expect(await tables(first)).toEqual(expect.arrayContaining(['incident_links', 'cards']));
      expect((await migrate(first)).applied).toEqual([]);
    } finally {
      await Promise.all(replicas.map((db) => db.close()));
    }
  });
});
