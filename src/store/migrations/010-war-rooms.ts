// One war room (a Teams group chat) per incident: claimed by the replica creating it, then its chat,
// the app installation and the card posted there, each recorded as it completes.
import type { Migration } from './index.ts';

export const migration010: Migration = {
  version: 10,
  name: 'war-rooms',
  statements: [
    `CREATE TABLE war_rooms (
      link_id text PRIMARY KEY,
      tenant_id text NOT NULL,
      requested_by jsonb NOT NULL,
      chat_id text UNIQUE,
      web_url text,
      app_installed boolean NOT NULL DEFAULT false,
      card_activity_id text,
      holder_id text,
      claimed_at timestamptz,
      card_holder_id text,
      card_claimed_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`,
  ],
};
