import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import type { Actor } from '../../domain/incident.ts';
import { ESCALATION_TIMER_STATES, type EscalationPolicy, type EscalationRepository, type EscalationTimer, type EscalationTimerState } from '../ports.ts';
import { fromJson, iso, isoParam, json, jsonOrNull } from './rows.ts';

interface PolicyRow {
  conversation_id: string;
  deadlines: unknown;
  contacts: unknown;
  updated_by: unknown;
  updated_at: unknown;
}

interface TimerRow {
  conversation_id: string;
  link_id: string;
  due_at: unknown;
  state: EscalationTimerState;
  updated_at: unknown;
}

function mapPolicy(row: PolicyRow): EscalationPolicy {
  return {
    conversationId: row.conversation_id,
    deadlines: fromJson<EscalationPolicy['deadlines']>(row.deadlines),
    contacts: fromJson<EscalationPolicy['contacts']>(row.contacts),
    updatedBy: fromJson<Actor | null>(row.updated_by),
    updatedAt: iso(row.updated_at),
  };
}

function mapTimer(row: TimerRow): EscalationTimer {
  return { conversationId: row.conversation_id, linkId: row.link_id, dueAt: iso(row.due_at), state: row.state, updatedAt: iso(row.updated_at) };
}

export function createSqlEscalationRepository(db: Db): EscalationRepository {
  return {
    async getPolicy(conversationId) {
      const { rows } = await db.query<PolicyRow>(`SELECT * FROM escalation_policies WHERE conversation_id = $1`, [conversationId]);
      return rows[0] ? mapPolicy(rows[0]) : null;
    },

    async setPolicy(policy) {
      if (policy.conversationId === '') throw new StoreError('invalid-argument', 'An escalation policy needs a conversation id.');
      const { rows } = await db.query<PolicyRow>(
        `INSERT INTO escalation_policies (conversation_id, deadlines, contacts, updated_by) VALUES ($1, $2::jsonb, $3::jsonb, $4::jsonb)
         ON CONFLICT (conversation_id) DO UPDATE SET deadlines = EXCLUDED.deadlines, contacts = EXCLUDED.contacts, updated_by = EXCLUDED.updated_by, updated_at = now()
         RETURNING *`,
        [policy.conversationId, json(policy.deadlines), json(policy.contacts), jsonOrNull(policy.updatedBy)],
      );
      return mapPolicy(rows[0] as PolicyRow);
    },

    async deletePolicy(conversationId) {
      await db.query(`DELETE FROM escalation_timers WHERE conversation_id = $1`, [conversationId]);
      const { rowCount } = await db.query(`DELETE FROM escalation_policies WHERE conversation_id = $1`, [conversationId]);
      return rowCount > 0;
    },

    async listPolicies() {
      const { rows } = await db.query<PolicyRow>(`SELECT * FROM escalation_policies ORDER BY conversation_id COLLATE "C"`);
      return rows.map(mapPolicy);
    },

    async scheduleTimer(conversationId, linkId, dueAt, now) {
      const { rows } = await db.query<TimerRow>(
        `INSERT INTO escalation_timers (conversation_id, link_id, due_at, state, updated_at) VALUES ($1, $2, $3, 'pending', $4)
         ON CONFLICT (conversation_id, link_id) DO UPDATE SET due_at = EXCLUDED.due_at, updated_at = EXCLUDED.updated_at
           WHERE escalation_timers.state = 'pending' AND escalation_timers.due_at <> EXCLUDED.due_at
         RETURNING *`,
        [conversationId, linkId, isoParam(dueAt, 'dueAt'), isoParam(now, 'now')],
      );
      if (rows[0]) return mapTimer(rows[0]);
      // Nothing changed (the same deadline, or one that is over): the timer as it stands.
      const { rows: current } = await db.query<TimerRow>(`SELECT * FROM escalation_timers WHERE conversation_id = $1 AND link_id = $2`, [conversationId, linkId]);
      return mapTimer(current[0] as TimerRow);
    },

    async cancelTimers(linkId, now, conversationId) {
      const { rowCount } = await db.query(
        `UPDATE escalation_timers SET state = 'cancelled', updated_at = $2 WHERE link_id = $1 AND state = 'pending' AND ($3::text IS NULL OR conversation_id = $3)`,
        [linkId, isoParam(now, 'now'), conversationId ?? null],
      );
      return rowCount;
    },

    async fireTimer(conversationId, linkId, dueAt, now) {
      const { rowCount } = await db.query(
        `UPDATE escalation_timers SET state = 'fired', updated_at = $4 WHERE conversation_id = $1 AND link_id = $2 AND state = 'pending' AND due_at = $3`,
        [conversationId, linkId, isoParam(dueAt, 'dueAt'), isoParam(now, 'now')],
      );
      return rowCount > 0;
    },

    async listTimers(conversationId, state) {
      if (!(ESCALATION_TIMER_STATES as readonly string[]).includes(state)) throw new StoreError('invalid-argument', `Unknown timer state "${state}".`);
      const { rows } = await db.query<TimerRow>(
        `SELECT * FROM escalation_timers WHERE conversation_id = $1 AND state = $2 ORDER BY due_at, link_id COLLATE "C"`,
        [conversationId, state],
      );
      return rows.map(mapTimer);
    },

    async getTimer(conversationId, linkId) {
      const { rows } = await db.query<TimerRow>(`SELECT * FROM escalation_timers WHERE conversation_id = $1 AND link_id = $2`, [conversationId, linkId]);
      return rows[0] ? mapTimer(rows[0]) : null;
    },
  };
}
