// The first schema. PostgreSQL dialect (runs on PGlite and on a server from PostgreSQL 13 on).
// One statement per array entry: PGlite's query() takes a single statement.
import type { Migration } from './index.ts';

export const migration001: Migration = {
  version: 1,
  name: 'initial',
  statements: [
    // Watch cursors. `since` stays text: Graph timestamps carry 7 fractional digits
    // ("2021-08-13T08:43:35.5533333Z") and timestamptz keeps 6, so a rounded cursor could skip or
    // repeat items at exactly that instant.
    `CREATE TABLE cursors (
      pair_id text NOT NULL,
      portal text NOT NULL CHECK (portal IN ('defender', 'sentinel')),
      since text NOT NULL,
      ids_at_since jsonb NOT NULL DEFAULT '[]',
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (pair_id, portal)
    )`,

    `CREATE TABLE incident_links (
      link_id text PRIMARY KEY,
      pair_id text NOT NULL,
      defender_id text NOT NULL,
      sentinel_id text,
      sentinel_number bigint,
      merged_into_link_id text REFERENCES incident_links (link_id),
      snapshot jsonb NOT NULL DEFAULT '{}',
      defender_view jsonb,
      sentinel_view jsonb,
      sync_state jsonb NOT NULL DEFAULT '{}',
      version integer NOT NULL CHECK (version >= 1),
      -- Recency order for listings: timestamps can tie (PGlite's clock ticks in milliseconds).
      touch_seq bigserial NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT incident_links_defender_unique UNIQUE (pair_id, defender_id)
    )`,
    // Not unique: a merged-away link may still name the Sentinel incident it had.
    `CREATE INDEX incident_links_sentinel_id ON incident_links (pair_id, sentinel_id) WHERE sentinel_id IS NOT NULL`,
    `CREATE INDEX incident_links_sentinel_number ON incident_links (pair_id, sentinel_number) WHERE sentinel_number IS NOT NULL`,
    `CREATE INDEX incident_links_recency ON incident_links (touch_seq DESC)`,

    `CREATE TABLE edit_requests (
      id text PRIMARY KEY,
      created_seq bigserial NOT NULL,
      idempotency_key text NOT NULL UNIQUE,
      incident_ref text NOT NULL,
      link_id text,
      changes jsonb NOT NULL,
      actor jsonb NOT NULL,
      state text NOT NULL CHECK (state IN ('received', 'accepted', 'completed', 'partial', 'failed')),
      outcome jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX edit_requests_unfinished ON edit_requests (created_seq) WHERE state IN ('received', 'accepted')`,
    `CREATE INDEX edit_requests_link ON edit_requests (link_id) WHERE link_id IS NOT NULL`,

    // Transactional outbox. `event` is the whole ChangeEvent except seq.
    `CREATE TABLE change_events (
      seq bigserial PRIMARY KEY,
      id text NOT NULL UNIQUE,
      link_id text NOT NULL,
      pair_id text NOT NULL,
      kind text NOT NULL,
      event jsonb NOT NULL,
      occurred_at text NOT NULL,
      appended_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE TABLE change_consumers (
      name text PRIMARY KEY,
      last_seq bigint NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,

    `CREATE TABLE conversations (
      id text PRIMARY KEY,
      reference jsonb NOT NULL,
      scope text NOT NULL CHECK (scope IN ('personal', 'groupChat', 'channel')),
      tenant_id text NOT NULL,
      team_id text,
      channel_id text,
      active boolean NOT NULL DEFAULT true,
      deactivated_reason text,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,

    `CREATE TABLE subscriptions (
      id text PRIMARY KEY,
      conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
      filters jsonb NOT NULL DEFAULT '{}',
      created_by jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX subscriptions_conversation ON subscriptions (conversation_id)`,

    `CREATE TABLE cards (
      conversation_id text NOT NULL,
      link_id text NOT NULL,
      state text NOT NULL CHECK (state IN ('posting', 'posted')),
      activity_id text,
      last_hash text,
      claimed_by text,
      claimed_at timestamptz,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (conversation_id, link_id),
      CHECK (state = 'posting' OR activity_id IS NOT NULL)
    )`,
    `CREATE INDEX cards_link ON cards (link_id)`,

    `CREATE TABLE approvals (
      id text PRIMARY KEY,
      created_seq bigserial NOT NULL,
      requester jsonb NOT NULL,
      reason text NOT NULL,
      base_version text NOT NULL,
      base_config jsonb NOT NULL,
      proposed_config jsonb NOT NULL,
      diff jsonb NOT NULL,
      consequences jsonb NOT NULL,
      state text NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'stale', 'applying', 'applied', 'failed')),
      decided_by jsonb,
      decided_at timestamptz,
      expires_at timestamptz NOT NULL,
      outcome jsonb,
      cards jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX approvals_pending_expiry ON approvals (expires_at) WHERE state = 'pending'`,

    `CREATE TABLE settings (
      key text PRIMARY KEY,
      value jsonb NOT NULL,
      updated_by jsonb,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,

    `CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL,
      actor jsonb NOT NULL,
      action text NOT NULL,
      subject text NOT NULL,
      details jsonb NOT NULL DEFAULT '{}'
    )`,
    `CREATE INDEX audit_log_subject_at ON audit_log (subject, at, id)`,
    `CREATE INDEX audit_log_at ON audit_log (at, id)`,

    `CREATE TABLE rate_limit_pauses (
      key text PRIMARY KEY,
      until timestamptz NOT NULL
    )`,
    `CREATE TABLE token_buckets (
      key text PRIMARY KEY,
      tokens double precision NOT NULL,
      updated_at timestamptz NOT NULL,
      last_granted boolean NOT NULL
    )`,

    `CREATE TABLE leases (
      name text PRIMARY KEY,
      holder_id text NOT NULL,
      expires_at timestamptz NOT NULL
    )`,
  ],
};
