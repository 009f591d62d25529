import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import type { Actor } from '../../domain/incident.ts';
import type { WarRoomClaim, WarRoomRecord, WarRoomRepository } from '../ports.ts';
import { fromJson, iso, isoOrNull, isoParam, json } from './rows.ts';

interface WarRoomRow {
  link_id: string;
  tenant_id: string;
  requested_by: unknown;
  chat_id: string | null;
  web_url: string | null;
  app_installed: boolean;
  card_activity_id: string | null;
  holder_id: string | null;
  claimed_at: unknown;
  card_holder_id: string | null;
  card_claimed_at: unknown;
  created_at: unknown;
  updated_at: unknown;
}

function mapRow(row: WarRoomRow): WarRoomRecord {
  return {
    linkId: row.link_id,
    tenantId: row.tenant_id,
    requestedBy: fromJson<Actor>(row.requested_by),
    chatId: row.chat_id,
    webUrl: row.web_url,
    appInstalled: row.app_installed,
    cardActivityId: row.card_activity_id,
    holderId: row.holder_id,
    claimedAt: isoOrNull(row.claimed_at),
    cardHolderId: row.card_holder_id,
    cardClaimedAt: isoOrNull(row.card_claimed_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** A claim can race with a release that deletes the row: retry a few times, as the cards' claim does. */
const CLAIM_ATTEMPTS = 5;

function staleAfter(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new StoreError('invalid-argument', `staleAfterMs must be a non-negative number, got ${ms}.`);
  return ms;
}

export function createSqlWarRoomRepository(db: Db): WarRoomRepository {
  async function get(linkId: string): Promise<WarRoomRecord | null> {
    const { rows } = await db.query<WarRoomRow>(`SELECT * FROM war_rooms WHERE link_id = $1`, [linkId]);
    return rows[0] === undefined ? null : mapRow(rows[0]);
  }

  return {
    get,

    async findByChat(chatId: string): Promise<WarRoomRecord | null> {
      const { rows } = await db.query<WarRoomRow>(`SELECT * FROM war_rooms WHERE chat_id = $1`, [chatId]);
      return rows[0] === undefined ? null : mapRow(rows[0]);
    },

    async claim(draft, holderId, now, staleAfterMs): Promise<WarRoomClaim> {
      const stale = staleAfter(staleAfterMs);
      const at = isoParam(now, 'now');
      for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
        // One statement: a conflicting claimer waits on the row lock and re-checks the WHERE
        // against the committed row, so exactly one holds the claim.
        const { rows } = await db.query<WarRoomRow>(
          `INSERT INTO war_rooms (link_id, tenant_id, requested_by, holder_id, claimed_at, created_at, updated_at)
           VALUES ($1, $2, $3::jsonb, $4, $5::timestamptz, $5::timestamptz, $5::timestamptz)
           ON CONFLICT (link_id) DO UPDATE
             SET holder_id = EXCLUDED.holder_id, claimed_at = EXCLUDED.claimed_at, updated_at = EXCLUDED.updated_at
             WHERE war_rooms.holder_id IS NULL
                OR war_rooms.holder_id = EXCLUDED.holder_id
                OR war_rooms.claimed_at <= EXCLUDED.claimed_at - make_interval(secs => $6::double precision / 1000)
           RETURNING *`,
          [draft.linkId, draft.tenantId, json(draft.requestedBy), holderId, at, stale],
        );
        if (rows[0] !== undefined) return { claimed: true, room: mapRow(rows[0]) };
        const current = await get(draft.linkId);
        if (current !== null) return { claimed: false, room: current };
      }
      throw new StoreError('query-failed', `Could not claim the war room of ${draft.linkId}: it kept being released and re-claimed.`);
    },

    async recordChat(linkId, holderId, chatId, webUrl, now): Promise<boolean> {
      const { rowCount } = await db.query(
        `UPDATE war_rooms SET chat_id = $3, web_url = $4, updated_at = $5::timestamptz
         WHERE link_id = $1 AND holder_id = $2 AND chat_id IS NULL`,
        [linkId, holderId, chatId, webUrl, isoParam(now, 'now')],
      );
      return rowCount > 0;
    },

    async markInstalled(linkId, holderId, now): Promise<boolean> {
      const { rowCount } = await db.query(
        `UPDATE war_rooms SET app_installed = true, holder_id = NULL, claimed_at = NULL, updated_at = $3::timestamptz
         WHERE link_id = $1 AND holder_id = $2 AND chat_id IS NOT NULL`,
        [linkId, holderId, isoParam(now, 'now')],
      );
      return rowCount > 0;
    },

    async release(linkId, holderId): Promise<boolean> {
      const deleted = await db.query(`DELETE FROM war_rooms WHERE link_id = $1 AND holder_id = $2 AND chat_id IS NULL`, [linkId, holderId]);
      if (deleted.rowCount > 0) return true;
      const { rowCount } = await db.query(`UPDATE war_rooms SET holder_id = NULL, claimed_at = NULL WHERE link_id = $1 AND holder_id = $2`, [linkId, holderId]);
      return rowCount > 0;
    },

    async claimCard(chatId, holderId, now, staleAfterMs): Promise<boolean> {
      const { rowCount } = await db.query(
        `UPDATE war_rooms SET card_holder_id = $2, card_claimed_at = $3::timestamptz, updated_at = $3::timestamptz
         WHERE chat_id = $1 AND card_activity_id IS NULL
           AND (card_holder_id IS NULL OR card_holder_id = $2
                OR card_claimed_at <= $3::timestamptz - make_interval(secs => $4::double precision / 1000))`,
        [chatId, holderId, isoParam(now, 'now'), staleAfter(staleAfterMs)],
      );
      return rowCount > 0;
    },

    async recordCard(chatId, holderId, activityId, now): Promise<boolean> {
      const { rowCount } = await db.query(
        `UPDATE war_rooms SET card_activity_id = $3, card_holder_id = NULL, card_claimed_at = NULL, updated_at = $4::timestamptz
         WHERE chat_id = $1 AND card_holder_id = $2`,
        [chatId, holderId, activityId, isoParam(now, 'now')],
      );
      return rowCount > 0;
    },

    async releaseCard(chatId, holderId): Promise<boolean> {
      const { rowCount } = await db.query(`UPDATE war_rooms SET card_holder_id = NULL, card_claimed_at = NULL WHERE chat_id = $1 AND card_holder_id = $2`, [chatId, holderId]);
      return rowCount > 0;
    },
  };
}
