// A portal's first listing: the live cursor starts now and the backfill walks what the portal
// already holds, Sentinel first, one job per page on its own queue. Live changes meanwhile go to
// the sync-link queue as always. A restart takes a pending backfill up again; pacing leaves the
// live poll its share of Graph's budget.
import { describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { backfillGraphPagesPerMinute, backfillPageIntervalMs, GRAPH_REQUESTS_PER_MINUTE, livePollIntervalMs } from '../../src/sync/backfill.ts';
import { QUEUES, type SyncContext } from '../../src/sync/sync-context.ts';
import { createWatcher } from '../../src/sync/watcher.ts';
import { createMemoryJobQueue } from '../fakes/memory-job-queue.ts';
import { createMemoryPortal } from '../fakes/memory-portal.ts';
import { createMemoryStore } from '../fakes/memory-store.ts';
import { at, defenderIncident, sentinelIncident } from './fixtures.ts';

const PAIR = 'pair-b';

function setup() {
  const now = Date.parse(at(10));
  const store = createMemoryStore({ now: () => new Date(now) });
  const defender = createMemoryPortal('defender');
  const sentinel = createMemoryPortal('sentinel');
  const queue = createMemoryJobQueue();
  let ids = 0;
  const context: SyncContext = { store, queue, pairs: new Map([[PAIR, { pairId: PAIR, defender, sentinel }]]), clock: () => new Date(now), newId: () => `link-${++ids}`, log: pino({ level: 'silent' }) };
  for (const n of [1, 2, 3]) {
    defender.put(defenderIncident({ id: String(n), providerIncidentId: String(n), lastUpdatedAt: at(n) }));
    sentinel.put(sentinelIncident({ id: `sen-${n}`, incidentNumber: n, providerIncidentId: String(n), lastUpdatedAt: at(n) }));
  }
  return { context, store, defender, queue };
}

const sentTo = (queue: ReturnType<typeof createMemoryJobQueue>, name: string) => queue.sent.filter((job) => job.queue === name).map((job) => job.data);

describe('backfill', () => {
  test('the first poll lists live changes only; the backfill stores the rest page by page, Sentinel first, as backfill jobs', async () => {
    const s = setup();
    const watcher = createWatcher(s.context, { pairId: PAIR, backfill: true });
    const first = await watcher.pollOnce();
    expect(first.listed).toEqual({ defender: 0, sentinel: 0 });
    expect(await s.store.cursors.pendingBackfills(PAIR)).toEqual(['defender', 'sentinel']);
    expect(await s.store.cursors.get(PAIR, 'defender')).toEqual({ since: new Date(Date.parse(at(10)) - 30_000).toISOString(), idsAtSince: [] });

    // Sentinel's page stores its views and queues nothing: their links have no Defender view yet.
    expect(await watcher.backfillStep()).toEqual({ portal: 'sentinel', listed: 3, queued: 0, finished: false });
    expect(await watcher.backfillStep()).toEqual({ portal: 'sentinel', listed: 0, queued: 0, finished: true });

    // A live change meanwhile: the live poll queues it on the sync-link queue, not behind the backfill.
    s.defender.put(defenderIncident({ id: '4', providerIncidentId: '4', lastUpdatedAt: at(10) }));
    expect((await watcher.pollOnce()).queued).toBe(1);
    const live = sentTo(s.queue, QUEUES.syncLink);
    expect(live).toHaveLength(1);

    // The live incident's own job has not run yet, so the backfill queues it as well (a sync is idempotent).
    expect(await watcher.backfillStep()).toEqual({ portal: 'defender', listed: 4, queued: 4, finished: false });
    const pages = sentTo(s.queue, QUEUES.backfillSync) as Array<{ pairId: string; linkIds: string[] }>;
    expect(pages).toHaveLength(1);
    expect(pages[0]!.pairId).toBe(PAIR);
    // The backfilled incidents' jobs find both views stored: their syncs read no portal.
    const links = await Promise.all(pages[0]!.linkIds.map((linkId) => s.store.links.get(linkId)));
    expect(links.filter((link) => link?.defenderView && link.sentinelView).map((link) => link!.defenderId).sort()).toEqual(['1', '2', '3']);
    expect(await watcher.backfillStep()).toEqual({ portal: 'defender', listed: 0, queued: 0, finished: true });
    expect(await s.store.cursors.pendingBackfills(PAIR)).toEqual([]);
    expect(await watcher.backfillStep()).toBeNull();
  });

  test('a restart takes a pending backfill up again from its first page', async () => {
    const s = setup();
    const before = createWatcher(s.context, { pairId: PAIR, backfill: true });
    await before.pollOnce();
    await before.backfillStep();

    const after = createWatcher(s.context, { pairId: PAIR, backfill: true });
    expect(await after.backfillStep()).toBeNull(); // knows of no backfill before its first poll reads the store
    await after.pollOnce();
    expect(await after.backfillStep()).toEqual({ portal: 'sentinel', listed: 3, queued: 0, finished: false });
  });

  test('without backfill, the first poll lists everything, as before', async () => {
    const s = setup();
    const stats = await createWatcher(s.context, { pairId: PAIR }).pollOnce();
    expect(stats.listed).toEqual({ defender: 3, sentinel: 3 });
    expect(await s.store.cursors.pendingBackfills(PAIR)).toEqual([]);
  });

  test("pacing leaves the live poll its share of the tenant's Graph budget", () => {
    // Poll every 2 s: 30 live list calls a minute, 20 kept for writes and margin, 100 pages a minute for the backfill.
    expect(backfillGraphPagesPerMinute(2000)).toBe(GRAPH_REQUESTS_PER_MINUTE - 30 - 20);
    expect(backfillPageIntervalMs('defender', 2000)).toBe(600);
    // A poll interval that leaves little still pages, slowly.
    expect(backfillGraphPagesPerMinute(300)).toBe(30);
  });

  test('a live poll that listed many Graph pages waits until they fit the budget less the reserve before the next', () => {
    // An idle poll, or a few pages: the poll interval.
    expect(livePollIntervalMs(1, 2000)).toBe(2000);
    expect(livePollIntervalMs(4, 2000)).toBe(2000);
    // 2,000 new incidents are 40 pages: re-listed every 2 s while they are in the overlap, that is
    // 1,200 a minute; at 130 a minute the next poll waits 18.5 s.
    expect(livePollIntervalMs(40, 2000)).toBe(18_462);
    expect((40 * 60_000) / livePollIntervalMs(40, 2000)).toBeLessThanOrEqual(GRAPH_REQUESTS_PER_MINUTE - 20);
  });
});
