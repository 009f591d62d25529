import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import type { NoticeLogRepository } from '../ports.ts';

export function createSqlNoticeLogRepository(db: Db): NoticeLogRepository {
  return {
    async claim(key, at) {
      if (key === '') throw new StoreError('invalid-argument', 'A notice needs a non-empty key.');
      const { rowCount } = await db.query(`INSERT INTO sent_notices (key, sent_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [key, at]);
      return rowCount > 0;
    },
    async release(key) {
      const { rowCount } = await db.query(`DELETE FROM sent_notices WHERE key = $1`, [key]);
      return rowCount > 0;
    },
  };
}
