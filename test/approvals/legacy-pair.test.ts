// A store written before connectors were kept per pair (schema before the connector-pairs
// migration): after the migration, the bridge gives its requests, their audit trail, the drift
// baseline and drift entries to the first pair, once, and leaves incident edits' entries alone.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createPgliteDb } from '../../src/store/pglite-db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { MIGRATIONS } from '../../src/store/migrations/index.ts';
import { createSqlStore } from '../../src/store/store.ts';
import type { Db } from '../../src/store/db.ts';
import type { Store } from '../../src/store/ports.ts';
import { assignLegacyConnectorRecords } from '../../src/approvals/legacy-pair.ts';
import { LAST_KNOWN_SNAPSHOT_KEY, lastKnownSnapshotKeyOf } from '../../src/approvals/service.ts';
import { BASE_CONFIG } from './fakes.ts';

let db: Db;
let store: Store;

beforeAll(async () => {
  db = await createPgliteDb({ schema: 'legacy' });
  const before = MIGRATIONS.findIndex((m) => m.name === 'connector-pairs');
  await migrate(db, MIGRATIONS.slice(0, before));
  const actor = JSON.stringify({ objectId: 'a', displayName: 'Alice' });
  const config = JSON.stringify(BASE_CONFIG);
  await db.query(
    `INSERT INTO approvals (id, requester, reason, base_version, base_config, proposed_config, diff, consequences, state, expires_at)
     VALUES ('old-1', $1::jsonb, 'r', 'v1', $2::jsonb, $2::jsonb, '[]', '[]', 'pending', '2030-01-01T00:00:00Z')`,
    [actor, config],
  );
  for (const [action, subject] of [['approval.requested', 'approval:old-1'], ['connector.drift', 'connector:defender-xdr'], ['approvals.channel-set', 'settings:approvers-channel'], ['edit.submitted', 'link:l-1']]) {
    await db.query(`INSERT INTO audit_log (at, actor, action, subject) VALUES (now(), $1::jsonb, $2, $3)`, [actor, action, subject]);
  }
  await db.query(`INSERT INTO settings (key, value) VALUES ($1, $2::jsonb)`, [LAST_KNOWN_SNAPSHOT_KEY, JSON.stringify({ config: BASE_CONFIG, version: 'v1', readAt: '' })]);
  await migrate(db);
  store = createSqlStore(db);
});

afterAll(async () => {
  await store?.close();
});

describe('connector records from before pairs', () => {
  test('go to the first pair, once; edits keep no pair', async () => {
    expect(await assignLegacyConnectorRecords(store, 'contoso')).toEqual({ requests: 1, auditEntries: 3, baselineMoved: true });
    expect((await store.approvals.list({ pairId: 'contoso' })).map((r) => r.id)).toEqual(['old-1']);
    expect((await store.audit.list({ pairId: 'contoso' })).map((e) => e.subject).sort()).toEqual(['approval:old-1', 'connector:defender-xdr', 'settings:approvers-channel']);
    expect((await store.audit.list({ subject: 'link:l-1' }))[0]?.pairId).toBeNull();
    expect(await store.settings.get(lastKnownSnapshotKeyOf('contoso'))).toMatchObject({ version: 'v1' });
    expect(await store.settings.get(LAST_KNOWN_SNAPSHOT_KEY)).toBeNull();

    // A second start (or a second replica) finds nothing left; a reordered configuration changes nothing.
    expect(await assignLegacyConnectorRecords(store, 'fabrikam')).toEqual({ requests: 0, auditEntries: 0, baselineMoved: false });
    expect(await store.approvals.list({ pairId: 'fabrikam' })).toEqual([]);
    // Done once: a row written without a pair later (an older replica still running) is not taken.
    await db.query(
      `INSERT INTO audit_log (at, actor, action, subject) VALUES (now(), '{}'::jsonb, 'connector.drift', 'connector:defender-xdr')`,
    );
    expect(await assignLegacyConnectorRecords(store, 'contoso')).toEqual({ requests: 0, auditEntries: 0, baselineMoved: false });
  });
});
