// Acknowledgement deadlines per conversation (their policy and one timer per incident), and each
// incident's triage facts, which the digest and the deadlines read instead of calling the portals.
import type { Migration } from './index.ts';

export const migration009: Migration = {
  version: 9,
  name: 'escalation-triage',
  statements: [
    `CREATE TABLE escalation_policies (
      conversation_id text PRIMARY KEY,
      deadlines jsonb NOT NULL,
      contacts jsonb NOT NULL,
      updated_by jsonb,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE TABLE escalation_timers (
      conversation_id text NOT NULL,
      link_id text NOT NULL,
      due_at timestamptz NOT NULL,
      state text NOT NULL CHECK (state IN ('pending', 'cancelled', 'fired')),
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (conversation_id, link_id)
    )`,
    `CREATE INDEX escalation_timers_link ON escalation_timers (link_id) WHERE state = 'pending'`,
    `CREATE TABLE incident_triage (
      link_id text PRIMARY KEY,
      pair_id text NOT NULL,
      ref text NOT NULL,
      title text NOT NULL,
      severity text NOT NULL,
      open boolean NOT NULL,
      assigned boolean NOT NULL,
      acknowledged boolean NOT NULL,
      created_at timestamptz NOT NULL,
      acknowledged_at timestamptz,
      acknowledged_on_first_sight boolean NOT NULL,
      resolved_at timestamptz,
      subject jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX incident_triage_open ON incident_triage (created_at) WHERE open`,
    `CREATE INDEX incident_triage_recent ON incident_triage (greatest(created_at, acknowledged_at, resolved_at))`,
  ],
};
