// Connector change requests and their audit entries belong to one pair's workspace: an MSSP runs a
// connector per customer, and two customers' requests, approvals and audit trails never mix. Rows
// written before this migration have no pair; the bridge assigns them to its first configured pair
// at start (src/approvals/legacy-pair.ts), since a migration cannot know the configuration.
import type { Migration } from './index.ts';

export const migration011: Migration = {
  version: 11,
  name: 'connector-pairs',
  statements: [
    `ALTER TABLE approvals ADD COLUMN pair_id text`,
    `CREATE INDEX approvals_pair_seq ON approvals (pair_id, created_seq DESC)`,
    // Entries about an incident edit (link subjects) keep no pair: only the connector's need one.
    `ALTER TABLE audit_log ADD COLUMN pair_id text`,
    `CREATE INDEX audit_log_pair_subject_at ON audit_log (pair_id, subject, at, id) WHERE pair_id IS NOT NULL`,
  ],
};
