// One change event a consumer keeps failing on never stops that consumer's stream: after its
// bounded, backed-off retries, and once a later event delivered, it is parked (in the store, so
// replicas and restarts agree), logged without incident text, counted, and delivery moves on.
// A consumer that fails on every event, or fails transiently, parks nothing and loses nothing.
// Runs on the in-memory fake and on PGlite.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { PortalError } from '../../src/domain/errors.ts';
import { StoreError } from '../../src/store/errors.ts';
import { migrate } from '../../src/store/migrate.ts';
import { createPgliteDb } from '../../src/store/pglite-db.ts';
import type { NewChangeEvent, Store } from '../../src/store/ports.ts';
import { createSqlStore } from '../../src/store/store.ts';
import type { ChangeConsumer } from '../../src/sync/api.ts';
import type { ChangeEvent } from '../../src/domain/change-events.ts';
import { DELIVERY_ATTEMPTS } from '../../src/sync/delivery-policy.ts';
import { createDispatcher } from '../../src/sync/dispatcher.ts';
import type { SyncContext } from '../../src/sync/sync-context.ts';
import { createMemoryJobQueue } from '../fakes/memory-job-queue.ts';
import { createMemoryStore } from '../fakes/memory-store.ts';
import { at, defenderIncident } from './fixtures.ts';

const HOSTILE_TITLE = 'Invoice <script>alert(1)</script> from the CFO';

let clockMs = Date.parse(at(0));
const clock = () => new Date(clockMs);
let runs = 0;

interface Setup {
  context: SyncContext;
  logs: Array<Record<string, unknown>>;
  parkedMetric: string[];
  dispatcher: ReturnType<typeof createDispatcher>;
}

function setup(store: Store, replicaId = 'replica-a'): Setup {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const parkedMetric: string[] = [];
  const context: SyncContext = {
    store,
    queue: createMemoryJobQueue(),
    pairs: new Map(),
    clock,
    newId: () => `id-${++runs}`,
    log: pino({ level: 'debug' }, sink),
    metrics: { recordQuarantined: () => undefined, recordParkedEvent: (consumer) => parkedMetric.push(consumer), recordEditOutcome: () => undefined },
  };
  return { context, logs, parkedMetric, dispatcher: createDispatcher(context, { replicaId }) };
}

function changeEvent(linkId: string, title = 'Ordinary incident'): NewChangeEvent {
  return {
    id: `evt-${++runs}`,
    kind: 'updated',
    linkId,
    pairId: 'pair-1',
    incident: { linkId, pairId: 'pair-1', defender: defenderIncident({ title }), sentinel: null, syncState: { defender: 'inSync', sentinel: 'inSync' } },
    changes: [{ field: 'title', from: 'before', to: title, portal: 'defender', by: 'alice@contoso.example' }],
    occurredAt: at(1),
  };
}

/** A consumer that records what it handled and fails as `fail` says. */
function consumer(name: string, fail: (event: ChangeEvent) => unknown): ChangeConsumer & { handled: ChangeEvent[]; delivered: string[] } {
  const handled: ChangeEvent[] = [];
  const delivered: string[] = [];
  return {
    name,
    handled,
    delivered,
    async handle(event) {
      handled.push(event);
      const error = fail(event);
      if (error) throw error;
      delivered.push(event.id);
    },
  };
}

/** A consumer name of its own, starting after the events earlier tests appended to the shared store. */
async function freshConsumer(store: Store): Promise<string> {
  const name = `notifier-${++runs}`;
  await store.changeEvents.ack(name, await store.changeEvents.latestSeq());
  return name;
}

/** Flushes, moving the clock past any backoff, until `done` holds or the consumer has had ample time. */
async function drive(dispatcher: Setup['dispatcher'], done: () => boolean, rounds = 60): Promise<void> {
  for (let round = 0; round < rounds && !done(); round++) {
    await dispatcher.flush();
    clockMs += 10_000;
  }
}

function backends(): Array<[string, () => Promise<Store>]> {
  return [
    ['in-memory fake', async () => createMemoryStore({ now: clock })],
    [
      'PGlite',
      async () => {
        const db = await createPgliteDb({ schema: 'dispatcher' });
        await migrate(db);
        return createSqlStore(db);
      },
    ],
  ];
}

describe.each(backends())('change-event dispatcher on %s', (_name, open) => {
  let store: Store;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(async () => {
    await store?.close();
  });

  test('an event the consumer keeps failing on is parked after bounded, backed-off retries; later events for other incidents are delivered', async () => {
    const { dispatcher, logs, parkedMetric } = setup(store);
    const name = await freshConsumer(store);
    const teams = consumer(name, (event) => (event.incident.defender?.title === HOSTILE_TITLE ? new TypeError(`cannot render card for "${HOSTILE_TITLE}"`) : null));
    dispatcher.subscribe(teams);
    const [poison, ...later] = await store.changeEvents.append([changeEvent('link-hostile', HOSTILE_TITLE), changeEvent('link-b'), changeEvent('link-c')]);

    await dispatcher.flush();
    // The first failure holds the stream for the backoff: no retry, and nothing later, until it passes.
    await dispatcher.flush();
    expect(teams.handled.map((event) => event.id)).toEqual([poison!.id]);
    expect(dispatcher.health()).toEqual({ ok: false, detail: `${name}: event ${poison!.id} failed (TypeError)` });

    await drive(dispatcher, () => teams.delivered.length === 2);
    expect(teams.delivered).toEqual(later.map((event) => event.id));
    expect(teams.handled.filter((event) => event.id === poison!.id)).toHaveLength(DELIVERY_ATTEMPTS);
    expect(await store.parkedEvents.list(name)).toEqual([
      { consumer: name, seq: poison!.seq, eventId: poison!.id, linkId: 'link-hostile', pairId: 'pair-1', errorCode: 'TypeError', attempts: DELIVERY_ATTEMPTS, parkedAt: expect.any(String) },
    ]);
    expect(await store.changeEvents.getOffset(name)).toBe(later[1]!.seq);
    expect(parkedMetric).toEqual([name]);
    expect(dispatcher.health()).toEqual({ ok: true });
    const parkedLog = logs.find((line) => line.msg === 'parked a change event its consumer kept failing on; later events are delivered');
    expect(parkedLog).toMatchObject({ consumer: name, eventId: poison!.id, linkId: 'link-hostile', errorCode: 'TypeError' });
    expect(JSON.stringify(logs)).not.toContain('CFO');

    // Parked means parked for every replica and after a restart: another dispatcher does not redeliver it.
    const other = setup(store, 'replica-b');
    const again = consumer(name, () => null);
    other.dispatcher.subscribe(again);
    await dispatcher.stop();
    const [next] = await store.changeEvents.append([changeEvent('link-d')]);
    await drive(other.dispatcher, () => again.delivered.length > 0);
    expect(again.handled.map((event) => event.id)).toEqual([next!.id]);
    await other.dispatcher.stop();
  });

  test.each([
    ['the store is unreachable', () => new StoreError('unavailable', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['an error that says it is transient', () => new PortalError('defender', 'throttled', 'Graph throttled the bridge')],
    ['Teams is down for everyone (unmarked errors on every event)', () => new Error('Teams answered 503')],
  ])('a consumer failing on every event because %s parks nothing and, once it recovers, gets every event in order', async (_why, failure) => {
    const { dispatcher, parkedMetric } = setup(store);
    const name = await freshConsumer(store);
    let down = true;
    const teams = consumer(name, () => (down ? failure() : null));
    dispatcher.subscribe(teams);
    const events = await store.changeEvents.append([changeEvent('link-1'), changeEvent('link-2'), changeEvent('link-3'), changeEvent('link-4'), changeEvent('link-5')]);

    await drive(dispatcher, () => false, 40);
    expect(teams.handled.length).toBeGreaterThan(DELIVERY_ATTEMPTS);
    expect(await store.parkedEvents.list(name)).toEqual([]);
    expect(await store.changeEvents.getOffset(name)).toBe(events[0]!.seq - 1);
    expect(dispatcher.health().ok).toBe(false);

    down = false;
    await drive(dispatcher, () => teams.delivered.length === events.length);
    expect(teams.delivered).toEqual(events.map((event) => event.id));
    expect(await store.parkedEvents.list(name)).toEqual([]);
    expect(parkedMetric).toEqual([]);
    await dispatcher.stop();
  });

  test('an event that fails a few times and then delivers is not parked, and nothing after it overtakes it', async () => {
    const { dispatcher } = setup(store);
    const name = await freshConsumer(store);
    let failures = 0;
    const [first, second] = await store.changeEvents.append([changeEvent('link-1'), changeEvent('link-2')]);
    const teams = consumer(name, (event) => (event.id === first!.id && ++failures < DELIVERY_ATTEMPTS ? new Error('blip') : null));
    dispatcher.subscribe(teams);
    await drive(dispatcher, () => teams.delivered.length === 2);
    expect(teams.handled.map((event) => event.id)).toEqual([...Array<string>(DELIVERY_ATTEMPTS).fill(first!.id), second!.id]);
    expect(await store.parkedEvents.list(name)).toEqual([]);
    await dispatcher.stop();
  });

  test('a backlog moves the offset once per delivered run, not once per event, and a failure keeps what came before it', async () => {
    const name = await freshConsumer(store);
    const events = await store.changeEvents.append(Array.from({ length: 30 }, (_, n) => changeEvent(`link-run-${n}`)));
    // The store as the dispatcher sees it, recording this consumer's acknowledgements.
    const acks: number[] = [];
    const changeEvents: Store['changeEvents'] = Object.create(store.changeEvents);
    changeEvents.ack = async (consumerName, seq) => {
      if (consumerName === name) acks.push(seq);
      return store.changeEvents.ack(consumerName, seq);
    };
    const { dispatcher } = setup({ ...store, changeEvents } as Store);
    // The 21st event fails transiently once: the twenty before it are acknowledged, it is not.
    let failOnce = true;
    const teams = consumer(name, (event) => (event.id === events[20]!.id && failOnce ? ((failOnce = false), Object.assign(new Error('Teams said 429'), { transient: true })) : null));
    dispatcher.subscribe(teams);
    await dispatcher.flush();
    expect(acks).toEqual([events[19]!.seq]);
    await drive(dispatcher, () => teams.delivered.length === 30);
    expect(acks).toEqual([events[19]!.seq, events[29]!.seq]);
    expect(await store.changeEvents.readPending(name, 100)).toEqual([]);
    await dispatcher.stop();
  });
});
