// The incident card: view model (incident-view-model.ts) -> cards/incident.json -> Adaptive Card.
// Adds what is per-recipient rather than per-incident: the Universal Actions refresh block.
import type { IncidentView } from '../domain/change-events.ts';
import type { EditOutcome } from '../domain/edits.ts';
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
}

/**
 * Teams honours refresh.userIds for at most 60 users: "You can create a maximum of 60 User
 * Specific Views for a particular card sent to a conversation by specifying their userIds"
 * (Microsoft Learn, "User Specific Views", Universal Actions for Adaptive Cards).
 */
export const MAX_REFRESH_USER_IDS = 60;

export function renderIncidentCard(view: IncidentView, options: IncidentCardOptions): AdaptiveCard {
  const viewModel = buildIncidentCardViewModel(view, {
    mode: options.mode,
    outcome: options.outcome ?? null,
    now: options.now,
    ...(options.unifiedPortalBase !== undefined ? { unifiedPortalBase: options.unifiedPortalBase } : {}),
    ...(options.allowedLinkHosts !== undefined ? { allowedLinkHosts: options.allowedLinkHosts } : {}),
  });
  const card = renderTemplate('incident', viewModel);
  card['refresh'] = buildRefresh(view.linkId, options.refreshUserIds);
  return card;
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
