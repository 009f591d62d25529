// Backfill at first start on a tenant that already holds 10 x N incidents (default 20,000), once
// with embedded PGlite and once with the PostgreSQL server, the bridge in its own process under
// `npm start`'s flags:
//   - time from the bridge being up until every incident is linked and announced (its start-up is
//     printed beside it), against the floor: Graph's list pages at the budget the live poll leaves
//     (150/min less one list call per poll), and, stricter, at the whole 150/min; ARM's pages of
//     1,000 fit its read bucket;
//   - a live change made in Defender every few seconds during the backfill, to its change event
//     (what the card shows), p95: live changes must not wait behind the backfill;
//   - peak RSS (VmHWM).
import { randomBytes } from 'node:crypto';
import { DEFAULT_ARM_BUCKET, DEFAULT_GRAPH_REQUESTS_PER_MINUTE } from '../../src/simulators/options.ts';
import type { RunningSimulators } from '../../src/simulators/index.ts';
import { replicaEnvironment, startReplica, type ReplicaProcess } from '../../test/reliability/support/replica-process.ts';
import { startLocalSimulators } from '../../test/reliability/support/simulators.ts';
import { verdict, type FigureRow } from './figure-table.ts';
import { ARM_PAGE, GRAPH_PAGE, note, p50p95, raiseIncidents, seconds, tempDir, withPostgresDatabase, type SyncBenchSettings } from './sync-bench.ts';
import { percentile } from './percentile.ts';

/** How often the bench makes a live change while the backfill runs. */
const LIVE_CHANGE_EVERY_MS = 3000;
/** How old the backlog is at the bridge's first start. */
const BACKLOG_AGE_MS = 60 * 60_000;

interface BackfillRun {
  elapsedMs: number;
  liveMs: number[];
  rssMb: number | null;
}

/**
 * Starts a replica on a fresh store, waits until it announced every incident, and meanwhile
 * retitles one incident in Defender every few seconds, timing each until its change event.
 */
async function runBackfill(simulators: RunningSimulators, replica: ReplicaProcess, ids: readonly string[], started: number): Promise<BackfillRun> {
  const wanted = new Set(ids);
  const liveMs: number[] = [];
  const pending = new Map<string, { title: string; at: number }>();
  let seq = 0;
  let nextChangeAt = Date.now() + LIVE_CHANGE_EVERY_MS;
  let changes = 0;
  while (wanted.size > 0 || pending.size > 0) {
    if (wanted.size > 0 && Date.now() >= nextChangeAt) {
      // Anywhere in the tenant: the backfill may or may not have reached it yet.
      const id = ids[Math.floor(Math.random() * ids.length)]!;
      if (!pending.has(id)) {
        const title = `Live change ${changes++} ${randomBytes(3).toString('hex')}`;
        simulators.control.analystUpdateDefenderIncident(id, { displayName: title }, 'ann.lee@contoso.com');
        pending.set(id, { title, at: Date.now() });
      }
      nextChangeAt = Date.now() + LIVE_CHANGE_EVERY_MS;
    }
    const page = await replica.events(seq, 1000);
    for (const event of page) {
      const defender = event.incident.defender;
      if (!defender) continue;
      if (event.kind === 'created') wanted.delete(defender.id);
      const change = pending.get(defender.id);
      if (change && defender.title === change.title) {
        liveMs.push(Date.now() - change.at);
        pending.delete(defender.id);
      }
    }
    if (page.length > 0) seq = page.at(-1)!.seq;
    else await new Promise((resolve) => setTimeout(resolve, 100));
    if (Date.now() - started > 60 * 60_000) throw new Error(`backfill not done after an hour (${wanted.size} incidents left)`);
  }
  return { elapsedMs: Date.now() - started, liveMs, rssMb: replica.peakRssMb() };
}

export async function backfillFigures(settings: SyncBenchSettings): Promise<FigureRow[]> {
  const total = settings.incidents * 10;
  const rows: FigureRow[] = [];
  const dirs = [tempDir('ib-bench-backfill-sim-'), tempDir('ib-bench-backfill-lite-'), tempDir('ib-bench-backfill-pg-')] as const;
  // The backlog is raised on a simulator clock an hour back, as a tenant's incidents are older than
  // the bridge's first start. Raised just before it, every one would fall within the first live
  // listing's overlap and be synced as a live change, ahead of the live changes the bench times.
  let clockOffsetMs = -BACKLOG_AGE_MS;
  const simulators = await startLocalSimulators(dirs[0].path, { graphRequestsPerMinute: DEFAULT_GRAPH_REQUESTS_PER_MINUTE, armBucket: DEFAULT_ARM_BUCKET, clock: () => new Date(Date.now() + clockOffsetMs) });
  try {
    note(`backfill: seeding a tenant with ${total} incidents, an hour old`);
    const ids = raiseIncidents(simulators, total, 'Backlog incident');
    clockOffsetMs = 0;

    const graphPages = Math.ceil(total / GRAPH_PAGE);
    const livePerMinute = 60 / settings.pollSeconds;
    const leftPerMinute = DEFAULT_GRAPH_REQUESTS_PER_MINUTE - livePerMinute;
    const floorMs = (graphPages / leftPerMinute) * 60_000;
    const strictMs = (graphPages / DEFAULT_GRAPH_REQUESTS_PER_MINUTE) * 60_000;
    const armPages = Math.ceil(total / ARM_PAGE);
    const reference = `floor ${seconds(floorMs)}: Graph ${graphPages} pages at the ${leftPerMinute}/min the live poll leaves of ${DEFAULT_GRAPH_REQUESTS_PER_MINUTE}/min (at the whole ${DEFAULT_GRAPH_REQUESTS_PER_MINUTE}/min: ${seconds(strictMs)}); ARM ${armPages} pages within its ${DEFAULT_ARM_BUCKET.readCapacity}-read bucket`;

    for (const mode of ['embedded PGlite', 'PostgreSQL server'] as const) {
      note(`backfill (${mode}): a fresh replica links and announces ${total} incidents while live changes are made`);
      // Timed from the bridge being up: its start-up (a fresh database's migrations included) is
      // reported beside the figure, not counted against the paging floor.
      const run = async (databaseUrl?: string) => {
        const spawned = Date.now();
        const replica = await startReplica(replicaEnvironment(simulators, { dataDir: (databaseUrl ? dirs[2] : dirs[1]).path, pollIntervalSeconds: settings.pollSeconds, ...(databaseUrl ? { databaseUrl } : {}) }));
        const startUpMs = Date.now() - spawned;
        try {
          return { ...(await runBackfill(simulators, replica, ids, Date.now())), startUpMs };
        } finally {
          await replica.stop();
        }
      };
      const result = mode === 'embedded PGlite' ? await run() : await withPostgresDatabase(settings.postgresUrl, run);
      if (typeof result === 'string') {
        rows.push({ figure: `backfill of ${total} incidents (${mode})`, measured: 'not measured', reference: result, target: '<= 1.5x', verdict: 'n/a' });
        continue;
      }
      const ratio = result.elapsedMs / floorMs;
      rows.push({ figure: `backfill of ${total} incidents at first start (${mode})`, measured: `${seconds(result.elapsedMs)} = ${ratio.toFixed(2)}x floor (${(result.elapsedMs / strictMs).toFixed(2)}x at 150/min), after ${seconds(result.startUpMs)} of start-up`, reference, target: '<= 1.5x', verdict: verdict(ratio <= 1.5) });
      rows.push({ figure: `live change during that backfill -> its card (${result.liveMs.length} changes, ${mode})`, measured: p50p95(result.liveMs), reference: `poll ${settings.pollSeconds} s`, target: 'p95 <= 5 s', verdict: verdict(result.liveMs.length > 0 && percentile(result.liveMs, 95) <= 5000) });
      const limit = mode === 'embedded PGlite' ? 600 : 250;
      rows.push({ figure: `peak RSS during that backfill (${mode})`, measured: `${result.rssMb?.toFixed(0) ?? 'n/a'} MB`, reference: 'VmHWM of the bridge process, npm start flags', target: `<= ${limit} MB`, verdict: verdict(result.rssMb !== null && result.rssMb <= limit) });
    }
  } finally {
    await simulators.close();
    for (const dir of dirs) dir.remove();
  }
  return rows;
}
