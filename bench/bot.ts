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
import { loadConfig } from '../src/config/config.ts';
import { readEnvironment } from '../src/config/env-files.ts';
import { measureInvokes, type BenchStoreKind } from './support/invoke-figures.ts';
import { measureFanOut, type FanOutStoreKind } from './support/fanout-figures.ts';
import { measureLargeCard } from './support/card-figures.ts';
import { formatFigureTable, type FigureRow } from './support/figure-table.ts';

function numberSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of at least 0, got '${raw}'.`);
  return value;
}

function listSetting<T extends string>(name: string, fallback: readonly T[], allowed: readonly T[]): T[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return [...fallback];
  const values = raw.split(',').map((value) => value.trim());
  const unknown = values.filter((value) => !(allowed as readonly string[]).includes(value));
  if (unknown.length > 0) throw new Error(`${name} takes ${allowed.join(', ')}; got '${unknown.join(', ')}'.`);
  return values as T[];
}

const quick = process.argv.includes('--quick');
// The per-tenant limit as the product reads it: its default, or TEAMS_TENANT_REQUESTS_PER_SECOND.
const ROOT = new URL('../', import.meta.url).pathname;
const tenantRequestsPerSecond = loadConfig(readEnvironment(ROOT, { TEAMSFX_ENV: 'local', ...process.env })).teamsTenantRequestsPerSecond;
const fanOutStore = listSetting<FanOutStoreKind>('BENCH_STORE', ['memory'], ['memory', 'pglite'])[0]!;
const invokeStores = listSetting<BenchStoreKind>('BENCH_INVOKE_STORES', ['pglite', 'postgres'], ['pglite', 'postgres']);
const parts = new Set(listSetting('BENCH_PARTS', ['invokes', 'fanout', 'card'], ['invokes', 'fanout', 'card']));
const channels = numberSetting('BENCH_CHANNELS', quick ? 100 : 500);
const latencyMs = numberSetting('BENCH_CONNECTOR_LATENCY_MS', 30);
const postgresUrl = process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/test';
const note = (message: string) => process.stdout.write(`  .. ${message}\n`);

async function main(): Promise<void> {
  process.stdout.write(`bench:bot${quick ? ' --quick' : ''}: Teams per-tenant limit ${tenantRequestsPerSecond}/s; stores for invokes ${invokeStores.join(', ')}; fan-out to ${channels} channels (store ${fanOutStore})\n`);
  const rows: FigureRow[] = [];
  for (const store of parts.has('invokes') ? invokeStores : []) {
    rows.push(
      ...(await measureInvokes({
        store,
        postgresUrl,
        incidents: 20,
        clicks: quick ? 50 : 200,
        concurrency: 8,
        burst: 100,
        rounds: quick ? 1 : 3,
        note,
        ...(process.env['BENCH_PROFILE_DIR'] ? { profileDir: process.env['BENCH_PROFILE_DIR'] } : {}),
      })),
    );
  }
  if (parts.has('fanout')) {
    note(`fan-out to ${channels} channels`);
    rows.push(...(await measureFanOut({ channels, tenantRequestsPerSecond, store: fanOutStore, connectorLatencyMs: latencyMs })));
  }
  if (parts.has('card')) rows.push(...measureLargeCard(numberSetting('BENCH_RENDERS', 50)));
  process.stdout.write(`${formatFigureTable(rows)}\n`);
  if (rows.some((row) => row.verdict === 'MISSED')) process.exitCode = 1;
}

await main();
