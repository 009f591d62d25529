// Graph serves one incident with a last-modified time that is no instant, and another with one
// far in the future (a rewrite fault of the simulators): each is quarantined with its reason, the
// Defender cursor stays a real instant no later than now plus the allowed skew, and the pair keeps
// syncing. Once Graph serves proper times again, both are stored and released.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { instantMs } from '../../src/domain/instant.ts';
import { MAX_TIMESTAMP_SKEW_MS } from '../../src/sync/quarantine.ts';
import { PAIR_ID, startHarness, waitFor, type SyncHarness } from './support/harness.ts';

let h: SyncHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const LIST_PATH = '^/v1\\.0/security/incidents$';

test('unusable and future last-modified times are quarantined, never move the cursor, and the pair keeps syncing', async () => {
  const baseline = await h.newIncident('Ordinary incident before');
  // The simulator numbers Graph incidents in order: the next two alerts open these.
  const garbled = String(Number(baseline.defenderId) + 1);
  const future = String(Number(baseline.defenderId) + 2);
  h.control.addFault({ api: 'graph', method: 'GET', pathPattern: LIST_PATH, rewrite: { field: 'lastUpdateDateTime', value: 'last Tuesday', id: garbled }, count: 100_000 });
  h.control.addFault({ api: 'graph', method: 'GET', pathPattern: LIST_PATH, rewrite: { field: 'lastUpdateDateTime', value: '2999-01-01T00:00:00.0000000Z', id: future }, count: 100_000 });
  try {
    expect(h.control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: 'Garbled timestamp', severity: 'medium' }).incidentId).toBe(garbled);
    expect(h.control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: 'Future timestamp', severity: 'medium' }).incidentId).toBe(future);

    const held = await waitFor('both incidents quarantined for their timestamps', async () => {
      const records = (await h.store.quarantine.list(PAIR_ID)).filter((record) => record.portal === 'defender' && record.stage === 'view');
      return records.length === 2 ? records : null;
    });
    expect(held.map((record) => [record.incidentId, record.errorCode]).sort()).toEqual([
      [garbled, 'invalid-timestamp'],
      [future, 'future-timestamp'],
    ]);

    // The pair keeps syncing: a later incident is linked, and polls succeed.
    await h.newIncident('Ordinary incident after');
    await h.afterPolls(2);
    expect(h.engine.watcherStatus()[PAIR_ID]).toMatchObject({ consecutiveFailures: 0 });
    const cursor = await h.store.cursors.get(PAIR_ID, 'defender');
    const since = instantMs(cursor!.since);
    expect(since).not.toBeNull();
    expect(since!).toBeLessThanOrEqual(Date.now() + MAX_TIMESTAMP_SKEW_MS);
  } finally {
    h.control.clearFaults();
  }

  // Graph serves real times again: a newer version than the one quarantined, so both are retried at once.
  await waitFor('both released', async () => ((await h.store.quarantine.list(PAIR_ID)).length === 0 ? true : null));
  for (const id of [garbled, future]) {
    const link = await h.link(id);
    expect(instantMs(link!.defenderView!.lastUpdatedAt)).not.toBeNull();
  }
});
