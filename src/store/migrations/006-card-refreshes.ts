// Cards that still have to be brought up to date. The notifier records them before the change event
// that made them stale is acknowledged, and clears them once the card is sent: a stop or a crash
// inside its coalescing window leaves the record, and a replica takes it over.
import type { Migration } from './index.ts';

export const migration006: Migration = {
  version: 6,
  name: 'card-refreshes',
  statements: [
    `CREATE TABLE card_refreshes (
      conversation_id text NOT NULL,
      link_id text NOT NULL,
      -- Some event reached the conversation through a subscription or its announced card, not only
      -- through its copies: the announced card (and its thread) is due too.
      announce boolean NOT NULL,
      first_seq bigint NOT NULL,
      last_seq bigint NOT NULL,
      claimed_by text NOT NULL,
      claimed_at timestamptz NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      PRIMARY KEY (conversation_id, link_id),
      CHECK (first_seq <= last_seq)
    )`,
    `CREATE INDEX card_refreshes_claimed ON card_refreshes (claimed_at)`,
    // A refresh taken over re-reads the events of its incident that it stands for.
    `CREATE INDEX change_events_link ON change_events (link_id, seq)`,
  ],
};
