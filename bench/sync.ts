// npm run bench:sync [-- --quick]: sync figures against the simulators in one run, native portal
// sync off and the documented rate limits configured (Graph 150 requests/min per app, $top 50;
// ARM writes: a bucket of 200 refilled 10/s; reads 250 + 25/s). The bridge runs as a child process
// so its own peak RSS can be read (/proc/<pid>/status VmHWM).
//
//   1. latency: single changes at the default poll interval; change -> change event, and change ->
//      both portals agree, p50/p95 against the poll interval;
//   2. idle: list calls per portal per poll while nothing changes;
//   3. burst: N incidents changed in Defender at once -> time until Sentinel shows all of them, as a
//      ratio to the floor the rate limits allow, and portal calls per change against the minimum;
//   4. peak RSS, embedded (PGlite) and with the PostgreSQL server (DATABASE_URL or the local default).
// Targets (reported, not asserted): p95 <= 5 s; burst <= 1.2x floor; <= 1 list call per portal per
// poll while idle; RSS <= 250 MB with PostgreSQL, <= 600 MB embedded.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DEFAULT_ARM_BUCKET, DEFAULT_GRAPH_REQUESTS_PER_MINUTE } from '../src/simulators/options.ts';
import type { RunningSimulators } from '../src/simulators/index.ts';
import { replicaEnvironment, startReplica, waitFor, type ReplicaProcess } from '../test/reliability/support/replica-process.ts';
import { startLocalSimulators } from '../test/reliability/support/simulators.ts';
import { formatFigureTable, type FigureRow } from './support/figure-table.ts';

const quick = process.argv.includes('--quick');
const BURST = quick ? 200 : 2000;
const LATENCY_SAMPLES = quick ? 8 : 20;
const IDLE_WINDOW_MS = quick ? 10_000 : 20_000;
const POLL_SECONDS = 2; // the product default (src/config/config.ts)
const GRAPH_PAGE = 50; // Graph $top maximum
const POSTGRES_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

const rows: FigureRow[] = [];
const note = (message: string) => process.stdout.write(`  .. ${message}\n`);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

function portalCalls(simulators: RunningSimulators): number {
  const counts = simulators.control.requests().counts;
  return counts.graph + counts.arm;
}

/** Creates `count` Defender incidents (each imported into Sentinel) and waits until the bridge announced all. */
async function createIncidents(simulators: RunningSimulators, replica: ReplicaProcess, count: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(simulators.control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: `${prefix} ${i}`, severity: 'low', correlationKey: `${prefix}-${i}` }).incidentId);
  }
  const wanted = new Set(ids);
  let seq = 0;
  await waitFor(`${count} incidents linked`, async () => {
    for (;;) {
      const page = await replica.events(seq, 500);
      if (page.length === 0) break;
      seq = page.at(-1)!.seq;
      for (const event of page) if (event.kind === 'created' && event.incident.defender) wanted.delete(event.incident.defender.id);
    }
    return wanted.size === 0;
  }, 30 * 60_000, 250);
  return ids;
}

async function latestSeq(replica: ReplicaProcess): Promise<number> {
  let seq = 0;
  for (;;) {
    const page = await replica.events(seq, 500);
    if (page.length === 0) return seq;
    seq = page.at(-1)!.seq;
  }
}

async function measureLatency(simulators: RunningSimulators, replica: ReplicaProcess, ids: string[]): Promise<void> {
  const toEvent: number[] = [];
  const toAgree: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
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
  const fmt = (values: number[]) => `p50 ${(percentile(values, 50) / 1000).toFixed(2)} s, p95 ${(percentile(values, 95) / 1000).toFixed(2)} s`;
  const ok = (values: number[]) => (percentile(values, 95) <= 5000 ? 'met' : 'MISSED');
  rows.push({ figure: `change -> change event (${LATENCY_SAMPLES} samples)`, measured: fmt(toEvent), reference: `poll ${POLL_SECONDS} s`, target: 'p95 <= 5 s', verdict: ok(toEvent) });
  rows.push({ figure: 'change -> both portals agree', measured: fmt(toAgree), reference: `poll ${POLL_SECONDS} s`, target: 'p95 <= 5 s', verdict: ok(toAgree) });
}

/** List calls per portal per poll while nothing changes. */
async function measureIdle(simulators: RunningSimulators): Promise<void> {
  const isList = (url: string, api: string) => (api === 'graph' ? /^\/v1\.0\/security\/incidents\/?(\?|$)/.test(url) : /\/providers\/Microsoft\.SecurityInsights\/incidents\/?(\?|$)/.test(url));
  const since = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
  const recent = simulators.control.requests().recent.filter((entry) => entry.at >= since && entry.method === 'GET');
  const polls = IDLE_WINDOW_MS / (POLL_SECONDS * 1000);
  for (const api of ['graph', 'arm'] as const) {
    const lists = recent.filter((entry) => entry.api === api && isList(entry.url.split('&')[0]!, api)).length;
    const other = recent.filter((entry) => entry.api === api).length - lists;
    const perPoll = lists / polls;
    rows.push({ figure: `idle ${api === 'graph' ? 'Graph' : 'ARM'} list calls per poll (${IDLE_WINDOW_MS / 1000} s)`, measured: `${perPoll.toFixed(2)} (+${other} other GETs)`, reference: `${polls} polls`, target: '<= 1', verdict: perPoll <= 1.05 ? 'met' : 'MISSED' });
  }
}

async function measureBurst(simulators: RunningSimulators, ids: string[]): Promise<void> {
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

  // The floor: Graph list pages at the Graph budget, and ARM writes after the bucket's burst.
  const listPages = Math.ceil(ids.length / GRAPH_PAGE);
  const graphFloorS = (listPages / DEFAULT_GRAPH_REQUESTS_PER_MINUTE) * 60;
  const armFloorS = Math.max(0, ids.length - DEFAULT_ARM_BUCKET.writeCapacity) / DEFAULT_ARM_BUCKET.writeRefillPerSecond;
  const floorS = Math.max(graphFloorS, armFloorS, POLL_SECONDS);
  const ratio = elapsedS / floorS;
  rows.push({ figure: `burst of ${ids.length} Defender changes -> Sentinel agrees`, measured: `${elapsedS.toFixed(1)} s = ${ratio.toFixed(2)}x floor`, reference: `floor ${floorS.toFixed(1)} s (Graph ${listPages} pages @${DEFAULT_GRAPH_REQUESTS_PER_MINUTE}/min = ${graphFloorS.toFixed(1)} s; ARM ${ids.length} writes, ${DEFAULT_ARM_BUCKET.writeCapacity} burst + ${DEFAULT_ARM_BUCKET.writeRefillPerSecond}/s = ${armFloorS.toFixed(1)} s)`, target: '<= 1.2x', verdict: ratio <= 1.2 ? 'met' : 'MISSED' });
  const minimum = (listPages + ids.length) / ids.length;
  rows.push({ figure: 'portal API calls per change (burst)', measured: (calls / ids.length).toFixed(2), reference: `minimum ${minimum.toFixed(2)} (1 ARM write + 1/${GRAPH_PAGE} Graph list page)`, target: '-', verdict: '-' });
}

async function withPostgresDatabase<T>(work: (url: string) => Promise<T>): Promise<T | string> {
  const name = `ib_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    await admin.end().catch(() => undefined);
    return `PostgreSQL unreachable (${(error as Error).message})`;
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  try {
    return await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

async function main(): Promise<void> {
  const dirs = [mkdtempSync(join(tmpdir(), 'ib-bench-sim-')), mkdtempSync(join(tmpdir(), 'ib-bench-data-')), mkdtempSync(join(tmpdir(), 'ib-bench-pg-'))] as const;
  const simulators = await startLocalSimulators(dirs[0], { graphRequestsPerMinute: DEFAULT_GRAPH_REQUESTS_PER_MINUTE, armBucket: DEFAULT_ARM_BUCKET });
  const benchStarted = Date.now();
  process.stdout.write(`bench:sync${quick ? ' --quick' : ''}: burst ${BURST}, ${LATENCY_SAMPLES} latency samples, poll ${POLL_SECONDS} s, native sync off\n`);
  try {
    note('embedded (PGlite) replica: starting');
    const embedded = await startReplica(replicaEnvironment(simulators, { dataDir: dirs[1], pollIntervalSeconds: POLL_SECONDS }));
    let rssEmbedded: number | null = null;
    try {
      note('latency: creating sample incidents');
      const sample = await createIncidents(simulators, embedded, 10, 'Latency incident');
      note('latency: measuring');
      await measureLatency(simulators, embedded, sample);
      note('idle: measuring');
      await measureIdle(simulators);
      note(`burst: creating ${BURST} incidents and waiting for the bridge to link them`);
      const linkStarted = Date.now();
      const burstIds = await createIncidents(simulators, embedded, BURST, 'Burst incident');
      rows.push({ figure: `first sight of ${BURST} new incidents (linking)`, measured: `${((Date.now() - linkStarted) / 1000).toFixed(1)} s`, reference: '-', target: '-', verdict: '-' });
      note('burst: changing them all in Defender');
      await measureBurst(simulators, burstIds);
      rssEmbedded = embedded.peakRssMb();
    } finally {
      rssEmbedded ??= embedded.peakRssMb();
      await embedded.stop();
    }
    rows.push({ figure: 'peak RSS, embedded PGlite (whole run above)', measured: `${rssEmbedded?.toFixed(0) ?? 'n/a'} MB`, reference: 'VmHWM of the bridge process', target: '<= 600 MB', verdict: rssEmbedded !== null && rssEmbedded <= 600 ? 'met' : 'MISSED' });

    note('PostgreSQL replica: linking every incident from a fresh database, then idle');
    const pgResult = await withPostgresDatabase(async (databaseUrl) => {
      const replica = await startReplica(replicaEnvironment(simulators, { dataDir: dirs[2], databaseUrl, pollIntervalSeconds: POLL_SECONDS }));
      try {
        const total = simulators.control.defenderIncidents().length;
        await waitFor('PostgreSQL replica linked everything', async () => (await latestSeq(replica)) >= total, 30 * 60_000, 500);
        await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS / 2));
        return { rss: replica.peakRssMb(), total };
      } finally {
        await replica.stop();
      }
    });
    if (typeof pgResult === 'string') rows.push({ figure: 'peak RSS, PostgreSQL server', measured: 'not measured', reference: pgResult, target: '<= 250 MB', verdict: 'n/a' });
    else rows.push({ figure: `peak RSS, PostgreSQL server (linking ${pgResult.total} incidents)`, measured: `${pgResult.rss?.toFixed(0) ?? 'n/a'} MB`, reference: 'VmHWM of the bridge process', target: '<= 250 MB', verdict: pgResult.rss !== null && pgResult.rss <= 250 ? 'met' : 'MISSED' });
  } finally {
    await simulators.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }

  process.stdout.write(`\n${formatFigureTable(rows)}\n`);
  process.stdout.write(`\nbench ran ${((Date.now() - benchStarted) / 1000).toFixed(0)} s\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:sync failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
