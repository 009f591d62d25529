import type { Actor } from '../../domain/incident.ts';
import { EDIT_STATES, type EditChanges, type EditOutcome } from '../../domain/edits.ts';
import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import type { EditRequestRepository, StoredEditRequest } from '../ports.ts';
import { clampLimit, fromJson, iso, json } from './rows.ts';

interface EditRequestRow {
  id: string;
  idempotency_key: string;
  link_id: string;
  changes: unknown;
  actor: unknown;
  outcome: unknown;
  created_at: unknown;
  updated_at: unknown;
}

function map(row: EditRequestRow): StoredEditRequest {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    linkId: row.link_id,
    changes: fromJson<EditChanges>(row.changes),
    actor: fromJson<Actor>(row.actor),
    outcome: fromJson<EditOutcome>(row.outcome),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** The request's state column (indexed for crash recovery) is its outcome's state. */
function stateOf(outcome: EditOutcome): string {
  if (!(EDIT_STATES as readonly string[]).includes(outcome.state)) {
    throw new StoreError('invalid-argument', `Unknown edit outcome state "${outcome.state}"; expected one of ${EDIT_STATES.join(', ')}.`);
  }
  return outcome.state;
}

export function createSqlEditRequestRepository(db: Db): EditRequestRepository {
  async function one(sql: string, params: unknown[]): Promise<StoredEditRequest | null> {
    const { rows } = await db.query<EditRequestRow>(sql, params);
    return rows[0] === undefined ? null : map(rows[0]);
  }
  const getByIdempotencyKey = (key: string) => one(`SELECT * FROM edit_requests WHERE idempotency_key = $1`, [key]);

  return {
    async insertOrGet(request) {
      if (request.id === '' || request.idempotencyKey === '' || request.linkId === '') {
        throw new StoreError('invalid-argument', 'An edit request needs a non-empty id, idempotencyKey and linkId.');
      }
      // ON CONFLICT DO NOTHING waits for a concurrent inserter of the same key to commit, then
      // skips; the follow-up SELECT (a fresh snapshot under READ COMMITTED) sees the winner.
      const inserted = await one(
        `INSERT INTO edit_requests (id, idempotency_key, link_id, changes, actor, state, outcome)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7::jsonb)
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING *`,
        [request.id, request.idempotencyKey, request.linkId, json(request.changes), json(request.actor), stateOf(request.outcome), json(request.outcome)],
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
      // A concurrent update of the same row waits for this one to commit and then re-checks the
      // state of the committed row (READ COMMITTED), so of two tries finishing a request one wins.
      return one(`UPDATE edit_requests SET state = $2, outcome = $3::jsonb, updated_at = now() WHERE id = $1 AND state = 'accepted' RETURNING *`, [
        id,
        stateOf(update.outcome),
        json(update.outcome),
      ]);
    },

    async listUnfinished(limit) {
      const { rows } = await db.query<EditRequestRow>(`SELECT * FROM edit_requests WHERE state = 'accepted' ORDER BY created_seq LIMIT $1`, [clampLimit(limit, 100, 1000)]);
      return rows.map(map);
    },

    latestForLink: (linkId) => one(`SELECT * FROM edit_requests WHERE link_id = $1 ORDER BY created_seq DESC LIMIT 1`, [linkId]),
  };
}
