import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import type { CardRefresh, CardRefreshRepository } from '../ports.ts';
import { clampLimit, int, iso, isoParam } from './rows.ts';

interface CardRefreshRow {
  conversation_id: string;
  link_id: string;
  announce: boolean;
  first_seq: unknown;
  last_seq: unknown;
  claimed_by: string;
  claimed_at: unknown;
  attempts: unknown;
}

function map(row: CardRefreshRow): CardRefresh {
  return {
    conversationId: row.conversation_id,
    linkId: row.link_id,
    announce: row.announce,
    firstSeq: int(row.first_seq),
    lastSeq: int(row.last_seq),
    claimedBy: row.claimed_by,
    claimedAt: iso(row.claimed_at),
    attempts: int(row.attempts),
  };
}

export function createSqlCardRefreshRepository(db: Db): CardRefreshRepository {
  return {
    async mark(entries, holderId, now) {
      if (entries.length === 0) return;
      for (const entry of entries) {
        if (!Number.isSafeInteger(entry.seq) || entry.seq < 0) throw new StoreError('invalid-argument', `seq must be a non-negative integer, got ${entry.seq}.`);
      }
      // One statement for a whole fan-out: an event for 500 channels is one round trip.
      await db.query(
        `INSERT INTO card_refreshes (conversation_id, link_id, announce, first_seq, last_seq, claimed_by, claimed_at)
         SELECT entry.conversation_id, entry.link_id, entry.announce, entry.seq, entry.seq, $2, $3::timestamptz
         FROM jsonb_to_recordset($1::jsonb) AS entry(conversation_id text, link_id text, announce boolean, seq bigint)
         ON CONFLICT (conversation_id, link_id) DO UPDATE SET
           announce = card_refreshes.announce OR EXCLUDED.announce,
           first_seq = LEAST(card_refreshes.first_seq, EXCLUDED.first_seq),
           last_seq = GREATEST(card_refreshes.last_seq, EXCLUDED.last_seq),
           claimed_by = EXCLUDED.claimed_by,
           claimed_at = EXCLUDED.claimed_at`,
        [
          JSON.stringify(entries.map((entry) => ({ conversation_id: entry.conversationId, link_id: entry.linkId, announce: entry.announce, seq: entry.seq }))),
          holderId,
          isoParam(now, 'now'),
        ],
      );
    },

    async clear(conversationId, linkId, deliveredSeq) {
      const { rowCount } = await db.query(`DELETE FROM card_refreshes WHERE conversation_id = $1 AND link_id = $2 AND last_seq <= $3`, [conversationId, linkId, deliveredSeq]);
      return rowCount > 0;
    },

    async recordFailure(conversationId, linkId) {
      const { rows } = await db.query<{ attempts: unknown }>(
        `UPDATE card_refreshes SET attempts = attempts + 1 WHERE conversation_id = $1 AND link_id = $2 RETURNING attempts`,
        [conversationId, linkId],
      );
      return rows[0] === undefined ? null : int(rows[0].attempts);
    },

    async drop(conversationId, linkId) {
      const { rowCount } = await db.query(`DELETE FROM card_refreshes WHERE conversation_id = $1 AND link_id = $2`, [conversationId, linkId]);
      return rowCount > 0;
    },

    async claimStale(holderId, now, staleAfterMs, limit) {
      if (!Number.isFinite(staleAfterMs) || staleAfterMs < 0) throw new StoreError('invalid-argument', `staleAfterMs must be a non-negative number, got ${staleAfterMs}.`);
      // SKIP LOCKED: two replicas sweeping at once take different refreshes.
      const { rows } = await db.query<CardRefreshRow>(
        `UPDATE card_refreshes AS r SET claimed_by = $1, claimed_at = $2::timestamptz
         FROM (
           SELECT conversation_id, link_id FROM card_refreshes
           WHERE claimed_at <= $2::timestamptz - make_interval(secs => $3::double precision / 1000)
           ORDER BY claimed_at LIMIT $4 FOR UPDATE SKIP LOCKED
         ) AS stale
         WHERE r.conversation_id = stale.conversation_id AND r.link_id = stale.link_id
         RETURNING r.*`,
        [holderId, isoParam(now, 'now'), staleAfterMs, clampLimit(limit, 100, 1000)],
      );
      return rows.map(map);
    },

    async releaseClaims(holderId) {
      const { rowCount } = await db.query(`UPDATE card_refreshes SET claimed_at = 'epoch' WHERE claimed_by = $1`, [holderId]);
      return rowCount;
    },
  };
}
