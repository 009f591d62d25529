// When each watcher last finished listing a portal's changes, for the sync lag metric: every
// replica reads it from here, so the lag shows the same on all of them and keeps growing when the
// replica holding the watcher's lease dies. Apart from the cursors: a portal with no incident yet
// has no cursor but has been listed.
import type { Migration } from './index.ts';

export const migration007: Migration = {
  version: 7,
  name: 'portal-listings',
  statements: [
    `CREATE TABLE portal_listings (
      pair_id text NOT NULL,
      portal text NOT NULL CHECK (portal IN ('defender', 'sentinel')),
      listed_at timestamptz NOT NULL,
      PRIMARY KEY (pair_id, portal)
    )`,
  ],
};
