// Runs pending schema migrations at start, race-free across replicas:
// - one transaction for all pending migrations: either the schema moves to the newest version or
//   it stays where it was;
// - a transaction-scoped advisory lock (pg_advisory_xact_lock) first, so replicas starting
//   together queue up; the second finds everything applied and does nothing;
// - schema_migrations records version, name and a checksum; a shipped migration whose text
//   changed is refused rather than silently skipped.
import { createHash } from 'node:crypto';
import type { Db } from './db.ts';
import { StoreError } from './errors.ts';
import { MIGRATIONS, type Migration } from './migrations/index.ts';

export interface MigrationReport {
  /** Versions applied by this call, ascending. */
  applied: number[];
  /** Versions recorded in the database that this build does not know (a newer build migrated it). */
  unknown: number[];
  /** Highest version now in the database. */
  current: number;
}

export function migrationChecksum(migration: Migration): string {
  return createHash('sha256').update(migration.statements.join('\n;\n')).digest('hex');
}

function validate(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new StoreError('migration-failed', `Migration list is out of order: entry ${index} has version ${migration.version}, expected ${index + 1}.`);
    }
  });
}

export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  validate(migrations);
  const schema = db.target.schema ?? 'public';
  try {
    return await db.transaction(async (tx) => {
      // Keyed by schema, so test files with their own schemas do not wait for each other.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`incident-bridge:migrations:${schema}`]);
      if (db.target.schema !== undefined) await tx.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const { rows } = await tx.query<{ version: number; name: string; checksum: string }>(
        `SELECT version, name, checksum FROM schema_migrations ORDER BY version`,
      );
      const known = new Map(migrations.map((m) => [m.version, m]));
      for (const row of rows) {
        const migration = known.get(row.version);
        if (migration !== undefined && migration.name !== row.name) {
          throw new StoreError('migration-failed', `Migration ${row.version} is recorded as "${row.name}" but this build calls it "${migration.name}"; the migration list was edited after it shipped.`);
        }
        if (migration !== undefined && migrationChecksum(migration) !== row.checksum) {
          throw new StoreError('migration-failed', `Migration ${row.version} (${row.name}) changed after it was applied; restore its original text and add a new migration instead.`);
        }
      }
      const appliedVersions = new Set(rows.map((row) => row.version));
      const applied: number[] = [];
      for (const migration of migrations) {
        if (appliedVersions.has(migration.version)) continue;
        for (const statement of migration.statements) await tx.query(statement);
        await tx.query(`INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`, [
          migration.version,
          migration.name,
          migrationChecksum(migration),
        ]);
        applied.push(migration.version);
      }
      const unknown = rows.map((row) => row.version).filter((version) => !known.has(version));
      const current = Math.max(0, ...rows.map((row) => row.version), ...applied);
      return { applied, unknown, current };
    });
  } catch (error) {
    if (error instanceof StoreError && error.code === 'migration-failed') throw error;
    throw new StoreError('migration-failed', `Database migration failed and was rolled back: ${(error as Error).message}`, { cause: error });
  }
}
