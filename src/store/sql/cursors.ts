import type { Portal } from '../../domain/incident.ts';
import type { Db } from '../db.ts';
import type { CursorRepository, PortalCursor, PortalListing } from '../ports.ts';
import { fromJson, iso, isoParam, json } from './rows.ts';

export function createSqlCursorRepository(db: Db): CursorRepository {
  return {
    async get(pairId: string, portal: Portal): Promise<PortalCursor | null> {
      const { rows } = await db.query<{ since: string; ids_at_since: unknown }>(
        `SELECT since, ids_at_since FROM cursors WHERE pair_id = $1 AND portal = $2`,
        [pairId, portal],
      );
      const row = rows[0];
      return row === undefined ? null : { since: row.since, idsAtSince: fromJson<string[]>(row.ids_at_since) };
    },
    async set(pairId: string, portal: Portal, cursor: PortalCursor): Promise<void> {
      await db.query(
        `INSERT INTO cursors (pair_id, portal, since, ids_at_since) VALUES ($1, $2, $3, $4::jsonb)
         ON CONFLICT (pair_id, portal) DO UPDATE SET since = EXCLUDED.since, ids_at_since = EXCLUDED.ids_at_since, updated_at = now()`,
        [pairId, portal, cursor.since, json([...new Set(cursor.idsAtSince)])],
      );
    },
    async recordListing(listing: PortalListing): Promise<void> {
      await db.query(
        `INSERT INTO portal_listings (pair_id, portal, listed_at) VALUES ($1, $2, $3)
         ON CONFLICT (pair_id, portal) DO UPDATE SET listed_at = GREATEST(portal_listings.listed_at, EXCLUDED.listed_at)`,
        [listing.pairId, listing.portal, isoParam(listing.listedAt, 'listedAt')],
      );
    },
    async startBackfill(pairId: string, portal: Portal, cursor: PortalCursor): Promise<void> {
      await db.query(
        `INSERT INTO cursors (pair_id, portal, since, ids_at_since, backfill_pending) VALUES ($1, $2, $3, $4::jsonb, true)
         ON CONFLICT (pair_id, portal) DO UPDATE SET since = EXCLUDED.since, ids_at_since = EXCLUDED.ids_at_since, backfill_pending = true, updated_at = now()`,
        [pairId, portal, cursor.since, json([...new Set(cursor.idsAtSince)])],
      );
    },
    async pendingBackfills(pairId: string): Promise<Portal[]> {
      const { rows } = await db.query<{ portal: Portal }>(`SELECT portal FROM cursors WHERE pair_id = $1 AND backfill_pending ORDER BY portal`, [pairId]);
      return rows.map((row) => row.portal);
    },
    async finishBackfill(pairId: string, portal: Portal): Promise<void> {
      await db.query(`UPDATE cursors SET backfill_pending = false, updated_at = now() WHERE pair_id = $1 AND portal = $2`, [pairId, portal]);
    },
    async listings(): Promise<PortalListing[]> {
      const { rows } = await db.query<{ pair_id: string; portal: Portal; listed_at: unknown }>(`SELECT pair_id, portal, listed_at FROM portal_listings ORDER BY pair_id, portal`);
      return rows.map((row) => ({ pairId: row.pair_id, portal: row.portal, listedAt: iso(row.listed_at) }));
    },
  };
}
