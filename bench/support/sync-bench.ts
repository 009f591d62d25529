// What the sync benchmark's measurement modules share: their settings, a producer's shape (rows for
// the one table), and helpers over a replica's change events, the simulators' request log and a
// throw-away PostgreSQL database.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { RunningSimulators } from '../../src/simulators/index.ts';
import type { RequestLogEntry } from '../../src/simulators/http/request-log.ts';
import type { ReplicaProcess } from '../../test/reliability/support/replica-process.ts';
import { waitFor } from '../../test/reliability/support/replica-process.ts';
import type { FigureRow } from './figure-table.ts';
import { percentile } from './percentile.ts';

export interface SyncBenchSettings {
  quick: boolean;
  /** Incidents of the first-sight and burst figures; the backfill tenant holds ten times as many. */
  incidents: number;
  /** Pairs of the idle and per-pair figures. */
  pairs: number;
  /** The product's default poll interval (src/config/config.ts). */
  pollSeconds: number;
  postgresUrl: string;
}

/** One measurement module: runs its own simulators and replicas and returns its rows. */
export type FigureProducer = (settings: SyncBenchSettings) => Promise<FigureRow[]>;

/** Graph's $top maximum for security incidents, and ARM's for Sentinel incidents. */
export const GRAPH_PAGE = 50;
export const ARM_PAGE = 1000;

export const note = (message: string) => process.stdout.write(`  .. ${message}\n`);

export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
export const p50p95 = (values: readonly number[]) => `p50 ${seconds(percentile(values, 50))}, p95 ${seconds(percentile(values, 95))}`;

export async function latestSeq(replica: ReplicaProcess): Promise<number> {
  let seq = 0;
  for (;;) {
    const page = await replica.events(seq, 500);
    if (page.length === 0) return seq;
    seq = page.at(-1)!.seq;
  }
}

/** Waits until the replica has announced ('created') every Defender id in `ids`, reading events from `afterSeq`. */
export async function waitCreated(replica: ReplicaProcess, ids: Iterable<string>, what: string, afterSeq = 0): Promise<void> {
  const wanted = new Set(ids);
  let seq = afterSeq;
  await waitFor(what, async () => {
    for (;;) {
      const page = await replica.events(seq, 500);
      if (page.length === 0) break;
      seq = page.at(-1)!.seq;
      for (const event of page) if (event.kind === 'created' && event.incident.defender) wanted.delete(event.incident.defender.id);
    }
    return wanted.size === 0;
  }, 60 * 60_000, 250);
}

/** Raises `count` new Defender incidents (each imported into Sentinel) in one tenant; returns their ids. */
export function raiseIncidents(simulators: RunningSimulators, count: number, prefix: string, tenantId?: string): string[] {
  const control = tenantId ? simulators.controlFor(tenantId) : simulators.control;
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: `${prefix} ${i}`, severity: 'low' }).incidentId);
  return ids;
}

/**
 * Every request the simulators log from now on (their log keeps the last 1,000): sampled often
 * enough that none scrolls out between samples. `stop()` returns them.
 */
export function recordRequests(simulators: RunningSimulators): { stop(): RequestLogEntry[] } {
  const seen = new WeakSet<RequestLogEntry>();
  const entries: RequestLogEntry[] = [];
  // Entries already logged are not this window's.
  for (const entry of simulators.control.requests().recent) seen.add(entry);
  const sample = () => {
    for (const entry of simulators.control.requests().recent) {
      if (seen.has(entry)) continue;
      seen.add(entry);
      entries.push(entry);
    }
  };
  const timer = setInterval(sample, 50);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return entries;
    },
  };
}

/** A list call of security incidents (Graph) or Sentinel incidents (ARM), not a single incident's read. */
export function isListCall(entry: RequestLogEntry): boolean {
  const path = entry.url.split('?')[0]!;
  return entry.method === 'GET' && (entry.api === 'graph' ? /^\/v1\.0\/security\/incidents\/?$/.test(path) : /\/providers\/Microsoft\.SecurityInsights\/incidents\/?$/.test(path));
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Runs `work` against a fresh database on the PostgreSQL server, dropped afterwards; a string when the server is unreachable. */
export async function withPostgresDatabase<T>(postgresUrl: string, work: (url: string) => Promise<T>): Promise<T | string> {
  const name = `ib_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    await admin.end().catch(() => undefined);
    return `PostgreSQL unreachable (${(error as Error).message})`;
  }
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  try {
    return await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}
