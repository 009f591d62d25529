import type { ChangeEvent } from '../../domain/change-events.ts';
import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import type { ChangeEventRepository, NewChangeEvent } from '../ports.ts';
import { clampLimit, fromJson, int, json } from './rows.ts';

interface EventRow {
  seq: unknown;
  event: unknown;
}

function map(row: EventRow): ChangeEvent {
  return { ...fromJson<NewChangeEvent>(row.event), seq: int(row.seq) };
}

export function createSqlChangeEventRepository(db: Db): ChangeEventRepository {
  async function getOffset(consumer: string): Promise<number> {
    const { rows } = await db.query<{ last_seq: unknown }>(`SELECT last_seq FROM change_consumers WHERE name = $1`, [consumer]);
    return rows[0] === undefined ? 0 : int(rows[0].last_seq);
  }

  async function readAfter(afterSeq: number, limit?: number): Promise<ChangeEvent[]> {
    const { rows } = await db.query<EventRow>(`SELECT seq, event FROM change_events WHERE seq > $1 ORDER BY seq LIMIT $2`, [
      afterSeq,
      clampLimit(limit, 100, 1000),
    ]);
    return rows.map(map);
  }

  return {
    async append(events: NewChangeEvent[]): Promise<ChangeEvent[]> {
      if (events.length === 0) return [];
      for (const event of events) {
        if (typeof event.id !== 'string' || event.id === '') throw new StoreError('invalid-argument', 'Every change event needs a non-empty id.');
      }
      // Joins the caller's transaction when there is one (Store.transaction), so the lock is held
      // until the link update and these events commit together.
      return db.transaction(async (tx) => {
        // Serializes appenders: a seq is taken only after every earlier appender committed or
        // rolled back, so a reader at seq N can never later see a new event below N.
        const schemaKey = tx.target.schema ?? 'public';
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`incident-bridge:change-events:${schemaKey}`]);
        const appended: ChangeEvent[] = [];
        for (const event of events) {
          const { rows } = await tx.query<EventRow>(
            `INSERT INTO change_events (id, link_id, pair_id, kind, event, occurred_at)
             VALUES ($1, $2, $3, $4, $5::jsonb, $6)
             ON CONFLICT (id) DO NOTHING
             RETURNING seq, event`,
            [event.id, event.linkId, event.pairId, event.kind, json(event), event.occurredAt],
          );
          if (rows[0] !== undefined) appended.push(map(rows[0]));
        }
        return appended;
      });
    },

    readAfter,
    getOffset,

    async ack(consumer: string, seq: number): Promise<void> {
      if (!Number.isSafeInteger(seq) || seq < 0) throw new StoreError('invalid-argument', `ack seq must be a non-negative integer, got ${seq}.`);
      await db.query(
        `INSERT INTO change_consumers (name, last_seq) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET last_seq = GREATEST(change_consumers.last_seq, EXCLUDED.last_seq), updated_at = now()`,
        [consumer, seq],
      );
    },

    async readPending(consumer: string, limit?: number): Promise<ChangeEvent[]> {
      return readAfter(await getOffset(consumer), limit);
    },

    async readForLink(linkId: string, fromSeq: number, toSeq: number, limit?: number): Promise<ChangeEvent[]> {
      const { rows } = await db.query<EventRow>(
        `SELECT seq, event FROM (SELECT seq, event FROM change_events WHERE link_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq DESC LIMIT $4) AS latest ORDER BY seq`,
        [linkId, fromSeq, toSeq, clampLimit(limit, 100, 1000)],
      );
      return rows.map(map);
    },

    async latestSeq(): Promise<number> {
      const { rows } = await db.query<{ max: unknown }>(`SELECT COALESCE(MAX(seq), 0) AS max FROM change_events`);
      return rows[0] === undefined ? 0 : int(rows[0].max);
    },
  };
}
