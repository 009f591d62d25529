import type { Actor } from '../../domain/incident.ts';
import type { ConnectorConfig } from '../../domain/connector.ts';
import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import { APPROVAL_STATES, type ApprovalRepository, type ApprovalRequest, type ApprovalState, type JsonValue } from '../ports.ts';
import { clampLimit, fromJson, iso, isoOrNull, isoParam, json, jsonOrNull } from './rows.ts';

interface ApprovalRow {
  id: string;
  pair_id: string;
  requester: unknown;
  reason: string;
  base_version: string;
  base_config: unknown;
  proposed_config: unknown;
  diff: unknown;
  consequences: unknown;
  state: ApprovalState;
  decided_by: unknown;
  decided_at: unknown;
  expires_at: unknown;
  outcome: unknown;
  cards: unknown;
  created_at: unknown;
  updated_at: unknown;
}

function map(row: ApprovalRow): ApprovalRequest {
  return {
    id: row.id,
    pairId: row.pair_id,
    requester: fromJson<Actor>(row.requester),
    reason: row.reason,
    baseVersion: row.base_version,
    baseConfig: fromJson<ConnectorConfig>(row.base_config),
    proposedConfig: fromJson<ConnectorConfig>(row.proposed_config),
    diff: fromJson<JsonValue>(row.diff),
    consequences: fromJson<JsonValue>(row.consequences),
    state: row.state,
    decidedBy: fromJson<Actor | null>(row.decided_by),
    decidedAt: isoOrNull(row.decided_at),
    expiresAt: iso(row.expires_at),
    outcome: fromJson<JsonValue | null>(row.outcome),
    cards: fromJson<Record<string, string>>(row.cards),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function assertApprovalStates(states: readonly string[]): void {
  for (const state of states) {
    if (!(APPROVAL_STATES as readonly string[]).includes(state)) {
      throw new StoreError('invalid-argument', `Unknown approval state "${state}"; expected one of ${APPROVAL_STATES.join(', ')}.`);
    }
  }
}

export function createSqlApprovalRepository(db: Db): ApprovalRepository {
  async function one(sql: string, params: unknown[]): Promise<ApprovalRequest | null> {
    const { rows } = await db.query<ApprovalRow>(sql, params);
    return rows[0] === undefined ? null : map(rows[0]);
  }

  return {
    async create(request) {
      if (request.id === '') throw new StoreError('invalid-argument', 'An approval request needs a non-empty id.');
      if (request.pairId === '') throw new StoreError('invalid-argument', 'An approval request needs the id of its pair.');
      const created = await one(
        `INSERT INTO approvals (id, requester, reason, base_version, base_config, proposed_config, diff, consequences, state, expires_at, cards, pair_id)
         VALUES ($1, $2::jsonb, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8::jsonb, 'pending', $9::timestamptz, $10::jsonb, $11)
         RETURNING *`,
        [
          request.id,
          json(request.requester),
          request.reason,
          request.baseVersion,
          json(request.baseConfig),
          json(request.proposedConfig),
          json(request.diff),
          json(request.consequences),
          isoParam(request.expiresAt, 'expiresAt'),
          json(request.cards ?? {}),
          request.pairId,
        ],
      );
      return created as ApprovalRequest;
    },

    get: (id) => one(`SELECT * FROM approvals WHERE id = $1`, [id]),

    async list(filter) {
      if (filter.states !== undefined) assertApprovalStates(filter.states);
      const { rows } = await db.query<ApprovalRow>(
        `SELECT * FROM approvals WHERE pair_id = $3 AND ($1::text[] IS NULL OR state = ANY($1::text[]))
         ORDER BY created_seq DESC LIMIT $2`,
        [filter.states ?? null, clampLimit(filter.limit, 50, 500), filter.pairId],
      );
      return rows.map(map);
    },

    async transition(id, from, to, patch = {}) {
      assertApprovalStates([...from, to]);
      // A single conditional UPDATE: the row lock makes a concurrent second transition re-check
      // `state = ANY(from)` against the first one's result, so only one of them applies.
      return one(
        `UPDATE approvals SET state = $3,
           decided_by = CASE WHEN $4::boolean THEN $5::jsonb ELSE decided_by END,
           decided_at = CASE WHEN $6::boolean THEN $7::timestamptz ELSE decided_at END,
           outcome = CASE WHEN $8::boolean THEN $9::jsonb ELSE outcome END,
           updated_at = now()
         WHERE id = $1 AND state = ANY($2::text[])
         RETURNING *`,
        [
          id,
          [...from],
          to,
          patch.decidedBy !== undefined,
          jsonOrNull(patch.decidedBy),
          patch.decidedAt !== undefined,
          patch.decidedAt == null ? null : isoParam(patch.decidedAt, 'decidedAt'),
          patch.outcome !== undefined,
          jsonOrNull(patch.outcome),
        ],
      );
    },

    setCard: (id, conversationId, activityId) =>
      one(`UPDATE approvals SET cards = cards || jsonb_build_object($2::text, $3::text), updated_at = now() WHERE id = $1 RETURNING *`, [
        id,
        conversationId,
        activityId,
      ]),

    async expireDue(now, pairId) {
      const { rows } = await db.query<ApprovalRow>(
        `UPDATE approvals SET state = 'expired', updated_at = now()
         WHERE state = 'pending' AND expires_at <= $1::timestamptz AND pair_id = $2 RETURNING *`,
        [isoParam(now, 'now'), pairId],
      );
      return rows.map(map).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    async assignUnpaired(pairId) {
      if (pairId === '') throw new StoreError('invalid-argument', 'assignUnpaired needs a pair id.');
      const { rowCount } = await db.query(`UPDATE approvals SET pair_id = $1 WHERE pair_id IS NULL`, [pairId]);
      return rowCount;
    },
  };
}
