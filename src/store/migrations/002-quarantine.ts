// Records the store refused (a value PostgreSQL cannot hold, say), kept aside so that one record
// never stops its pair: the watcher and link sync retry them on a bounded schedule, or as soon as
// the portal shows a newer version, and delete the row once the record stores.
import type { Migration } from './index.ts';

export const migration002: Migration = {
  version: 2,
  name: 'quarantine',
  statements: [
    `CREATE TABLE quarantined_records (
      pair_id text NOT NULL,
      portal text NOT NULL CHECK (portal IN ('defender', 'sentinel')),
      incident_id text NOT NULL,
      stage text NOT NULL CHECK (stage IN ('view', 'sync')),
      link_id text,
      -- A SQLSTATE or StoreError code: never the record's text.
      error_code text NOT NULL,
      -- The portal's last-modified time of the failed version, verbatim (7-digit Graph timestamps).
      seen_updated_at text NOT NULL,
      attempts integer NOT NULL CHECK (attempts >= 1),
      first_failed_at timestamptz NOT NULL,
      last_failed_at timestamptz NOT NULL,
      retry_at timestamptz NOT NULL,
      PRIMARY KEY (pair_id, portal, incident_id, stage)
    )`,
    `CREATE INDEX quarantined_records_due ON quarantined_records (pair_id, retry_at)`,
  ],
};
