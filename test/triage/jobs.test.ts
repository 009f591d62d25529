// The triage jobs on real pg-boss, on a virtual clock (pg-boss's TestClock, which PostgreSQL reads
// too): a deadline job runs at its deadline and escalates once, also after a restart; a daily
// digest keeps its local time across daylight-saving changes and is posted once per day; and two
// replicas on one PostgreSQL database escalate and post each of them once.
import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { TestClock } from 'pg-boss';
import { createPgliteDb } from '../../src/store/pglite-db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { createSqlStore, openStore } from '../../src/store/store.ts';
import { createBossQueue, type BossQueue } from '../../src/store/boss-queue.ts';
import type { Db } from '../../src/store/db.ts';
import type { Store } from '../../src/store/ports.ts';
import { createTenantPolicy } from '../../src/bot/tenant-policy.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { fireEscalation } from '../../src/triage/escalation.ts';
import { postScheduledDigest } from '../../src/triage/digests.ts';
import { createTriageJobs, workTriageJobs, type TriageJobs } from '../../src/triage/jobs.ts';
import { sampleView } from '../fakes/bridge.ts';
import { createFakeSender, type FakeSender } from '../bot/support/fake-sender.ts';
import { uid, waitFor } from '../store/support/fixtures.ts';
import { describePostgres, dropSchema, POSTGRES_URL, uniqueSchemaName } from '../store/support/postgres.ts';

const log = createSilentLogger();
/**
 * PGlite, pg-boss and the store start in a few seconds, but the machines these run on are shared:
 * generous. Time itself is virtual: long waits are jumps (TestClock.setTime), short ones ticks.
 */
const TEST_TIMEOUT_MS = 90_000;
const tenants = createTenantPolicy({ allowedTenants: ['tenant-a'], pairs: [] });
const CONVERSATION = '19:soc@thread.tacv2';

interface Replica {
  queue: BossQueue;
  jobs: TriageJobs;
  sender: FakeSender;
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** One replica: its own pg-boss instance and store over `db`, its handlers, on `clock`. */
async function startReplica(db: Db, store: Store, clock: TestClock, schema = 'pgboss'): Promise<Replica> {
  const queue = await createBossQueue({ db, schema, clock, cronMonitorIntervalSeconds: 30, cronWorkerIntervalSeconds: 1 });
  stops.push(() => queue.stop({ graceful: false }));
  const jobs = await createTriageJobs(queue);
  const sender = createFakeSender();
  const deps = { store, jobs, tenants, clock: () => new Date(clock.now()), log };
  await workTriageJobs(queue, {
    escalationDue: async (job) => {
      await fireEscalation(deps, job);
    },
    digestDue: async (job) => {
      await postScheduledDigest({ ...deps, sender }, job);
    },
  });
  return { queue, jobs, sender };
}

/** A conversation, an incident nobody acknowledged, and a policy whose deadline is set. */
async function seed(store: Store, linkId: string): Promise<void> {
  await store.conversations.upsert({ id: CONVERSATION, reference: { conversation: { id: CONVERSATION, conversationType: 'channel' }, serviceUrl: 'https://smba.trafficmanager.net/teams/' }, scope: 'channel', tenantId: 'tenant-a' });
  const view = sampleView({ linkId });
  view.sentinel!.status = 'new';
  const saved = await store.links.save({ linkId, pairId: 'default', defenderId: uid('d'), snapshot: {}, defenderView: view.defender, sentinelView: view.sentinel, syncState: {} }, null);
  if (!saved.ok) throw new Error('could not save the link');
  await store.escalations.setPolicy({ conversationId: CONVERSATION, deadlines: { medium: 900 }, contacts: [], updatedBy: null });
}

const escalatedEvents = async (store: Store) => (await store.changeEvents.readAfter(0, 1000)).filter((event) => event.kind === 'escalated');

async function openPglite(): Promise<{ db: Db; store: Store }> {
  const db = await createPgliteDb({ schema: 'bridge' });
  await migrate(db);
  stops.push(() => db.close());
  return { db, store: createSqlStore(db) };
}

describe('on PGlite, on a virtual clock', () => {
  test('a deadline job runs at its deadline, not before, and escalates once however often it was sent', async () => {
    const clock = new TestClock('2026-03-02T10:00:00Z');
    const { db, store } = await openPglite();
    const replica = await startReplica(db, store, clock);
    await seed(store, 'link-a');
    const dueAt = '2026-03-02T10:15:00.000Z';
    await store.escalations.scheduleTimer(CONVERSATION, 'link-a', dueAt, '2026-03-02T10:00:00.000Z');
    await replica.jobs.sendEscalation({ conversationId: CONVERSATION, linkId: 'link-a', dueAt });
    await replica.jobs.sendEscalation({ conversationId: CONVERSATION, linkId: 'link-a', dueAt });
    await clock.setTime('2026-03-02T10:14:30Z');
    await clock.tick(20_000);
    expect(await escalatedEvents(store)).toEqual([]);
    await clock.tick(20_000);
    await waitFor(async () => ((await escalatedEvents(store)).length > 0 ? true : undefined), 'the escalation');
    await clock.tick(30_000);
    expect((await escalatedEvents(store)).map((event) => event.escalation)).toEqual([{ conversationId: CONVERSATION, dueAt }]);
    expect(await store.escalations.getTimer(CONVERSATION, 'link-a')).toMatchObject({ state: 'fired' });
  }, TEST_TIMEOUT_MS);

  test('a deadline survives a restart: the job sent before it runs after it', async () => {
    const clock = new TestClock('2026-03-02T10:00:00Z');
    const { db, store } = await openPglite();
    const before = await startReplica(db, store, clock);
    await seed(store, 'link-b');
    const dueAt = '2026-03-02T10:15:00.000Z';
    await store.escalations.scheduleTimer(CONVERSATION, 'link-b', dueAt, '2026-03-02T10:00:00.000Z');
    await before.jobs.sendEscalation({ conversationId: CONVERSATION, linkId: 'link-b', dueAt });
    await before.queue.stop({ graceful: true, timeoutMs: 1000 });
    await clock.setTime('2026-03-02T10:05:00Z');
    await startReplica(db, store, clock);
    await clock.setTime('2026-03-02T10:15:00Z');
    await clock.tick(20_000);
    await waitFor(async () => ((await escalatedEvents(store)).length > 0 ? true : undefined), 'the escalation after the restart');
    expect(await escalatedEvents(store)).toHaveLength(1);
  }, TEST_TIMEOUT_MS);

  test('a daily digest at 09:00 Europe/Amsterdam stays at 09:00 local time across both daylight-saving changes, once a day', async () => {
    const clock = new TestClock('2026-03-27T12:00:00Z');
    const { db, store } = await openPglite();
    const replica = await startReplica(db, store, clock);
    await seed(store, 'link-c');
    await replica.jobs.scheduleDigest(CONVERSATION, '09:00', 'Europe/Amsterdam');
    const postedAt = () => replica.sender.records.map((record) => /as of (\S+ \S+) UTC/.exec(JSON.stringify(record.activity))?.[1]);
    // 09:00 local is 08:00Z on CET days and 07:00Z on CEST days (the changes: 29 March and 25 October 2026).
    for (const [day, utcHour] of [['2026-03-28', 8], ['2026-03-29', 7], ['2026-10-24', 7], ['2026-10-25', 8]] as const) {
      const before = replica.sender.records.length;
      await clock.setTime(`${day}T0${utcHour - 1}:58:00Z`);
      await clock.tick(60_000);
      if (day === '2026-10-24') {
        // Jumping from March to October is an outage: the latest missed occurrence (23 October) is sent once, late.
        await waitFor(async () => (replica.sender.records.length > before ? true : undefined), 'the missed digest');
      }
      const beforeNine = replica.sender.records.length;
      await clock.tick(2 * 60_000);
      await waitFor(async () => (replica.sender.records.length > beforeNine ? true : undefined), `the digest of ${day}`);
    }
    await clock.tick(60_000);
    expect(postedAt()).toEqual(['2026-03-28 08:00', '2026-03-29 07:00', '2026-10-24 06:58', '2026-10-24 07:00', '2026-10-25 08:00']);
    expect(replica.sender.records.every((record) => record.op === 'send' && record.conversationId === CONVERSATION)).toBe(true);
  }, TEST_TIMEOUT_MS);

  test('a digest for a conversation the bot left is not posted, and its schedule goes', async () => {
    const clock = new TestClock('2026-03-02T08:58:00Z');
    const { db, store } = await openPglite();
    const replica = await startReplica(db, store, clock);
    await seed(store, 'link-d');
    await replica.jobs.scheduleDigest(CONVERSATION, '09:00', 'UTC');
    await store.conversations.deactivate(CONVERSATION, 'bot removed from the conversation');
    await clock.tick(3 * 60_000);
    await waitFor(async () => ((await replica.jobs.digestSchedule(CONVERSATION)) === null ? true : undefined), 'the schedule to go');
    expect(replica.sender.records).toEqual([]);
  }, TEST_TIMEOUT_MS);
});

describePostgres('two replicas on one PostgreSQL database', () => {
  const schema = uniqueSchemaName('triage');
  const bossSchema = `${schema}_boss`;
  afterAll(async () => {
    await dropSchema(schema);
    await dropSchema(bossSchema);
  });

  test('each deadline escalates once and each digest is posted once, whichever replica runs the job', async () => {
    const clock = new TestClock('2026-03-02T10:00:00Z');
    const replicas: Array<Replica & { store: Store }> = [];
    for (let i = 0; i < 2; i += 1) {
      const { store, db } = await openStore({ dataDir: 'unused', databaseUrl: POSTGRES_URL, schema });
      stops.push(() => store.close());
      replicas.push({ ...(await startReplica(db, store, clock, bossSchema)), store });
    }
    const [a, b] = replicas as [Replica & { store: Store }, Replica & { store: Store }];
    const linkIds = Array.from({ length: 6 }, () => uid('link'));
    for (const linkId of linkIds) await seed(a.store, linkId);
    const dueAt = '2026-03-02T10:15:00.000Z';
    for (const linkId of linkIds) {
      await a.store.escalations.scheduleTimer(CONVERSATION, linkId, dueAt, '2026-03-02T10:00:00.000Z');
      // Both replicas saw the incident: both send the job.
      await a.jobs.sendEscalation({ conversationId: CONVERSATION, linkId, dueAt });
      await b.jobs.sendEscalation({ conversationId: CONVERSATION, linkId, dueAt });
    }
    await b.jobs.scheduleDigest(CONVERSATION, '10:30', 'UTC');
    await clock.setTime('2026-03-02T10:15:00Z');
    await clock.tick(20_000);
    await waitFor(async () => ((await escalatedEvents(a.store)).length >= linkIds.length ? true : undefined), 'every escalation');
    await clock.setTime('2026-03-02T10:29:00Z');
    await clock.tick(90_000);
    await waitFor(async () => (a.sender.records.length + b.sender.records.length > 0 ? true : undefined), 'the digest');
    await clock.tick(60_000);
    const escalated = await escalatedEvents(a.store);
    expect(escalated.map((event) => event.linkId).sort()).toEqual([...linkIds].sort());
    expect(a.sender.records.length + b.sender.records.length).toBe(1);
  }, TEST_TIMEOUT_MS);
});
