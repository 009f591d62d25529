import type { Actor } from '../../domain/incident.ts';
import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import type { AuditEntry, AuditRepository, JsonObject } from '../ports.ts';
import { clampLimit, fromJson, int, iso, isoParam, json } from './rows.ts';

interface AuditRow {
  id: unknown;
  at: unknown;
  actor: unknown;
  action: string;
  subject: string;
  pair_id: string | null;
  details: unknown;
}

function map(row: AuditRow): AuditEntry {
  return {
    id: int(row.id),
    at: iso(row.at),
    actor: fromJson<Actor>(row.actor),
    action: row.action,
    subject: row.subject,
    pairId: row.pair_id,
    details: fromJson<JsonObject>(row.details),
  };
}

export function createSqlAuditRepository(db: Db): AuditRepository {
  return {
    async append(entry) {
      if (entry.action === '' || entry.subject === '') throw new StoreError('invalid-argument', 'An audit entry needs a non-empty action and subject.');
      const { rows } = await db.query<AuditRow>(
        `INSERT INTO audit_log (at, actor, action, subject, details, pair_id) VALUES ($1::timestamptz, $2::jsonb, $3, $4, $5::jsonb, $6) RETURNING *`,
        [isoParam(entry.at, 'at'), json(entry.actor), entry.action, entry.subject, json(entry.details), entry.pairId ?? null],
      );
      return map(rows[0] as AuditRow);
    },
    async list(filter = {}) {
      const { rows } = await db.query<AuditRow>(
        `SELECT * FROM audit_log
         WHERE ($1::text IS NULL OR subject = $1)
           AND ($2::timestamptz IS NULL OR at >= $2::timestamptz)
           AND ($3::timestamptz IS NULL OR at < $3::timestamptz)
           AND ($5::text IS NULL OR pair_id = $5)
         ORDER BY at, id LIMIT $4`,
        [
          filter.subject ?? null,
          filter.from === undefined ? null : isoParam(filter.from, 'from'),
          filter.to === undefined ? null : isoParam(filter.to, 'to'),
          clampLimit(filter.limit, 100, 1000),
          filter.pairId ?? null,
        ],
      );
      return rows.map(map);
    },
    async assignUnpaired(pairId, subjectPrefixes) {
      if (pairId === '') throw new StoreError('invalid-argument', 'assignUnpaired needs a pair id.');
      const patterns = subjectPrefixes.map((prefix) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      const { rowCount } = await db.query(`UPDATE audit_log SET pair_id = $1 WHERE pair_id IS NULL AND subject LIKE ANY($2::text[])`, [pairId, patterns]);
      return rowCount;
    },
  };
}
