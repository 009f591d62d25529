// The /list answer: a header with the count, then one row per incident in the card's words
// (severity, status, owner) with two ways to open it: the incident card in this conversation (a
// messageBack button that sends the analyst's "/incident" command for them) and the incident in
// Defender (a link, host-checked like the incident card's). Pure: views -> view model -> card.
// Titles and names are attacker-influenced: escaped here, so they stay text (no markup, links or
// mentions).
import { PORTAL_NAMES, SEVERITY_WORDS, statusWord, wordOf } from '../domain/display-words.ts';
import type { IncidentView } from '../domain/change-events.ts';
import { escapeForTextBlock } from './escape.ts';
import { ownerText, SEVERITY_MARKERS } from './incident-view-model.ts';
import { renderTemplate, type AdaptiveCard } from './render.ts';
import { safeOpenUrl } from './safe-links.ts';

/** What an "Open card" button sends as the analyst: `text` to the bot, `displayText` shown in the chat. */
export interface OpenCommand {
  text: string;
  displayText: string;
}

export interface IncidentListOptions {
  /** How many incidents were asked for; `views` may hold one more, which means "more match". */
  limit: number;
  /** The largest limit= an analyst may ask for, for the hint when more match. */
  maxLimit: number;
  /** The command that shows a row's incident card; null: the row gets no button. */
  openCommand: (view: IncidentView) => OpenCommand | null;
  /** Extra https hosts allowed for links (the local simulators); see safe-links.ts. */
  allowedLinkHosts?: readonly string[];
  /** The customer an incident belongs to, first in its row; null (or unset) when nothing needs saying. */
  customerOf?: (pairId: string) => string | null;
}

interface LinkViewModel {
  title: string;
  url: string;
}
interface RowViewModel {
  /** "🔴 Suspicious sign-in", escaped. */
  title: string;
  /** "Contoso Ltd · Defender 29 · Sentinel 1042 · High · Active · Jane Doe" (the customer when there are several) */
  facts: string;
  opens: OpenCommand[];
  links: LinkViewModel[];
}
export interface IncidentListViewModel {
  header: string;
  hint: string;
  rows: RowViewModel[];
}

const TITLE_MAX = 120;
const CUSTOMER_MAX = 64;

/**
 * A card's payload is limited to about 28 KB for a bot message (Microsoft Learn, "Format cards in
 * Teams"); rows are dropped from the end until the card fits this, with room for the activity
 * around it. A list of ordinary incidents fits whole; hostile titles of long graphemes cost more.
 */
export const MAX_LIST_CARD_BYTES = 24_000;

export function buildIncidentListViewModel(views: readonly IncidentView[], shown: number, options: IncidentListOptions): IncidentListViewModel {
  const more = views.length > options.limit;
  const total = Math.min(views.length, options.limit);
  const rows = views.slice(0, Math.min(shown, total)).map((view) => row(view, options));
  const noun = (n: number): string => `${n} incident${n === 1 ? '' : 's'}`;
  const cardIsFull = 'A card holds no more; narrow the filter to see the rest.';
  if (more) {
    const hint = rows.length < options.limit ? cardIsFull : `Narrow the filter, or raise limit= (at most ${options.maxLimit}).`;
    return { header: `Showing ${noun(rows.length)}; more match`, hint, rows };
  }
  if (rows.length < total) return { header: `Showing ${rows.length} of ${noun(total)}`, hint: cardIsFull, rows };
  return { header: `${noun(total)} match${total === 1 ? 'es' : ''}`, hint: '', rows };
}

function row(view: IncidentView, options: IncidentListOptions): RowViewModel {
  const primary = view.defender ?? view.sentinel;
  const refs: string[] = [];
  if (view.defender) refs.push(`${PORTAL_NAMES.defender} ${escapeForTextBlock(view.defender.id, 40)}`);
  if (view.sentinel && Number.isSafeInteger(view.sentinel.incidentNumber)) refs.push(`${PORTAL_NAMES.sentinel} ${String(view.sentinel.incidentNumber)}`);
  const severity = wordOf(SEVERITY_WORDS, primary?.severity) !== undefined ? (primary?.severity ?? 'unknown') : 'unknown';
  const customer = options.customerOf?.(view.pairId);
  const named = customer ? [escapeForTextBlock(customer, CUSTOMER_MAX), ...refs] : refs;
  const facts = primary
    ? [...named, SEVERITY_WORDS[severity], statusWord(primary.portal, primary.status) ?? 'Unknown', ownerText(view, primary)]
    : named;
  const open = options.openCommand(view);
  const defenderUrl = safeOpenUrl(view.defender?.webUrl, options.allowedLinkHosts ?? []);
  return {
    title: `${SEVERITY_MARKERS[severity]} ${(primary && escapeForTextBlock(primary.title, TITLE_MAX)) || '(untitled incident)'}`,
    facts: facts.join(' · '),
    opens: open ? [open] : [],
    links: defenderUrl ? [{ title: 'Open in Defender', url: defenderUrl }] : [],
  };
}

/** The list card: as many rows as fit MAX_LIST_CARD_BYTES (at least one). */
export function renderIncidentListCard(views: readonly IncidentView[], options: IncidentListOptions): AdaptiveCard {
  let shown = Math.min(views.length, options.limit);
  for (;;) {
    const card = renderTemplate('incident-list', buildIncidentListViewModel(views, shown, options));
    if (shown <= 1 || Buffer.byteLength(JSON.stringify(card), 'utf8') <= MAX_LIST_CARD_BYTES) return card;
    shown -= 1;
  }
}
