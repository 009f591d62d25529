// The incident card: view model (incident-view-model.ts) -> cards/incident.json -> Adaptive Card.
// Adds what is per-recipient rather than per-incident: the Universal Actions refresh block.
import type { IncidentView } from '../domain/change-events.ts';
import type { EditOutcome } from '../domain/edits.ts';
import { DEFAULT_SECTION_LIMITS, type SectionLimits } from './alert-sections.ts';
import { cardPayloadBytes, INCIDENT_CARD_BUDGET_BYTES } from './card-size.ts';
import { buildIncidentCardViewModel, type CardMode } from './incident-view-model.ts';
import type { AdaptiveCard } from './render.ts';
import { renderTemplate } from './render.ts';
import { CARD_VERBS } from './verbs.ts';

export type { AdaptiveCard } from './render.ts';

export interface IncidentCardOptions {
  /** 'readOnly': only Refresh and the portal links (viewers without the analyst role, list views). */
  mode: CardMode;
  /** The outcome of the incident's latest edit: "Updating…" or the per-portal result. */
  outcome?: EditOutcome | null;
  /** ISO-8601 "now" for relative times; injected so the same input renders the same card. */
  now: string;
  /**
   * Teams user MRIs ("29:…") whose clients refresh the card automatically (Universal Actions
   * user-specific views). Undefined: no userIds, so Teams auto-refreshes for everyone in
   * conversations of up to 60 members. More than 60 are cut to the first 60.
   */
  refreshUserIds?: string[];
  /** Extra https hosts allowed for "Open in …" links, e.g. the local simulators' "localhost:8443". */
  allowedLinkHosts?: string[];
  /** Unified portal base (e.g. "https://security.microsoft.com") when Sentinel is onboarded to it. */
  unifiedPortalBase?: string;
  /** When the incident's acknowledgement deadline passed in this card's conversation, if it did and nobody acknowledged it since. */
  overdueSince?: string;
  /** Offer the "War room" action (the bridge has war rooms set up); an existing war room is linked either way. */
  offerWarRoom?: boolean;
  /** The customer (pair) the incident belongs to, shown as a fact; unset when nothing needs saying. */
  customer?: string | null;
}

/**
 * Teams honours refresh.userIds for at most 60 users: "You can create a maximum of 60 User
 * Specific Views for a particular card sent to a conversation by specifying their userIds"
 * (Microsoft Learn, "User Specific Views", Universal Actions for Adaptive Cards).
 */
export const MAX_REFRESH_USER_IDS = 60;

/**
 * The card within Teams' message size (card-size.ts) whatever the incident holds: the alert and
 * evidence sections start at a screenful each and give up rows, evidence first (it is the longer
 * list), until the card fits. Everything else on the card is capped on its own (LIMITS). Fewer rows
 * never make a card bigger, so the largest that fits is found by bisection: a handful of renders.
 */
export function renderIncidentCard(view: IncidentView, options: IncidentCardOptions): AdaptiveCard {
  const render = (sectionLimits: SectionLimits): AdaptiveCard => {
    const viewModel = buildIncidentCardViewModel(view, {
      mode: options.mode,
      outcome: options.outcome ?? null,
      now: options.now,
      sectionLimits,
      ...(options.overdueSince !== undefined ? { overdueSince: options.overdueSince } : {}),
      ...(options.unifiedPortalBase !== undefined ? { unifiedPortalBase: options.unifiedPortalBase } : {}),
      ...(options.allowedLinkHosts !== undefined ? { allowedLinkHosts: options.allowedLinkHosts } : {}),
      ...(options.offerWarRoom !== undefined ? { offerWarRoom: options.offerWarRoom } : {}),
      ...(options.customer ? { customer: options.customer } : {}),
    });
    const card = renderTemplate('incident', viewModel);
    card['refresh'] = buildRefresh(view.linkId, options.refreshUserIds);
    return card;
  };
  const fits = (card: AdaptiveCard) => cardPayloadBytes(card) <= INCIDENT_CARD_BUDGET_BYTES;
  const steps = shrinkingLimits(DEFAULT_SECTION_LIMITS);
  const first = render(steps[0] as SectionLimits);
  if (fits(first)) return first;
  // steps[low] is too big; steps[high] is the smallest there is and is taken even if it does not fit.
  let low = 0;
  let high = steps.length - 1;
  let best = render(steps[high] as SectionLimits);
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    const card = render(steps[middle] as SectionLimits);
    if (fits(card)) {
      high = middle;
      best = card;
    } else {
      low = middle;
    }
  }
  return best;
}

/** From `start` down to no rows, one row at a time: evidence first while it has more rows than alerts. */
export function shrinkingLimits(start: SectionLimits): SectionLimits[] {
  const steps: SectionLimits[] = [{ ...start }];
  let { alerts, evidence } = start;
  while (alerts > 0 || evidence > 0) {
    if (evidence > alerts) evidence -= 1;
    else alerts -= 1;
    steps.push({ alerts, evidence });
  }
  return steps;
}

export interface RefreshBlock {
  action: { type: 'Action.Execute'; title: string; verb: typeof CARD_VERBS.refreshCard; data: { linkId: string } };
  userIds?: string[];
}

/** The card-level Universal Actions `refresh`: de-duplicated user ids, at most 60 (see above). */
export function buildRefresh(linkId: string, userIds: readonly string[] | undefined): RefreshBlock {
  const refresh: RefreshBlock = {
    action: { type: 'Action.Execute', title: 'Refresh', verb: CARD_VERBS.refreshCard, data: { linkId } },
  };
  if (userIds !== undefined) {
    const unique = [...new Set(userIds.filter((id) => typeof id === 'string' && id.trim() !== ''))];
    refresh.userIds = unique.slice(0, MAX_REFRESH_USER_IDS);
  }
  return refresh;
}
