// An edit request is stored with its link and its 'accepted' outcome from the start (the bot
// resolves the incident before submitting), and its state is its outcome's. The 'received' state
// and the typed reference were never needed after that; requests without a link or an outcome
// could never be applied by any version (the job returned at once), so they are dropped.
import type { Migration } from './index.ts';

export const migration004: Migration = {
  version: 4,
  name: 'edit-outcomes',
  statements: [
    `DELETE FROM edit_requests WHERE state = 'received' OR link_id IS NULL OR outcome IS NULL`,
    `ALTER TABLE edit_requests DROP COLUMN incident_ref`,
    `ALTER TABLE edit_requests ALTER COLUMN link_id SET NOT NULL`,
    `ALTER TABLE edit_requests ALTER COLUMN outcome SET NOT NULL`,
    `ALTER TABLE edit_requests DROP CONSTRAINT edit_requests_state_check`,
    `ALTER TABLE edit_requests ADD CONSTRAINT edit_requests_state_check CHECK (state IN ('accepted', 'completed', 'partial', 'failed'))`,
    `DROP INDEX edit_requests_unfinished`,
    `CREATE INDEX edit_requests_unfinished ON edit_requests (created_seq) WHERE state = 'accepted'`,
    // The latest request of a link is what its cards show.
    `DROP INDEX edit_requests_link`,
    `CREATE INDEX edit_requests_link ON edit_requests (link_id, created_seq)`,
  ],
};
