// One pair at the documented limits, the bridge in its own process (embedded PGlite, then a
// PostgreSQL server for its peak RSS):
//   - change -> change event and change -> both portals agree, p50/p95, against the poll interval;
//   - idle list calls per portal per poll;
//   - first sight of N new incidents (linked and announced) against the floor the rate limits
//     allow, naming the limit that sets it;
//   - a burst of N Defender changes until Sentinel agrees, against its floor, and calls per change;
//   - peak RSS (VmHWM) embedded and with the PostgreSQL server.
import { randomBytes } from 'node:crypto';
import { DEFAULT_ARM_BUCKET, DEFAULT_GRAPH_REQUESTS_PER_MINUTE } from '../../src/simulators/options.ts';
import type { RunningSimulators } from '../../src/simulators/index.ts';
import { replicaEnvironment, startReplica, waitFor, type ReplicaProcess } from '../../test/reliability/support/replica-process.ts';
import { startLocalSimulators } from '../../test/reliability/support/simulators.ts';
import { verdict, type FigureRow } from './figure-table.ts';
import { ARM_PAGE, GRAPH_PAGE, isListCall, latestSeq, note, p50p95, raiseIncidents, recordRequests, tempDir, waitCreated, withPostgresDatabase, type SyncBenchSettings } from './sync-bench.ts';
import { percentile } from './percentile.ts';

function portalCalls(simulators: RunningSimulators): number {
  const counts = simulators.control.requests().counts;
  return counts.graph + counts.arm;
}

/** The floor of listing `pages` Graph pages, `armReads` ARM reads and `armWrites` ARM writes at the documented limits. */
export function rateFloor(graphPages: number, armReads: number, armWrites: number, pollSeconds: number): { seconds: number; limit: string; detail: string } {
  const graph = (graphPages / DEFAULT_GRAPH_REQUESTS_PER_MINUTE) * 60;
  const reads = Math.max(0, armReads - DEFAULT_ARM_BUCKET.readCapacity) / DEFAULT_ARM_BUCKET.readRefillPerSecond;
  const writes = Math.max(0, armWrites - DEFAULT_ARM_BUCKET.writeCapacity) / DEFAULT_ARM_BUCKET.writeRefillPerSecond;
  const candidates = [
    { seconds: graph, limit: `Graph ${graphPages} pages @${DEFAULT_GRAPH_REQUESTS_PER_MINUTE}/min` },
    { seconds: reads, limit: `ARM ${armReads} reads, ${DEFAULT_ARM_BUCKET.readCapacity} + ${DEFAULT_ARM_BUCKET.readRefillPerSecond}/s` },
    { seconds: writes, limit: `ARM ${armWrites} writes, ${DEFAULT_ARM_BUCKET.writeCapacity} + ${DEFAULT_ARM_BUCKET.writeRefillPerSecond}/s` },
    { seconds: pollSeconds, limit: `one poll (${pollSeconds} s)` },
  ];
  const binding = candidates.reduce((max, candidate) => (candidate.seconds > max.seconds ? candidate : max));
  return { seconds: binding.seconds, limit: binding.limit, detail: candidates.slice(0, 3).map((candidate) => `${candidate.limit} = ${candidate.seconds.toFixed(1)} s`).join('; ') };
}

async function measureLatency(simulators: RunningSimulators, replica: ReplicaProcess, ids: string[], samples: number, pollSeconds: number): Promise<FigureRow[]> {
  const toEvent: number[] = [];
  const toAgree: number[] = [];
  for (let i = 0; i < samples; i++) {
    const defenderId = ids[i % ids.length]!;
    const sentinelName = simulators.control.sentinelCounterpart(defenderId)!.name;
    const title = `Latency sample ${i} ${randomBytes(3).toString('hex')}`;
    const afterSeq = await latestSeq(replica);
    // Alternate the portal the analyst works in.
    const started = Date.now();
    if (i % 2 === 0) simulators.control.analystUpdateDefenderIncident(defenderId, { displayName: title }, 'ann.lee@contoso.com');
    else simulators.control.analystUpdateSentinelIncident(sentinelName, { title }, 'bob.stone@contoso.com');
    let eventAt = 0;
    let agreeAt = 0;
    await waitFor(`latency sample ${i}`, async () => {
      if (!agreeAt) {
        const d = simulators.control.defenderIncidents().find((incident) => incident.id === defenderId);
        const s = simulators.control.sentinelCounterpart(defenderId);
        if (d?.displayName === title && s?.title === title) agreeAt = Date.now();
      }
      if (!eventAt) {
        const events = await replica.events(afterSeq, 500);
        if (events.some((event) => event.changes.some((change) => change.field === 'title' && change.to === title))) eventAt = Date.now();
      }
      return eventAt > 0 && agreeAt > 0;
    }, 60_000, 25);
    toEvent.push(eventAt - started);
    toAgree.push(agreeAt - started);
  }
  return [
    { figure: `change -> change event (${samples} samples)`, measured: p50p95(toEvent), reference: `poll ${pollSeconds} s`, target: 'p95 <= 5 s', verdict: verdict(percentile(toEvent, 95) <= 5000) },
    { figure: 'change -> both portals agree', measured: p50p95(toAgree), reference: `poll ${pollSeconds} s`, target: 'p95 <= 5 s', verdict: verdict(percentile(toAgree, 95) <= 5000) },
  ];
}

/** List calls per portal per poll while nothing changes. */
async function measureIdle(simulators: RunningSimulators, windowMs: number, pollSeconds: number): Promise<FigureRow[]> {
  const recording = recordRequests(simulators);
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const entries = recording.stop().filter((entry) => entry.method === 'GET');
  const polls = windowMs / (pollSeconds * 1000);
  return (['graph', 'arm'] as const).map((api) => {
    const lists = entries.filter((entry) => entry.api === api && isListCall(entry)).length;
    const other = entries.filter((entry) => entry.api === api).length - lists;
    const perPoll = lists / polls;
    return { figure: `idle ${api === 'graph' ? 'Graph' : 'ARM'} list calls per poll (${windowMs / 1000} s)`, measured: `${perPoll.toFixed(2)} (+${other} other GETs)`, reference: `${polls} polls`, target: '<= 1', verdict: verdict(perPoll <= 1.05) };
  });
}

async function measureFirstSight(simulators: RunningSimulators, replica: ReplicaProcess, count: number, pollSeconds: number): Promise<{ ids: string[]; row: FigureRow }> {
  const afterSeq = await latestSeq(replica);
  const started = Date.now();
  const ids = raiseIncidents(simulators, count, 'Burst incident');
  await waitCreated(replica, ids, `${count} incidents linked`, afterSeq);
  const elapsedS = (Date.now() - started) / 1000;
  // New incidents cost a Graph list page per 50, an ARM list page per 1,000 and no write (the
  // Sentinel copy already agrees).
  const floor = rateFloor(Math.ceil(count / GRAPH_PAGE), Math.ceil(count / ARM_PAGE), 0, pollSeconds);
  const ratio = elapsedS / floor.seconds;
  return {
    ids,
    row: { figure: `first sight of ${count} new incidents (linked and announced)`, measured: `${elapsedS.toFixed(1)} s = ${ratio.toFixed(2)}x floor`, reference: `floor ${floor.seconds.toFixed(1)} s, set by ${floor.limit} (${floor.detail})`, target: '<= 1.5x', verdict: verdict(ratio <= 1.5) },
  };
}

async function measureBurst(simulators: RunningSimulators, ids: string[], pollSeconds: number): Promise<FigureRow[]> {
  const callsBefore = portalCalls(simulators);
  const started = Date.now();
  const titles = new Map<string, string>();
  for (const [i, id] of ids.entries()) {
    const title = `Burst change ${i}`;
    titles.set(id, title);
    simulators.control.analystUpdateDefenderIncident(id, { displayName: title }, 'ann.lee@contoso.com');
  }
  await waitFor('burst converged', () => {
    const byProvider = new Map(simulators.control.sentinelIncidents().map((incident) => [incident.providerIncidentId, incident.title]));
    return [...titles].every(([id, title]) => byProvider.get(id) === title);
  }, 60 * 60_000, 500);
  const elapsedS = (Date.now() - started) / 1000;
  const calls = portalCalls(simulators) - callsBefore;
  const listPages = Math.ceil(ids.length / GRAPH_PAGE);
  const floor = rateFloor(listPages, 0, ids.length, pollSeconds);
  const ratio = elapsedS / floor.seconds;
  const minimum = (listPages + ids.length) / ids.length;
  return [
    { figure: `burst of ${ids.length} Defender changes -> Sentinel agrees`, measured: `${elapsedS.toFixed(1)} s = ${ratio.toFixed(2)}x floor`, reference: `floor ${floor.seconds.toFixed(1)} s, set by ${floor.limit} (${floor.detail})`, target: '<= 1.2x', verdict: verdict(ratio <= 1.2) },
    { figure: 'portal API calls per change (burst)', measured: (calls / ids.length).toFixed(2), reference: `minimum ${minimum.toFixed(2)} (1 ARM write + 1/${GRAPH_PAGE} Graph list page)`, target: '-', verdict: '-' },
  ];
}

export async function singlePairFigures(settings: SyncBenchSettings): Promise<FigureRow[]> {
  const rows: FigureRow[] = [];
  const dirs = [tempDir('ib-bench-sim-'), tempDir('ib-bench-data-'), tempDir('ib-bench-pg-')] as const;
  const simulators = await startLocalSimulators(dirs[0].path, { graphRequestsPerMinute: DEFAULT_GRAPH_REQUESTS_PER_MINUTE, armBucket: DEFAULT_ARM_BUCKET });
  const { pollSeconds } = settings;
  const idleWindowMs = settings.quick ? 10_000 : 20_000;
  try {
    note('one pair, embedded (PGlite) replica: starting');
    const embedded = await startReplica(replicaEnvironment(simulators, { dataDir: dirs[1].path, pollIntervalSeconds: pollSeconds }));
    let rssEmbedded: number | null = null;
    try {
      note('latency: creating sample incidents');
      const sample = raiseIncidents(simulators, 10, 'Latency incident');
      await waitCreated(embedded, sample, 'sample incidents linked');
      note('latency: measuring');
      rows.push(...(await measureLatency(simulators, embedded, sample, settings.quick ? 8 : 20, pollSeconds)));
      note('idle: measuring');
      rows.push(...(await measureIdle(simulators, idleWindowMs, pollSeconds)));
      note(`first sight: raising ${settings.incidents} incidents and waiting for the bridge to announce them`);
      const firstSight = await measureFirstSight(simulators, embedded, settings.incidents, pollSeconds);
      rows.push(firstSight.row);
      note('burst: changing them all in Defender');
      rows.push(...(await measureBurst(simulators, firstSight.ids, pollSeconds)));
      rssEmbedded = embedded.peakRssMb();
    } finally {
      rssEmbedded ??= embedded.peakRssMb();
      await embedded.stop();
    }
    rows.push({ figure: 'peak RSS, embedded PGlite (one pair, all of the above)', measured: `${rssEmbedded?.toFixed(0) ?? 'n/a'} MB`, reference: 'VmHWM of the bridge process', target: '<= 600 MB', verdict: verdict(rssEmbedded !== null && rssEmbedded <= 600) });

    note('one pair, PostgreSQL replica: linking every incident from a fresh database, then idle');
    const pgResult = await withPostgresDatabase(settings.postgresUrl, async (databaseUrl) => {
      const replica = await startReplica(replicaEnvironment(simulators, { dataDir: dirs[2].path, databaseUrl, pollIntervalSeconds: pollSeconds }));
      try {
        const ids = simulators.control.defenderIncidents().map((incident) => incident.id);
        await waitCreated(replica, ids, 'PostgreSQL replica linked everything');
        await new Promise((resolve) => setTimeout(resolve, idleWindowMs / 2));
        return { rss: replica.peakRssMb(), total: ids.length };
      } finally {
        await replica.stop();
      }
    });
    if (typeof pgResult === 'string') rows.push({ figure: 'peak RSS, PostgreSQL server', measured: 'not measured', reference: pgResult, target: '<= 250 MB', verdict: 'n/a' });
    else rows.push({ figure: `peak RSS, PostgreSQL server (backfilling ${pgResult.total} incidents)`, measured: `${pgResult.rss?.toFixed(0) ?? 'n/a'} MB`, reference: 'VmHWM of the bridge process', target: '<= 250 MB', verdict: verdict(pgResult.rss !== null && pgResult.rss <= 250) });
  } finally {
    await simulators.close();
    for (const dir of dirs) dir.remove();
  }
  return rows;
}
