import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import type { CardClaim, CardRecord, CardRepository } from '../ports.ts';
import { iso, isoOrNull, isoParam } from './rows.ts';

export interface CardRow {
  conversation_id: string;
  link_id: string;
  state: 'posting' | 'posted';
  activity_id: string | null;
  last_hash: string | null;
  claimed_by: string | null;
  claimed_at: unknown;
  updated_at: unknown;
}

export function mapCardRow(row: CardRow): CardRecord {
  return {
    conversationId: row.conversation_id,
    linkId: row.link_id,
    state: row.state,
    activityId: row.activity_id,
    lastHash: row.last_hash,
    claimedBy: row.claimed_by,
    claimedAt: isoOrNull(row.claimed_at),
    updatedAt: iso(row.updated_at),
  };
}

/** A claim can race with a release (row deleted between our upsert and our read): retry a few times. */
const CLAIM_ATTEMPTS = 5;

export function createSqlCardRepository(db: Db): CardRepository {
  async function get(conversationId: string, linkId: string): Promise<CardRecord | null> {
    const { rows } = await db.query<CardRow>(`SELECT * FROM cards WHERE conversation_id = $1 AND link_id = $2`, [conversationId, linkId]);
    return rows[0] === undefined ? null : mapCardRow(rows[0]);
  }

  return {
    get,

    async findByActivity(conversationId: string, activityId: string): Promise<CardRecord | null> {
      // The primary key's conversation prefix narrows to one conversation's cards; activity ids
      // are unique within it (Teams gives each message its own).
      const { rows } = await db.query<CardRow>(
        `SELECT * FROM cards WHERE conversation_id = $1 AND activity_id = $2 AND state = 'posted' ORDER BY link_id COLLATE "C" LIMIT 1`,
        [conversationId, activityId],
      );
      return rows[0] === undefined ? null : mapCardRow(rows[0]);
    },

    async listForLink(linkId: string): Promise<CardRecord[]> {
      const { rows } = await db.query<CardRow>(`SELECT * FROM cards WHERE link_id = $1 ORDER BY conversation_id COLLATE "C"`, [linkId]);
      return rows.map(mapCardRow);
    },

    async claim(conversationId, linkId, holderId, now, staleAfterMs): Promise<CardClaim> {
      if (!Number.isFinite(staleAfterMs) || staleAfterMs < 0) {
        throw new StoreError('invalid-argument', `staleAfterMs must be a non-negative number, got ${staleAfterMs}.`);
      }
      const at = isoParam(now, 'now');
      for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
        // One statement: the insert wins for the first claimer; a conflicting claimer waits on the
        // row lock and then re-checks the WHERE against the committed row, so exactly one holds it.
        const { rows } = await db.query<CardRow>(
          `INSERT INTO cards (conversation_id, link_id, state, claimed_by, claimed_at, updated_at)
           VALUES ($1, $2, 'posting', $3, $4::timestamptz, $4::timestamptz)
           ON CONFLICT (conversation_id, link_id) DO UPDATE
             SET claimed_by = EXCLUDED.claimed_by, claimed_at = EXCLUDED.claimed_at, updated_at = EXCLUDED.updated_at
             WHERE cards.state = 'posting'
               AND (cards.claimed_by = EXCLUDED.claimed_by
                    OR cards.claimed_at <= EXCLUDED.claimed_at - make_interval(secs => $5::double precision / 1000))
           RETURNING *`,
          [conversationId, linkId, holderId, at, staleAfterMs],
        );
        if (rows[0] !== undefined) return { claimed: true, card: mapCardRow(rows[0]) };
        const current = await get(conversationId, linkId);
        if (current !== null) return { claimed: false, card: current };
      }
      throw new StoreError('query-failed', `Could not claim the card for ${linkId} in ${conversationId}: it kept being released and re-claimed.`);
    },

    async markPosted(conversationId, linkId, holderId, activityId, hash, now): Promise<boolean> {
      const { rowCount } = await db.query(
        `UPDATE cards SET state = 'posted', activity_id = $4, last_hash = $5, claimed_by = NULL, claimed_at = NULL, updated_at = $6::timestamptz
         WHERE conversation_id = $1 AND link_id = $2 AND state = 'posting' AND claimed_by = $3`,
        [conversationId, linkId, holderId, activityId, hash, isoParam(now, 'now')],
      );
      return rowCount > 0;
    },

    async releaseClaim(conversationId, linkId, holderId): Promise<boolean> {
      const { rowCount } = await db.query(
        `DELETE FROM cards WHERE conversation_id = $1 AND link_id = $2 AND state = 'posting' AND claimed_by = $3`,
        [conversationId, linkId, holderId],
      );
      return rowCount > 0;
    },

    async recordUpdate(conversationId, linkId, hash, now): Promise<boolean> {
      const { rowCount } = await db.query(
        `UPDATE cards SET last_hash = $3, updated_at = $4::timestamptz WHERE conversation_id = $1 AND link_id = $2 AND state = 'posted'`,
        [conversationId, linkId, hash, isoParam(now, 'now')],
      );
      return rowCount > 0;
    },

    async remove(conversationId, linkId): Promise<boolean> {
      const { rowCount } = await db.query(`DELETE FROM cards WHERE conversation_id = $1 AND link_id = $2`, [conversationId, linkId]);
      return rowCount > 0;
    },
  };
}
