// Announces incident changes in Teams, and is the only writer of incident card messages. A
// ChangeConsumer for BridgeApi.subscribe.
//
// - Only conversations whose tenant may see the incident's pair get it (tenant-policy.ts).
// - Each event is matched against the channel subscriptions (subscription-filter.ts). Channels that
//   already show a card for the incident keep getting updates even if it no longer matches
//   (e.g. severity lowered): a stale card is worse than an unwanted update. A conversation with
//   no subscription left (/unsubscribe all) gets nothing more.
// - One card per (conversation, incident). The first notice claims the right to post in the
//   CardRepository, so two replicas (or a restart halfway) never post twice; later notices update
//   that card in place and add one short reply in its thread.
// - Bursts are coalesced per (conversation, incident) for `coalesceWindowMs`: reconcile often emits
//   several events for one incident in one poll, and Teams allows 7 sends per second per
//   conversation. One burst = one update + one reply.
// - Every card shows the incident and the outcome of its latest edit (read from the store when the
//   burst is sent, so the latest outcome always wins). Edit outcomes arrive as 'edit-outcome' events,
//   committed with the outcome itself: nothing polls for them, and nothing else writes a card.
// - Card copies (answers to commands, registered through 'card-registered' events) are updated in
//   place too, without threaded notices; outcome and registration events never post a new card.
// - Redelivered events are harmless: the card record keeps a hash of what the card shows, and an
//   event that would not change it sends nothing.
//
// Delivery: handle() returns once the event is queued; the send happens when the window closes.
// If the process stops inside the window the queued update is lost, but the card is not left
// wrong for long: the next event for the incident re-renders it from the full current view.
import type { ChangeConsumer } from '../sync/api.ts';
import type { ChangeEvent, ChangeEventKind, IncidentView } from '../domain/change-events.ts';
import type { EditOutcome } from '../domain/edits.ts';
import type { CardRecord, CardRepository, ConversationRecord, ConversationRepository, NoticeLogRepository, SubscriptionRepository } from '../store/ports.ts';
import type { Logger } from '../observability/logger.ts';
import { createSilentLogger } from '../observability/logger.ts';
import type { IncidentCardOptions } from '../cards/incident-card.ts';
import type { CardBuilders, TeamsSender } from './ports.ts';
import type { AdaptiveCard } from '../cards/render.ts';
import { conversationsToNotify } from './subscription-filter.ts';
import { mergeBurst } from './change-burst.ts';
import { cardHash, outcomeFor } from './card-hash.ts';
import { cardActivity, textActivity } from './card-activity.ts';
import { SendError } from './guarded-sender.ts';
import { canSee, type TenantPolicy } from './tenant-policy.ts';
import { ownerMentionActivity } from './mentions.ts';
import { isOwner, type PeopleResolver } from './people.ts';
import type { Activity } from 'botbuilder';

export type Schedule = (callback: () => void, delayMs: number) => () => void;

export interface NotifierOptions {
  subscriptions: Pick<SubscriptionRepository, 'listActive'>;
  conversations: Pick<ConversationRepository, 'get'>;
  cards: CardRepository;
  /** Should be the guarded sender (rate limits, retries, deactivation). */
  sender: TeamsSender;
  builders: CardBuilders;
  /** The outcome of an incident's latest edit request (BridgeApi.latestEditOutcome). */
  latestOutcome: (linkId: string) => Promise<EditOutcome | null>;
  /** Which pairs each conversation's tenant may see: nothing is announced outside that. */
  tenants: TenantPolicy;
  /** This replica's id, recorded on card claims. */
  holderId: string;
  allowedLinkHosts?: string[];
  log?: Logger;
  now?: () => Date;
  /** Timer for coalescing windows; tests pass a manual one. */
  schedule?: Schedule;
  coalesceWindowMs?: number;
  /**
   * A 'posting' claim older than this is taken over (its holder died before recording the post).
   * Well above the guarded sender's longest wait (60 s) plus the send itself.
   */
  claimStaleAfterMs?: number;
  /** How often a batch waits for another replica's claim before giving up. */
  maxClaimWaits?: number;
  /** Called for every failed batch, after it was logged; the loop keeps going. */
  onError?: (error: unknown, context: { conversationId: string; linkId: string }) => void;
  /** Finds a new owner in the conversation's roster, to mention them in the threaded notice. Without it owners are named. */
  people?: Pick<PeopleResolver, 'memberIn'>;
  /** Acknowledgement deadlines: a card's overdue state, and the reply when a deadline passes. Without it neither is shown. */
  escalations?: EscalationNotices;
}

/** What the notifier needs to show deadlines (src/triage/escalation.ts implements it). */
export interface EscalationNotices {
  /** When the incident's deadline in the conversation passed, while it is still not acknowledged; else null. */
  overdueSince(conversationId: string, view: IncidentView): Promise<string | null>;
  /** The reply for an 'escalated' event in its conversation, or null when there is nothing to say (the policy was removed). */
  replyFor(conversation: ConversationRecord, event: ChangeEvent): Promise<Partial<Activity> | null>;
  /** Where each reply is claimed before it is sent, so a redelivery or another replica never sends it twice. */
  notices: NoticeLogRepository;
}

export interface Notifier extends ChangeConsumer {
  /** Sends every queued burst now and waits until all sends are done (tests, shutdown). */
  flush(): Promise<void>;
  /** Stops accepting events, flushes, and waits. */
  close(): Promise<void>;
}

/** Reconcile emits an incident's changes within one poll (2 s by default); 1.5 s catches most bursts. */
export const DEFAULT_COALESCE_WINDOW_MS = 1500;
export const DEFAULT_CLAIM_STALE_AFTER_MS = 120_000;
const RENDER_REUSE_MS = 30_000;
const MAX_SHARED_RENDERS = 64;

const defaultSchedule: Schedule = (callback, delayMs) => {
  const timer = setTimeout(callback, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
};

/** The events that may post a new announced card; outcomes and registrations only update cards. */
const POSTING_KINDS: ReadonlySet<ChangeEventKind> = new Set(['created', 'updated', 'merged', 'escalated']);

/** A card as it should look now: what it shows, its hash, and its rendering (made at most once). */
interface ShownCard {
  view: IncidentView;
  hash: string;
  render: () => AdaptiveCard;
}

interface PendingBurst {
  conversationId: string;
  linkId: string;
  events: ChangeEvent[];
  /** Some event reached this conversation through a subscription or its announced card (not only its copies). */
  announce: boolean;
  cancel: (() => void) | undefined;
  claimWaits: number;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const log = options.log ?? createSilentLogger();
  const now = options.now ?? (() => new Date());
  const schedule = options.schedule ?? defaultSchedule;
  const windowMs = options.coalesceWindowMs ?? DEFAULT_COALESCE_WINDOW_MS;
  const staleAfterMs = options.claimStaleAfterMs ?? DEFAULT_CLAIM_STALE_AFTER_MS;
  const maxClaimWaits = options.maxClaimWaits ?? 20;
  const pending = new Map<string, PendingBurst>();
  /** Per (conversation, incident): the tail of its send chain, so batches never overlap. */
  const chains = new Map<string, Promise<void>>();
  let closed = false;

  const keyOf = (conversationId: string, linkId: string) => `${conversationId}\u0000${linkId}`;

  /**
   * One rendering serves every channel that shows the same view. Templating is CPU-bound (a few
   * ms per card), and a change fanned out to 500 channels rendered the same card 500 times, which
   * blocked the event loop for seconds and delayed every send behind it. A rendering is reused for
   * RENDER_REUSE_MS: its relative times ("created 5 min ago", "Card updated hh:mm") are at minute
   * precision, so they are at most that much stale. Each send still gets its own nonce (cardActivity).
   */
  const renders = new Map<string, { card: AdaptiveCard; renderedAt: number }>();
  function renderShared(hash: string, view: IncidentView, cardOptions: IncidentCardOptions): AdaptiveCard {
    const at = now().getTime();
    const cached = renders.get(hash);
    if (cached && at - cached.renderedAt < RENDER_REUSE_MS) return cached.card;
    const card = options.builders.renderIncidentCard(view, cardOptions);
    renders.delete(hash);
    renders.set(hash, { card, renderedAt: at });
    // Oldest first in insertion order: keep only the most recent few views.
    for (const key of renders.keys()) {
      if (renders.size <= MAX_SHARED_RENDERS) break;
      renders.delete(key);
    }
    return card;
  }

  function enqueue(conversationId: string, event: ChangeEvent, announce: boolean, claimWaits = 0): void {
    const key = keyOf(conversationId, event.linkId);
    const burst = pending.get(key);
    if (burst) {
      if (!burst.events.some((queued) => queued.id === event.id)) burst.events.push(event);
      burst.announce ||= announce;
      return;
    }
    const fresh: PendingBurst = { conversationId, linkId: event.linkId, events: [event], announce, cancel: undefined, claimWaits };
    pending.set(key, fresh);
    fresh.cancel = schedule(() => release(key), windowMs);
  }

  /** Moves a burst from the window to its send chain. */
  function release(key: string): Promise<void> {
    const burst = pending.get(key);
    if (!burst) return chains.get(key) ?? Promise.resolve();
    pending.delete(key);
    burst.cancel?.();
    const previous = chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => deliver(burst));
    chains.set(key, next);
    void next.finally(() => {
      if (chains.get(key) === next) chains.delete(key);
    });
    return next;
  }

  /** Never throws: failures are logged and reported, and the next event tries again. */
  async function deliver(burst: PendingBurst): Promise<void> {
    const { conversationId, linkId } = burst;
    try {
      await deliverBurst(burst);
    } catch (error) {
      log.error({ err: error, conversationId, linkId, events: burst.events.map((event) => event.id) }, 'could not announce incident change in Teams');
      options.onError?.(error, { conversationId, linkId });
    }
  }

  async function deliverBurst(burst: PendingBurst): Promise<void> {
    const { conversationId, linkId } = burst;
    const conversation = await options.conversations.get(conversationId);
    if (!conversation || !conversation.active) return;
    const event = mergeBurst(burst.events);
    // One MSSP customer's channel never gets another's incidents, whatever it subscribed to.
    if (!canSee(options.tenants.scopeOf(conversation.tenantId), event.pairId)) return;
    const view = event.incident;
    const outcome = outcomeFor(view, await options.latestOutcome(linkId));
    // Overdue is per conversation: its deadline passed here, and nobody has acknowledged it since.
    const overdueSince = options.escalations ? await options.escalations.overdueSince(conversationId, view) : null;
    const cardOptions = {
      mode: 'analyst' as const,
      outcome,
      now: now().toISOString(),
      ...(overdueSince ? { overdueSince } : {}),
      ...(options.allowedLinkHosts ? { allowedLinkHosts: options.allowedLinkHosts } : {}),
    };
    const hash = cardHash(view, outcome, overdueSince);
    const shown: ShownCard = { view, hash, render: () => renderShared(hash, view, cardOptions) };

    const cardId = burst.announce ? await deliverAnnounced(burst, conversation, event, shown) : null;
    if (cardId) await sendEscalations(burst, conversation, cardId);
    await updateCopies(conversation, linkId, shown);
  }

  /** Each deadline that passed in the burst gets one reply in the card's thread, naming who should act. */
  async function sendEscalations(burst: PendingBurst, conversation: ConversationRecord, cardId: string): Promise<void> {
    const escalations = options.escalations;
    if (!escalations) return;
    for (const escalated of burst.events.filter((queued) => queued.kind === 'escalated' && queued.escalation?.conversationId === conversation.id)) {
      const key = `escalation:${conversation.id}:${escalated.linkId}:${escalated.escalation?.dueAt ?? ''}`;
      const reply = await escalations.replyFor(conversation, escalated);
      if (!reply || !(await escalations.notices.claim(key, now().toISOString()))) continue;
      try {
        await options.sender.reply(conversation.reference, cardId, reply);
      } catch (error) {
        await escalations.notices.release(key);
        throw error;
      }
    }
  }

  /**
   * The conversation's one announced card of the incident: posted once, then updated with a threaded
   * notice. Returns the card's activity id when the conversation shows it, else null.
   */
  async function deliverAnnounced(burst: PendingBurst, conversation: ConversationRecord, event: ChangeEvent, shown: ShownCard): Promise<string | null> {
    const { conversationId, linkId } = burst;
    const reference = conversation.reference;
    const mayPost = burst.events.some((queued) => POSTING_KINDS.has(queued.kind));
    let card: CardRecord | null = await options.cards.get(conversationId, linkId);
    if (!card || card.state !== 'posted') {
      if (!card && !mayPost) return null;
      const claim = await options.cards.claim(conversationId, linkId, options.holderId, now().toISOString(), staleAfterMs);
      if (claim.claimed) return post();
      card = claim.card;
      if (card.state !== 'posted' || !card.activityId) {
        // Another replica is posting this card right now: come back after it recorded the post.
        if (burst.claimWaits >= maxClaimWaits) {
          log.warn({ conversationId, linkId }, 'gave up waiting for another replica to post the card');
          return null;
        }
        for (const queued of burst.events) enqueue(conversationId, queued, true, burst.claimWaits + 1);
        return null;
      }
    }

    const activityId = card.activityId;
    if (!activityId) return null;
    if (card.lastHash === shown.hash) return activityId; // nothing new to show: a redelivery or an echo
    try {
      await options.sender.update(reference, activityId, cardActivity(shown.render(), shown.view));
    } catch (error) {
      if (error instanceof SendError && error.code === 'message-gone') {
        // Someone deleted the card: forget it and post a fresh one.
        await options.cards.remove(conversationId, linkId);
        const claim = await options.cards.claim(conversationId, linkId, options.holderId, now().toISOString(), staleAfterMs);
        return claim.claimed ? post() : null;
      }
      throw error;
    }
    await options.cards.recordUpdate(conversationId, linkId, shown.hash, now().toISOString());
    const notice = options.builders.buildChangeNoticeText(event);
    if (notice.trim().length > 0) await options.sender.reply(reference, activityId, await noticeActivity(conversation, event, notice));
    return activityId;

    async function post(): Promise<string> {
      try {
        const sent = await options.sender.send(reference, cardActivity(shown.render(), shown.view));
        const recorded = await options.cards.markPosted(conversationId, linkId, options.holderId, sent.id, shown.hash, now().toISOString());
        if (!recorded) log.warn({ conversationId, linkId, activityId: sent.id }, 'posted a card but the claim had been taken over; another replica may have posted too');
        return sent.id;
      } catch (error) {
        await options.cards.releaseClaim(conversationId, linkId, options.holderId).catch(() => false);
        throw error;
      }
    }
  }

  /**
   * The threaded notice; when the burst gave the incident a new owner who is a member of this
   * conversation, it ends by mentioning them (a mention built from the roster, never from incident text).
   */
  async function noticeActivity(conversation: ConversationRecord, event: ChangeEvent, notice: string): Promise<Partial<Activity>> {
    const owner = event.changes.find((change) => change.field === 'owner')?.to;
    if (!options.people || !isOwner(owner)) return textActivity(notice);
    const member = await options.people.memberIn(conversation, owner);
    return member ? ownerMentionActivity(notice, member) : textActivity(notice);
  }

  /** The incident's registered copies in the conversation, brought up to date in place. */
  async function updateCopies(conversation: ConversationRecord, linkId: string, shown: ShownCard): Promise<void> {
    for (const copy of await options.cards.listCopies(linkId, conversation.id)) {
      if (copy.lastHash === shown.hash) continue;
      try {
        await options.sender.update(conversation.reference, copy.activityId, cardActivity(shown.render(), shown.view));
      } catch (error) {
        if (error instanceof SendError && error.code === 'message-gone') {
          await options.cards.removeCopy(conversation.id, copy.activityId);
          continue;
        }
        throw error;
      }
      await options.cards.recordCopyUpdate(conversation.id, copy.activityId, shown.hash, now().toISOString());
    }
  }

  async function flush(): Promise<void> {
    // Loop: a flushed batch can requeue (claim held elsewhere); stop when nothing is left.
    for (let round = 0; round < maxClaimWaits + 2 && (pending.size > 0 || chains.size > 0); round += 1) {
      await Promise.all([...pending.keys()].map((key) => release(key)));
      await Promise.all([...chains.values()]);
    }
  }

  return {
    name: 'teams-notifier',
    async handle(event: ChangeEvent): Promise<void> {
      if (closed) throw new Error('The Teams notifier is closed; the event will be redelivered after restart.');
      // Throwing here (store unreachable) makes the engine redeliver the event later.
      if (event.kind === 'card-registered') {
        if (event.target) enqueue(event.target.conversationId, event, false);
        return;
      }
      // A deadline passed in one conversation: its card turns overdue and its thread hears of it.
      if (event.kind === 'escalated') {
        if (event.escalation) enqueue(event.escalation.conversationId, event, true);
        return;
      }
      const subscriptions = await options.subscriptions.listActive();
      const announced = new Set(POSTING_KINDS.has(event.kind) ? conversationsToNotify(subscriptions, event) : []);
      const subscribed = new Set(subscriptions.map((subscription) => subscription.conversationId));
      for (const card of await options.cards.listForLink(event.linkId)) {
        if (card.state === 'posted' && subscribed.has(card.conversationId)) announced.add(card.conversationId);
      }
      for (const conversationId of announced) enqueue(conversationId, event, true);
      for (const copy of await options.cards.listCopies(event.linkId)) {
        if (!announced.has(copy.conversationId)) enqueue(copy.conversationId, event, false);
      }
    },
    flush,
    async close(): Promise<void> {
      closed = true;
      await flush();
    },
  };
}
