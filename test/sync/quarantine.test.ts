// One record the store refuses never stops its pair: the watcher and the sync-link job quarantine
// it, the cursor advances, the other incidents sync, and the record is retried (on a newer version,
// or on its schedule) and released once it stores. Runs on the in-memory fake and on PGlite.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Incident, Portal } from '../../src/domain/incident.ts';
import { createPgliteDb } from '../../src/store/pglite-db.ts';
import { migrate } from '../../src/store/migrate.ts';
import type { Store } from '../../src/store/ports.ts';
import { createSqlStore } from '../../src/store/store.ts';
import { QUARANTINE_RETRY_FIRST_MS, runSyncLinkJob } from '../../src/sync/quarantine.ts';
import type { SyncContext, SyncMetrics } from '../../src/sync/sync-context.ts';
import { createWatcher } from '../../src/sync/watcher.ts';
import { createMemoryJobQueue, type MemoryJobQueue } from '../fakes/memory-job-queue.ts';
import { createMemoryPortal, type MemoryPortal } from '../fakes/memory-portal.ts';
import { createMemoryStore } from '../fakes/memory-store.ts';
import { at, defenderIncident, sentinelIncident } from './fixtures.ts';

const PAIR = 'pair-q';
const HOSTILE_TITLE = 'file name \ud800.exe';

interface Setup {
  context: SyncContext;
  defender: MemoryPortal;
  sentinel: MemoryPortal;
  queue: MemoryJobQueue;
  logs: Array<Record<string, unknown>>;
  quarantined: Array<[string, Portal]>;
  advance(ms: number): void;
}

function setup(store: Store): Setup {
  let now = Date.parse(at(10));
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const quarantined: Array<[string, Portal]> = [];
  const metrics: SyncMetrics = { recordQuarantined: (pairId, portal) => quarantined.push([pairId, portal]), recordParkedEvent: () => undefined, recordEditOutcome: () => undefined };
  const defender = createMemoryPortal('defender');
  const sentinel = createMemoryPortal('sentinel');
  const queue = createMemoryJobQueue();
  let ids = 0;
  const context: SyncContext = {
    store,
    queue,
    pairs: new Map([[PAIR, { pairId: PAIR, defender, sentinel }]]),
    clock: () => new Date(now),
    newId: () => `link-${++ids}-${Math.random().toString(36).slice(2, 8)}`,
    log: pino({ level: 'debug' }, sink),
    metrics,
  };
  return { context, defender, sentinel, queue, logs, quarantined, advance: (ms) => (now += ms) };
}

const incidentNo = (n: number, overrides: Partial<Incident> = {}) => defenderIncident({ id: String(n), providerIncidentId: String(n), lastUpdatedAt: at(n), ...overrides });

function backends(): Array<[string, () => Promise<Store>]> {
  return [
    ['in-memory fake', async () => createMemoryStore()],
    [
      'PGlite',
      async () => {
        const db = await createPgliteDb({ schema: 'quarantine' });
        await migrate(db);
        return createSqlStore(db);
      },
    ],
  ];
}

describe.each(backends())('quarantine on %s', (_name, open) => {
  let store: Store;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(async () => {
    await store.close();
  });

  test('a listed view the store refuses is quarantined; the cursor advances, the others are stored, and it is released when it stores', async () => {
    const pairStore = store;
    const s = setup(pairStore);
    s.defender.put(incidentNo(1));
    s.defender.put(incidentNo(2, { title: HOSTILE_TITLE }));
    s.defender.put(incidentNo(3, { title: 'nul \u0000 here' }));
    s.defender.put(incidentNo(4));
    const watcher = createWatcher(s.context, { pairId: PAIR });

    const first = await watcher.pollOnce();
    expect(first.quarantined).toBe(2);
    expect(await pairStore.cursors.get(PAIR, 'defender')).toEqual({ since: at(4), idsAtSince: ['4'] });
    for (const id of ['1', '4']) expect((await pairStore.links.findByDefenderId(PAIR, id))?.defenderView?.id).toBe(id);
    // No half-stored link for the refused ones, so /list has no ghost row.
    for (const id of ['2', '3']) expect(await pairStore.links.findByDefenderId(PAIR, id)).toBeNull();
    expect((await pairStore.links.list({ pairId: PAIR })).map((link) => link.defenderId).sort()).toEqual(['1', '4']);
    expect(s.queue.sent).toHaveLength(2);

    const records = await pairStore.quarantine.list(PAIR);
    expect(records.map((record) => [record.incidentId, record.stage, record.errorCode, record.attempts])).toEqual([
      ['2', 'view', '22P02', 1],
      ['3', 'view', '22P05', 1],
    ]);
    expect(s.quarantined).toEqual([[PAIR, 'defender'], [PAIR, 'defender']]);
    const lines = s.logs.filter((line) => line.msg === 'the store refused an incident; quarantined, its pair keeps syncing');
    expect(lines.map((line) => [line.incidentId, line.pairId, line.portal, line.errorCode])).toEqual([
      ['2', PAIR, 'defender', '22P02'],
      ['3', PAIR, 'defender', '22P05'],
    ]);
    // Never the text.
    expect(JSON.stringify(s.logs)).not.toContain('file name');
    expect(JSON.stringify(s.logs)).not.toContain('nul ');

    // Listed again unchanged, before its retry time: not retried, not counted again.
    s.advance(1_000);
    await watcher.pollOnce();
    expect((await pairStore.quarantine.list(PAIR)).map((record) => record.attempts)).toEqual([1, 1]);
    expect(s.quarantined).toHaveLength(2);

    // #2 changes again (a storable title): stored at once and released.
    s.defender.put(incidentNo(2, { title: 'file name fixed.exe', lastUpdatedAt: at(5) }));
    await watcher.pollOnce();
    expect((await pairStore.links.findByDefenderId(PAIR, '2'))?.defenderView?.title).toBe('file name fixed.exe');
    expect((await pairStore.quarantine.list(PAIR)).map((record) => record.incidentId)).toEqual(['3']);
    expect(s.logs.some((line) => line.msg === 'quarantined incident stored; released' && line.incidentId === '2')).toBe(true);

    // #3 does not change: its retry time comes, it is read fresh and refused again (attempt 2, later retry) ...
    s.defender.gets.length = 0;
    s.advance(QUARANTINE_RETRY_FIRST_MS);
    await watcher.pollOnce();
    expect(s.defender.gets).toEqual(['3']);
    const again = await pairStore.quarantine.list(PAIR);
    expect(again.map((record) => [record.incidentId, record.attempts])).toEqual([['3', 2]]);
    expect(Date.parse(again[0]!.retryAt) - Date.parse(again[0]!.lastFailedAt)).toBe(2 * QUARANTINE_RETRY_FIRST_MS);
    expect(s.quarantined).toHaveLength(2);

    // ... then the portal serves it storable (same version) and the scheduled retry stores and releases it.
    s.defender.put(incidentNo(3, { title: 'nul gone' }));
    s.advance(2 * QUARANTINE_RETRY_FIRST_MS);
    await watcher.pollOnce();
    expect((await pairStore.links.findByDefenderId(PAIR, '3'))?.defenderView?.title).toBe('nul gone');
    expect(await pairStore.quarantine.list(PAIR)).toEqual([]);
  });

  test('a link sync the store refuses is quarantined (the job completes), retried by the watcher, and released when it saves', async () => {
    const s = setup(store);
    const pairId = PAIR;
    s.defender.put(incidentNo(7));
    s.sentinel.put(sentinelIncident({ id: 'sent-7', providerIncidentId: '7', lastUpdatedAt: at(7) }));
    const watcher = createWatcher(s.context, { pairId });
    await watcher.pollOnce();
    const link = await store.links.findByDefenderId(pairId, '7');
    expect(link).not.toBeNull();

    // A fresh read (a retried job) brings a record the store refuses.
    s.defender.put(incidentNo(7, { description: 'desc \ud800', lastUpdatedAt: at(8) }));
    await runSyncLinkJob(s.context, { linkId: link!.linkId }, { fresh: true });
    expect((await store.quarantine.list(pairId)).filter((record) => record.stage === 'sync').map((record) => [record.incidentId, record.linkId, record.errorCode])).toEqual([
      ['7', link!.linkId, '22P02'],
    ]);
    expect(s.quarantined).toContainEqual([pairId, 'defender']);

    // The portals serve it storable again (this fake has no mapping boundary, so the bridge's copy of
    // the description to Sentinel went out as it was); when the retry time comes the watcher queues the
    // sync, flagged.
    s.defender.put(incidentNo(7, { description: 'desc ok', lastUpdatedAt: at(8) }));
    s.sentinel.put({ ...(await s.sentinel.get('sent-7'))!, description: 'desc ok' });
    s.queue.sent.length = 0;
    s.advance(QUARANTINE_RETRY_FIRST_MS);
    await watcher.pollOnce();
    expect(s.queue.sent).toContainEqual({ queue: 'sync-link', data: { linkId: link!.linkId, quarantined: true } });
    await runSyncLinkJob(s.context, { linkId: link!.linkId, quarantined: true }, { fresh: true });
    expect((await store.quarantine.list(pairId)).filter((record) => record.stage === 'sync')).toEqual([]);
    expect((await store.links.get(link!.linkId))?.defenderView?.description).toBe('desc ok');
  });

  test('errors that are not about the record (an outage) still fail the poll, as before', async () => {
    const s = setup(store);
    s.defender.put(incidentNo(1));
    const reset = async () => Promise.reject(new Error('connection reset'));
    const broken: Store = { ...store, links: { ...store.links, findByDefenderId: reset, findByDefenderIds: reset } };
    const before = await store.cursors.get(PAIR, 'defender');
    s.defender.put(incidentNo(60, { lastUpdatedAt: at(10) }));
    const watcher = createWatcher({ ...s.context, store: broken }, { pairId: PAIR });
    await expect(watcher.pollOnce()).rejects.toThrow('connection reset');
    expect(await store.cursors.get(PAIR, 'defender')).toEqual(before);
  });
});
