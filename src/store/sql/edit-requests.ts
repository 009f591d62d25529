import type { Actor } from '../../domain/incident.ts';
import type { EditChanges, EditOutcome } from '../../domain/edits.ts';
import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import { EDIT_REQUEST_STATES, type EditRequestRepository, type EditRequestState, type StoredEditRequest } from '../ports.ts';
import { clampLimit, fromJson, iso, json, jsonOrNull } from './rows.ts';

interface EditRequestRow {
  id: string;
  idempotency_key: string;
  incident_ref: string;
  link_id: string | null;
  changes: unknown;
  actor: unknown;
  state: EditRequestState;
  outcome: unknown;
  created_at: unknown;
  updated_at: unknown;
}

function map(row: EditRequestRow): StoredEditRequest {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    incidentRef: row.incident_ref,
    linkId: row.link_id,
    changes: fromJson<EditChanges>(row.changes),
    actor: fromJson<Actor>(row.actor),
    state: row.state,
    outcome: fromJson<EditOutcome | null>(row.outcome),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function assertState(state: string): void {
  if (!(EDIT_REQUEST_STATES as readonly string[]).includes(state)) {
    throw new StoreError('invalid-argument', `Unknown edit request state "${state}"; expected one of ${EDIT_REQUEST_STATES.join(', ')}.`);
  }
}

export function createSqlEditRequestRepository(db: Db): EditRequestRepository {
  async function one(sql: string, params: unknown[]): Promise<StoredEditRequest | null> {
    const { rows } = await db.query<EditRequestRow>(sql, params);
    return rows[0] === undefined ? null : map(rows[0]);
  }
  const getByIdempotencyKey = (key: string) => one(`SELECT * FROM edit_requests WHERE idempotency_key = $1`, [key]);

  return {
    async insertOrGet(request) {
      if (request.id === '' || request.idempotencyKey === '') {
        throw new StoreError('invalid-argument', 'An edit request needs a non-empty id and idempotencyKey.');
      }
      const state = request.state ?? 'received';
      assertState(state);
      // ON CONFLICT DO NOTHING waits for a concurrent inserter of the same key to commit, then
      // skips; the follow-up SELECT (a fresh snapshot under READ COMMITTED) sees the winner.
      const inserted = await one(
        `INSERT INTO edit_requests (id, idempotency_key, incident_ref, link_id, changes, actor, state, outcome)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8::jsonb)
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING *`,
        [request.id, request.idempotencyKey, request.incidentRef, request.linkId ?? null, json(request.changes), json(request.actor), state, jsonOrNull(request.outcome)],
      );
      if (inserted !== null) return { request: inserted, duplicate: false };
      const existing = await getByIdempotencyKey(request.idempotencyKey);
      if (existing === null) {
        throw new StoreError('query-failed', `Edit request with idempotency key ${request.idempotencyKey} was neither inserted nor found.`);
      }
      return { request: existing, duplicate: true };
    },

    get: (id) => one(`SELECT * FROM edit_requests WHERE id = $1`, [id]),
    getByIdempotencyKey,

    async update(id, update) {
      if (update.state !== undefined) assertState(update.state);
      return one(
        `UPDATE edit_requests SET
           state = COALESCE($2, state),
           outcome = CASE WHEN $3::boolean THEN $4::jsonb ELSE outcome END,
           link_id = CASE WHEN $5::boolean THEN $6 ELSE link_id END,
           updated_at = now()
         WHERE id = $1 RETURNING *`,
        [id, update.state ?? null, update.outcome !== undefined, jsonOrNull(update.outcome), update.linkId !== undefined, update.linkId ?? null],
      );
    },

    async listUnfinished(limit) {
      const { rows } = await db.query<EditRequestRow>(
        `SELECT * FROM edit_requests WHERE state IN ('received', 'accepted') ORDER BY created_seq LIMIT $1`,
        [clampLimit(limit, 100, 1000)],
      );
      return rows.map(map);
    },
  };
}
