import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import type { JsonValue, SettingsRepository } from '../ports.ts';
import { fromJson, json, jsonOrNull } from './rows.ts';

export function createSqlSettingsRepository(db: Db): SettingsRepository {
  return {
    async get(key) {
      const { rows } = await db.query<{ value: unknown }>(`SELECT value FROM settings WHERE key = $1`, [key]);
      return rows[0] === undefined ? null : fromJson<JsonValue>(rows[0].value);
    },
    async set(key, value, updatedBy) {
      if (key === '') throw new StoreError('invalid-argument', 'A setting needs a non-empty key.');
      await db.query(
        `INSERT INTO settings (key, value, updated_by) VALUES ($1, $2::jsonb, $3::jsonb)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by, updated_at = now()`,
        [key, json(value), jsonOrNull(updatedBy)],
      );
    },
    async delete(key) {
      const { rowCount } = await db.query(`DELETE FROM settings WHERE key = $1`, [key]);
      return rowCount > 0;
    },
  };
}
