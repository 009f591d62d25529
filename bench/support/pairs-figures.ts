// P pairs (default 50) on one replica with the PostgreSQL server, each its own simulated tenant
// with its own Graph budget and ARM buckets:
//   - idle: list calls per portal per pair per poll, once every pair's first-start backfill is done;
//   - change -> both portals agree, one change in every pair at once, p50/p95 over the pairs;
//   - peak RSS (VmHWM).
import { randomBytes } from 'node:crypto';
import { DEFAULT_ARM_BUCKET, DEFAULT_GRAPH_REQUESTS_PER_MINUTE } from '../../src/simulators/options.ts';
import type { AdditionalTenantOptions } from '../../src/simulators/options.ts';
import type { RunningSimulators } from '../../src/simulators/index.ts';
import { replicaEnvironment, startReplica, waitFor, type ReplicaProcess } from '../../test/reliability/support/replica-process.ts';
import { LOCAL_TENANT, startLocalSimulators } from '../../test/reliability/support/simulators.ts';
import { verdict, type FigureRow } from './figure-table.ts';
import { isListCall, note, p50p95, raiseIncidents, recordRequests, tempDir, waitCreated, withPostgresDatabase, type SyncBenchSettings } from './sync-bench.ts';
import { percentile } from './percentile.ts';

interface BenchPair extends AdditionalTenantOptions {
  id: string;
}

function pairsOf(count: number): BenchPair[] {
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  return Array.from({ length: count }, (_, i) =>
    i === 0
      ? { id: 'pair-00', tenantId: LOCAL_TENANT.tenantId, subscriptionId: LOCAL_TENANT.subscriptionId, resourceGroup: LOCAL_TENANT.resourceGroup, workspace: LOCAL_TENANT.workspace }
      : { id: `pair-${String(i).padStart(2, '0')}`, tenantId: `00000000-0000-4000-8000-00000001${hex(i)}`, subscriptionId: `00000000-0000-4000-8000-00000002${hex(i)}`, resourceGroup: `rg-${i}`, workspace: `ws-${i}` },
  );
}

/** Every pair polled, and its first-start backfill walked (its listings are not the idle cost). */
async function allPollingAndBackfilled(replica: ReplicaProcess, pairs: readonly BenchPair[]): Promise<void> {
  await waitFor('every pair polling, its backfill done', async () => {
    const { watchers } = await replica.watchers();
    return pairs.every((pair) => (watchers[pair.id]?.polls ?? 0) > 0 && watchers[pair.id]?.backfilled);
  }, 10 * 60_000, 500);
}

/**
 * List calls per portal per pair per poll while nothing changes. A pair's polls of a portal are
 * counted from its list calls' times (ARM's name the workspace in the path, Graph's are logged with
 * the tenant that served them): the span from the first to the last, in poll intervals, plus one;
 * more calls than that would be more than one a poll.
 */
async function measureIdle(simulators: RunningSimulators, pairs: readonly BenchPair[], windowMs: number, pollSeconds: number): Promise<FigureRow[]> {
  const recording = recordRequests(simulators);
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const lists = recording.stop().filter(isListCall);
  const perPoll = (api: 'graph' | 'arm', pair: BenchPair) => {
    const times = lists
      .filter((entry) => entry.api === api && (api === 'arm' ? entry.url.includes(`/subscriptions/${pair.subscriptionId}/`) : entry.tenantId === pair.tenantId))
      .map((entry) => Date.parse(entry.at));
    const polls = times.length === 0 ? 0 : Math.floor((Math.max(...times) - Math.min(...times)) / (pollSeconds * 1000)) + 1;
    return { calls: times.length, polls };
  };
  return (['graph', 'arm'] as const).map((api) => {
    const counts = pairs.map((pair) => perPoll(api, pair));
    const ratios = counts.map((count) => count.calls / Math.max(1, count.polls));
    const worst = Math.max(...ratios);
    const polls = counts.reduce((sum, count) => sum + count.polls, 0);
    return {
      figure: `idle ${api === 'graph' ? 'Graph' : 'ARM'} list calls per pair per poll (${pairs.length} pairs, ${windowMs / 1000} s)`,
      measured: `mean ${(ratios.reduce((a, b) => a + b, 0) / pairs.length).toFixed(2)}, worst pair ${worst.toFixed(2)}`,
      reference: `per pair: its polls in the window (${polls} in all)`,
      target: '<= 1',
      verdict: verdict(worst <= 1),
    };
  });
}

/** One title change per pair at once (alternating the portal), each timed until both portals show it. */
async function measureAgreement(simulators: RunningSimulators, pairs: readonly BenchPair[], incidentOf: ReadonlyMap<string, string>): Promise<number[]> {
  const started = Date.now();
  const pending = new Map(
    pairs.map((pair, i) => {
      const control = simulators.controlFor(pair.tenantId);
      const defenderId = incidentOf.get(pair.id)!;
      const title = `Pair change ${i} ${randomBytes(3).toString('hex')}`;
      if (i % 2 === 0) control.analystUpdateDefenderIncident(defenderId, { displayName: title }, 'ann.lee@contoso.com');
      else control.analystUpdateSentinelIncident(control.sentinelCounterpart(defenderId)!.name, { title }, 'bob.stone@contoso.com');
      return [pair.id, { pair, defenderId, title }] as const;
    }),
  );
  const times: number[] = [];
  await waitFor('every pair agrees', () => {
    for (const [id, { pair, defenderId, title }] of pending) {
      const control = simulators.controlFor(pair.tenantId);
      if (control.defenderIncidents().find((incident) => incident.id === defenderId)?.displayName === title && control.sentinelCounterpart(defenderId)?.title === title) {
        times.push(Date.now() - started);
        pending.delete(id);
      }
    }
    return pending.size === 0;
  }, 10 * 60_000, 25);
  return times;
}

export async function pairsFigures(settings: SyncBenchSettings): Promise<FigureRow[]> {
  const pairs = pairsOf(settings.pairs);
  const dirs = [tempDir('ib-bench-pairs-sim-'), tempDir('ib-bench-pairs-data-')] as const;
  const simulators = await startLocalSimulators(dirs[0].path, { graphRequestsPerMinute: DEFAULT_GRAPH_REQUESTS_PER_MINUTE, armBucket: DEFAULT_ARM_BUCKET, additionalTenants: pairs.slice(1) });
  try {
    const incidentOf = new Map(pairs.map((pair) => [pair.id, raiseIncidents(simulators, 1, `Incident of ${pair.id}`, pair.tenantId)[0]!]));
    note(`${pairs.length} pairs, PostgreSQL replica: starting, linking one incident per pair`);
    const result = await withPostgresDatabase(settings.postgresUrl, async (databaseUrl) => {
      const env = { ...replicaEnvironment(simulators, { dataDir: dirs[1].path, databaseUrl, pollIntervalSeconds: settings.pollSeconds }), SYNC_PAIRS: JSON.stringify(pairs.map(({ id, tenantId, subscriptionId, resourceGroup, workspace }) => ({ id, tenantId, subscriptionId, resourceGroup, workspace }))) };
      const replica = await startReplica(env, { startTimeoutMs: 5 * 60_000 });
      try {
        await waitCreated(replica, incidentOf.values(), 'one incident linked in every pair');
        await allPollingAndBackfilled(replica, pairs);
        note(`${pairs.length} pairs: idle`);
        const idle = await measureIdle(simulators, pairs, settings.quick ? 10_000 : 20_000, settings.pollSeconds);
        note(`${pairs.length} pairs: one change in every pair at once`);
        const agree = await measureAgreement(simulators, pairs, incidentOf);
        return { idle, agree, rss: replica.peakRssMb() };
      } finally {
        await replica.stop();
      }
    });
    if (typeof result === 'string') return [{ figure: `${pairs.length} pairs on one replica`, measured: 'not measured', reference: result, target: '-', verdict: 'n/a' }];
    return [
      ...result.idle,
      { figure: `change -> both portals agree, a change in each of ${pairs.length} pairs at once`, measured: p50p95(result.agree), reference: `poll ${settings.pollSeconds} s; each pair its own tenant's Graph budget and ARM buckets`, target: 'p95 <= 5 s per pair', verdict: verdict(percentile(result.agree, 95) <= 5000) },
      { figure: `peak RSS, ${pairs.length} pairs, PostgreSQL server`, measured: `${result.rss?.toFixed(0) ?? 'n/a'} MB`, reference: 'VmHWM of the bridge process', target: '<= 300 MB', verdict: verdict(result.rss !== null && result.rss <= 300) },
    ];
  } finally {
    await simulators.close();
    for (const dir of dirs) dir.remove();
  }
}
