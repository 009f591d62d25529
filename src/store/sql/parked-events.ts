import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import type { ParkedEvent, ParkedEventRepository } from '../ports.ts';
import { clampLimit, int, iso, isoParam } from './rows.ts';

interface ParkedRow {
  consumer: string;
  seq: unknown;
  event_id: string;
  link_id: string;
  pair_id: string;
  error_code: string;
  attempts: unknown;
  parked_at: unknown;
}

export const DEFAULT_PARKED_LIST_LIMIT = 100;
export const MAX_PARKED_LIST_LIMIT = 1000;

function map(row: ParkedRow): ParkedEvent {
  return {
    consumer: row.consumer,
    seq: int(row.seq),
    eventId: row.event_id,
    linkId: row.link_id,
    pairId: row.pair_id,
    errorCode: row.error_code,
    attempts: int(row.attempts),
    parkedAt: iso(row.parked_at),
  };
}

/** The argument checks both stores make (test/fakes/memory-store.ts uses them too). */
export function assertParkedEvent(event: ParkedEvent): void {
  if (event.consumer === '' || event.eventId === '') throw new StoreError('invalid-argument', 'A parked event needs a non-empty consumer and eventId.');
  if (!Number.isSafeInteger(event.seq) || event.seq < 1) throw new StoreError('invalid-argument', `seq must be a positive integer, got ${event.seq}.`);
  if (!Number.isInteger(event.attempts) || event.attempts < 1) throw new StoreError('invalid-argument', `attempts must be a positive integer, got ${event.attempts}.`);
}

export function createSqlParkedEventRepository(db: Db): ParkedEventRepository {
  return {
    async park(event) {
      assertParkedEvent(event);
      const { rows } = await db.query<ParkedRow>(
        `INSERT INTO parked_change_events (consumer, seq, event_id, link_id, pair_id, error_code, attempts, parked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (consumer, seq) DO UPDATE SET error_code = EXCLUDED.error_code, attempts = EXCLUDED.attempts
         RETURNING *`,
        [event.consumer, event.seq, event.eventId, event.linkId, event.pairId, event.errorCode, event.attempts, isoParam(event.parkedAt, 'parkedAt')],
      );
      return map(rows[0] as ParkedRow);
    },
    async list(consumer, limit) {
      const { rows } = await db.query<ParkedRow>(`SELECT * FROM parked_change_events WHERE consumer = $1 ORDER BY seq LIMIT $2`, [
        consumer,
        clampLimit(limit, DEFAULT_PARKED_LIST_LIMIT, MAX_PARKED_LIST_LIMIT),
      ]);
      return rows.map(map);
    },
    async counts() {
      const { rows } = await db.query<{ consumer: string; count: unknown }>(
        `SELECT consumer, count(*) AS count FROM parked_change_events GROUP BY consumer ORDER BY consumer COLLATE "C"`,
      );
      return rows.map((row) => ({ consumer: row.consumer, count: int(row.count) }));
    },
  };
}
