// One incident change fanned out to N subscribed channels through the bot's real send path
// (notifier -> guarded sender -> CloudAdapter; send-path.ts), against the mock Bot Connector, which
// enforces Teams' per-conversation and per-tenant limits. Two phases: the first change posts the
// card in every channel (N calls), a later one updates it and replies in its thread (2N calls).
// Each is timed from the notifier's handle() to the last accepted call, and compared with the floor
// the configured per-tenant limit allows: calls / requests-per-second. The coalescing window is part
// of the measured time, not of the floor.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendError } from '../../src/bot/guarded-sender.ts';
import { DEFAULT_COALESCE_WINDOW_MS } from '../../src/bot/notifier.ts';
import { tenantBucketRule } from '../../src/bot/send-policy.ts';
import { openStore } from '../../src/store/store.ts';
import type { Repositories } from '../../src/store/ports.ts';
import { createMemoryStore } from '../../test/fakes/memory-store.ts';
import { sampleView } from '../../test/fakes/bridge.ts';
import { startMockConnector, TEAMS_CONVERSATION_LIMITS } from './mock-connector.ts';
import { changeEvent, createSendPath, seedSubscribedChannels, waitUntil, withSeverity } from './send-path.ts';
import { verdict, type FigureRow } from './figure-table.ts';

export type FanOutStoreKind = 'memory' | 'pglite';

export interface FanOutOptions {
  channels: number;
  /** The per-tenant limit: the bridge is configured with it and the mock Bot Connector enforces it. */
  tenantRequestsPerSecond: number;
  /** Where the shared rate-limit buckets, cards and subscriptions live. */
  store: FanOutStoreKind;
  /** Added by the mock Bot Connector to every answer, as a network hop. */
  connectorLatencyMs: number;
}

export const FAN_OUT_TARGET_RATIO = 1.1;
const TENANT = 'tenant-bench';

async function openBenchStore(kind: FanOutStoreKind): Promise<{ store: Repositories; close: () => Promise<void> }> {
  if (kind === 'memory') return { store: createMemoryStore(), close: async () => {} };
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

interface Phase {
  elapsedMs: number;
  floorMs: number;
  accepted: number;
  attempts: number;
  /** From handle() to the first call reaching the connector: the coalescing window and the notifier's reads. */
  firstCallMs: number;
  /** From the first accepted call to the last: the rate the calls went out at. */
  callsMs: number;
}

export async function measureFanOut(options: FanOutOptions): Promise<FigureRow[]> {
  const rps = options.tenantRequestsPerSecond;
  const connector = await startMockConnector({ tenantRequestsPerSecond: rps, latencyMs: options.connectorLatencyMs });
  const { store, close } = await openBenchStore(options.store);
  try {
    const ids = await seedSubscribedChannels(store, { serviceUrl: connector.url, count: options.channels, tenantId: TENANT });
    const channelSet = new Set(ids);
    const errors: unknown[] = [];
    // Production settings: the default coalescing window and the guarded sender's limits.
    const path = createSendPath({ store, guarded: { tenantRequestsPerSecond: rps }, onError: (error) => errors.push(error) });
    const ours = (from: number) => connector.calls.slice(from).filter((call) => channelSet.has(call.conversationId));

    async function phase(event: ReturnType<typeof changeEvent>, expected: { send: number; update: number; reply: number }): Promise<Phase> {
      const from = connector.calls.length;
      const floorMs = ((expected.send + expected.update + expected.reply) / rps) * 1000;
      const started = performance.now();
      const startedOnConnector = connector.now();
      await path.notifier.handle(event);
      // Counted as calls come in: rescanning every call on each check cost this process more CPU
      // than the notifier's own work, and slowed the sends it measures.
      const seen: Record<string, number> = { send: 0, update: 0, reply: 0 };
      let scanned = from;
      const done = () => {
        for (; scanned < connector.calls.length; scanned += 1) {
          const call = connector.calls[scanned]!;
          if (call.status < 300 && channelSet.has(call.conversationId)) seen[call.op] = (seen[call.op] ?? 0) + 1;
        }
        return seen['send']! >= expected.send && seen['update']! >= expected.update && seen['reply']! >= expected.reply;
      };
      // Generous: ten times the floor, plus the coalescing window.
      await waitUntil(done, 'every channel\'s calls', floorMs * 10 + 30_000, 5).catch((error: unknown) => errors.push(error));
      const elapsedMs = performance.now() - started;
      await path.notifier.flush();
      const calls = ours(from);
      const accepted = calls.filter((call) => call.status < 300);
      const firstAt = accepted[0]?.at ?? startedOnConnector;
      return { elapsedMs, floorMs, accepted: accepted.length, attempts: calls.length, firstCallMs: firstAt - startedOnConnector, callsMs: (accepted.at(-1)?.at ?? firstAt) - firstAt };
    }

    const view = sampleView({ linkId: 'link-fanout', tenantId: TENANT });
    const throttledBefore = connector.count().throttled;
    const posted = await phase(changeEvent(1, view, [], 'created'), { send: options.channels, update: 0, reply: 0 });
    const changed = await phase(
      changeEvent(2, withSeverity(view, 'high'), [{ field: 'severity', from: 'medium', to: 'high', portal: 'defender', by: 'alice@contoso.com' }]),
      { send: 0, update: options.channels, reply: options.channels },
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
    const throttled = connector.count().throttled - throttledBefore;
    const givenUp = errors.filter((error) => error instanceof SendError && error.code === 'throttled').length;
    const other = errors.filter((error) => !(error instanceof SendError && error.code === 'throttled'));
    const peak = connector.peakUsage();
    const bucket = tenantBucketRule(rps);
    const ratio = (p: Phase) => p.elapsedMs / p.floorMs;
    const where = `${options.channels} channels, store ${options.store}, ${options.connectorLatencyMs} ms per call`;
    const row = (figure: string, p: Phase, ops: string): FigureRow => ({
      figure: `${figure} (${where})`,
      measured: `${(p.elapsedMs / 1000).toFixed(2)} s = ${ratio(p).toFixed(3)}x floor`,
      reference: `floor ${(p.floorMs / 1000).toFixed(2)} s: ${p.accepted} ${ops} at ${rps}/s (TEAMS_TENANT_REQUESTS_PER_SECOND); first call after ${(p.firstCallMs / 1000).toFixed(2)} s (coalescing window ${DEFAULT_COALESCE_WINDOW_MS} ms), then ${(p.accepted / (p.callsMs / 1000)).toFixed(1)}/s (the bridge's bucket sustains ${bucket.refillPerSecond}/s)`,
      target: `<= ${FAN_OUT_TARGET_RATIO}x`,
      verdict: verdict(ratio(p) <= FAN_OUT_TARGET_RATIO),
    });
    return [
      row('one change fanned out: update + reply', changed, 'calls'),
      row('first change fanned out: post the card', posted, 'posts'),
      {
        figure: 'Teams API calls per change per channel',
        measured: `${(changed.accepted / options.channels).toFixed(2)} (first change ${(posted.accepted / options.channels).toFixed(2)})`,
        reference: `attempts incl. refused ${(changed.attempts / options.channels).toFixed(2)}; peak ${peak.tenantPerSecond}/s for the tenant, per conversation ${JSON.stringify(peak.conversation)} (limits ${TEAMS_CONVERSATION_LIMITS.map((limit) => `${limit.max}/${limit.windowMs / 1000} s`).join(', ')})`,
        target: '1 update + 1 reply',
        verdict: verdict(changed.accepted / options.channels <= 2 && missing === 0),
      },
      {
        figure: '429s: answered / unhandled; duplicate cards',
        measured: `${throttled} / ${givenUp + missing}; ${duplicates}`,
        reference: `sends given up ${givenUp}, channels without their update or reply ${missing}${other.length > 0 ? `; errors: ${other.slice(0, 3).map((error) => (error instanceof Error ? error.message : String(error))).join('; ')}` : ''}`,
        target: 'unhandled 0, duplicates 0',
        verdict: verdict(givenUp + missing === 0 && duplicates === 0 && other.length === 0),
      },
    ];
  } finally {
    await close();
    await connector.close();
  }
}
