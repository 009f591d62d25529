// npm run bench:bot [-- --quick] — the Teams-facing figures, printed as one table
// (bench/support/figure-table.ts); each part is a module under bench/support/ that returns its rows:
//   1. card clicks against the real bridge (invoke-figures.ts): Refresh and edits (change severity,
//      add a tag) 8 at a time, and 100 mixed invokes at once, on PGlite and on a PostgreSQL server;
//      p50/p95/max per scenario against p95 <= 250 ms for edits and Teams' 5 s deadline;
//   2. one change fanned out to 500 subscribed channels (fanout-figures.ts) through the real send
//      path against a mock Bot Connector that enforces Teams' limits, as a ratio to the floor the
//      configured per-tenant limit allows;
//   3. the card of a 200-alert incident naming 1,000 evidence items (card-figures.ts): its size
//      against the card budget and its rendering time.
//
// Settings (environment): TEAMS_TENANT_REQUESTS_PER_SECOND (the product's setting: the limit the
// bridge is configured with and the mock Bot Connector enforces; default the product's, 50),
// BENCH_PARTS (invokes,fanout,card: which parts run), BENCH_CHANNELS (500), BENCH_STORE (memory | pglite: the fan-out's store), BENCH_CONNECTOR_LATENCY_MS
// (30, a network hop), BENCH_INVOKE_STORES (pglite,postgres), DATABASE_URL (the PostgreSQL server;
// default postgres://postgres@127.0.0.1:5432/test), BENCH_PROFILE_DIR (writes the bridge's CPU
// profile there), BENCH_RENDERS (50). --quick: fewer clicks and 100 channels.
import { formatFigureTable } from './support/figure-table.ts';
import { teamsFigures, teamsFigureSummary } from './support/teams-figures.ts';

const quick = process.argv.includes('--quick');
const postgresUrl = process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/test';

async function main(): Promise<void> {
  process.stdout.write(`bench:bot${quick ? ' --quick' : ''}: ${teamsFigureSummary(quick)}\n`);
  const rows = await teamsFigures({ quick, postgresUrl, note: (message) => process.stdout.write(`  .. ${message}\n`) });
  process.stdout.write(`${formatFigureTable(rows)}\n`);
  if (rows.some((row) => row.verdict === 'MISSED')) process.exitCode = 1;
}

await main();
