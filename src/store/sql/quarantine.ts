import type { Portal } from '../../domain/incident.ts';
import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import { QUARANTINE_STAGES, type QuarantineEntry, type QuarantineKey, type QuarantinedRecord, type QuarantineRepository } from '../ports.ts';
import { clampLimit, int, iso, isoParam } from './rows.ts';

interface QuarantineRow {
  pair_id: string;
  portal: Portal;
  incident_id: string;
  stage: QuarantinedRecord['stage'];
  link_id: string | null;
  error_code: string;
  seen_updated_at: string;
  attempts: unknown;
  first_failed_at: unknown;
  last_failed_at: unknown;
  retry_at: unknown;
}

export const DEFAULT_QUARANTINE_LIST_LIMIT = 100;
export const MAX_QUARANTINE_LIST_LIMIT = 1000;

function map(row: QuarantineRow): QuarantinedRecord {
  return {
    pairId: row.pair_id,
    portal: row.portal,
    incidentId: row.incident_id,
    stage: row.stage,
    linkId: row.link_id,
    errorCode: row.error_code,
    seenUpdatedAt: row.seen_updated_at,
    attempts: int(row.attempts),
    firstFailedAt: iso(row.first_failed_at),
    lastFailedAt: iso(row.last_failed_at),
    retryAt: iso(row.retry_at),
  };
}

/** The argument checks both stores make (test/fakes/memory-store.ts uses them too). */
export function assertQuarantineEntry(entry: QuarantineEntry): void {
  if (entry.pairId === '' || entry.incidentId === '') throw new StoreError('invalid-argument', 'A quarantined record needs a non-empty pairId and incidentId.');
  if (!(QUARANTINE_STAGES as readonly string[]).includes(entry.stage)) throw new StoreError('invalid-argument', `Unknown quarantine stage '${entry.stage}'.`);
  if (!Number.isInteger(entry.attempts) || entry.attempts < 1) throw new StoreError('invalid-argument', `attempts must be a positive integer, got ${entry.attempts}.`);
}

const KEY = `pair_id = $1 AND portal = $2 AND incident_id = $3 AND stage = $4`;
const keyParams = (key: QuarantineKey) => [key.pairId, key.portal, key.incidentId, key.stage];

export function createSqlQuarantineRepository(db: Db): QuarantineRepository {
  return {
    async record(entry) {
      assertQuarantineEntry(entry);
      const { rows } = await db.query<QuarantineRow>(
        `INSERT INTO quarantined_records (pair_id, portal, incident_id, stage, link_id, error_code, seen_updated_at, attempts,
           first_failed_at, last_failed_at, retry_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)
         ON CONFLICT (pair_id, portal, incident_id, stage) DO UPDATE SET link_id = EXCLUDED.link_id, error_code = EXCLUDED.error_code,
           seen_updated_at = EXCLUDED.seen_updated_at, attempts = EXCLUDED.attempts, last_failed_at = EXCLUDED.last_failed_at,
           retry_at = EXCLUDED.retry_at
         RETURNING *`,
        [
          ...keyParams(entry),
          entry.linkId,
          entry.errorCode,
          entry.seenUpdatedAt,
          entry.attempts,
          isoParam(entry.lastFailedAt, 'lastFailedAt'),
          isoParam(entry.retryAt, 'retryAt'),
        ],
      );
      return map(rows[0] as QuarantineRow);
    },
    async get(key) {
      const { rows } = await db.query<QuarantineRow>(`SELECT * FROM quarantined_records WHERE ${KEY}`, keyParams(key));
      return rows[0] === undefined ? null : map(rows[0]);
    },
    async release(key) {
      const { rows } = await db.query(`DELETE FROM quarantined_records WHERE ${KEY} RETURNING pair_id`, keyParams(key));
      return rows.length > 0;
    },
    async list(pairId, limit) {
      const { rows } = await db.query<QuarantineRow>(
        `SELECT * FROM quarantined_records WHERE pair_id = $1 ORDER BY retry_at, portal, incident_id COLLATE "C", stage LIMIT $2`,
        [pairId, clampLimit(limit, DEFAULT_QUARANTINE_LIST_LIMIT, MAX_QUARANTINE_LIST_LIMIT)],
      );
      return rows.map(map);
    },
    async counts() {
      const { rows } = await db.query<{ pair_id: string; portal: Portal; count: unknown }>(
        `SELECT pair_id, portal, count(*) AS count FROM quarantined_records GROUP BY pair_id, portal ORDER BY pair_id COLLATE "C", portal`,
      );
      return rows.map((row) => ({ pairId: row.pair_id, portal: row.portal, count: int(row.count) }));
    },
  };
}
