// What every route needs, resolved once by createBotApplication (defaults filled in), plus the
// small helpers routes share: who is acting, with what role, and showing an incident's card.
import { TurnContext } from 'botbuilder';
import type { Actor } from '../domain/incident.ts';
import type { BridgeApi, IncidentListFilter } from '../sync/api.ts';
import type { IncidentView } from '../domain/change-events.ts';
import type { EditOutcome } from '../domain/edits.ts';
import type { CardRepository, ConversationRepository, SubscriptionRepository } from '../store/ports.ts';
import type { Logger } from '../observability/logger.ts';
import type { AdaptiveCard } from '../cards/render.ts';
import { isAnalyst, type AccessPolicy, type GroupsOf, type Role, type RoleDecision } from './access.ts';
import { resolveRole } from './roles.ts';
import type { BackgroundTasks } from './background.ts';
import { restrictionOf, scopeOfActivity, type TenantPolicy } from './tenant-policy.ts';
import type { IdentityResolver } from './identity.ts';
import type { CardBuilders, ProactiveReference, TeamsSender } from './ports.ts';
import type { WarRoomService } from './war-room.ts';
import type { CardMode } from '../cards/incident-view-model.ts';
import type { CustomerNames } from '../domain/pair-names.ts';
import type { TriageSettings } from '../triage/settings.ts';
import { cardActivity, withFreshNonce } from './card-activity.ts';
import { cardHash, outcomeFor } from './card-hash.ts';
import { baseConversationId, conversationDraftFrom } from './conversation-reference.ts';

export interface RouteDeps {
  bridge: BridgeApi;
  conversations: ConversationRepository;
  subscriptions: SubscriptionRepository;
  /** The posted cards: which incident each card message shows (card actions are bound to it). */
  cards: Pick<CardRepository, 'findByActivity'>;
  builders: CardBuilders;
  access: AccessPolicy;
  /** Which tenants are served and which pairs each sees. */
  tenants: TenantPolicy;
  groupsOf: GroupsOf;
  identity: IdentityResolver;
  tasks: BackgroundTasks;
  log: Logger;
  now: () => Date;
  newId: () => string;
  allowedLinkHosts: string[] | undefined;
  /** Longest an invoke handler waits for the sync engine before answering (Teams: ~5 s). */
  invokeDeadlineMs: number;
  /** Per-conversation triage settings, forgotten when the bot leaves a conversation. */
  triage?: Pick<TriageSettings, 'forgetConversation'>;
  /** When the incident's acknowledgement deadline passed in a conversation (its cards show it overdue there). */
  overdueSince?: (conversationId: string, view: IncidentView) => Promise<string | null>;
  /** War rooms; undefined when they are not set up (no TEAMS_APP_ID). */
  warRooms: WarRoomService | undefined;
  /** Proactive sends, for answers that arrive after a turn ended. */
  sender: TeamsSender | undefined;
  /** How replies name the customer (pair) of an incident or a subscription. */
  customers: CustomerNames;
}

/** The actor's role, and why their groups did not count when they could not be checked (for the refusal). */
export function roleDecisionFor(deps: RouteDeps, actor: Actor): Promise<RoleDecision> {
  return resolveRole(actor, deps.access, deps.groupsOf);
}

/** The actor's role; group membership is looked up only when a direct match is not enough. */
export async function roleFor(deps: RouteDeps, actor: Actor): Promise<Role> {
  return (await roleDecisionFor(deps, actor)).role;
}

/**
 * True when the turn's sender is an analyst; otherwise answers with `refusal` (and why their groups
 * did not count, when they could not be checked) and returns false.
 */
export async function requireAnalyst(deps: RouteDeps, context: TurnContext, refusal: string): Promise<boolean> {
  const actor = await deps.identity.actorOf(context);
  const decision = actor ? await roleDecisionFor(deps, actor) : null;
  if (decision && isAnalyst(decision.role)) return true;
  await context.sendActivity([refusal, decision?.groupProblem].filter(Boolean).join(' '));
  return false;
}

/** Incident reads as the turn's conversation may make them: only the pairs its tenant sees. */
export interface ScopedIncidents {
  find(ref: string): Promise<IncidentView | null>;
  list(filter: IncidentListFilter): Promise<IncidentView[]>;
}

/**
 * Every incident a route shows or edits is read through this, so one MSSP customer's conversation
 * never sees another's incidents. The tenant gate refuses unserved turns first; should one get
 * here all the same, it sees nothing.
 */
export function incidentsFor(deps: RouteDeps, context: TurnContext): ScopedIncidents {
  const scope = scopeOfActivity(deps.tenants, context.activity);
  if (!scope) return { find: async () => null, list: async () => [] };
  const within = restrictionOf(scope);
  return {
    find: async (ref) => {
      const view = await deps.bridge.findIncident(ref, within);
      return view ? withWarRoom(deps, view) : null;
    },
    list: (filter) => deps.bridge.listIncidents({ ...filter, ...within }),
  };
}

/** When the incident became overdue in the turn's conversation, if it is; what its cards there show. */
export async function overdueIn(deps: RouteDeps, context: TurnContext, view: IncidentView): Promise<string | null> {
  return deps.overdueSince ? deps.overdueSince(baseConversationId(context.activity.conversation.id), view) : null;
}

/** The view with its war room, which the cards link (the sync engine's views never carry it). */
export async function withWarRoom(deps: Pick<RouteDeps, 'warRooms'>, view: IncidentView): Promise<IncidentView> {
  const warRoom = await deps.warRooms?.linkOf(view.linkId);
  return warRoom ? { ...view, warRoom } : view;
}

/** The incident's card as its messages show it: the view, the outcome of its latest edit, and whether it is overdue there. */
export function renderIncident(deps: RouteDeps, view: IncidentView, mode: CardMode, outcome: EditOutcome | null, overdueSince: string | null = null): AdaptiveCard {
  const card = deps.builders.renderIncidentCard(view, {
    mode,
    outcome: outcomeFor(view, outcome),
    now: deps.now().toISOString(),
    ...(overdueSince ? { overdueSince } : {}),
    ...(deps.allowedLinkHosts ? { allowedLinkHosts: deps.allowedLinkHosts } : {}),
    offerWarRoom: deps.warRooms !== undefined,
  });
  return withFreshNonce(card);
}

/**
 * Answers the turn with the incident's card and registers the message, so the notifier keeps it
 * current like the announced cards. `outcome`: the one just submitted, else the latest. Returns
 * the message's id, when Teams gave one.
 */
export async function replyWithIncidentCard(deps: RouteDeps, context: TurnContext, view: IncidentView, mode: CardMode, outcome?: EditOutcome): Promise<string | undefined> {
  const shown = outcome ?? (await deps.bridge.latestEditOutcome(view.linkId));
  const overdueSince = await overdueIn(deps, context, view);
  const sent = await context.sendActivity(cardActivity(renderIncident(deps, view, mode, shown, overdueSince), view));
  if (!sent?.id) return undefined;
  // The notifier sends to stored conversations: this turn proves this one is reachable.
  await deps.conversations.upsert(conversationDraftFrom(context.activity, referenceOf(context)));
  await deps.bridge.registerCard({
    // Cards are recorded under the conversation itself; in a channel the reply names the thread.
    conversationId: baseConversationId(context.activity.conversation.id),
    activityId: sent.id,
    linkId: view.linkId,
    shownHash: cardHash(view, shown, overdueSince),
  });
  return sent.id;
}

/** The reference of the conversation a turn happened in (for sends after the turn ended). */
export function referenceOf(context: TurnContext): ProactiveReference {
  return TurnContext.getConversationReference(context.activity);
}

/** Races `promise` against a deadline without cancelling it; the caller decides what to do late. */
export async function withinDeadline<T>(promise: Promise<T>, ms: number): Promise<{ done: true; value: T } | { done: false }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ done: false }>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), ms);
  });
  const settled = promise.then((value) => ({ done: true as const, value }));
  // If the deadline wins, a later rejection is the caller's to handle (it keeps `promise`); this
  // copy must not surface as an unhandled rejection.
  settled.catch(() => undefined);
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}
