// Many (tenant, workspace) pairs served by simulators in the caller's process (one simulated tenant
// per pair, as an MSSP's customers), and bridge replicas as child processes watching them on one
// PostgreSQL database of their own. Then the replica scenario the reliability test asserts on and
// bench/replicas.ts reports: the spread across two replicas, the rebalance after a kill -9, a
// kill -9 of the only replica and its restart under the same name, another replica waiting out a
// dead one's leases, and a replica joining a busy one. Every step waits for states, never for time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { RunningSimulators } from '../../../src/simulators/index.ts';
import { WATCHER_LEASE_PREFIX } from '../../../src/sync/watcher-share.ts';
import { replicaEnvironment, startReplica, waitFor, type ReplicaProcess } from './replica-process.ts';
import type { WatcherReport } from './replica.ts';
import { LOCAL_TENANT, startLocalSimulators } from './simulators.ts';

export interface ReplicaFleet {
  simulators: RunningSimulators;
  pairIds: string[];
  pollSeconds: number;
  /** The pair watcher lease's TTL for this poll interval (src/sync/engine.ts). */
  leaseTtlMs: number;
  /** Starts (or restarts, on its own data directory) the replica of that name. */
  start(name: string): Promise<ReplicaProcess>;
  /** The pair watcher leases in the store: pair id -> holder and expiry (epoch ms, the database's clock). */
  watchLeases(): Promise<Map<string, { holder: string; expiresAt: number }>>;
  close(): Promise<void>;
}

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0');
}

function pairOf(index: number) {
  if (index === 0) return { id: 'customer-00', ...LOCAL_TENANT };
  return {
    id: `customer-${String(index).padStart(2, '0')}`,
    tenantId: `00000000-0000-4000-8002-0000${hex(index, 8)}`,
    subscriptionId: `00000000-0000-4000-8001-0000${hex(index, 8)}`,
    resourceGroup: `rg-customer-${index}`,
    workspace: `ws-customer-${index}`,
    clientId: LOCAL_TENANT.clientId,
    clientSecret: LOCAL_TENANT.clientSecret,
  };
}

async function admin<Row extends pg.QueryResultRow>(postgresUrl: string, sql: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return (await client.query<Row>(sql)).rows;
  } finally {
    await client.end();
  }
}

export async function startReplicaFleet(options: { pairs: number; pollSeconds: number; postgresUrl: string }): Promise<ReplicaFleet> {
  const pairs = Array.from({ length: options.pairs }, (_, index) => pairOf(index));
  const simDir = mkdtempSync(join(tmpdir(), 'ib-fleet-sim-'));
  const simulators = await startLocalSimulators(simDir, {
    additionalTenants: pairs.slice(1).map((pair) => ({ tenantId: pair.tenantId, subscriptionId: pair.subscriptionId, resourceGroup: pair.resourceGroup, workspace: pair.workspace })),
  }).catch((error: unknown) => {
    rmSync(simDir, { recursive: true, force: true });
    throw error;
  });
  const database = `ib_fleet_${randomBytes(4).toString('hex')}`;
  await admin(options.postgresUrl, `CREATE DATABASE ${database}`).catch(async (error: unknown) => {
    await simulators.close();
    rmSync(simDir, { recursive: true, force: true });
    throw error;
  });
  const url = new URL(options.postgresUrl);
  url.pathname = `/${database}`;
  const syncPairs = JSON.stringify(pairs.map((pair) => ({ ...pair, clientId: LOCAL_TENANT.clientId, clientSecret: LOCAL_TENANT.clientSecret })));
  const dataDirs = new Map<string, string>();
  const running = new Set<ReplicaProcess>();
  return {
    simulators,
    pairIds: pairs.map((pair) => pair.id),
    pollSeconds: options.pollSeconds,
    leaseTtlMs: Math.max(15_000, options.pollSeconds * 5 * 1000),
    async start(name) {
      let dataDir = dataDirs.get(name);
      if (!dataDir) {
        dataDir = mkdtempSync(join(tmpdir(), `ib-fleet-${name}-`));
        dataDirs.set(name, dataDir);
      }
      const environment = { ...replicaEnvironment(simulators, { dataDir, databaseUrl: url.toString(), pollIntervalSeconds: options.pollSeconds, replicaName: name }), SYNC_PAIRS: syncPairs };
      const replica = await startReplica(environment, { startTimeoutMs: 120_000 });
      running.add(replica);
      void replica.exited.then(() => running.delete(replica));
      return replica;
    },
    async watchLeases() {
      const rows = await admin<{ name: string; holder_id: string; expires_at: Date }>(url.toString(), `SELECT name, holder_id, expires_at FROM leases WHERE starts_with(name, '${WATCHER_LEASE_PREFIX}')`);
      return new Map(rows.map((row) => [row.name.slice(WATCHER_LEASE_PREFIX.length), { holder: row.holder_id, expiresAt: row.expires_at.getTime() }]));
    },
    async close() {
      for (const replica of running) await replica.stop().catch(() => undefined);
      await simulators.close();
      await admin(options.postgresUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
      for (const dir of [simDir, ...dataDirs.values()]) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The pairs a replica polls now (it holds the lease and has polled since it started). */
export function pollingPairs(report: WatcherReport): string[] {
  return Object.entries(report.watchers)
    .filter(([, status]) => status.holdsLease && status.firstSuccessAt !== undefined)
    .map(([pairId]) => pairId);
}

/** The pairs whose lease a replica holds now (polling, or about to poll for the first time). */
function leasedPairs(report: WatcherReport): string[] {
  return Object.entries(report.watchers)
    .filter(([, status]) => status.holdsLease)
    .map(([pairId]) => pairId);
}

export interface SpreadSample {
  counts: number[];
  /** Pairs no replica polls, and pairs more than one claims to poll. */
  unwatched: number;
  doubled: number;
}

export async function spreadOf(replicas: readonly ReplicaProcess[], pairIds: readonly string[], by: 'polling' | 'lease' = 'polling'): Promise<SpreadSample> {
  const pairsOf = by === 'polling' ? pollingPairs : leasedPairs;
  const polled = await Promise.all(replicas.map(async (replica) => pairsOf(await replica.watchers())));
  const owners = new Map<string, number>();
  for (const pairs of polled) for (const pair of pairs) owners.set(pair, (owners.get(pair) ?? 0) + 1);
  return {
    counts: polled.map((pairs) => pairs.length),
    unwatched: pairIds.filter((pair) => !owners.has(pair)).length,
    doubled: [...owners.values()].filter((count) => count > 1).length,
  };
}

function balanced(sample: SpreadSample, pairs: number): boolean {
  return sample.unwatched === 0 && sample.doubled === 0 && Math.max(...sample.counts) <= Math.ceil(pairs / sample.counts.length);
}

export interface ReplicaScenarioResult {
  pairs: number;
  pollMs: number;
  leaseTtlMs: number;
  /**
   * A second replica joining one that polls every pair: from its start until both hold a fair share
   * of the leases, and until both poll them (the newcomer's first polls done).
   */
  join: Convergence;
  /** Samples of the two replicas' shares once converged (one a poll interval). */
  spreadSamples: SpreadSample[];
  /** kill -9 of one of two: until the survivor holds every pair's lease, and until it has polled each. */
  rebalanceAfterKill: { leasesTakenMs: number; allPollingMs: number };
  /** kill -9 of the only replica, restarted under its name. */
  restart: {
    /** Process start until the bridge is up (the start-up itself, not lease waiting). */
    startUpMs: number;
    /** From the restarted engine's start until it holds every pair's lease again and is polling it. */
    resumeMs: number;
    /** From the restarted engine's start until the first poll of every pair completed (tokens, listings). */
    firstPollsDoneMs: number;
    killToAllPollingMs: number;
  };
  /** kill -9 of the only replica, then another replica (another name) started. */
  otherReplica: {
    /** Until the dead replica's last watcher lease expired (when it stopped renewing, plus the TTL). */
    lastExpiryAfterKillMs: number;
    /** Until the other replica took its first pair. */
    firstTakenAfterKillMs: number;
    /** Pairs it took before the dead replica's lease on them expired (must be none). */
    takenEarly: number;
  };
  /** The killed replica back under its name beside the other, as `join`. */
  rejoin: Convergence;
}

export interface Convergence {
  leasesMs: number;
  pollingMs: number;
  /**
   * The busy replica's watcher rounds until the leases were shared: the most polls any pair it kept
   * made meanwhile. The machine's load stretches the milliseconds, not the rounds.
   */
  busyRounds: number;
}

function pollsPerPair(report: WatcherReport): Map<string, number> {
  return new Map(Object.entries(report.watchers).map(([pairId, status]) => [pairId, status.polls]));
}

const SAMPLE_MS = 100;

async function until<T>(what: string, condition: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  return waitFor(what, condition, timeoutMs, SAMPLE_MS);
}

/** Runs the scenario on a fleet; each step waits for a state and times it. */
export async function runReplicaScenario(fleet: ReplicaFleet): Promise<ReplicaScenarioResult> {
  const pairs = fleet.pairIds.length;
  const pollMs = fleet.pollSeconds * 1000;
  const stateTimeout = fleet.leaseTtlMs + 60_000;
  const allPolled = async (replica: ReplicaProcess) => pollingPairs(await replica.watchers()).length === pairs;

  let a = await fleet.start('replica-a');
  await until('replica-a polls every pair', () => allPolled(a), stateTimeout);

  /** Starts the newcomer beside the busy replica (which polls every pair) and times their sharing. */
  const converge = async (what: string, busy: ReplicaProcess, newcomer: string): Promise<[ReplicaProcess, Convergence]> => {
    const joined = await fleet.start(newcomer);
    const since = Date.now();
    const pollsBefore = pollsPerPair(await busy.watchers());
    await until(`${what}: leases`, async () => balanced(await spreadOf([busy, joined], fleet.pairIds, 'lease'), pairs), stateTimeout);
    const leasesMs = Date.now() - since;
    const kept = await busy.watchers();
    const busyRounds = Math.max(...pollingPairs(kept).map((pairId) => kept.watchers[pairId]!.polls - (pollsBefore.get(pairId) ?? 0)));
    await until(`${what}: polls`, async () => balanced(await spreadOf([busy, joined], fleet.pairIds), pairs), stateTimeout);
    return [joined, { leasesMs, pollingMs: Date.now() - since, busyRounds }];
  };

  const [joined, join] = await converge('two replicas share the pairs', a, 'replica-b');
  let b = joined;
  const spreadSamples: SpreadSample[] = [];
  const pollsOfB = async () => Object.values((await b.watchers()).watchers).reduce((sum, status) => sum + status.polls, 0);
  for (let sample = 0; sample < 5; sample++) {
    const before = await pollsOfB();
    const spread = await spreadOf([a, b], fleet.pairIds);
    spreadSamples.push(spread);
    // One sample a round of polls: b has polled each of its pairs again (a state, not a sleep).
    await until('a round of polls', async () => (await pollsOfB()) >= before + (spread.counts[1] ?? 1), stateTimeout);
  }

  await a.kill9();
  const killedA = Date.now();
  const survivor = await until('the survivor polls every pair', async () => {
    const report = await b.watchers();
    return pollingPairs(report).length === pairs ? report : null;
  }, stateTimeout);
  const rebalanceAfterKill = {
    // The newest lease the survivor holds is the last of the dead replica's it took.
    leasesTakenMs: Math.max(...Object.values(survivor.watchers).map((status) => Date.parse(status.heldSince!))) - killedA,
    allPollingMs: Date.now() - killedA,
  };

  await b.kill9();
  const killedB = Date.now();
  const spawned = Date.now();
  b = await fleet.start('replica-b');
  const startUpMs = Date.now() - spawned;
  const resumed = await until('the restarted replica polls every pair', async () => {
    const report = await b.watchers();
    return pollingPairs(report).length === pairs ? report : null;
  }, stateTimeout);
  const killToAllPollingMs = Date.now() - killedB;
  const engineStart = Date.parse(resumed.startedAt!);
  const resumeMs = Math.max(...Object.values(resumed.watchers).map((status) => Date.parse(status.heldSince!))) - engineStart;
  const firstPollsDoneMs = Math.max(...Object.values(resumed.watchers).map((status) => Date.parse(status.firstSuccessAt!))) - engineStart;

  await b.kill9();
  const killedAgain = Date.now();
  const orphaned = await fleet.watchLeases();
  a = await fleet.start('replica-a');
  const taken = await until('the other replica polls every pair', async () => {
    const report = await a.watchers();
    return pollingPairs(report).length === pairs ? report : null;
  }, stateTimeout);
  const takenAt = new Map(Object.entries(taken.watchers).map(([pairId, status]) => [pairId, Date.parse(status.heldSince!)]));
  // The database keeps microseconds, the replica's clock milliseconds: 1 ms either way is the same instant.
  const takenEarly = [...orphaned].filter(([pairId, lease]) => (takenAt.get(pairId) ?? Infinity) < lease.expiresAt - 1).length;
  const otherReplica = {
    lastExpiryAfterKillMs: Math.max(...[...orphaned.values()].map((lease) => lease.expiresAt)) - killedAgain,
    firstTakenAfterKillMs: Math.min(...takenAt.values()) - killedAgain,
    takenEarly,
  };

  const [, rejoin] = await converge('the two replicas share the pairs again', a, 'replica-b');

  return {
    pairs,
    pollMs,
    leaseTtlMs: fleet.leaseTtlMs,
    join,
    spreadSamples,
    rebalanceAfterKill,
    restart: { startUpMs, resumeMs, firstPollsDoneMs, killToAllPollingMs },
    otherReplica,
    rejoin,
  };
}
