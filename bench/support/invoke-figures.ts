// Card-click (Action.Execute) latency against the real bridge: a replica process started as
// `npm start` starts it (src/start-bridge.ts: restify, CloudAdapter, teams-ai, the sync engine, pg-boss),
// on the embedded PGlite or a PostgreSQL server, with the simulators and a mock Bot Connector in
// this process. Invokes are POSTed to /api/messages as Teams sends them, and each is timed from the
// request to its answer. An edit's answer means the request is stored and its job queued (the
// pg-boss send included); the edit jobs then run against the simulators while clicks go on, as they
// would in production.
//
// Scenarios, per store:
//   - Refresh, `concurrency` at a time: the card read path;
//   - edits (change severity, add a tag), `concurrency` at a time: target p95 <= 250 ms;
//   - `burst` mixed invokes (refresh, severity, tag, comment, assign) sent at once, `rounds` times:
//     target: none over Teams' 5 s deadline. The bot answers "Working on it" at 4 s when the
//     store is slower; those are counted, as they are not the card the analyst expects.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { replicaEnvironment, startReplica, waitFor, type ReplicaProcess } from '../../test/reliability/support/replica-process.ts';
import { startLocalSimulators } from '../../test/reliability/support/simulators.ts';
import type { RunningSimulators } from '../../src/simulators/index.ts';
import { startMockConnector, type MockConnector } from './mock-connector.ts';
import { verdict, type FigureRow } from './figure-table.ts';
import { percentile } from './percentile.ts';

export type BenchStoreKind = 'pglite' | 'postgres';

export interface InvokeFigureOptions {
  store: BenchStoreKind;
  /** PostgreSQL server for `store: 'postgres'`; a database is created for the run and dropped after it. */
  postgresUrl: string;
  /** Incidents the clicks are spread over. */
  incidents: number;
  /** Clicks per concurrent scenario. */
  clicks: number;
  concurrency: number;
  /** Invokes sent at once in the burst scenario, and how often. */
  burst: number;
  rounds: number;
  /** Printed as the run goes. */
  note?: (message: string) => void;
  /** Writes the bridge's CPU profile (.cpuprofile, for Chrome DevTools) here when it stops. */
  profileDir?: string;
}

/** Teams gives up on an invoke answer after about 5 s. */
export const TEAMS_INVOKE_DEADLINE_MS = 5000;
export const EDIT_P95_TARGET_MS = 250;

/** A tenant env/.env.local serves (the Agents Playground's): the tenant gate lets its turns through. */
const TENANT = '00000000-0000-0000-0000-0000000000001';
const CHANNEL = '19:bench-invoke@thread.tacv2';

type Verb = 'refreshCard' | 'setSeverity' | 'editTags' | 'addComment' | 'assignToMe';

interface Click {
  verb: Verb;
  linkId: string;
  index: number;
}

interface Timed {
  verb: Verb;
  ms: number;
  /** The answer was the card (not "Working on it", not an error text). */
  card: boolean;
}

function actionData(click: Click): Record<string, unknown> {
  const nonce = `n-${click.index}-${randomBytes(3).toString('hex')}`;
  switch (click.verb) {
    case 'refreshCard':
      return { linkId: click.linkId, nonce };
    case 'setSeverity':
      return { linkId: click.linkId, severity: click.index % 2 === 0 ? 'high' : 'medium', nonce };
    case 'editTags':
      // A tag the incident does not have yet, so every click is an edit.
      return { linkId: click.linkId, tags: `+bench-${click.index}`, nonce };
    case 'addComment':
      return { linkId: click.linkId, comment: `Looked at it (${click.index})`, nonce };
    case 'assignToMe':
      return { linkId: click.linkId, nonce };
  }
}

/** An Action.Execute invoke as Teams posts it for a click on a card in a channel thread. */
function invokeActivity(serviceUrl: string, click: Click, analyst: number) {
  const cardId = `card-${click.linkId}`;
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    id: `invoke-${click.index}-${randomBytes(4).toString('hex')}`,
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from: { id: `29:analyst-${analyst}`, name: `Analyst ${analyst}`, aadObjectId: `aaaaaaaa-0000-4000-8000-${String(analyst).padStart(12, '0')}` },
    recipient: { id: '28:incident-bridge-bench', name: 'Incident Bridge' },
    conversation: { id: `${CHANNEL};messageid=${cardId}`, conversationType: 'channel', tenantId: TENANT, isGroup: true },
    channelData: { tenant: { id: TENANT }, team: { id: '19:team@thread.tacv2' }, channel: { id: CHANNEL } },
    replyToId: cardId,
    value: { action: { type: 'Action.Execute', verb: click.verb, data: actionData(click) }, trigger: 'manual' },
  };
}

async function click(botUrl: string, connector: MockConnector, target: Click): Promise<Timed> {
  const body = JSON.stringify(invokeActivity(connector.url, target, target.index % 10));
  const started = performance.now();
  const response = await fetch(`${botUrl}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const answer = (await response.json()) as { type?: string; value?: unknown };
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`invoke ${target.verb} answered HTTP ${response.status}: ${JSON.stringify(answer).slice(0, 300)}`);
  return { verb: target.verb, ms, card: answer.type === 'application/vnd.microsoft.card.adaptive' };
}

/** Runs `clicks` with at most `concurrency` in flight. */
async function atMost(concurrency: number, clicks: Click[], run: (target: Click) => Promise<Timed>): Promise<Timed[]> {
  const results: Timed[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < clicks.length) results.push(await run(clicks[next++]!));
    }),
  );
  return results;
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

/**
 * CPU time the process used so far (user + system), in ms: Linux /proc/<pid>/stat, else null. On a
 * busy machine latency says how long clicks waited; CPU per click says what they cost.
 */
function cpuMs(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / 100) * 1000; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/** Runs `work` and says how much CPU the bridge process spent meanwhile, per click. */
async function costOf<T extends Timed[]>(pid: number, work: () => Promise<T>): Promise<{ results: T; cpuPerClick: string }> {
  const before = cpuMs(pid);
  const results = await work();
  const after = cpuMs(pid);
  return { results, cpuPerClick: before === null || after === null ? 'n/a' : `${((after - before) / results.length).toFixed(1)} ms` };
}

function summary(results: Timed[]): string {
  const times = results.map((result) => result.ms);
  return `p50 ${fmt(percentile(times, 50))}, p95 ${fmt(percentile(times, 95))}, max ${fmt(percentile(times, 100))} (${results.length})`;
}

async function withDatabase<T>(options: InvokeFigureOptions, work: (databaseUrl: string | undefined) => Promise<T>): Promise<T> {
  if (options.store === 'pglite') return work(undefined);
  const name = `ib_bench_bot_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: options.postgresUrl, connectionTimeoutMillis: 3000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(options.postgresUrl);
    url.pathname = `/${name}`;
    return await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

/** Raises `count` Defender incidents (each imported into Sentinel) and waits until the bridge linked them all. */
async function linkedIncidents(simulators: RunningSimulators, replica: ReplicaProcess, count: number): Promise<string[]> {
  const wanted = new Set<string>();
  for (let i = 0; i < count; i += 1) {
    wanted.add(simulators.control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: `Invoke bench incident ${i}`, severity: 'medium', correlationKey: `invoke-bench-${i}` }).incidentId);
  }
  const links: string[] = [];
  let seq = 0;
  await waitFor(`${count} incidents linked`, async () => {
    for (;;) {
      const page = await replica.events(seq, 500);
      if (page.length === 0) break;
      seq = page.at(-1)!.seq;
      for (const event of page) {
        const defenderId = event.incident.defender?.id;
        if (event.kind === 'created' && defenderId && wanted.delete(defenderId)) links.push(event.linkId);
      }
    }
    return wanted.size === 0;
  }, 120_000, 250);
  return links;
}

function clicksOf(verbs: readonly Verb[], links: readonly string[], count: number, first: number): Click[] {
  return Array.from({ length: count }, (_, i) => ({ verb: verbs[i % verbs.length]!, linkId: links[(first + i) % links.length]!, index: first + i }));
}

export async function measureInvokes(options: InvokeFigureOptions): Promise<FigureRow[]> {
  const note = options.note ?? (() => undefined);
  const storeName = options.store === 'pglite' ? 'PGlite' : 'PostgreSQL';
  const simDir = mkdtempSync(join(tmpdir(), 'ib-bench-bot-sim-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'ib-bench-bot-data-'));
  const simulators = await startLocalSimulators(simDir);
  const connector = await startMockConnector({ latencyMs: 30 });
  try {
    return await withDatabase(options, async (databaseUrl) => {
      note(`invokes on ${storeName}: starting the bridge`);
      const env = replicaEnvironment(simulators, { dataDir, pollIntervalSeconds: 2, ...(databaseUrl ? { databaseUrl } : {}) });
      if (options.profileDir) env['NODE_OPTIONS'] = `--cpu-prof --cpu-prof-dir=${options.profileDir}`;
      const replica = await startReplica(env);
      try {
        const links = await linkedIncidents(simulators, replica, options.incidents);
        await atMost(2, clicksOf(['refreshCard'], links, 10, 0), (target) => click(replica.url, connector, target)); // warm-up: JIT, roster cache
        note(`invokes on ${storeName}: refresh and edits, ${options.concurrency} at a time`);
        const refresh = await costOf(replica.pid, () => atMost(options.concurrency, clicksOf(['refreshCard'], links, options.clicks, 1000), (target) => click(replica.url, connector, target)));
        const edits = await costOf(replica.pid, () => atMost(options.concurrency, clicksOf(['setSeverity', 'editTags'], links, options.clicks, 2000), (target) => click(replica.url, connector, target)));
        note(`invokes on ${storeName}: ${options.burst} at once, ${options.rounds} times`);
        const bursts = await costOf(replica.pid, async () => {
          const all: Timed[] = [];
          for (let round = 0; round < options.rounds; round += 1) {
            const targets = clicksOf(['refreshCard', 'setSeverity', 'editTags', 'addComment', 'assignToMe'], links, options.burst, 10_000 * (round + 1));
            all.push(...(await Promise.all(targets.map((target) => click(replica.url, connector, target)))));
          }
          return all;
        });
        const burst = bursts.results;
        const editTimes = edits.results.map((result) => result.ms);
        const editP95 = percentile(editTimes, 95);
        const late = burst.filter((result) => result.ms > TEAMS_INVOKE_DEADLINE_MS).length;
        const notCard = [...refresh.results, ...edits.results, ...burst].filter((result) => !result.card).length;
        const burstEdits = burst.filter((result) => result.verb !== 'refreshCard');
        return [
          { figure: `refresh invoke, ${options.concurrency} concurrent, ${storeName}`, measured: summary(refresh.results), reference: `card read + render; bridge CPU ${refresh.cpuPerClick} per click`, target: '-', verdict: '-' },
          {
            figure: `edit invoke (severity, tag), ${options.concurrency} concurrent, ${storeName}`,
            measured: summary(edits.results),
            reference: `stored + job queued (pg-boss) before the answer; bridge CPU ${edits.cpuPerClick} per click, its edit jobs included`,
            target: `p95 <= ${EDIT_P95_TARGET_MS} ms`,
            verdict: verdict(editP95 <= EDIT_P95_TARGET_MS),
          },
          {
            figure: `${options.burst} mixed invokes at once x${options.rounds}, ${storeName}`,
            measured: `${summary(burst)}; edits ${summary(burstEdits)}`,
            reference: `Teams deadline ${TEAMS_INVOKE_DEADLINE_MS / 1000} s; ${late} over it, ${notCard} answered without the card; bridge CPU ${bursts.cpuPerClick} per click`,
            target: `none over ${TEAMS_INVOKE_DEADLINE_MS / 1000} s`,
            verdict: verdict(late === 0 && notCard === 0),
          },
        ];
      } finally {
        await replica.stop();
      }
    });
  } finally {
    await connector.close();
    await simulators.close();
    rmSync(simDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}
