import type { Incident } from '../../domain/incident.ts';
import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import { DEFAULT_LINK_LIST_LIMIT, MAX_LINK_LIST_LIMIT, SEVERITY_RANK, compareText, searchWords } from '../link-filter.ts';
import type { CardRecord, IncidentLink, LinkDraft, LinkListFilter, LinkRepository, LinkSave, LinkSnapshot, LinkSyncState, MergeResult, SaveLinkResult } from '../ports.ts';
import { mapCardRow, type CardRow } from './cards.ts';
import { clampLimit, fromJson, int, iso, json, jsonOrNull, optional } from './rows.ts';

interface LinkRow {
  link_id: string;
  pair_id: string;
  defender_id: string;
  sentinel_id: string | null;
  sentinel_number: unknown;
  merged_into_link_id: string | null;
  snapshot: unknown;
  defender_view: unknown;
  sentinel_view: unknown;
  sync_state: unknown;
  version: number;
  created_at: unknown;
  updated_at: unknown;
}

function mapLink(row: LinkRow): IncidentLink {
  const link: IncidentLink = {
    linkId: row.link_id,
    pairId: row.pair_id,
    defenderId: row.defender_id,
    snapshot: fromJson<LinkSnapshot>(row.snapshot),
    defenderView: fromJson<Incident | null>(row.defender_view),
    sentinelView: fromJson<Incident | null>(row.sentinel_view),
    syncState: fromJson<LinkSyncState>(row.sync_state),
    version: int(row.version),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
  const sentinelId = optional(row.sentinel_id);
  if (sentinelId !== undefined) link.sentinelId = sentinelId;
  if (row.sentinel_number !== null && row.sentinel_number !== undefined) link.sentinelNumber = int(row.sentinel_number);
  const merged = optional(row.merged_into_link_id);
  if (merged !== undefined) link.mergedIntoLinkId = merged;
  return link;
}

function assertDraft(link: LinkDraft): void {
  if (link.linkId === '' || link.pairId === '' || link.defenderId === '') {
    throw new StoreError('invalid-argument', 'A link needs a non-empty linkId, pairId and defenderId.');
  }
  if (link.sentinelNumber !== undefined && !Number.isSafeInteger(link.sentinelNumber)) {
    throw new StoreError('invalid-argument', `sentinelNumber must be an integer, got ${link.sentinelNumber}.`);
  }
}

function assertExpectedVersion(expectedVersion: number | null): void {
  if (expectedVersion !== null && (!Number.isInteger(expectedVersion) || expectedVersion < 1)) {
    throw new StoreError('invalid-argument', `expectedVersion must be null (insert) or a positive integer, got ${expectedVersion}.`);
  }
}

function assertSaves(saves: readonly LinkSave[]): void {
  const linkIds = new Set<string>();
  for (const { link, expectedVersion } of saves) {
    assertDraft(link);
    assertExpectedVersion(expectedVersion);
    if (linkIds.has(link.linkId)) throw new StoreError('invalid-argument', `Link ${link.linkId} is in the batch twice; save it once.`);
    linkIds.add(link.linkId);
  }
}

/**
 * A batch entry as a row of incident_links for jsonb_populate_recordset: JSON columns as values
 * (the whole batch is one JSON parameter), and `version` the version expected (updates).
 */
function batchRow({ link, expectedVersion }: LinkSave) {
  return {
    link_id: link.linkId,
    pair_id: link.pairId,
    defender_id: link.defenderId,
    sentinel_id: link.sentinelId ?? null,
    sentinel_number: link.sentinelNumber ?? null,
    merged_into_link_id: link.mergedIntoLinkId ?? null,
    snapshot: link.snapshot,
    defender_view: link.defenderView,
    sentinel_view: link.sentinelView,
    sync_state: link.syncState,
    version: expectedVersion,
  };
}

// A batch's rows in the order given: of two inserts of one Defender id, the first is stored.
const BATCH_ROWS = `jsonb_populate_recordset(NULL::incident_links, $1::jsonb) WITH ORDINALITY AS x`;

/** Severity rank of one jsonb view column, in SQL (the same order as SEVERITY_RANK). */
function severityRankSql(column: string): string {
  const cases = Object.entries(SEVERITY_RANK)
    .map(([severity, rank]) => `WHEN '${severity}' THEN ${rank}`)
    .join(' ');
  return `(CASE ${column}->>'severity' ${cases} ELSE -1 END)`;
}

const VIEWS = ['defender_view', 'sentinel_view'] as const;

/** `condition(view)` holds on either view. */
function eitherView(condition: (view: string) => string): string {
  return `(${VIEWS.map((view) => `(${view} IS NOT NULL AND ${condition(view)})`).join(' OR ')})`;
}

// Orders by link id so two transactions locking the same pair of links cannot deadlock.
const LOCK_LINKS = `SELECT * FROM incident_links WHERE link_id = ANY($1::text[]) ORDER BY link_id COLLATE "C" FOR UPDATE`;

export function createSqlLinkRepository(db: Db): LinkRepository {
  async function one(sql: string, params: unknown[]): Promise<IncidentLink | null> {
    const { rows } = await db.query<LinkRow>(sql, params);
    return rows[0] === undefined ? null : mapLink(rows[0]);
  }

  // Prefer the live link over merged-away ones that still carry the same Sentinel identifiers.
  const LIVE_FIRST = `ORDER BY (merged_into_link_id IS NULL) DESC, touch_seq DESC LIMIT 1`;

  return {
    get: (linkId) => one(`SELECT * FROM incident_links WHERE link_id = $1`, [linkId]),
    findByDefenderId: (pairId, defenderId) =>
      one(`SELECT * FROM incident_links WHERE pair_id = $1 AND defender_id = $2`, [pairId, defenderId]),
    async findByDefenderIds(pairId: string, defenderIds: readonly string[]): Promise<IncidentLink[]> {
      if (defenderIds.length === 0) return [];
      const { rows } = await db.query<LinkRow>(`SELECT * FROM incident_links WHERE pair_id = $1 AND defender_id = ANY($2::text[])`, [pairId, [...defenderIds]]);
      return rows.map(mapLink);
    },
    findBySentinelId: (pairId, sentinelId) =>
      one(`SELECT * FROM incident_links WHERE pair_id = $1 AND sentinel_id = $2 ${LIVE_FIRST}`, [pairId, sentinelId]),
    findBySentinelNumber: (pairId, sentinelNumber) =>
      one(`SELECT * FROM incident_links WHERE pair_id = $1 AND sentinel_number = $2 ${LIVE_FIRST}`, [pairId, sentinelNumber]),

    async findByRef(ref: string): Promise<IncidentLink[]> {
      const trimmed = ref.trim();
      if (trimmed === '') return [];
      const number = /^\d{1,15}$/.test(trimmed) ? Number(trimmed) : null;
      const { rows } = await db.query<LinkRow>(
        `SELECT * FROM incident_links
         WHERE link_id = $1 OR defender_id = $1 OR sentinel_id = $1 OR ($2::bigint IS NOT NULL AND sentinel_number = $2::bigint)
         ORDER BY (merged_into_link_id IS NULL) DESC, touch_seq DESC`,
        [trimmed, number],
      );
      return rows.map(mapLink);
    },

    async save(link: LinkDraft, expectedVersion: number | null): Promise<SaveLinkResult> {
      assertDraft(link);
      const values = [
        link.linkId,
        link.pairId,
        link.defenderId,
        link.sentinelId ?? null,
        link.sentinelNumber ?? null,
        link.mergedIntoLinkId ?? null,
        json(link.snapshot),
        jsonOrNull(link.defenderView),
        jsonOrNull(link.sentinelView),
        json(link.syncState),
      ];
      if (expectedVersion === null) {
        const inserted = await one(
          `INSERT INTO incident_links (link_id, pair_id, defender_id, sentinel_id, sentinel_number, merged_into_link_id,
             snapshot, defender_view, sentinel_view, sync_state, version)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb, $10::jsonb, 1)
           ON CONFLICT DO NOTHING
           RETURNING *`,
          values,
        );
        if (inserted !== null) return { ok: true, link: inserted };
        const current =
          (await one(`SELECT * FROM incident_links WHERE link_id = $1`, [link.linkId])) ??
          (await one(`SELECT * FROM incident_links WHERE pair_id = $1 AND defender_id = $2`, [link.pairId, link.defenderId]));
        return { ok: false, reason: 'duplicate', current };
      }
      assertExpectedVersion(expectedVersion);
      const updated = await one(
        `UPDATE incident_links SET pair_id = $2, defender_id = $3, sentinel_id = $4, sentinel_number = $5,
           merged_into_link_id = $6, snapshot = $7::jsonb, defender_view = $8::jsonb, sentinel_view = $9::jsonb,
           sync_state = $10::jsonb, version = version + 1, updated_at = now(),
           touch_seq = nextval(pg_get_serial_sequence('incident_links', 'touch_seq'))
         WHERE link_id = $1 AND version = $11
         RETURNING *`,
        [...values, expectedVersion],
      );
      if (updated !== null) return { ok: true, link: updated };
      return { ok: false, reason: 'version-conflict', current: await one(`SELECT * FROM incident_links WHERE link_id = $1`, [link.linkId]) };
    },

    async saveMany(saves: readonly LinkSave[]): Promise<SaveLinkResult[]> {
      assertSaves(saves);
      if (saves.length === 0) return [];
      const inserts = saves.filter((entry) => entry.expectedVersion === null);
      const updates = saves.filter((entry) => entry.expectedVersion !== null);
      return db.transaction(async (tx) => {
        const saved = new Map<string, IncidentLink>();
        if (inserts.length > 0) {
          const { rows } = await tx.query<LinkRow>(
            `INSERT INTO incident_links (link_id, pair_id, defender_id, sentinel_id, sentinel_number, merged_into_link_id,
               snapshot, defender_view, sentinel_view, sync_state, version)
             SELECT link_id, pair_id, defender_id, sentinel_id, sentinel_number, merged_into_link_id,
               snapshot, defender_view, sentinel_view, sync_state, 1
             FROM ${BATCH_ROWS} ORDER BY x.ordinality
             ON CONFLICT DO NOTHING
             RETURNING *`,
            [json(inserts.map(batchRow))],
          );
          for (const row of rows) saved.set(row.link_id, mapLink(row));
        }
        if (updates.length > 0) {
          const { rows } = await tx.query<LinkRow>(
            `UPDATE incident_links AS l SET pair_id = x.pair_id, defender_id = x.defender_id, sentinel_id = x.sentinel_id,
               sentinel_number = x.sentinel_number, merged_into_link_id = x.merged_into_link_id, snapshot = x.snapshot,
               defender_view = x.defender_view, sentinel_view = x.sentinel_view, sync_state = x.sync_state,
               version = l.version + 1, updated_at = now(),
               touch_seq = nextval(pg_get_serial_sequence('incident_links', 'touch_seq'))
             FROM ${BATCH_ROWS}
             WHERE l.link_id = x.link_id AND l.version = x.version
             RETURNING l.*`,
            [json(updates.map(batchRow))],
          );
          for (const row of rows) saved.set(row.link_id, mapLink(row));
        }
        // What the others met instead: the link under their id, or (inserts) the one holding their Defender id.
        const missed = saves.filter(({ link }) => !saved.has(link.linkId));
        const byLinkId = new Map<string, IncidentLink>();
        const byDefenderId = new Map<string, IncidentLink>();
        const defenderKey = (link: LinkDraft) => JSON.stringify([link.pairId, link.defenderId]);
        if (missed.length > 0) {
          const { rows } = await tx.query<LinkRow>(
            `SELECT * FROM incident_links WHERE link_id = ANY($1::text[])
               OR (pair_id, defender_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
            [missed.map(({ link }) => link.linkId), missed.map(({ link }) => link.pairId), missed.map(({ link }) => link.defenderId)],
          );
          for (const link of rows.map(mapLink)) {
            byLinkId.set(link.linkId, link);
            byDefenderId.set(defenderKey(link), link);
          }
        }
        return saves.map(({ link, expectedVersion }): SaveLinkResult => {
          const stored = saved.get(link.linkId);
          if (stored !== undefined) return { ok: true, link: stored };
          if (expectedVersion !== null) return { ok: false, reason: 'version-conflict', current: byLinkId.get(link.linkId) ?? null };
          return { ok: false, reason: 'duplicate', current: byLinkId.get(link.linkId) ?? byDefenderId.get(defenderKey(link)) ?? null };
        });
      });
    },

    async list(filter: LinkListFilter): Promise<IncidentLink[]> {
      const params: unknown[] = [];
      const param = (value: unknown) => {
        params.push(value);
        return `$${params.length}`;
      };
      // A link with no stored view (just created, or its view was refused) has nothing to show.
      const where: string[] = [`(defender_view IS NOT NULL OR sentinel_view IS NOT NULL)`];
      if (filter.pairId !== undefined) where.push(`pair_id = ${param(filter.pairId)}`);
      if (filter.pairIds !== undefined) where.push(`pair_id = ANY(${param([...filter.pairIds])}::text[])`);
      if (!filter.includeMerged) where.push(`merged_into_link_id IS NULL`);
      if (filter.minSeverity !== undefined) {
        const rank = SEVERITY_RANK[filter.minSeverity];
        const p = param(rank);
        where.push(eitherView((view) => `${severityRankSql(view)} >= ${p}::int`));
      }
      if (filter.status !== undefined) {
        const p = param(filter.status);
        where.push(eitherView((view) => `${view}->>'status' = ${p}`));
      }
      if (filter.tag !== undefined) {
        const p = param(filter.tag);
        where.push(eitherView((view) => `jsonb_typeof(${view}->'tags') = 'array' AND ${view}->'tags' @> jsonb_build_array(${p}::text)`));
      }
      if (filter.productName !== undefined) {
        const p = param(filter.productName);
        where.push(
          eitherView(
            (view) =>
              `jsonb_typeof(${view}->'additionalData'->'productNames') = 'array' AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(${view}->'additionalData'->'productNames') AS product(name) WHERE lower(product.name) = lower(${p}))`,
          ),
        );
      }
      if (filter.text !== undefined) {
        let words;
        try {
          words = searchWords(filter.text);
        } catch (error) {
          throw new StoreError('invalid-argument', `The search ${(error as Error).message}.`);
        }
        for (const search of words) {
          // strpos, not LIKE: a word's % and _ are characters to find, not patterns.
          const word = param(search.word);
          const number = param(search.number);
          const contains = (expression: string) => `strpos(lower(coalesce(${expression}, '')), lower(${word})) > 0`;
          where.push(
            `(defender_id = ${word} OR link_id = ${word} OR sentinel_number = ${number}::bigint OR ${eitherView(
              (view) =>
                `(${contains(`${view}->>'title'`)}
                  OR (jsonb_typeof(${view}->'tags') = 'array' AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(${view}->'tags') AS tag(name) WHERE lower(tag.name) = lower(${word})))
                  OR ${contains(`${view}->'owner'->>'upn'`)}
                  OR ${contains(`${view}->'owner'->>'displayName'`)})`,
            )})`,
          );
        }
      }
      const limit = clampLimit(filter.limit, DEFAULT_LINK_LIST_LIMIT, MAX_LINK_LIST_LIMIT);
      const offset = filter.offset ?? 0;
      if (!Number.isInteger(offset) || offset < 0) throw new StoreError('invalid-argument', `offset must be a non-negative integer, got ${offset}.`);
      const { rows } = await db.query<LinkRow>(
        `SELECT * FROM incident_links WHERE ${where.join(' AND ')}
         ORDER BY touch_seq DESC LIMIT ${param(limit)} OFFSET ${param(offset)}`,
        params,
      );
      return rows.map(mapLink);
    },

    async merge(fromLinkId: string, intoLinkId: string): Promise<MergeResult | null> {
      if (fromLinkId === intoLinkId) throw new StoreError('invalid-argument', `Cannot merge link ${fromLinkId} into itself.`);
      return db.transaction(async (tx) => {
        const locked = await tx.query<LinkRow>(LOCK_LINKS, [[fromLinkId, intoLinkId]]);
        const fromRow = locked.rows.find((row) => row.link_id === fromLinkId);
        const intoRow = locked.rows.find((row) => row.link_id === intoLinkId);
        if (fromRow === undefined || intoRow === undefined) return null;
        let from = mapLink(fromRow);
        if (from.mergedIntoLinkId !== intoLinkId) {
          const { rows } = await tx.query<LinkRow>(
            `UPDATE incident_links SET merged_into_link_id = $2, version = version + 1, updated_at = now(),
               touch_seq = nextval(pg_get_serial_sequence('incident_links', 'touch_seq'))
             WHERE link_id = $1 RETURNING *`,
            [fromLinkId, intoLinkId],
          );
          from = mapLink(rows[0] as LinkRow);
        }
        // Conversations that already show the surviving incident keep that card; the old one goes.
        const superseded = await tx.query<CardRow>(
          `DELETE FROM cards AS old WHERE old.link_id = $1
             AND EXISTS (SELECT 1 FROM cards AS kept WHERE kept.link_id = $2 AND kept.conversation_id = old.conversation_id)
           RETURNING *`,
          [fromLinkId, intoLinkId],
        );
        const moved = await tx.query<CardRow>(`UPDATE cards SET link_id = $2 WHERE link_id = $1 RETURNING *`, [fromLinkId, intoLinkId]);
        await tx.query(`UPDATE card_copies SET link_id = $2 WHERE link_id = $1`, [fromLinkId, intoLinkId]);
        await tx.query(`UPDATE edit_requests SET link_id = $2, updated_at = now() WHERE link_id = $1`, [fromLinkId, intoLinkId]);
        const byConversation = (a: CardRecord, b: CardRecord) => compareText(a.conversationId, b.conversationId);
        return {
          from,
          into: mapLink(intoRow),
          movedCards: moved.rows.map(mapCardRow).sort(byConversation),
          supersededCards: superseded.rows.map(mapCardRow).sort(byConversation),
        };
      });
    },
  };
}
