// npm run bench:bot — the Teams-facing figures of issue 4:
//   1. invoke response latency (p50/p95) of Action.Execute card clicks, POSTed to /api/messages as
//      Teams sends them, through the real restify server, CloudAdapter (local mode) and teams-ai
//      Application. The bridge behind it is the in-memory fake (test/fakes/bridge.ts), so the
//      figure is the bot's own cost, not the portals'.
//   2. fan-out of one incident change to N subscribed channels (default 500) through the real
//      notifier -> guarded sender -> CloudAdapter sender, against the mock Bot Connector, which
//      enforces Teams' per-conversation and per-tenant limits. Its time is compared with the floor
//      the per-tenant limit allows: calls / requests-per-second.
//   3. Teams API calls per change per channel, and 429s: answered by the connector, and unhandled
//      (a send given up, or a channel left without its update).
//   4. The incident card of a 200-alert incident naming 1,000 evidence items (issue 12): its size
//      as Teams counts it (UTF-8 and UTF-16 bytes of the card JSON) against the card budget, how
//      many alerts and evidence items it shows, and how long mapping the alerts and rendering the
//      card take (p50/p95 over BENCH_RENDERS renders), for ordinary text and for the longest text
//      kept in a wide script.
//
// Settings (environment): BENCH_CHANNELS (500), BENCH_TENANT_RPS (30, the low end of Teams'
// documented "30–50"), BENCH_INVOKES (300), BENCH_INVOKE_CONCURRENCY (8),
// BENCH_CONNECTOR_LATENCY_MS (30, a network hop), BENCH_STORE (memory | pglite: where the shared
// rate-limit buckets, cards and subscriptions live), BENCH_RENDERS (50).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBotAdapter } from '../src/bot/adapter.ts';
import { createBotApplication } from '../src/bot/bot-application.ts';
import { SendError } from '../src/bot/guarded-sender.ts';
import { DEFAULT_COALESCE_WINDOW_MS } from '../src/bot/notifier.ts';
import { renderIncidentCard } from '../src/cards/incident-card.ts';
import { buildChangeNoticeText } from '../src/cards/change-notice.ts';
import { createSilentLogger } from '../src/observability/logger.ts';
import { createHttpServer } from '../src/server/http.ts';
import { openStore } from '../src/store/store.ts';
import type { Repositories } from '../src/store/ports.ts';
import { createMemoryStore } from '../test/fakes/memory-store.ts';
import { createFakeBridge, sampleView } from '../test/fakes/bridge.ts';
import { startMockConnector, type MockConnector } from './support/mock-connector.ts';
import { changeEvent, createSendPath, seedSubscribedChannels, waitUntil, withSeverity } from './support/send-path.ts';
import { createTenantPolicy } from '../src/bot/tenant-policy.ts';
import { cardSize, INCIDENT_CARD_BUDGET_BYTES } from '../src/cards/card-size.ts';
import { alertDetailsFromGraph } from '../src/portals/defender/alert-mapping.ts';
import { graphAlertsOf, ORDINARY_TEXT, type AlertText } from './support/large-incident.ts';

function numberSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got '${raw}'.`);
  return value;
}

const CHANNELS = numberSetting('BENCH_CHANNELS', 500);
const TENANT_RPS = numberSetting('BENCH_TENANT_RPS', 30);
const INVOKES = numberSetting('BENCH_INVOKES', 300);
const INVOKE_CONCURRENCY = numberSetting('BENCH_INVOKE_CONCURRENCY', 8);
const LATENCY_MS = Number(process.env['BENCH_CONNECTOR_LATENCY_MS'] ?? 30);
const STORE_KIND = process.env['BENCH_STORE'] ?? 'memory';
const RENDERS = numberSetting('BENCH_RENDERS', 50);
const TENANT = 'tenant-bench';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const s = (value: number) => `${(value / 1000).toFixed(2)} s`;

async function openBenchStore(): Promise<{ store: Repositories; close: () => Promise<void> }> {
  if (STORE_KIND === 'memory') return { store: createMemoryStore(), close: async () => {} };
  if (STORE_KIND === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'bench-bot-'));
    const { store } = await openStore({ dataDir: dir });
    return {
      store,
      close: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  throw new Error(`BENCH_STORE must be 'memory' or 'pglite', got '${STORE_KIND}'.`);
}

// ------------------------------------------------------------------------------------------------
// 1. Invoke latency

function invokeActivity(serviceUrl: string, index: number, linkId: string) {
  const verbs = [
    { verb: 'setSeverity', data: { linkId, severity: Math.abs(index) % 2 === 0 ? 'high' : 'low' } },
    { verb: 'addComment', data: { linkId, comment: `Looked at it (${index})` } },
    { verb: 'editTags', data: { linkId, tags: Math.abs(index) % 2 === 0 ? '+bench' : '-bench' } },
    { verb: 'assignToMe', data: { linkId } },
  ];
  const action = verbs[((index % verbs.length) + verbs.length) % verbs.length]!;
  const channel = '19:bench-invoke@thread.tacv2';
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    id: `invoke-${index}`,
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from: { id: '29:alice', name: 'Alice Analyst', aadObjectId: 'aaaaaaaa-0000-0000-0000-000000000001' },
    recipient: { id: '28:incident-bridge-bench', name: 'Incident Bridge' },
    conversation: { id: `${channel};messageid=card-1`, conversationType: 'channel', tenantId: TENANT, isGroup: true },
    channelData: { tenant: { id: TENANT }, team: { id: '19:team@thread.tacv2' }, channel: { id: channel } },
    replyToId: 'card-1',
    value: { action: { type: 'Action.Execute', verb: action.verb, data: { ...action.data, nonce: `n-${index}` } }, trigger: 'manual' },
  };
}

async function benchInvokes(connector: MockConnector) {
  const log = createSilentLogger();
  const store = createMemoryStore();
  const bridge = createFakeBridge();
  bridge.autoComplete = 'completed';
  const view = sampleView({ linkId: 'link-invoke', tenantId: TENANT });
  bridge.put(view);
  const adapter = createBotAdapter({ log });
  const app = createBotApplication({
    bridge,
    conversations: store.conversations,
    subscriptions: store.subscriptions,
    cards: store.cards,
    builders: { renderIncidentCard, buildChangeNoticeText },
    access: { analysts: undefined, approvers: [], localMode: true },
    tenants: createTenantPolicy({ allowedTenants: [TENANT], pairs: [] }),
    log,
  });
  const http = createHttpServer({ adapter, app, health: async () => ({}), log });
  const port = await http.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}/api/messages`;

  async function click(index: number): Promise<number> {
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(invokeActivity(connector.url, index, view.linkId)) });
    const body = (await response.json()) as { statusCode?: number; type?: string };
    const elapsed = performance.now() - started;
    if (response.status !== 200 || body.type !== 'application/vnd.microsoft.card.adaptive') {
      throw new Error(`invoke ${index} answered ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
    }
    return elapsed;
  }

  for (let i = 0; i < 10; i += 1) await click(-1 - i); // warm-up: module loading, JIT, the roster cache
  const sequential: number[] = [];
  for (let i = 0; i < INVOKES; i += 1) sequential.push(await click(i));
  const concurrent: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: INVOKE_CONCURRENCY }, async () => {
      while (next < INVOKES) concurrent.push(await click(INVOKES + next++));
    }),
  );
  await http.close();
  return { sequential: sequential.sort((a, b) => a - b), concurrent: concurrent.sort((a, b) => a - b) };
}

// ------------------------------------------------------------------------------------------------
// 2. Fan-out

async function benchFanOut(connector: MockConnector) {
  const { store, close } = await openBenchStore();
  const ids = await seedSubscribedChannels(store, { serviceUrl: connector.url, count: CHANNELS, tenantId: TENANT });
  const channelSet = new Set(ids);
  const errors: unknown[] = [];
  // Production settings: the default coalescing window and the guarded sender's limits.
  const path = createSendPath({ store, guarded: { tenantRequestsPerSecond: TENANT_RPS }, onError: (error) => errors.push(error) });
  const ours = (from: number) => connector.calls.slice(from).filter((call) => channelSet.has(call.conversationId));

  async function phase(name: string, event: ReturnType<typeof changeEvent>, expected: { send: number; update: number; reply: number }) {
    const from = connector.calls.length;
    const started = performance.now();
    await path.notifier.handle(event);
    const done = () => {
      const calls = ours(from);
      const accepted = (op: string) => calls.filter((call) => call.op === op && call.status < 300).length;
      return accepted('send') >= expected.send && accepted('update') >= expected.update && accepted('reply') >= expected.reply;
    };
    // Generous: ten times the floor, plus the coalescing window.
    const floorMs = ((expected.send + expected.update + expected.reply) / TENANT_RPS) * 1000;
    await waitUntil(done, `${name}: every channel's calls`, floorMs * 10 + 30_000, 5).catch((error: unknown) => errors.push(error));
    const elapsedMs = performance.now() - started;
    await path.notifier.flush();
    const calls = ours(from);
    const firstCallMs = (calls[0]?.at ?? 0) - (connector.calls[from]?.at ?? 0);
    return {
      name,
      elapsedMs,
      floorMs,
      firstCallMs,
      accepted: calls.filter((call) => call.status < 300).length,
      attempts: calls.length,
      throttled: calls.filter((call) => call.status === 429).length,
      sendPhaseMs: calls.length > 0 ? calls[calls.length - 1]!.at - calls[0]!.at : 0,
    };
  }

  const view = sampleView({ linkId: 'link-fanout', tenantId: TENANT });
  const posted = await phase('first change (posts the card)', changeEvent(1, view, [], 'created'), { send: CHANNELS, update: 0, reply: 0 });
  const changed = await phase(
    'later change (update + reply)',
    changeEvent(2, withSeverity(view, 'high'), [{ field: 'severity', from: 'medium', to: 'high', portal: 'defender', by: 'alice@contoso.com' }]),
    { send: 0, update: CHANNELS, reply: CHANNELS },
  );

  // Every channel shows exactly one card, updated once, with one reply in its thread.
  let missing = 0;
  let duplicates = 0;
  for (const id of ids) {
    const cards = connector.topLevel(id);
    if (cards.length > 1) duplicates += 1;
    const card = cards[0];
    if (!card || card.updates !== 1 || connector.repliesTo(card.id).length !== 1) missing += 1;
  }
  await path.notifier.close();
  await close();
  const givenUp = errors.filter((error) => error instanceof SendError && error.code === 'throttled').length;
  return { posted, changed, missing, duplicates, givenUp, errors };
}

// ------------------------------------------------------------------------------------------------
// 4. A 200-alert incident's card

function benchLargeCard(text: AlertText) {
  const alerts = graphAlertsOf(200, 5, text);
  const mapTimes: number[] = [];
  let details = alertDetailsFromGraph(alerts);
  for (let i = 0; i < RENDERS; i += 1) {
    const started = performance.now();
    details = alertDetailsFromGraph(alerts);
    mapTimes.push(performance.now() - started);
  }
  const view = sampleView({ linkId: 'link-large' });
  if (view.defender) view.defender = { ...view.defender, alertDetails: details, additionalData: { ...view.defender.additionalData, alertsCount: alerts.length } };
  const now = new Date().toISOString();
  renderIncidentCard(view, { mode: 'analyst', now }); // warm-up: template parse, JIT
  const renderTimes: number[] = [];
  let card = renderIncidentCard(view, { mode: 'analyst', now });
  for (let i = 0; i < RENDERS; i += 1) {
    const started = performance.now();
    card = renderIncidentCard(view, { mode: 'analyst', now });
    renderTimes.push(performance.now() - started);
  }
  const json = JSON.stringify(card);
  return {
    size: cardSize(card),
    alertsShown: (json.match(/"title":"Open alert"/g) ?? []).length,
    evidenceShown: (json.match(/ · \d+ alerts?/g) ?? []).length,
    evidenceTotal: details.evidenceTotal,
    mapTimes: mapTimes.sort((a, b) => a - b),
    renderTimes: renderTimes.sort((a, b) => a - b),
  };
}

function printLargeCard(): boolean {
  console.log('');
  console.log(`Incident card of a 200-alert incident naming 1,000 evidence items (budget ${INCIDENT_CARD_BUDGET_BYTES.toLocaleString('en-US')} bytes, the larger of UTF-8 and UTF-16; ${RENDERS} renders after a warm-up)`);
  let fits = true;
  for (const [name, text] of [['ordinary text', ORDINARY_TEXT], ['longest text kept, CJK', (i: number, j: number) => `${'雪'.repeat(600)}${i}-${j}`]] as const) {
    const large = benchLargeCard(text);
    const bytes = Math.max(large.size.utf8Bytes, large.size.utf16Bytes);
    fits &&= bytes <= INCIDENT_CARD_BUDGET_BYTES;
    console.log(`  ${name}: card ${large.size.utf8Bytes.toLocaleString('en-US')} bytes UTF-8, ${large.size.utf16Bytes.toLocaleString('en-US')} bytes UTF-16 (${((bytes / INCIDENT_CARD_BUDGET_BYTES) * 100).toFixed(0)}% of the budget); shows ${large.alertsShown} of 200 alerts and ${large.evidenceShown} of ${large.evidenceTotal.toLocaleString('en-US')} evidence items`);
    console.log(`    render (view -> card, fitted to the budget): p50 ${ms(percentile(large.renderTimes, 50))}  p95 ${ms(percentile(large.renderTimes, 95))}; mapping 200 Graph alerts: p50 ${ms(percentile(large.mapTimes, 50))}  p95 ${ms(percentile(large.mapTimes, 95))}`);
  }
  console.log(`  target (within the budget): ${fits ? 'met' : 'MISSED'}`);
  return fits;
}

// ------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const connector = await startMockConnector({ tenantRequestsPerSecond: TENANT_RPS, latencyMs: LATENCY_MS });
  try {
    console.log(`bench:bot — mock Bot Connector on loopback: Teams limits per conversation (7/1 s, 8/2 s, 60/30 s, 1800/h), ${TENANT_RPS} requests/s per tenant, ${LATENCY_MS} ms per call`);
    const invokes = await benchInvokes(connector);
    console.log('');
    console.log(`Invoke response latency (Action.Execute -> POST /api/messages, restify + CloudAdapter + teams-ai Application; bridge = in-memory fake bridge)`);
    console.log(`  sequential, ${invokes.sequential.length} clicks:        p50 ${ms(percentile(invokes.sequential, 50))}  p95 ${ms(percentile(invokes.sequential, 95))}  max ${ms(percentile(invokes.sequential, 100))}`);
    console.log(`  ${INVOKE_CONCURRENCY} concurrent, ${invokes.concurrent.length} clicks:     p50 ${ms(percentile(invokes.concurrent, 50))}  p95 ${ms(percentile(invokes.concurrent, 95))}  max ${ms(percentile(invokes.concurrent, 100))}`);
    const invokeP95 = Math.max(percentile(invokes.sequential, 95), percentile(invokes.concurrent, 95));
    console.log(`  target p95 <= 1000 ms: ${invokeP95 <= 1000 ? 'met' : 'MISSED'}`);

    const throttledBefore = connector.count().throttled;
    const fan = await benchFanOut(connector);
    console.log('');
    console.log(`Fan-out to ${CHANNELS} subscribed channels (notifier -> guarded sender -> CloudAdapter; store = ${STORE_KIND}; includes the ${DEFAULT_COALESCE_WINDOW_MS} ms coalescing window)`);
    for (const phase of [fan.posted, fan.changed]) {
      const ratio = phase.elapsedMs / phase.floorMs;
      console.log(`  ${phase.name}: ${s(phase.elapsedMs)} for ${phase.accepted} calls; floor ${s(phase.floorMs)} (${phase.accepted} / ${TENANT_RPS} per s); ratio ${ratio.toFixed(3)}x; calls alone ${s(phase.sendPhaseMs)}`);
    }
    const ratio = fan.changed.elapsedMs / fan.changed.floorMs;
    console.log(`  target (one change, within 1.2x floor): ${ratio <= 1.2 ? 'met' : 'MISSED'} (${ratio.toFixed(3)}x)`);
    console.log('');
    console.log(`Teams API calls per change per channel: ${(fan.changed.accepted / CHANNELS).toFixed(2)} (updates + threaded replies; attempts incl. refused: ${(fan.changed.attempts / CHANNELS).toFixed(2)}); first change: ${(fan.posted.accepted / CHANNELS).toFixed(2)} (the post)`);
    console.log(`  target (1 update + at most 1 reply): ${fan.changed.accepted / CHANNELS <= 2 && fan.missing === 0 ? 'met' : 'MISSED'}`);
    const throttled = connector.count().throttled - throttledBefore;
    const unhandled = fan.givenUp + fan.missing;
    console.log(`429s answered by the connector: ${throttled} (retried); unhandled 429s: ${unhandled} (sends given up: ${fan.givenUp}, channels without their update/reply: ${fan.missing}); duplicate cards: ${fan.duplicates}`);
    const peak = connector.peakUsage();
    console.log(`Peak accepted load seen by the connector: ${peak.tenantPerSecond} per second for the tenant (limit ${TENANT_RPS}); per conversation ${JSON.stringify(peak.conversation)}`);
    const otherErrors = fan.errors.filter((error) => !(error instanceof SendError && error.code === 'throttled'));
    for (const error of otherErrors.slice(0, 5)) console.log(`  error: ${error instanceof Error ? error.message : String(error)}`);
    const cardFits = printLargeCard();
    if (invokeP95 > 1000 || ratio > 1.2 || unhandled > 0 || fan.duplicates > 0 || otherErrors.length > 0 || !cardFits) process.exitCode = 1;
  } finally {
    await connector.close();
  }
}

await main();
