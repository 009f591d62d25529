// The bot's real proactive send path, wired as src/start-bridge.ts wires it (CloudAdapter sender ->
// guarded sender -> notifier), plus channels whose stored references point at a mock Bot
// Connector. Shared by bench/bot.ts and test/bot-connector/.
import type { Repositories } from '../../src/store/ports.ts';
import type { ChangeEvent, FieldChange, IncidentView } from '../../src/domain/change-events.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { createBotAdapter } from '../../src/bot/adapter.ts';
import { createCloudAdapterSender } from '../../src/bot/teams-sender.ts';
import { createGuardedSender, type GuardedSenderOptions } from '../../src/bot/guarded-sender.ts';
import { createNotifier, type Notifier, type NotifierOptions } from '../../src/bot/notifier.ts';
import type { TeamsSender } from '../../src/bot/ports.ts';
import { renderIncidentCard } from '../../src/cards/incident-card.ts';
import { buildChangeNoticeText } from '../../src/cards/change-notice.ts';
import type { TenantPolicy } from '../../src/bot/tenant-policy.ts';

export const BOT_ACCOUNT = { id: '28:incident-bridge-bench', name: 'Incident Bridge' };

/** A channel's conversation reference as the bot stores it on install, aimed at `serviceUrl`. */
export function channelReference(serviceUrl: string, conversationId: string, tenantId: string, activityId?: string) {
  return {
    bot: BOT_ACCOUNT,
    channelId: 'msteams',
    serviceUrl,
    conversation: { id: conversationId, conversationType: 'channel', tenantId, isGroup: true },
    // Real stored references keep the id of the activity they came from (install, /subscribe).
    ...(activityId ? { activityId } : {}),
  };
}

export function channelId(index: number): string {
  return `19:channel-${String(index).padStart(4, '0')}@thread.tacv2`;
}

/** Stores `count` active channels, each subscribed to every incident. Returns their ids. */
export async function seedSubscribedChannels(
  store: Pick<Repositories, 'conversations' | 'subscriptions'>,
  options: { serviceUrl: string; count: number; tenantId: string; first?: number },
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < options.count; i += 1) {
    const id = channelId((options.first ?? 0) + i);
    await store.conversations.upsert({
      id,
      reference: channelReference(options.serviceUrl, id, options.tenantId, `install-${i}`),
      scope: 'channel',
      tenantId: options.tenantId,
      channelId: id,
      teamId: '19:team@thread.tacv2',
    });
    await store.subscriptions.add({ id: `sub-${id}`, conversationId: id, filters: {}, createdBy: null });
    ids.push(id);
  }
  return ids;
}

export interface SendPathOptions {
  store: Pick<Repositories, 'conversations' | 'subscriptions' | 'cards' | 'rateLimits' | 'cardRefreshes' | 'changeEvents'>;
  holderId?: string;
  log?: Logger;
  coalesceWindowMs?: number;
  guarded?: Partial<Omit<GuardedSenderOptions, 'sender' | 'rateLimits' | 'conversations'>>;
  onError?: NotifierOptions['onError'];
  /** Default: every tenant sees every pair (these runs measure sending, not tenancy). */
  tenants?: TenantPolicy;
  /** To mention new owners in threaded notices (NotifierOptions.people). */
  people?: NotifierOptions['people'];
}

const EVERY_TENANT: TenantPolicy = { scopeOf: (tenantId) => (tenantId ? { kind: 'all' } : null) };

export interface SendPath {
  sender: TeamsSender;
  notifier: Notifier;
}

/** CloudAdapter in local mode (no BOT_ID: anonymous calls to the serviceUrl), as src/start-bridge.ts builds it. */
export function createSendPath(options: SendPathOptions): SendPath {
  const log = options.log ?? createSilentLogger();
  const adapter = createBotAdapter({ log });
  const sender = createGuardedSender({
    sender: createCloudAdapterSender(adapter, undefined),
    rateLimits: options.store.rateLimits,
    conversations: options.store.conversations,
    log,
    ...options.guarded,
  });
  const notifier = createNotifier({
    subscriptions: options.store.subscriptions,
    conversations: options.store.conversations,
    cards: options.store.cards,
    refreshes: options.store.cardRefreshes,
    events: options.store.changeEvents,
    sender,
    builders: { renderIncidentCard, buildChangeNoticeText },
    // These runs announce incident changes only: no edit outcomes to show.
    latestOutcome: async () => null,
    tenants: options.tenants ?? EVERY_TENANT,
    holderId: options.holderId ?? 'bench-replica',
    log,
    ...(options.coalesceWindowMs !== undefined ? { coalesceWindowMs: options.coalesceWindowMs } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.people ? { people: options.people } : {}),
  });
  return { sender, notifier };
}

/** A change event as the sync engine emits it. */
export function changeEvent(seq: number, view: IncidentView, changes: FieldChange[], kind: ChangeEvent['kind'] = 'updated'): ChangeEvent {
  return { id: `evt-${seq}`, seq, kind, linkId: view.linkId, pairId: view.pairId, incident: view, changes, occurredAt: new Date().toISOString() };
}

export function withSeverity(view: IncidentView, severity: 'low' | 'medium' | 'high'): IncidentView {
  const copy = structuredClone(view);
  if (copy.defender) copy.defender.severity = severity;
  if (copy.sentinel) copy.sentinel.severity = severity;
  return copy;
}

/** Polls until `condition` holds (state reached by background sends), or fails naming `what`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs: number, pollMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
