// A portal record whose last-modified time is absent, no instant, or far in the future is
// quarantined (with the reason) and never moves the watcher's cursor: the cursor only advances on
// believable instants, so the next listing works and no real change is listed past.
import { describe, expect, test } from '@jest/globals';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Incident } from '../../src/domain/incident.ts';
import { MAX_TIMESTAMP_SKEW_MS, QUARANTINE_RETRY_FIRST_MS } from '../../src/sync/quarantine.ts';
import type { SyncContext } from '../../src/sync/sync-context.ts';
import { createWatcher } from '../../src/sync/watcher.ts';
import { createMemoryJobQueue } from '../fakes/memory-job-queue.ts';
import { createMemoryPortal, type MemoryPortal } from '../fakes/memory-portal.ts';
import { createMemoryStore } from '../fakes/memory-store.ts';
import { at, defenderIncident, sentinelIncident } from './fixtures.ts';

const PAIR = 'pair-t';

function setup() {
  let now = Date.parse(at(10));
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const store = createMemoryStore({ now: () => new Date(now) });
  const defender: MemoryPortal = createMemoryPortal('defender');
  const sentinel: MemoryPortal = createMemoryPortal('sentinel');
  let ids = 0;
  const context: SyncContext = {
    store,
    queue: createMemoryJobQueue(),
    pairs: new Map([[PAIR, { pairId: PAIR, defender, sentinel }]]),
    clock: () => new Date(now),
    newId: () => `link-${++ids}`,
    log: pino({ level: 'debug' }, sink),
  };
  return { context, store, defender, sentinel, logs, advance: (ms: number) => (now += ms), now: () => now };
}

const incidentNo = (n: number, lastUpdatedAt: string, overrides: Partial<Incident> = {}) => defenderIncident({ id: String(n), providerIncidentId: String(n), lastUpdatedAt, ...overrides });
const quarantined = async (s: ReturnType<typeof setup>) => (await s.store.quarantine.list(PAIR)).map((record) => [record.portal, record.incidentId, record.errorCode]);

describe('watcher cursor and portal timestamps', () => {
  test('absent and non-ISO last-modified times are quarantined with the reason and do not move the cursor; the next poll still lists', async () => {
    const s = setup();
    s.defender.put(incidentNo(1, at(1)));
    s.defender.put(incidentNo(2, ''));
    s.defender.put(incidentNo(3, 'garbage'));
    s.defender.put(incidentNo(4, '2026-03-01T10:04:00'));
    s.defender.put(incidentNo(5, at(5)));
    const watcher = createWatcher(s.context, { pairId: PAIR });

    const stats = await watcher.pollOnce();
    expect(stats.quarantined).toBe(3);
    expect(await s.store.cursors.get(PAIR, 'defender')).toEqual({ since: at(5), idsAtSince: ['5'] });
    expect(await quarantined(s)).toEqual([
      ['defender', '2', 'invalid-timestamp'],
      ['defender', '3', 'invalid-timestamp'],
      ['defender', '4', 'invalid-timestamp'],
    ]);
    for (const id of ['2', '3', '4']) expect(await s.store.links.findByDefenderId(PAIR, id)).toBeNull();
    expect(s.logs.filter((line) => line.msg === 'an incident has no usable last-modified time; quarantined, its pair keeps syncing').map((line) => line.incidentId).sort()).toEqual(['2', '3', '4']);

    s.advance(1_000);
    s.defender.put(incidentNo(6, at(10)));
    await watcher.pollOnce();
    expect((await s.store.links.findByDefenderId(PAIR, '6'))?.defenderView?.id).toBe('6');
    expect(await s.store.cursors.get(PAIR, 'defender')).toEqual({ since: at(10), idsAtSince: ['6'] });
  });

  test('a time far in the future is quarantined and does not push the cursor past real changes, even after a restart', async () => {
    const s = setup();
    s.defender.put(incidentNo(1, at(1)));
    s.defender.put(incidentNo(2, '2099-01-01T00:00:00.0000000Z'));
    // The portal's clock a little ahead of ours is believed.
    const ahead = new Date(s.now() + MAX_TIMESTAMP_SKEW_MS - 60_000).toISOString();
    s.sentinel.put(sentinelIncident({ id: 'sen-3', providerIncidentId: '3', lastUpdatedAt: ahead }));
    await createWatcher(s.context, { pairId: PAIR }).pollOnce();
    expect(await s.store.cursors.get(PAIR, 'defender')).toEqual({ since: at(1), idsAtSince: ['1'] });
    expect(await s.store.cursors.get(PAIR, 'sentinel')).toEqual({ since: ahead, idsAtSince: ['sen-3'] });
    expect(await quarantined(s)).toEqual([['defender', '2', 'future-timestamp']]);

    // A replica that starts afresh lists from the cursor: a real change made now is seen.
    s.advance(60_000);
    s.defender.put(incidentNo(4, at(11)));
    await createWatcher(s.context, { pairId: PAIR }).pollOnce();
    expect((await s.store.links.findByDefenderId(PAIR, '4'))?.defenderView?.id).toBe('4');
  });

  test('a quarantined record is stored and released once the portal serves a usable time', async () => {
    const s = setup();
    s.defender.put(incidentNo(1, 'garbage'));
    const watcher = createWatcher(s.context, { pairId: PAIR });
    await watcher.pollOnce();
    expect(await quarantined(s)).toEqual([['defender', '1', 'invalid-timestamp']]);

    // Still unusable when its retry comes: read fresh, quarantined again, nothing stored.
    s.advance(QUARANTINE_RETRY_FIRST_MS);
    await watcher.pollOnce();
    expect((await s.store.quarantine.list(PAIR)).map((record) => record.attempts)).toEqual([2]);
    expect(await s.store.links.findByDefenderId(PAIR, '1')).toBeNull();

    s.defender.put(incidentNo(1, at(12)));
    s.advance(1_000);
    await watcher.pollOnce();
    expect((await s.store.links.findByDefenderId(PAIR, '1'))?.defenderView?.lastUpdatedAt).toBe(at(12));
    expect(await quarantined(s)).toEqual([]);
  });

  test('a stored cursor that is no instant is dropped: the watcher lists from the start instead of failing every poll', async () => {
    const s = setup();
    await s.store.cursors.set(PAIR, 'defender', { since: 'garbage', idsAtSince: [] });
    s.defender.put(incidentNo(1, at(1)));
    await createWatcher(s.context, { pairId: PAIR }).pollOnce();
    expect(await s.store.cursors.get(PAIR, 'defender')).toEqual({ since: at(1), idsAtSince: ['1'] });
    expect(s.logs.some((line) => line.msg === 'stored cursor is no instant; listing from the start')).toBe(true);
  });
});

describe('listings for the sync lag', () => {
  test("a completed poll records when each portal's listing started, also for a portal with no incident; a failed poll records nothing", async () => {
    const s = setup();
    s.defender.put(incidentNo(1, at(1)));
    const watcher = createWatcher(s.context, { pairId: PAIR });
    const started = new Date(s.now()).toISOString();
    await watcher.pollOnce();
    expect(await s.store.cursors.listings()).toEqual([
      { pairId: PAIR, portal: 'defender', listedAt: started },
      { pairId: PAIR, portal: 'sentinel', listedAt: started },
    ]);

    s.advance(5000);
    const listChangedSince = s.sentinel.listChangedSince.bind(s.sentinel);
    s.sentinel.listChangedSince = () => {
      throw new Error('ARM is unreachable');
    };
    await expect(watcher.pollOnce()).rejects.toThrow('ARM is unreachable');
    expect((await s.store.cursors.listings()).map((listing) => listing.listedAt)).toEqual([started, started]);

    s.sentinel.listChangedSince = listChangedSince;
    await watcher.pollOnce();
    expect((await s.store.cursors.listings()).map((listing) => listing.listedAt)).toEqual([new Date(s.now()).toISOString(), new Date(s.now()).toISOString()]);
  });
});
