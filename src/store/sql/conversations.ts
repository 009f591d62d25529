import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import { CONVERSATION_SCOPES, type ConversationRecord, type ConversationRepository, type ConversationScope, type JsonObject } from '../ports.ts';
import { fromJson, iso, json, optional } from './rows.ts';

interface ConversationRow {
  id: string;
  reference: unknown;
  scope: ConversationScope;
  tenant_id: string;
  team_id: string | null;
  channel_id: string | null;
  active: boolean;
  deactivated_reason: string | null;
  updated_at: unknown;
}

function map(row: ConversationRow): ConversationRecord {
  const record: ConversationRecord = {
    id: row.id,
    reference: fromJson<JsonObject>(row.reference),
    scope: row.scope,
    tenantId: row.tenant_id,
    active: row.active,
    updatedAt: iso(row.updated_at),
  };
  const teamId = optional(row.team_id);
  if (teamId !== undefined) record.teamId = teamId;
  const channelId = optional(row.channel_id);
  if (channelId !== undefined) record.channelId = channelId;
  const reason = optional(row.deactivated_reason);
  if (reason !== undefined) record.deactivatedReason = reason;
  return record;
}

export function createSqlConversationRepository(db: Db): ConversationRepository {
  return {
    async upsert(conversation) {
      if (conversation.id === '' || conversation.tenantId === '') {
        throw new StoreError('invalid-argument', 'A conversation needs a non-empty id and tenantId.');
      }
      if (!(CONVERSATION_SCOPES as readonly string[]).includes(conversation.scope)) {
        throw new StoreError('invalid-argument', `Unknown conversation scope "${conversation.scope}"; expected ${CONVERSATION_SCOPES.join(', ')}.`);
      }
      const { rows } = await db.query<ConversationRow>(
        `INSERT INTO conversations (id, reference, scope, tenant_id, team_id, channel_id, active, deactivated_reason)
         VALUES ($1, $2::jsonb, $3, $4, $5, $6, true, NULL)
         ON CONFLICT (id) DO UPDATE SET reference = EXCLUDED.reference, scope = EXCLUDED.scope, tenant_id = EXCLUDED.tenant_id,
           team_id = EXCLUDED.team_id, channel_id = EXCLUDED.channel_id, active = true, deactivated_reason = NULL, updated_at = now()
         RETURNING *`,
        [conversation.id, json(conversation.reference), conversation.scope, conversation.tenantId, conversation.teamId ?? null, conversation.channelId ?? null],
      );
      return map(rows[0] as ConversationRow);
    },

    async get(id) {
      const { rows } = await db.query<ConversationRow>(`SELECT * FROM conversations WHERE id = $1`, [id]);
      return rows[0] === undefined ? null : map(rows[0]);
    },

    async deactivate(id, reason) {
      const { rowCount } = await db.query(
        `UPDATE conversations SET active = false, deactivated_reason = $2, updated_at = now() WHERE id = $1`,
        [id, reason],
      );
      return rowCount > 0;
    },

    async listActive(filter) {
      const { rows } = await db.query<ConversationRow>(
        `SELECT * FROM conversations WHERE active AND ($1::text IS NULL OR tenant_id = $1) ORDER BY id COLLATE "C"`,
        [filter?.tenantId ?? null],
      );
      return rows.map(map);
    },

    async findPersonal(person) {
      if (!person.objectId && !person.upn) return null;
      const { rows } = await db.query<ConversationRow>(
        `SELECT * FROM conversations
         WHERE active AND scope = 'personal'
           AND (lower(reference->'user'->>'aadObjectId') = lower($1) OR lower(reference->'user'->>'userPrincipalName') = lower($2))
         ORDER BY (lower(reference->'user'->>'aadObjectId') = lower($1)) DESC NULLS LAST, updated_at DESC
         LIMIT 1`,
        [person.objectId ?? null, person.upn ?? null],
      );
      return rows[0] === undefined ? null : map(rows[0]);
    },
  };
}
