// A watcher's first listing of a portal is a backfill of everything the portal holds, walked apart
// from the live cursor (which starts at that moment): this flag says the walk is still to finish,
// so a restart takes it up again.
import type { Migration } from './index.ts';

export const migration012: Migration = {
  version: 12,
  name: 'backfill',
  statements: [`ALTER TABLE cursors ADD COLUMN backfill_pending boolean NOT NULL DEFAULT false`],
};
