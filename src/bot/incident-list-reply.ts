// The answer to /list: the list card (src/cards/incident-list.ts), whose "Open card" buttons send
// "/incident <link id>" for the analyst, so opening an incident is the /incident command itself
// (same scope, same role rules). The link id names the incident exactly, where a Defender id may
// be shared by two customers' tenants; the chat shows the id the analyst knows.
import type { Activity } from 'botbuilder';
import { renderIncidentListCard, type OpenCommand } from '../cards/incident-list.ts';
import type { IncidentView } from '../domain/change-events.ts';
import { cardActivity, textActivity } from './card-activity.ts';
import { isIncidentRef, MAX_LIST_LIMIT } from './commands/parse.ts';
import type { CustomerNames } from '../domain/pair-names.ts';

export const NO_MATCH_TEXT = 'No incidents match.';

/** `views` as listed with limit + 1: one more than `limit` means more match. */
export function incidentListReply(views: readonly IncidentView[], limit: number, allowedLinkHosts?: readonly string[], customers?: CustomerNames): Partial<Activity> {
  if (views.length === 0) return textActivity(NO_MATCH_TEXT);
  const card = renderIncidentListCard(views, {
    limit,
    maxLimit: MAX_LIST_LIMIT,
    openCommand,
    ...(allowedLinkHosts ? { allowedLinkHosts } : {}),
    ...(customers ? { customerOf: (pairId: string) => customers.customerOf(pairId) } : {}),
  });
  return cardActivity(card);
}

function openCommand(view: IncidentView): OpenCommand | null {
  const sentinelNumber = view.sentinel?.incidentNumber;
  return openIncidentCommand(view.linkId, view.defender?.id ?? (sentinelNumber !== undefined ? String(sentinelNumber) : view.linkId));
}

/** "Open card": `/incident <link id>` sent for the analyst, shown in the chat as `/incident <ref>` (the id they know). */
export function openIncidentCommand(linkId: string, ref: string): OpenCommand | null {
  if (!isIncidentRef(linkId)) return null;
  return { text: `/incident ${linkId}`, displayText: `/incident ${isIncidentRef(ref) ? ref : linkId}` };
}
