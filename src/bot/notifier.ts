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
// - Bursts are coalesced per (conversation, incident) for `coalesceWindowMs`: the events of one
//   sync reach the notifier together, and Teams allows 7 sends per second per conversation. One burst = one update + one reply.
// - Every card shows the incident, the outcome of its latest edit and its war room (both read from
//   the store when the burst is sent, so the latest always wins). Edit outcomes arrive as
//   'edit-outcome' events, committed with the outcome itself, and a new war room as a 'war-room'
//   event: nothing polls for them, and nothing else writes a card.
// - Card copies (answers to commands, registered through 'card-registered' events) are updated in
//   place too, without threaded notices; outcome and registration events never post a new card.
// - Redelivered events are harmless: the card record keeps a hash of what the card shows, and an
//   event that would not change it sends nothing.
//
// Delivery: handle() records in the store which cards the event makes stale (CardRefreshRepository)
// and queues them; it returns, and the event is acknowledged, only after that record is written.
// The send happens when the window closes, and the record is cleared once it is done. If the process
// stops or dies before that, the record stays: a stopping notifier releases its claims, and every
// replica's sweep takes over records whose claim went stale, rebuilding each burst from the outbox.
// A card that keeps failing is given up after a few tries, logged.
import type { ChangeConsumer } from '../sync/api.ts';
import type { ChangeEvent, ChangeEventKind, IncidentView } from '../domain/change-events.ts';
import { outcomeShown, type EditOutcome } from '../domain/edits.ts';
import type { WarRoomLink } from '../domain/war-room.ts';
import type {
  CardRecord,
  CardRefreshMark,
  CardRefreshRepository,
  CardRepository,
  ChangeEventRepository,
  ConversationRecord,
  ConversationRepository,
  NoticeLogRepository,
  SubscriptionRepository,
} from '../store/ports.ts';
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
import { createKeyedSlots } from './tenant-slots.ts';
import { canSee, type TenantPolicy } from './tenant-policy.ts';
import { untraced, type Traced } from '../observability/tracing.ts';
import { ownerMentionActivity } from './mentions.ts';
import { isOwner, type PeopleResolver } from './people.ts';
import type { Activity } from 'botbuilder';

export type Schedule = (callback: () => void, delayMs: number) => () => void;

/**
 * How a burst (one incident's events for one conversation) ended: its cards show it (whether or
 * not that needed a send), skipped (the conversation is gone, inactive or may not see the pair),
 * or failed (logged, and the next event tries again).
 */
export type DeliveryResult = 'delivered' | 'skipped' | 'failed';

/** What the notifier reports to metrics (src/observability/metrics.ts implements it). */
export interface NotifierMetrics {
  /** How many conversations one change event was queued for (announced cards and card copies). */
  recordFanOut(kind: ChangeEventKind, conversations: number): void;
  recordDelivery(result: DeliveryResult): void;
}

export interface NotifierOptions {
  subscriptions: Pick<SubscriptionRepository, 'listActive'>;
  conversations: Pick<ConversationRepository, 'get'>;
  cards: CardRepository;
  /** Which cards still have to be brought up to date: recorded before an event is acknowledged. */
  refreshes: CardRefreshRepository;
  /** The outbox, to rebuild the burst of a refresh taken over from another replica. */
  events: Pick<ChangeEventRepository, 'readForLink'>;
  /** Should be the guarded sender (rate limits, retries, deactivation). */
  sender: TeamsSender;
  builders: CardBuilders;
  /** The outcome of an incident's latest edit request (BridgeApi.latestEditOutcome). */
  latestOutcome: (linkId: string) => Promise<EditOutcome | null>;
  /** The incident's war room, which its cards link (WarRoomService.linkOf). Default: none. */
  warRoomOf?: (linkId: string) => Promise<WarRoomLink | null>;
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
  /** How often start()'s loop looks for refreshes whose claim went stale (default 30 s). */
  sweepIntervalMs?: number;
  /** Failed sends after which a refresh is given up (default 5). */
  maxRefreshAttempts?: number;
  /** Called for every failed batch, after it was logged; the loop keeps going. */
  onError?: (error: unknown, context: { conversationId: string; linkId: string }) => void;
  metrics?: NotifierMetrics;
  /** Traces each burst's delivery (when telemetry is on). Default: untraced. */
  trace?: Traced;
  /** Finds a new owner in the conversation's roster, to mention them in the threaded notice. Without it owners are named. */
  people?: Pick<PeopleResolver, 'memberIn'>;
  /** Acknowledgement deadlines: a card's overdue state, and the reply when a deadline passes. Without it neither is shown. */
  escalations?: EscalationNotices;
  /** Bursts of one tenant delivered at once (tenant-slots.ts); default DEFAULT_DELIVERIES_PER_TENANT. */
  deliveriesPerTenant?: number;
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
  /** Starts taking over stale refreshes (at once, then every sweepIntervalMs). */
  start(): void;
  /** Takes over the refreshes whose claim went stale and queues them; returns how many. */
  sweep(): Promise<number>;
  /** Sends every queued burst now and waits until all sends are done (tests, shutdown). */
  flush(): Promise<void>;
  /** Stops accepting events, flushes, releases what it could not send for others to take, and waits. */
  close(): Promise<void>;
}

/**
 * A sync appends an incident's changes in one transaction, and the outbox reaches the notifier every
 * 0.25 s: a burst's events arrive together, or one delivery apart. A longer window caught nothing
 * more (separate syncs of an incident are a poll apart) and delayed every announcement by it: with
 * 1.5 s, a change fanned out to 500 channels at 50 requests/s spent 7.5% of its 20 s floor waiting.
 */
export const DEFAULT_COALESCE_WINDOW_MS = 250;
export const DEFAULT_CLAIM_STALE_AFTER_MS = 120_000;
export const DEFAULT_SWEEP_INTERVAL_MS = 30_000;
export const DEFAULT_MAX_REFRESH_ATTEMPTS = 5;
/**
 * Enough bursts in flight to keep a tenant's rate limit busy while each waits for Teams' answer (two
 * calls per burst, 50 per second, answers within a few hundred ms), few enough that the first of a
 * large fan-out start sending at once.
 */
export const DEFAULT_DELIVERIES_PER_TENANT = 32;
const RENDER_REUSE_MS = 30_000;
const MAX_SHARED_RENDERS = 64;

const defaultSchedule: Schedule = (callback, delayMs) => {
  const timer = setTimeout(callback, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
};

/** The events that may post a new announced card; outcomes and registrations only update cards. */
const POSTING_KINDS: ReadonlySet<ChangeEventKind> = new Set(['created', 'updated', 'merged', 'escalated']);

/** How the announced card stands after a burst: waiting for another replica's post, or shown (or not) in the conversation. */
type AnnouncedCard = { waiting: true; cardId: null } | { waiting: false; cardId: string | null };
const WAITING: AnnouncedCard = { waiting: true, cardId: null };
const NOT_SHOWN: AnnouncedCard = { waiting: false, cardId: null };
const shownAs = (cardId: string): AnnouncedCard => ({ waiting: false, cardId });

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
  const maxRefreshAttempts = options.maxRefreshAttempts ?? DEFAULT_MAX_REFRESH_ATTEMPTS;
  const trace = options.trace ?? untraced;
  const pending = new Map<string, PendingBurst>();
  const withTenantSlot = createKeyedSlots(options.deliveriesPerTenant ?? DEFAULT_DELIVERIES_PER_TENANT);
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

  /**
   * One hash per view and what the card adds to it, for the same reason: every burst of one event
   * shares the event's view, and hashing it (half a millisecond) 500 times held back the first send
   * of a fan-out. Outcomes are read per burst, so they are keyed by what a card shows of them.
   */
  const hashes = new WeakMap<IncidentView, Map<string, string>>();
  function sharedCardHash(view: IncidentView, outcome: EditOutcome | null, overdueSince: string | null): string {
    const key = JSON.stringify([outcomeShown(outcome), overdueSince]);
    let byShown = hashes.get(view);
    if (!byShown) {
      byShown = new Map();
      hashes.set(view, byShown);
    }
    let hash = byShown.get(key);
    if (hash === undefined) {
      hash = cardHash(view, outcome, overdueSince);
      byShown.set(key, hash);
    }
    return hash;
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

  /**
   * Never throws: a delivered burst clears its refresh; a failure is logged, reported and counted,
   * and the refresh is tried again once its claim goes stale, until it is given up.
   */
  async function deliver(burst: PendingBurst): Promise<void> {
    const { conversationId, linkId } = burst;
    const deliveredSeq = Math.max(...burst.events.map((event) => event.seq));
    try {
      const result = await trace('incident-bridge deliver', { 'incident_bridge.link': linkId }, () => deliverBurst(burst));
      // A burst that waits for another replica's post comes back: only what is done with is counted.
      if (result !== 'waiting') {
        options.metrics?.recordDelivery(result);
        await options.refreshes.clear(conversationId, linkId, deliveredSeq);
      }
    } catch (error) {
      options.metrics?.recordDelivery('failed');
      log.error({ err: error, conversationId, linkId, events: burst.events.map((event) => event.id) }, 'could not announce incident change in Teams');
      options.onError?.(error, { conversationId, linkId });
      await giveUpAfterTries(conversationId, linkId);
    }
  }

  async function giveUpAfterTries(conversationId: string, linkId: string): Promise<void> {
    try {
      const attempts = await options.refreshes.recordFailure(conversationId, linkId);
      if (attempts !== null && attempts >= maxRefreshAttempts) {
        await options.refreshes.drop(conversationId, linkId);
        log.error({ conversationId, linkId, attempts }, 'gave up bringing a card up to date; the incident\'s next change tries again');
      }
    } catch (error) {
      log.warn({ err: error, conversationId, linkId }, 'could not record a failed card update; it is retried when its claim goes stale');
    }
  }

  /** 'waiting' when it must come back later (another replica is posting the card). */
  async function deliverBurst(burst: PendingBurst): Promise<DeliveryResult | 'waiting'> {
    const { conversationId } = burst;
    const conversation = await options.conversations.get(conversationId);
    if (!conversation || !conversation.active) return 'skipped';
    const event = mergeBurst(burst.events);
    // One MSSP customer's channel never gets another's incidents, whatever it subscribed to.
    if (!canSee(options.tenants.scopeOf(conversation.tenantId), event.pairId)) return 'skipped';
    return withTenantSlot(conversation.tenantId ?? '', () => deliverTo(burst, conversation, event));
  }

  async function deliverTo(burst: PendingBurst, conversation: ConversationRecord, event: ChangeEvent): Promise<DeliveryResult | 'waiting'> {
    const { conversationId, linkId } = burst;
    const warRoom = await options.warRoomOf?.(linkId);
    const view = warRoom ? { ...event.incident, warRoom } : event.incident;
    const outcome = outcomeFor(view, await options.latestOutcome(linkId));
    // Overdue is per conversation: its deadline passed here, and nobody has acknowledged it since.
    const overdueSince = options.escalations ? await options.escalations.overdueSince(conversationId, view) : null;
    const cardOptions = {
      mode: 'analyst' as const,
      outcome,
      now: now().toISOString(),
      ...(overdueSince ? { overdueSince } : {}),
      ...(options.allowedLinkHosts ? { allowedLinkHosts: options.allowedLinkHosts } : {}),
      offerWarRoom: options.warRoomOf !== undefined,
    };
    const hash = sharedCardHash(view, outcome, overdueSince);
    const shown: ShownCard = { view, hash, render: () => renderShared(hash, view, cardOptions) };

    const announced: AnnouncedCard = burst.announce ? await deliverAnnounced(burst, conversation, event, shown) : { waiting: false, cardId: null };
    if (announced.cardId) await sendEscalations(burst, conversation, announced.cardId);
    await updateCopies(conversation, linkId, shown);
    return announced.waiting ? 'waiting' : 'delivered';
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
   * notice. Says whether it waits for another replica that is posting the card, else the card's
   * activity id when the conversation shows it.
   */
  async function deliverAnnounced(burst: PendingBurst, conversation: ConversationRecord, event: ChangeEvent, shown: ShownCard): Promise<AnnouncedCard> {
    const { conversationId, linkId } = burst;
    const reference = conversation.reference;
    const mayPost = burst.events.some((queued) => POSTING_KINDS.has(queued.kind));
    let card: CardRecord | null = await options.cards.get(conversationId, linkId);
    if (!card || card.state !== 'posted') {
      if (!card && !mayPost) return NOT_SHOWN;
      const claim = await options.cards.claim(conversationId, linkId, options.holderId, now().toISOString(), staleAfterMs);
      if (claim.claimed) return shownAs(await post());
      card = claim.card;
      if (card.state !== 'posted' || !card.activityId) {
        // Another replica is posting this card right now: come back after it recorded the post.
        if (burst.claimWaits >= maxClaimWaits) {
          // The refresh stays: once its claim is stale a sweep brings the posted card up to date.
          log.warn({ conversationId, linkId }, 'gave up waiting for another replica to post the card');
          return WAITING;
        }
        for (const queued of burst.events) enqueue(conversationId, queued, true, burst.claimWaits + 1);
        return WAITING;
      }
    }

    const activityId = card.activityId;
    if (!activityId) return NOT_SHOWN;
    if (card.lastHash === shown.hash) return shownAs(activityId); // nothing new to show: a redelivery or an echo
    try {
      await options.sender.update(reference, activityId, cardActivity(shown.render(), shown.view));
    } catch (error) {
      if (error instanceof SendError && error.code === 'message-gone') {
        // Someone deleted the card: forget it and post a fresh one.
        await options.cards.remove(conversationId, linkId);
        const claim = await options.cards.claim(conversationId, linkId, options.holderId, now().toISOString(), staleAfterMs);
        return claim.claimed ? shownAs(await post()) : NOT_SHOWN;
      }
      throw error;
    }
    await options.cards.recordUpdate(conversationId, linkId, shown.hash, now().toISOString());
    const notice = options.builders.buildChangeNoticeText(event);
    if (notice.trim().length > 0) await options.sender.reply(reference, activityId, await noticeActivity(conversation, event, notice));
    return shownAs(activityId);

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

  /** The cards an event makes stale: the announced ones (subscriptions, posted cards) and the copies. */
  async function targetsOf(event: ChangeEvent): Promise<CardRefreshMark[]> {
    const mark = (conversationId: string, announce: boolean): CardRefreshMark => ({ conversationId, linkId: event.linkId, announce, seq: event.seq });
    if (event.kind === 'card-registered') return event.target ? [mark(event.target.conversationId, false)] : [];
    // A deadline passed in one conversation: its card turns overdue and its thread hears of it.
    if (event.kind === 'escalated') return event.escalation ? [mark(event.escalation.conversationId, true)] : [];
    const subscriptions = await options.subscriptions.listActive();
    const announced = new Set(POSTING_KINDS.has(event.kind) ? conversationsToNotify(subscriptions, event) : []);
    const subscribed = new Set(subscriptions.map((subscription) => subscription.conversationId));
    for (const card of await options.cards.listForLink(event.linkId)) {
      if (card.state === 'posted' && subscribed.has(card.conversationId)) announced.add(card.conversationId);
    }
    const copies = new Set((await options.cards.listCopies(event.linkId)).map((copy) => copy.conversationId).filter((id) => !announced.has(id)));
    return [...[...announced].map((id) => mark(id, true)), ...[...copies].map((id) => mark(id, false))];
  }

  /** Takes over stale refreshes: each is rebuilt from its incident's events in the outbox and queued. */
  async function sweep(): Promise<number> {
    const stale = await options.refreshes.claimStale(options.holderId, now().toISOString(), staleAfterMs);
    for (const refresh of stale) {
      const events = await options.events.readForLink(refresh.linkId, refresh.firstSeq, refresh.lastSeq);
      if (events.length === 0) {
        await options.refreshes.drop(refresh.conversationId, refresh.linkId);
        continue;
      }
      for (const event of events) enqueue(refresh.conversationId, event, refresh.announce);
    }
    if (stale.length > 0) log.info({ refreshes: stale.length }, 'took over card updates another replica did not finish');
    return stale.length;
  }

  let sweeper: NodeJS.Timeout | undefined;

  return {
    name: 'teams-notifier',
    async handle(event: ChangeEvent): Promise<void> {
      if (closed) throw new Error('The Teams notifier is closed; the event will be redelivered after restart.');
      // Throwing here (store unreachable) makes the engine redeliver the event later: nothing is
      // acknowledged before the stale cards are recorded.
      const targets = await targetsOf(event);
      await options.refreshes.mark(targets, options.holderId, now().toISOString());
      for (const target of targets) enqueue(target.conversationId, event, target.announce);
      options.metrics?.recordFanOut(event.kind, new Set(targets.map((target) => target.conversationId)).size);
    },
    start(): void {
      if (sweeper || closed) return;
      const tick = () => {
        sweep().catch((error: unknown) => log.warn({ err: error }, 'could not look for card updates to take over; trying again later'));
      };
      tick();
      sweeper = setInterval(tick, options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
      sweeper.unref();
    },
    sweep,
    flush,
    async close(): Promise<void> {
      closed = true;
      if (sweeper) clearInterval(sweeper);
      await flush();
      // What is still recorded was not sent: another replica (or this one after a restart) takes it now.
      await options.refreshes.releaseClaims(options.holderId).catch((error: unknown) => log.warn({ err: error }, 'could not release card updates for others to take'));
    },
  };
}
