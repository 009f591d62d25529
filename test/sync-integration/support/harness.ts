// A real sync engine against the real simulators, for integration tests: HTTPS simulators (Entra,
// Graph, ARM), the real portal clients (SDKs, token flow), the store and pg-boss on PGlite, and
// createSyncEngine, wired the way src/start-bridge.ts wires them but without the Teams side. The portals'
// native mirroring is OFF by default, so the bridge alone must make them agree.
//
// Wired here rather than through startBridge because the tests need the portal clients' retry
// policy (a short per-request timeout, so a "timeout" fault costs seconds, not the default 30 s)
// and the pg-boss polling interval, which the composition root deliberately does not expose.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Actor } from '../../../src/domain/incident.ts';
import { createSilentLogger } from '../../../src/observability/logger.ts';
import { createDefenderClient, createSentinelClient, type RetryPolicyOptions } from '../../../src/portals/index.ts';
import { startSimulators, type RunningSimulators, type SimulatorControl, type SimulatorOptions, type DefenderIncident, type SentinelIncident, type SentinelComment } from '../../../src/simulators/index.ts';
import type { Store, IncidentLink } from '../../../src/store/ports.ts';
import { openStore } from '../../../src/store/store.ts';
import { createBossQueue, type BossQueue } from '../../../src/store/boss-queue.ts';
import { createSyncJobQueue } from '../../../src/sync-job-queue.ts';
import type { ChangeConsumer } from '../../../src/sync/api.ts';
import type { ChangeEvent } from '../../../src/domain/change-events.ts';
import { isFinalEditState, type EditOutcome } from '../../../src/domain/edits.ts';
import { createSyncEngine, type SyncEngine, type SyncEngineOptions } from '../../../src/sync/engine.ts';
import type { SyncContext } from '../../../src/sync/sync-context.ts';
import { seedEmbeddedDatabase } from '../../support/embedded-database.ts';

export const TENANT = '00000000-0000-4000-8000-0000000000f1';
const APP = { clientId: '00000000-0000-4000-8000-0000000000f2', clientSecret: 'sync-integration-secret' };
const WORKSPACE = { subscriptionId: '00000000-0000-4000-8000-0000000000f3', resourceGroup: 'rg-sync', workspace: 'ws-sync' };
export const PAIR_ID = 'default';

export const ANALYST: Actor = { objectId: '00000000-0000-4000-8000-00000000a001', upn: 'jane.doe@contoso.com', displayName: 'Jane Doe' };

/** Short enough that a latency fault above it costs seconds; long enough for a loaded 2-core CI box. */
export const TEST_REQUEST_TIMEOUT_MS = 2_000;

export interface HarnessOptions {
  simulators?: Partial<SimulatorOptions>;
  engine?: Partial<SyncEngineOptions>;
  retry?: Partial<RetryPolicyOptions>;
}

export interface SyncHarness {
  sims: RunningSimulators;
  control: SimulatorControl;
  store: Store;
  context: SyncContext;
  engine: SyncEngine;
  /** Every event delivered to the harness's own consumer, in delivery order (duplicates kept). */
  events: ChangeEvent[];
  /** Stops the engine and starts a new one on the same store and simulators (a process restart). */
  restartEngine(): Promise<void>;
  /** Raises an alert (a new Defender incident) and waits until its link is synced with Sentinel. */
  newIncident(title: string, extra?: { correlationKey?: string; severity?: string }): Promise<LinkedIncident>;
  link(defenderId: string): Promise<IncidentLink | null>;
  defender(id: string): DefenderIncident;
  sentinel(name: string): SentinelIncident;
  sentinelComments(name: string): SentinelComment[];
  eventsFor(linkId: string): ChangeEvent[];
  /** Resolves after the watcher completed `count` more polls (to show that nothing else happens). */
  afterPolls(count: number): Promise<void>;
  /** Graph and ARM requests the simulators served since the last reset. */
  requestCounts(): { graph: number; arm: number; entra: number };
  /** Waits until the edit request's outcome is final (completed, partial or failed). */
  finalOutcome(requestId: string, timeoutMs?: number): Promise<EditOutcome>;
  close(): Promise<void>;
}

export interface LinkedIncident {
  defenderId: string;
  sentinelName: string;
  sentinelNumber: number;
  linkId: string;
}

/** Polls `probe` until it returns something truthy; the deadline is generous, the poll is fast. */
export async function waitFor<T>(what: string, probe: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `; last error: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startHarness(options: HarnessOptions = {}): Promise<SyncHarness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sync-integration-'));
  await seedEmbeddedDatabase(dataDir);
  const log = createSilentLogger();
  const sims = await startSimulators({
    dataDir,
    port: 0,
    tenantId: TENANT,
    apps: [{ ...APP, graphRoles: ['SecurityIncident.ReadWrite.All'], armAccess: true }],
    ...WORKSPACE,
    nativeSync: false,
    scenario: { enabled: false },
    onError: () => undefined,
    ...options.simulators,
  });
  const { store, db } = await openStore({ dataDir });
  const retry: Partial<RetryPolicyOptions> = { requestTimeoutMs: TEST_REQUEST_TIMEOUT_MS, baseDelayMs: 100, maxDelayMs: 1_000, maxTotalWaitMs: 10_000, ...options.retry };
  const common = { tenantId: TENANT, ...APP, authorityHost: sims.url, caCertPem: sims.caCertPem, retry };
  const pairs = new Map([
    [
      PAIR_ID,
      {
        pairId: PAIR_ID,
        defender: createDefenderClient({ ...common, graphEndpoint: sims.url }),
        sentinel: createSentinelClient({ ...common, armEndpoint: sims.url, ...WORKSPACE }),
      },
    ],
  ]);

  let jobs: BossQueue = await createBossQueue({ db, onError: () => undefined });
  const events: ChangeEvent[] = [];
  const recorder: ChangeConsumer = {
    name: 'sync-integration-recorder',
    async handle(event) {
      events.push(event);
    },
  };
  const engineOptions: SyncEngineOptions = { replicaId: `test-${randomUUID().slice(0, 8)}`, pollIntervalMs: 300, dispatchIntervalMs: 100, ...options.engine };

  const build = async (): Promise<{ context: SyncContext; engine: SyncEngine }> => {
    const context: SyncContext = {
      store,
      queue: createSyncJobQueue(jobs, { pollingIntervalSeconds: 0.5 }),
      pairs,
      clock: () => new Date(),
      newId: randomUUID,
      log,
      // Compressed: a field only the portals' own sync can carry is given up on after ~3 s, not minutes.
      verifyScheduleSeconds: [1, 1, 1],
    };
    const engine = createSyncEngine(context, engineOptions);
    engine.api.subscribe(recorder);
    await engine.start();
    return { context, engine };
  };

  let running = await build();
  const harness: SyncHarness = {
    sims,
    control: sims.control,
    store,
    get context() {
      return running.context;
    },
    get engine() {
      return running.engine;
    },
    events,
    async restartEngine() {
      await running.engine.stop();
      await jobs.stop({ graceful: true, timeoutMs: 10_000 });
      jobs = await createBossQueue({ db, onError: () => undefined });
      running = await build();
    },
    async newIncident(title, extra = {}) {
      const { incidentId } = sims.control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title, severity: extra.severity ?? 'medium', ...(extra.correlationKey ? { correlationKey: extra.correlationKey } : {}) });
      const link = await waitFor(`the link of Defender incident ${incidentId} to be synced with Sentinel`, async () => {
        const found = await store.links.findByDefenderId(PAIR_ID, incidentId);
        return found && found.sentinelId && found.sentinelView && Object.keys(found.snapshot).length > 0 && found.snapshot['sentinelSeen'] === true ? found : null;
      });
      return { defenderId: incidentId, sentinelName: link.sentinelId!, sentinelNumber: link.sentinelNumber!, linkId: link.linkId };
    },
    link: (defenderId) => store.links.findByDefenderId(PAIR_ID, defenderId),
    finalOutcome: (requestId, timeoutMs = 20_000) =>
      waitFor(
        `the final outcome of edit ${requestId}`,
        async () => {
          const outcome = (await store.editRequests.get(requestId))?.outcome;
          return outcome && isFinalEditState(outcome.state) ? outcome : null;
        },
        timeoutMs,
      ),
    defender(id) {
      const found = sims.control.defenderIncidents().find((incident) => incident.id === id);
      if (!found) throw new Error(`no Defender incident ${id} in the simulator`);
      return found;
    },
    sentinel(name) {
      const found = sims.control.sentinelIncidents().find((incident) => incident.name === name);
      if (!found) throw new Error(`no Sentinel incident ${name} in the simulator`);
      return found;
    },
    sentinelComments: (name) => sims.control.sentinelComments(name),
    eventsFor: (linkId) => events.filter((event) => event.linkId === linkId),
    async afterPolls(count) {
      const polls = () => running.engine.watcherStatus()[PAIR_ID]?.polls ?? 0;
      const target = polls() + count;
      await waitFor(`${count} more watcher polls`, () => polls() >= target);
    },
    requestCounts() {
      const { counts } = sims.control.requests();
      return { graph: counts.graph ?? 0, arm: counts.arm ?? 0, entra: counts.entra ?? 0 };
    },
    async close() {
      await running.engine.stop().catch(() => undefined);
      await jobs.stop({ graceful: false, timeoutMs: 2_000 }).catch(() => undefined);
      await store.close().catch(() => undefined);
      await sims.close().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}
