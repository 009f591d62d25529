// Card messages of an incident posted outside the notifier's announcements (answers to /incident
// and to edit commands, search results inserted into a conversation): registered so the notifier
// keeps them current too.
import type { Migration } from './index.ts';

export const migration005: Migration = {
  version: 5,
  name: 'card-copies',
  statements: [
    `CREATE TABLE card_copies (
      conversation_id text NOT NULL,
      activity_id text NOT NULL,
      link_id text NOT NULL,
      last_hash text NOT NULL,
      registered_seq bigserial NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (conversation_id, activity_id)
    )`,
    `CREATE INDEX card_copies_link ON card_copies (link_id, conversation_id, registered_seq)`,
  ],
};
