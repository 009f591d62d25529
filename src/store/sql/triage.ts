import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import type { Severity } from '../../domain/incident.ts';
import type { JsonObject, TriageRecord, TriageRepository } from '../ports.ts';
import { clampLimit, fromJson, iso, isoOrNull, isoParam, json } from './rows.ts';

export const DEFAULT_TRIAGE_LIST_LIMIT = 5_000;
export const MAX_TRIAGE_LIST_LIMIT = 20_000;

interface TriageRow {
  link_id: string;
  pair_id: string;
  ref: string;
  title: string;
  severity: Severity;
  open: boolean;
  assigned: boolean;
  acknowledged: boolean;
  created_at: unknown;
  acknowledged_at: unknown;
  acknowledged_on_first_sight: boolean;
  resolved_at: unknown;
  subject: unknown;
  updated_at: unknown;
}

function map(row: TriageRow): TriageRecord {
  return {
    linkId: row.link_id,
    pairId: row.pair_id,
    ref: row.ref,
    title: row.title,
    severity: row.severity,
    open: row.open,
    assigned: row.assigned,
    acknowledged: row.acknowledged,
    createdAt: iso(row.created_at),
    acknowledgedAt: isoOrNull(row.acknowledged_at),
    acknowledgedOnFirstSight: row.acknowledged_on_first_sight,
    resolvedAt: isoOrNull(row.resolved_at),
    subject: fromJson<JsonObject>(row.subject),
    updatedAt: iso(row.updated_at),
  };
}

export function createSqlTriageRepository(db: Db): TriageRepository {
  return {
    async get(linkId) {
      const { rows } = await db.query<TriageRow>(`SELECT * FROM incident_triage WHERE link_id = $1`, [linkId]);
      return rows[0] ? map(rows[0]) : null;
    },

    async put(record) {
      if (record.linkId === '') throw new StoreError('invalid-argument', 'A triage record needs a link id.');
      const { rows } = await db.query<TriageRow>(
        `INSERT INTO incident_triage (link_id, pair_id, ref, title, severity, open, assigned, acknowledged, created_at, acknowledged_at, acknowledged_on_first_sight, resolved_at, subject)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb)
         ON CONFLICT (link_id) DO UPDATE SET pair_id = EXCLUDED.pair_id, ref = EXCLUDED.ref, title = EXCLUDED.title, severity = EXCLUDED.severity,
           open = EXCLUDED.open, assigned = EXCLUDED.assigned, acknowledged = EXCLUDED.acknowledged, created_at = EXCLUDED.created_at, acknowledged_at = EXCLUDED.acknowledged_at,
           acknowledged_on_first_sight = EXCLUDED.acknowledged_on_first_sight, resolved_at = EXCLUDED.resolved_at, subject = EXCLUDED.subject, updated_at = now()
         RETURNING *`,
        [
          record.linkId,
          record.pairId,
          record.ref,
          record.title,
          record.severity,
          record.open,
          record.assigned,
          record.acknowledged,
          isoParam(record.createdAt, 'createdAt'),
          record.acknowledgedAt === null ? null : isoParam(record.acknowledgedAt, 'acknowledgedAt'),
          record.acknowledgedOnFirstSight,
          record.resolvedAt === null ? null : isoParam(record.resolvedAt, 'resolvedAt'),
          json(record.subject),
        ],
      );
      return map(rows[0] as TriageRow);
    },

    async listActive(since, limit) {
      const { rows } = await db.query<TriageRow>(
        // An incident merged into another is closed: its link says so (no event closes its record).
        `SELECT t.* FROM incident_triage t
         WHERE (t.open OR greatest(t.created_at, t.acknowledged_at, t.resolved_at) >= $1)
           AND NOT EXISTS (SELECT 1 FROM incident_links l WHERE l.link_id = t.link_id AND l.merged_into_link_id IS NOT NULL)
         ORDER BY t.created_at, t.link_id COLLATE "C" LIMIT $2`,
        [isoParam(since, 'since'), clampLimit(limit, DEFAULT_TRIAGE_LIST_LIMIT, MAX_TRIAGE_LIST_LIMIT)],
      );
      return rows.map(map);
    },
  };
}
