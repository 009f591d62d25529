// Notices the bridge sends once (an owner's personal notice, an escalation reply), keyed by what
// they are about; and finding a person's personal chat with the bot by the user of its reference.
import type { Migration } from './index.ts';

export const migration008: Migration = {
  version: 8,
  name: 'owner-notices',
  statements: [
    `CREATE TABLE sent_notices (
      key text PRIMARY KEY,
      sent_at timestamptz NOT NULL
    )`,
    `CREATE INDEX conversations_personal_user ON conversations (lower(reference->'user'->>'aadObjectId')) WHERE scope = 'personal'`,
  ],
};
