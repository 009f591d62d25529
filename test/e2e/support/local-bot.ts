// The real bot stack, wired as main.ts will wire it, over the in-memory store and a fake bridge
// that applies edits (applying-bridge.ts): CloudAdapter in local mode (no BOT_ID, so no Bot
// Framework authentication), the teams-ai application, the restify server, and the proactive
// path (notifier -> guarded sender -> CloudAdapter sender). Proactive sends and updates go to the
// serviceUrl of the stored conversation reference: the Agents Playground's mock connector.
import type { Writable } from 'node:stream';
import { createBotAdapter } from '../../../src/bot/adapter.ts';
import { createBotApplication } from '../../../src/bot/bot-application.ts';
import { createBackgroundTasks } from '../../../src/bot/background.ts';
import { createGuardedSender } from '../../../src/bot/guarded-sender.ts';
import { createNotifier } from '../../../src/bot/notifier.ts';
import { createCloudAdapterSender } from '../../../src/bot/teams-sender.ts';
import { buildChangeNoticeText } from '../../../src/cards/change-notice.ts';
import { renderIncidentCard } from '../../../src/cards/incident-card.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createHttpServer } from '../../../src/server/http.ts';
import { createMemoryStore } from '../../fakes/memory-store.ts';
import { sampleView } from '../../fakes/bridge.ts';
import { createApplyingBridge, type ApplyingBridge } from './applying-bridge.ts';
import type { BotUnderTest, SampleIncident } from './bot-under-test.ts';
import { createTenantPolicy } from '../../../src/bot/tenant-policy.ts';
import { PLAYGROUND_DEFAULTS } from './playground.ts';

export interface LocalBotOptions {
  /**
   * The notifier's coalescing window. Production waits 1.5 s for a burst of changes to settle;
   * one click makes one change here, so a short window keeps the run fast.
   */
  coalesceWindowMs?: number;
  /** Print the bot's logs (pino JSON) to stderr; also set by E2E_LOG=1. */
  printLogs?: boolean;
  /** Served tenants, each seeing every pair. Default: the Playground's, as env/.env.local allows it. */
  allowedTenants?: string[];
}

export interface LocalBot extends BotUnderTest {
  readonly port: number;
  readonly bridge: ApplyingBridge;
}

/** pino levels: 50 = error, 60 = fatal. */
const ERROR_LEVEL = 50;

/** A pino destination that keeps error entries (and optionally echoes everything to stderr). */
export function createLogSink(print: boolean): { stream: Pick<Writable, 'write'>; errors: unknown[] } {
  const errors: unknown[] = [];
  const stream = {
    write(line: string): boolean {
      if (print) process.stderr.write(line);
      try {
        const entry = JSON.parse(line) as { level?: number };
        if ((entry.level ?? 0) >= ERROR_LEVEL) errors.push(entry);
      } catch {
        errors.push(line);
      }
      return true;
    },
  };
  return { stream, errors };
}

export async function startLocalBot(options: LocalBotOptions = {}): Promise<LocalBot> {
  const sink = createLogSink(options.printLogs ?? process.env['E2E_LOG'] === '1');
  const log = createLogger({ level: 'debug', name: 'e2e-bot', destination: sink.stream as Writable });
  const store = createMemoryStore();
  const bridge = createApplyingBridge({ cards: store.cards });
  const view = sampleView({ linkId: 'e2e-link-1', defenderId: '2931', sentinelNumber: 1042, severity: 'medium', tags: ['phishing'] });
  bridge.put(view);
  const primary = view.defender;
  if (!primary) throw new Error('sampleView() has no Defender side');
  const sample: SampleIncident = { linkId: view.linkId, title: primary.title, severity: 'medium', tags: [...primary.tags] };

  // Local mode: no bot id, so no authentication either way (as with the Playground or Emulator).
  const adapter = createBotAdapter({ log });
  const sender = createGuardedSender({
    sender: createCloudAdapterSender(adapter, undefined),
    rateLimits: store.rateLimits,
    conversations: store.conversations,
    log,
  });
  const builders = { renderIncidentCard, buildChangeNoticeText };
  const tasks = createBackgroundTasks(log);
  const tenants = createTenantPolicy({ allowedTenants: options.allowedTenants ?? [PLAYGROUND_DEFAULTS.tenantId], pairs: [] });
  const app = createBotApplication({
    bridge,
    conversations: store.conversations,
    subscriptions: store.subscriptions,
    cards: store.cards,
    builders,
    access: { analysts: undefined, approvers: [], localMode: true },
    tenants,
    tasks,
    log,
  });
  const notifier = createNotifier({
    subscriptions: store.subscriptions,
    conversations: store.conversations,
    cards: store.cards,
    refreshes: store.cardRefreshes,
    events: store.changeEvents,
    sender,
    builders,
    latestOutcome: (linkId) => bridge.latestEditOutcome(linkId),
    tenants,
    holderId: 'e2e-local-bot',
    log,
    coalesceWindowMs: options.coalesceWindowMs ?? 100,
  });
  const unsubscribe = bridge.subscribe(notifier);
  const server = createHttpServer({ adapter, app, health: async () => ({ bot: { ok: true } }), log, shutdownGraceMs: 2000 });
  const port = await server.listen(0, '127.0.0.1');

  async function idle(): Promise<void> {
    // Edits finish (and announce), the notifier sends, follow-ups update cards; repeat until quiet.
    for (let round = 0; round < 5; round += 1) {
      await bridge.idle();
      await notifier.flush();
      await tasks.idle();
      if (tasks.size === 0) return;
    }
  }

  return {
    port,
    bridge,
    endpoint: `http://127.0.0.1:${port}/api/messages`,
    sample,
    async announceSampleIncident() {
      await bridge.announce(sample.linkId);
    },
    idle,
    backgroundErrors: () => [...sink.errors, ...bridge.errors],
    async close() {
      unsubscribe();
      await notifier.close();
      await tasks.idle();
      await server.close();
      await store.close();
    },
  };
}
