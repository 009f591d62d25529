// The watcher stores a listed page with one lookup and one batch write. What one view at a time
// guaranteed still holds: a record the store refuses is quarantined alone, and a link another
// writer creates or saves between the lookup and the write keeps that writer's work and still gets
// the view. Runs on the in-memory fake and on PGlite.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import type { Incident } from '../../src/domain/incident.ts';
import { createPgliteDb } from '../../src/store/pglite-db.ts';
import { migrate } from '../../src/store/migrate.ts';
import type { LinkRepository, Store } from '../../src/store/ports.ts';
import { createSqlStore } from '../../src/store/store.ts';
import type { SyncContext } from '../../src/sync/sync-context.ts';
import { createWatcher } from '../../src/sync/watcher.ts';
import { createMemoryJobQueue, type MemoryJobQueue } from '../fakes/memory-job-queue.ts';
import { createMemoryPortal, type MemoryPortal } from '../fakes/memory-portal.ts';
import { createMemoryStore } from '../fakes/memory-store.ts';
import { at, defenderIncident, sentinelIncident } from './fixtures.ts';

interface Setup {
  pairId: string;
  context: SyncContext;
  defender: MemoryPortal;
  sentinel: MemoryPortal;
  queue: MemoryJobQueue;
  /** Link repository and queue calls the watcher made, by method. */
  calls: Map<string, number>;
}

/** A watcher's context over `store`; `interpose` runs right after each batch lookup (another writer at work). */
function setup(store: Store, interpose: (links: LinkRepository) => Promise<void> = async () => undefined): Setup {
  const pairId = `pair-${Math.random().toString(36).slice(2, 8)}`;
  const calls = new Map<string, number>();
  const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);
  const links: LinkRepository = {
    ...store.links,
    findByDefenderId: (...args) => (count('findByDefenderId'), store.links.findByDefenderId(...args)),
    save: (...args) => (count('save'), store.links.save(...args)),
    saveMany: (...args) => (count('saveMany'), store.links.saveMany(...args)),
    async findByDefenderIds(...args) {
      count('findByDefenderIds');
      const found = await store.links.findByDefenderIds(...args);
      await interpose(store.links);
      return found;
    },
  };
  const defender = createMemoryPortal('defender');
  const sentinel = createMemoryPortal('sentinel');
  const queue = createMemoryJobQueue();
  let ids = 0;
  const context: SyncContext = {
    store: { ...store, links },
    queue: {
      ...queue,
      send: (...args) => (count('queue.send'), queue.send(...args)),
      sendMany: (...args) => (count('queue.sendMany'), queue.sendMany(...args)),
    },
    pairs: new Map([[pairId, { pairId, defender, sentinel }]]),
    clock: () => new Date(at(10)),
    newId: () => `${pairId}-link-${++ids}`,
    log: pino({ level: 'silent' }),
  };
  return { pairId, context, defender, sentinel, queue, calls };
}

const defenderNo = (n: number, overrides: Partial<Incident> = {}) => defenderIncident({ id: String(n), providerIncidentId: String(n), lastUpdatedAt: at(n), ...overrides });
const sentinelNo = (n: number, overrides: Partial<Incident> = {}) => sentinelIncident({ id: `sen-${n}`, incidentNumber: 100 + n, providerIncidentId: String(n), lastUpdatedAt: at(n), ...overrides });
const queuedLinks = (queue: MemoryJobQueue) => queue.sent.map((job) => (job.data as { linkId: string }).linkId).sort();

function backends(): Array<[string, () => Promise<Store>]> {
  return [
    ['in-memory fake', async () => createMemoryStore()],
    [
      'PGlite',
      async () => {
        const db = await createPgliteDb({ schema: 'watcher_batch' });
        await migrate(db);
        return createSqlStore(db);
      },
    ],
  ];
}

describe.each(backends())('watcher page batches on %s', (_name, open) => {
  let store: Store;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(async () => {
    await store.close();
  });

  test('each listed page is one lookup and one batch write; the poll queues its links in one write', async () => {
    const s = setup(store);
    for (const n of [1, 2, 3]) {
      s.defender.put(defenderNo(n));
      s.sentinel.put(sentinelNo(n));
    }
    const stats = await createWatcher(s.context, { pairId: s.pairId }).pollOnce();
    expect(stats).toMatchObject({ listed: { defender: 3, sentinel: 3 }, queued: 3, quarantined: 0 });
    // Defender's page creates the links, Sentinel's adds its views to them.
    expect(Object.fromEntries(s.calls)).toEqual({ findByDefenderIds: 2, saveMany: 2, 'queue.sendMany': 1 });
    const links = await Promise.all([1, 2, 3].map((n) => store.links.findByDefenderId(s.pairId, String(n))));
    expect(links.map((link) => [link?.defenderView?.id, link?.sentinelView?.id, link?.sentinelNumber, link?.version])).toEqual([
      ['1', 'sen-1', 101, 2],
      ['2', 'sen-2', 102, 2],
      ['3', 'sen-3', 103, 2],
    ]);
    expect(queuedLinks(s.queue)).toEqual(links.map((link) => link?.linkId).sort());
  });

  test('a record the store refuses inside a page of updates is quarantined alone; the page\'s other views are stored', async () => {
    const s = setup(store);
    for (const n of [1, 2, 3]) s.defender.put(defenderNo(n));
    const watcher = createWatcher(s.context, { pairId: s.pairId });
    await watcher.pollOnce();
    s.sentinel.put(sentinelNo(1));
    s.sentinel.put(sentinelNo(2, { title: 'file name \ud800.exe' }));
    s.sentinel.put(sentinelNo(3));
    s.queue.sent.length = 0;

    const stats = await watcher.pollOnce();
    expect(stats.quarantined).toBe(1);
    expect((await store.quarantine.list(s.pairId)).map((record) => [record.portal, record.incidentId, record.errorCode])).toEqual([['sentinel', 'sen-2', '22P02']]);
    const [one, two, three] = await Promise.all([1, 2, 3].map((n) => store.links.findByDefenderId(s.pairId, String(n))));
    expect([one?.sentinelView?.id, two?.sentinelView, three?.sentinelView?.id]).toEqual(['sen-1', null, 'sen-3']);
    expect(two?.version).toBe(1);
    expect(queuedLinks(s.queue)).toEqual(expect.arrayContaining([one?.linkId, three?.linkId]));
  });

  test('a link another writer creates between the lookup and the batch write gets the view; no second link is made', async () => {
    let theirs: string | undefined;
    const s = setup(store, async (links) => {
      if (theirs) return;
      // Like a merge's ensureLink: a link with no view yet, made for the same Defender incident.
      const created = await links.save({ linkId: `${s.pairId}-theirs`, pairId: s.pairId, defenderId: '2', snapshot: {}, defenderView: null, sentinelView: null, syncState: {} }, null);
      if (created.ok) theirs = created.link.linkId;
    });
    for (const n of [1, 2, 3]) s.defender.put(defenderNo(n));
    await createWatcher(s.context, { pairId: s.pairId }).pollOnce();

    expect(theirs).toBeDefined();
    const two = await store.links.findByDefenderId(s.pairId, '2');
    expect(two).toMatchObject({ linkId: theirs, defenderView: { id: '2' }, version: 2 });
    expect((await store.links.list({ pairId: s.pairId })).map((link) => link.defenderId).sort()).toEqual(['1', '2', '3']);
    const others = await Promise.all(['1', '3'].map((id) => store.links.findByDefenderId(s.pairId, id)));
    expect(queuedLinks(s.queue)).toEqual([theirs, ...others.map((link) => link?.linkId)].sort());
  });

  test('a link another writer saves between the lookup and the batch write keeps that save and gets the view', async () => {
    let armed = false;
    let interposed = false;
    const s = setup(store, async (links) => {
      const link = await links.findByDefenderId(s.pairId, '1');
      if (!armed || !link) return;
      armed = false;
      // Like a link sync saving its snapshot while the watcher stores the page.
      interposed = (await links.save({ ...link, snapshot: { title: 'synced' } }, link.version)).ok;
    });
    // Sentinel shows the incident first; Defender's view comes in the next poll, while the link is being synced.
    s.sentinel.put(sentinelNo(1));
    const watcher = createWatcher(s.context, { pairId: s.pairId });
    await watcher.pollOnce();
    armed = true;
    s.defender.put(defenderNo(1));
    await watcher.pollOnce();

    expect(interposed).toBe(true);
    expect(await store.links.findByDefenderId(s.pairId, '1')).toMatchObject({ snapshot: { title: 'synced' }, defenderView: { id: '1' }, sentinelView: { id: 'sen-1' }, version: 3 });
  });

  test('two Sentinel incidents of one Defender incident in a page: the newer view is stored', async () => {
    const s = setup(store);
    s.defender.put(defenderNo(1));
    s.sentinel.put(sentinelNo(1, { id: 'sen-new', lastUpdatedAt: at(5) }));
    s.sentinel.put(sentinelNo(1, { id: 'sen-old', lastUpdatedAt: at(2) }));
    await createWatcher(s.context, { pairId: s.pairId }).pollOnce();
    expect((await store.links.findByDefenderId(s.pairId, '1'))?.sentinelView?.id).toBe('sen-new');
  });
});
