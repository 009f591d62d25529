// npm run bench:sync [-- --quick] [-- --incidents N] [-- --pairs N]: the sync's figures against the
// simulators at the documented limits (Graph 150 requests/min per app per tenant, $top 50; ARM per
// subscription: reads 250 + 25/s, writes 200 + 10/s), native portal sync off, the bridge in its own
// process (so its peak RSS can be read), printed as one table with ratios against floors measured
// or computed in the same run, followed by the replicas' figures (bench/support/replica-figures.ts)
// and the Teams side's (bench/support/teams-figures.ts, also printed alone by bench:bot). Targets are
// reported, not asserted.
//
//   --incidents N  first sight and burst of N incidents; the backfill tenant holds 10 x N (default 2,000)
//   --pairs N      pairs of the idle and per-pair figures (default 50)
//   --quick        200 incidents, 5 pairs, shorter windows (for development)
import { DEFAULT_POLL_INTERVAL_SECONDS } from '../src/config/config.ts';
import { formatFigureTable, type FigureRow } from './support/figure-table.ts';
import { backfillFigures } from './support/backfill-figures.ts';
import { pairsFigures } from './support/pairs-figures.ts';
import { singlePairFigures } from './support/single-pair-figures.ts';
import { measureReplicaFigures } from './support/replica-figures.ts';
import { teamsFigures } from './support/teams-figures.ts';
import { note, type FigureProducer, type SyncBenchSettings } from './support/sync-bench.ts';

function numberArgument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} needs a whole number >= 1, e.g. ${name} ${fallback}`);
  return value;
}

const quick = process.argv.includes('--quick');
const settings: SyncBenchSettings = {
  quick,
  incidents: numberArgument('--incidents', quick ? 200 : 2000),
  pairs: numberArgument('--pairs', quick ? 5 : 50),
  pollSeconds: DEFAULT_POLL_INTERVAL_SECONDS,
  postgresUrl: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
};

// Every measurement module's rows go into the one table, in this order: the sync's own, two
// replicas sharing the pairs, then the Teams side (clicks against the real bridge, fan-out, the
// large card; bench:bot prints those alone, with the same settings).
const producers: FigureProducer[] = [
  singlePairFigures,
  backfillFigures,
  pairsFigures,
  (s) => measureReplicaFigures({ pairs: s.pairs, pollSeconds: s.pollSeconds, postgresUrl: s.postgresUrl }),
  (s) => teamsFigures({ quick: s.quick, postgresUrl: s.postgresUrl, note }),
];

async function main(): Promise<void> {
  const started = Date.now();
  process.stdout.write(`bench:sync${quick ? ' --quick' : ''}: ${settings.incidents} incidents (backfill ${settings.incidents * 10}), ${settings.pairs} pairs, poll ${settings.pollSeconds} s, native sync off\n`);
  const rows: FigureRow[] = [];
  for (const produce of producers) rows.push(...(await produce(settings)));
  process.stdout.write(`\n${formatFigureTable(rows)}\n`);
  process.stdout.write(`\nbench ran ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:sync failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
