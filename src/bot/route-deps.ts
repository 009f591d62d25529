// What every route needs, resolved once by createBotApplication (defaults filled in), plus the
// small helpers routes share: who is acting, with what role, and following an edit to its end.
import { TurnContext } from 'botbuilder';
import type { Actor } from '../domain/incident.ts';
import type { BridgeApi, EditOutcome, IncidentListFilter, IncidentView } from '../sync/api.ts';
import type { CardRepository, ConversationRepository, SubscriptionRepository } from '../store/ports.ts';
import type { Logger } from '../observability/logger.ts';
import type { AdaptiveCard } from '../cards/render.ts';
import type { AccessPolicy, GroupsOf, Role, RoleDecision } from './access.ts';
import { resolveRole } from './roles.ts';
import type { BackgroundTasks } from './background.ts';
import { restrictionOf, scopeOfActivity, type TenantPolicy } from './tenant-policy.ts';
import type { IdentityResolver } from './identity.ts';
import type { CardBuilders, CardMode, ProactiveReference, TeamsSender } from './ports.ts';
import { cardActivity, withFreshNonce } from './card-activity.ts';

export interface RouteDeps {
  bridge: BridgeApi;
  conversations: ConversationRepository;
  subscriptions: SubscriptionRepository;
  /** The posted cards: which incident each card message shows (card actions are bound to it). */
  cards: Pick<CardRepository, 'findByActivity'>;
  builders: CardBuilders;
  /** Proactive sends (card updates after an edit completes). */
  sender: TeamsSender;
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
  /** Longest a background task waits for an edit to finish before leaving the card pending. */
  outcomeTimeoutMs: number;
}

const FINAL_STATES: ReadonlySet<EditOutcome['state']> = new Set(['completed', 'partial', 'failed']);

export function isFinal(outcome: EditOutcome): boolean {
  return FINAL_STATES.has(outcome.state);
}

/** The actor's role, and why their groups did not count when they could not be checked (for the refusal). */
export function roleDecisionFor(deps: RouteDeps, actor: Actor): Promise<RoleDecision> {
  return resolveRole(actor, deps.access, deps.groupsOf);
}

/** The actor's role; group membership is looked up only when a direct match is not enough. */
export async function roleFor(deps: RouteDeps, actor: Actor): Promise<Role> {
  return (await roleDecisionFor(deps, actor)).role;
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
    find: (ref) => deps.bridge.findIncident(ref, within),
    list: (filter) => deps.bridge.listIncidents({ ...filter, ...within }),
  };
}

export function renderCard(deps: RouteDeps, view: IncidentView, mode: CardMode, pending?: EditOutcome | null): AdaptiveCard {
  const card = deps.builders.renderIncidentCard(view, {
    mode,
    pending: pending ?? null,
    now: deps.now().toISOString(),
    ...(deps.allowedLinkHosts ? { allowedLinkHosts: deps.allowedLinkHosts } : {}),
  });
  return withFreshNonce(card);
}

/** The reference of the conversation a turn happened in (for updates after the turn ended). */
export function referenceOf(context: TurnContext): ProactiveReference {
  return TurnContext.getConversationReference(context.activity);
}

/**
 * In the background: waits for the edit's final outcome, then replaces the card message
 * `activityId` with the final state (for everyone in the conversation, hence the analyst view,
 * as the notifier posts it).
 */
export function followEditOutcome(deps: RouteDeps, input: { requestId: string; linkId: string; reference: ProactiveReference; activityId: string }): void {
  deps.tasks.run(`edit-outcome:${input.requestId}`, async () => {
    const timeout = AbortSignal.timeout(deps.outcomeTimeoutMs);
    let outcome: EditOutcome;
    try {
      outcome = await deps.bridge.waitForEditOutcome(input.requestId, timeout);
    } catch (error) {
      if (timeout.aborted) {
        deps.log.warn({ requestId: input.requestId }, 'edit did not finish in time; the card stays pending until the next change updates it');
        return;
      }
      throw error;
    }
    const view = await deps.bridge.findIncident(outcome.linkId || input.linkId);
    if (!view) return;
    await deps.sender.update(input.reference, input.activityId, cardActivity(renderCard(deps, view, 'analyst', outcome), view));
  });
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
