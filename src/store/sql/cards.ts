import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import { MAX_CARD_COPIES_PER_CONVERSATION, type CardClaim, type CardCopy, type CardMessage, type CardRecord, type CardRepository } from '../ports.ts';
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

interface CardCopyRow {
  conversation_id: string;
  activity_id: string;
  link_id: string;
  last_hash: string;
  updated_at: unknown;
}

function mapCopyRow(row: CardCopyRow): CardCopy {
  return { conversationId: row.conversation_id, activityId: row.activity_id, linkId: row.link_id, lastHash: row.last_hash, updatedAt: iso(row.updated_at) };
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

    async findByActivity(conversationId: string, activityId: string): Promise<CardMessage | null> {
      // The primary keys' conversation prefix narrows to one conversation's cards; activity ids
      // are unique within it (Teams gives each message its own).
      const { rows } = await db.query<{ link_id: string; kind: CardMessage['kind'] }>(
        `SELECT link_id, kind FROM (
           SELECT link_id, 'announced' AS kind FROM cards WHERE conversation_id = $1 AND activity_id = $2 AND state = 'posted'
           UNION ALL
           SELECT link_id, 'copy' AS kind FROM card_copies WHERE conversation_id = $1 AND activity_id = $2
         ) AS messages ORDER BY kind, link_id COLLATE "C" LIMIT 1`,
        [conversationId, activityId],
      );
      const row = rows[0];
      return row === undefined ? null : { conversationId, activityId, linkId: row.link_id, kind: row.kind };
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

    async registerCopy(copy, now): Promise<CardCopy> {
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<CardCopyRow>(
          `INSERT INTO card_copies (conversation_id, activity_id, link_id, last_hash, updated_at)
           VALUES ($1, $2, $3, $4, $5::timestamptz)
           ON CONFLICT (conversation_id, activity_id) DO UPDATE
             SET link_id = EXCLUDED.link_id, last_hash = EXCLUDED.last_hash, updated_at = EXCLUDED.updated_at,
                 registered_seq = nextval(pg_get_serial_sequence('card_copies', 'registered_seq'))
           RETURNING *`,
          [copy.conversationId, copy.activityId, copy.linkId, copy.lastHash, isoParam(now, 'now')],
        );
        await tx.query(
          `DELETE FROM card_copies WHERE conversation_id = $1 AND link_id = $2 AND activity_id NOT IN (
             SELECT activity_id FROM card_copies WHERE conversation_id = $1 AND link_id = $2 ORDER BY registered_seq DESC LIMIT $3)`,
          [copy.conversationId, copy.linkId, MAX_CARD_COPIES_PER_CONVERSATION],
        );
        return mapCopyRow(rows[0] as CardCopyRow);
      });
    },

    async listCopies(linkId, conversationId): Promise<CardCopy[]> {
      const { rows } = await db.query<CardCopyRow>(
        `SELECT * FROM card_copies WHERE link_id = $1 AND ($2::text IS NULL OR conversation_id = $2) ORDER BY conversation_id COLLATE "C", registered_seq`,
        [linkId, conversationId ?? null],
      );
      return rows.map(mapCopyRow);
    },

    async recordCopyUpdate(conversationId, activityId, hash, now): Promise<boolean> {
      const { rowCount } = await db.query(`UPDATE card_copies SET last_hash = $3, updated_at = $4::timestamptz WHERE conversation_id = $1 AND activity_id = $2`, [
        conversationId,
        activityId,
        hash,
        isoParam(now, 'now'),
      ]);
      return rowCount > 0;
    },

    async removeCopy(conversationId, activityId): Promise<boolean> {
      const { rowCount } = await db.query(`DELETE FROM card_copies WHERE conversation_id = $1 AND activity_id = $2`, [conversationId, activityId]);
      return rowCount > 0;
    },
  };
}
