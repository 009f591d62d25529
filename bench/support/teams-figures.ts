// The Teams-facing figures (card clicks against the real bridge, fan-out, the large card) as rows
// of the one figure table, with the settings bench:bot documents. bench:bot prints them alone;
// bench:sync appends them to every other figure.
import { loadConfig } from '../../src/config/config.ts';
import { readEnvironment } from '../../src/config/env-files.ts';
import { measureInvokes, type BenchStoreKind } from './invoke-figures.ts';
import { measureFanOut, type FanOutStoreKind } from './fanout-figures.ts';
import { measureLargeCard } from './card-figures.ts';
import type { FigureRow } from './figure-table.ts';

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

export interface TeamsFigureSettings {
  quick: boolean;
  postgresUrl: string;
  note: (message: string) => void;
}

export function teamsFigureSummary(quick: boolean): string {
  const settings = readSettings(quick);
  return `Teams per-tenant limit ${settings.tenantRequestsPerSecond}/s; stores for invokes ${settings.invokeStores.join(', ')}; fan-out to ${settings.channels} channels (store ${settings.fanOutStore})`;
}

function readSettings(quick: boolean) {
  // The per-tenant limit as the product reads it: its default, or TEAMS_TENANT_REQUESTS_PER_SECOND.
  const root = new URL('../../', import.meta.url).pathname;
  return {
    tenantRequestsPerSecond: loadConfig(readEnvironment(root, { TEAMSFX_ENV: 'local', ...process.env })).teamsTenantRequestsPerSecond,
    fanOutStore: listSetting<FanOutStoreKind>('BENCH_STORE', ['memory'], ['memory', 'pglite'])[0]!,
    invokeStores: listSetting<BenchStoreKind>('BENCH_INVOKE_STORES', ['pglite', 'postgres'], ['pglite', 'postgres']),
    parts: new Set(listSetting('BENCH_PARTS', ['invokes', 'fanout', 'card'], ['invokes', 'fanout', 'card'])),
    channels: numberSetting('BENCH_CHANNELS', quick ? 100 : 500),
    latencyMs: numberSetting('BENCH_CONNECTOR_LATENCY_MS', 30),
    renders: numberSetting('BENCH_RENDERS', 50),
  };
}

export async function teamsFigures({ quick, postgresUrl, note }: TeamsFigureSettings): Promise<FigureRow[]> {
  const { tenantRequestsPerSecond, fanOutStore, invokeStores, parts, channels, latencyMs, renders } = readSettings(quick);
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
  if (parts.has('card')) rows.push(...measureLargeCard(renders));
  return rows;
}
