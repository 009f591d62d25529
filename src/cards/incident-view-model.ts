// Pure: IncidentView (+ an edit outcome) -> everything the incident card template shows, already
// escaped and capped. The template (cards/incident.json) only places these values; it makes no
// decisions about trust. Untrusted text (titles, descriptions, comments, tags, names, portal
// error reasons) goes through escapeForTextBlock here and nowhere else.
import { CLASSIFICATION_WORDS, FIELD_WORDS, ownerWord, PORTAL_NAMES, SEVERITY_WORDS, statusWord, wordOf } from '../domain/display-words.ts';
import { MAX_COMMENT_CHARS, MAX_TAG_EDIT_TEXT_CHARS } from '../domain/edit-input.ts';
import type { Incident, IncidentComment, Portal, Status } from '../domain/incident.ts';
import { SEVERITIES } from '../domain/incident.ts';
import type { IncidentView, PortalSyncState } from '../domain/change-events.ts';
import type { EditOutcome, FieldName, FieldOutcome } from '../domain/edits.ts';
import { fromTeams, parseBridgeComment } from '../domain/attribution.ts';
import { isAcknowledged, isClosed } from '../domain/triage.ts';
import { buildAlertSections, DEFAULT_SECTION_LIMITS, type AlertSectionsViewModel, type SectionLimits } from './alert-sections.ts';
import { formatUtc, parseInstant, relativeTime, SEVERITY_MARKERS } from './card-text.ts';
import { escapeForTextBlock } from './escape.ts';
import { friendlyProductNames } from './product-names.ts';
import { safeOpenUrl, safeTeamsUrl } from './safe-links.ts';
import { MAX_WAR_ROOM_PEOPLE_NAMED } from '../domain/war-room.ts';
import type { CardTextColor } from './text-colors.ts';
import { NONCE_PLACEHOLDER } from './verbs.ts';

export { relativeTime, SEVERITY_MARKERS } from './card-text.ts';

export type CardMode = 'analyst' | 'readOnly';

export interface IncidentCardViewModelOptions {
  mode: CardMode;
  /** The outcome of the incident's latest edit, shown as an "Updating…" / result section. */
  outcome?: EditOutcome | null;
  /** ISO-8601 instant used for relative times ("5 min ago"); injected so rendering is deterministic. */
  now: string;
  /**
   * Base URL of the unified security operations portal, e.g. "https://security.microsoft.com",
   * when the Sentinel workspace is onboarded to it. Enables "Open in unified portal".
   */
  unifiedPortalBase?: string;
  /** Extra https hosts allowed for links (the local simulators); see safe-links.ts. */
  allowedLinkHosts?: readonly string[];
  /** How many alerts and evidence items the collapsible sections show (default DEFAULT_SECTION_LIMITS). */
  sectionLimits?: SectionLimits;
  /** When the incident's acknowledgement deadline passed in the card's conversation (it is overdue there). */
  overdueSince?: string;
  /** Offer the "War room" action (war rooms are set up); default off. */
  offerWarRoom?: boolean;
  /**
   * The customer (pair) the incident belongs to, from configuration (createCustomerNames): shown
   * as the first fact when set. An MSSP's analysts see many customers' incidents side by side.
   */
  customer?: string;
}

export interface FactViewModel {
  title: string;
  value: string;
}
export interface CommentViewModel {
  /** "Jane Doe · 5 min ago", escaped. */
  meta: string;
  text: string;
}
export interface PortalStateViewModel {
  portal: Portal;
  /** "Defender: ✅ In sync" */
  text: string;
  color: CardTextColor;
}
export interface UpdateRowViewModel {
  text: string;
  color: CardTextColor;
}
export interface UpdateViewModel {
  headline: string;
  color: CardTextColor;
  rows: UpdateRowViewModel[];
}
export interface LinkViewModel {
  title: string;
  url: string;
}
export interface ChoiceViewModel {
  title: string;
  value: string;
}

export interface IncidentCardViewModel {
  linkId: string;
  /** Placeholder the bot replaces with a fresh idempotency nonce (verbs.ts NONCE_PLACEHOLDER). */
  nonce: string;
  /** Edit actions are shown (analyst mode, incident not merged away). */
  canEdit: boolean;
  /** Acknowledge is offered: an analyst's card of an incident nobody owns or works on yet. */
  canAcknowledge: boolean;
  /**
   * "Assign to me" is offered: while Acknowledge is, it is the same and more (owner and in progress),
   * and Teams shows at most six card actions.
   */
  /** "⏰ Overdue: not acknowledged by its 10:15 UTC deadline (25 min ago)", or ''. */
  overdueNotice: string;
  isOverdue: boolean;
  /** The "War room" action is shown: war rooms are set up, and this analyst's card's incident has none yet. */
  canOpenWarRoom: boolean;
  title: string;
  /** "Defender 29 · Sentinel 412 · created 3 h ago" */
  subtitle: string;
  /** "🟠 Severity: Medium": the marker gives the severity a colour that is readable on any theme. */
  severityText: string;
  facts: FactViewModel[];
  description: string;
  hasDescription: boolean;
  comments: CommentViewModel[];
  hasComments: boolean;
  /** "+4 earlier comments · +2 change notes", or empty. */
  moreComments: string;
  portals: PortalStateViewModel[];
  update: UpdateViewModel | null;
  hasUpdate: boolean;
  /** Notice shown when the incident was merged into another one, else empty. */
  mergedNotice: string;
  isMerged: boolean;
  links: LinkViewModel[];
  /** The collapsible Alerts and Evidence sections (alert-sections.ts). */
  sections: AlertSectionsViewModel;
  severityChoices: ChoiceViewModel[];
  currentSeverity: string;
  commentMaxLength: number;
  tagsMaxLength: number;
  warRoomPeopleMaxLength: number;
  /** "Updated 10:42 UTC" — when this card was built. */
  footer: string;
}

// Caps. TextBlock has no documented length limit, but a card's total payload is limited (about
// 28 KB for a bot message per Microsoft Learn "Format cards in Teams" / message size limits), and
// a card is read at a glance: these keep even a hostile incident to a few screen lines.
export const LIMITS = {
  title: 200,
  description: 600,
  commentText: 280,
  commentAuthor: 80,
  name: 80,
  tag: 40,
  tagsShown: 12,
  products: 8,
  commentsShown: 3,
  failureReason: 200,
} as const;

// Colours: text-colors.ts says why text is only ever `default` or `accent`. Severity and states
// get their hue from an emoji (card-text.ts), which keeps its colours on light and dark themes alike.
const SYNC_STATE_TEXT: Record<PortalSyncState, { text: string; color: CardTextColor }> = {
  inSync: { text: '✅ In sync', color: 'default' },
  pending: { text: '⏳ Pending', color: 'accent' },
  notWritable: { text: "⚠️ Can't be written through the API", color: 'default' },
  failed: { text: '❌ Failed', color: 'default' },
};
const OUTCOME_STATE_TEXT: Record<'updating' | 'failed', { text: string; color: CardTextColor }> = {
  updating: { text: '⏳ Updating', color: 'accent' },
  failed: { text: '❌ Last update failed', color: 'default' },
};

export function buildIncidentCardViewModel(view: IncidentView, options: IncidentCardViewModelOptions): IncidentCardViewModel {
  const primary = view.defender ?? view.sentinel;
  const nowMs = parseInstant(options.now);
  if (nowMs === null) throw new RangeError(`buildIncidentCardViewModel: options.now must be an ISO-8601 instant, got '${String(options.now)}'`);
  const merged = mergedNotice(view);
  const canEdit = options.mode === 'analyst' && primary !== null && merged === '';
  const severity = primary?.severity ?? 'unknown';
  const comments = latestComments(view, nowMs);

  const acknowledged = isAcknowledged([view.defender, view.sentinel]);
  const overdueMs = acknowledged ? null : parseInstant(options.overdueSince);
  const overdueNotice = overdueMs === null ? '' : `⏰ Overdue: not acknowledged by its ${formatUtc(overdueMs)} deadline (${relativeTime(overdueMs, nowMs)})`;

  const canAcknowledge = canEdit && !acknowledged && !isClosed([view.defender, view.sentinel]);
  return {
    linkId: view.linkId,
    nonce: NONCE_PLACEHOLDER,
    canEdit,
    canAcknowledge,
    overdueNotice,
    isOverdue: overdueNotice !== '',
    canOpenWarRoom: canEdit && options.offerWarRoom === true && view.warRoom === undefined,
    title: primary ? escapeForTextBlock(primary.title, LIMITS.title) || '(untitled incident)' : '(incident not found)',
    subtitle: subtitle(view, nowMs),
    severityText: severityText(view),
    facts: primary ? facts(view, primary, options.customer) : [],
    description: primary ? escapeForTextBlock(primary.description, LIMITS.description, { multiline: true }) : '',
    hasDescription: primary !== null && escapeForTextBlock(primary.description, 1) !== '',
    comments: comments.shown,
    hasComments: comments.shown.length > 0,
    moreComments: comments.hidden,
    portals: portalStates(view, options.outcome ?? null),
    update: buildUpdate(view, options.outcome ?? null),
    hasUpdate: options.outcome != null && options.outcome.linkId === view.linkId,
    mergedNotice: merged,
    isMerged: merged !== '',
    links: links(view, options),
    sections: buildAlertSections(view, options.sectionLimits ?? DEFAULT_SECTION_LIMITS, nowMs, options.allowedLinkHosts ?? []),
    severityChoices: SEVERITIES.map((value) => ({ title: SEVERITY_WORDS[value], value })),
    currentSeverity: severity === 'unknown' ? 'medium' : severity,
    // The inputs accept what an edit may carry (domain/edit-input.ts), no more and no less.
    commentMaxLength: MAX_COMMENT_CHARS,
    tagsMaxLength: MAX_TAG_EDIT_TEXT_CHARS,
    // Sign-in names are at most 256 characters (parse.ts), plus a separator each.
    warRoomPeopleMaxLength: MAX_WAR_ROOM_PEOPLE_NAMED * 257,
    footer: `Card updated ${formatUtc(nowMs)}`,
  };
}

function subtitle(view: IncidentView, nowMs: number): string {
  const parts: string[] = [];
  if (view.defender) parts.push(`Defender ${escapeForTextBlock(view.defender.id, 40)}`);
  if (view.sentinel) {
    const number = view.sentinel.incidentNumber;
    parts.push(`Sentinel ${Number.isSafeInteger(number) ? String(number) : escapeForTextBlock(view.sentinel.id, 40)}`);
  }
  const created = view.defender?.createdAt ?? view.sentinel?.createdAt;
  const createdMs = parseInstant(created);
  if (createdMs !== null) parts.push(`created ${relativeTime(createdMs, nowMs)}`);
  return parts.join(' · ');
}

/** Severity of the primary portal; when the portals disagree the other value is shown too. */
function severityText(view: IncidentView): string {
  const primary = view.defender ?? view.sentinel;
  if (!primary) return SEVERITY_WORDS.unknown;
  const known = wordOf(SEVERITY_WORDS, primary.severity) !== undefined ? primary.severity : 'unknown';
  const text = `${SEVERITY_MARKERS[known]} Severity: ${SEVERITY_WORDS[known]}`;
  const other = view.defender && view.sentinel ? view.sentinel : null;
  if (other && other.severity !== primary.severity) {
    return `${text} (Sentinel: ${wordOf(SEVERITY_WORDS, other.severity) ?? SEVERITY_WORDS.unknown})`;
  }
  return text;
}

function facts(view: IncidentView, primary: Incident, customer: string | undefined): FactViewModel[] {
  const other = view.defender && view.sentinel ? view.sentinel : null;
  const result: FactViewModel[] = [];
  if (customer) result.push({ title: 'Customer', value: escapeForTextBlock(customer, LIMITS.name) });

  let status = statusWord(primary.portal, primary.status) ?? 'Unknown';
  if (other && other.status !== primary.status && !sameStatusAcrossPortals(primary.status, other.status)) {
    status += ` (Sentinel: ${statusWord('sentinel', other.status) ?? 'Unknown'})`;
  }
  result.push({ title: 'Status', value: status });

  let classification = wordOf(CLASSIFICATION_WORDS, primary.classification) ?? CLASSIFICATION_WORDS.undetermined;
  if (primary.determination && primary.determination !== 'unknown') {
    classification += ` (${escapeForTextBlock(primary.determination, 40)})`;
  }
  result.push({ title: 'Classification', value: classification });
  result.push({ title: 'Owner', value: ownerText(view, primary) });

  const products = friendlyProductNames([
    ...(view.defender?.additionalData.productNames ?? []),
    ...(view.sentinel?.additionalData.productNames ?? []),
  ]);
  if (products.length > 0) {
    const shown = products.slice(0, LIMITS.products).map((name) => escapeForTextBlock(name, LIMITS.name));
    const more = products.length - shown.length;
    result.push({ title: 'Sources', value: shown.join(', ') + (more > 0 ? ` +${more} more` : '') });
  }

  const tags = unionTags(view);
  result.push({ title: 'Tags', value: tags.length > 0 ? tagsText(tags) : 'None' });

  const alerts = Math.max(view.defender?.additionalData.alertsCount ?? 0, view.sentinel?.additionalData.alertsCount ?? 0);
  result.push({ title: 'Alerts', value: String(Number.isSafeInteger(alerts) && alerts >= 0 ? alerts : 0) });

  if (primary.lastModifiedBy) {
    result.push({ title: 'Last modified by', value: escapeForTextBlock(primary.lastModifiedBy, LIMITS.name) });
  }
  return result;
}

/** Sentinel has no 'inProgress' (maps to Active) and no 'awaitingAction'; do not flag that as drift. */
function sameStatusAcrossPortals(defenderStatus: Status, sentinelStatus: Status): boolean {
  if (sentinelStatus === 'active') return defenderStatus === 'inProgress' || defenderStatus === 'awaitingAction';
  if (sentinelStatus === 'new') return defenderStatus === 'active';
  return false;
}

/** The shared naming rule (display name, else UPN); the other portal may know the name. */
export function ownerText(view: IncidentView, incident: Incident): string {
  const other = incident === view.defender ? view.sentinel : view.defender;
  return escapeForTextBlock(ownerWord(incident.owner, [other?.owner]), LIMITS.name);
}

function unionTags(view: IncidentView): string[] {
  const seen = new Map<string, string>();
  for (const tag of [...(view.defender?.tags ?? []), ...(view.sentinel?.tags ?? [])]) {
    if (typeof tag !== 'string' || tag.trim() === '') continue;
    const key = tag.trim().toLowerCase();
    if (!seen.has(key)) seen.set(key, tag.trim());
  }
  return [...seen.values()];
}

function tagsText(tags: string[]): string {
  const shown = tags.slice(0, LIMITS.tagsShown).map((tag) => escapeForTextBlock(tag, LIMITS.tag));
  const more = tags.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` +${more} more` : '');
}

interface ShownComment {
  author: string;
  text: string;
  createdAt: string;
  /** A change note the bridge wrote (who changed what): shown after real comments. */
  note: boolean;
}

/**
 * A portal comment as the card shows it. The bridge's own writes are credited to the analyst who
 * asked ("Alex Wilber (from Teams)") or, for a copy, to the original's author, not to the app the
 * portal names; their attribution and ref are not shown.
 */
function shownComment(comment: IncidentComment): ShownComment {
  const bridge = parseBridgeComment(comment.text);
  if (!bridge) return { author: comment.author, text: comment.text, createdAt: comment.createdAt, note: false };
  const author = bridge.kind === 'copy' ? bridge.author : fromTeams(bridge.author);
  return { author, text: bridge.text, createdAt: comment.createdAt, note: bridge.kind === 'note' };
}

/**
 * Comments of both portals: real comments first, newest first, then change notes. The portals
 * mirror comments to each other (and the bridge writes to both), so the same text appears twice;
 * the earliest copy is kept, which for a mirrored comment is the original.
 */
function latestComments(view: IncidentView, nowMs: number): { shown: CommentViewModel[]; hidden: string } {
  const all: IncidentComment[] = [...(view.defender?.comments ?? []), ...(view.sentinel?.comments ?? [])];
  const unique = new Map<string, ShownComment>();
  for (const comment of all) {
    if (!comment || typeof comment.text !== 'string') continue;
    const shown = shownComment(comment);
    const key = shown.text.normalize('NFC').replace(/\s+/gu, ' ').trim();
    if (key === '') continue;
    const existing = unique.get(key);
    if (!existing || (parseInstant(shown.createdAt) ?? 0) < (parseInstant(existing.createdAt) ?? 0)) unique.set(key, shown);
  }
  const newestFirst = (a: ShownComment, b: ShownComment) => (parseInstant(b.createdAt) ?? 0) - (parseInstant(a.createdAt) ?? 0);
  const comments = [...unique.values()].filter((comment) => !comment.note).sort(newestFirst);
  const notes = [...unique.values()].filter((comment) => comment.note).sort(newestFirst);
  const picked = [...comments, ...notes].slice(0, LIMITS.commentsShown);
  const shown = picked.map((comment) => {
    const author = escapeForTextBlock(comment.author, LIMITS.commentAuthor) || 'Unknown author';
    const at = parseInstant(comment.createdAt);
    return {
      meta: at === null ? author : `${author} · ${relativeTime(at, nowMs)}`,
      text: escapeForTextBlock(comment.text, LIMITS.commentText),
    };
  });
  const hiddenComments = comments.length - picked.filter((comment) => !comment.note).length;
  const hiddenNotes = notes.length - picked.filter((comment) => comment.note).length;
  const hidden = [
    hiddenComments > 0 ? `+${hiddenComments} earlier comment${hiddenComments === 1 ? '' : 's'}` : '',
    hiddenNotes > 0 ? `+${hiddenNotes} change note${hiddenNotes === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  return { shown, hidden: hidden.join(' · ') };
}

/**
 * Each portal's state. The latest edit's outcome speaks for a portal where it is still under way or
 * failed, so a card never says "In sync" under "Update failed".
 */
function portalStates(view: IncidentView, outcome: EditOutcome | null): PortalStateViewModel[] {
  return (['defender', 'sentinel'] as const).map((portal) => {
    const name = PORTAL_NAMES[portal];
    if (!view[portal]) return { portal, text: `${name}: — not linked yet`, color: 'default' as CardTextColor };
    const fields = outcome && outcome.linkId === view.linkId ? Object.values(outcome.perPortal[portal] ?? {}) : [];
    if (fields.some((field) => field?.state === 'failed')) return { portal, text: `${name}: ${OUTCOME_STATE_TEXT.failed.text}`, color: OUTCOME_STATE_TEXT.failed.color };
    if (fields.some((field) => field?.state === 'pending' || (field?.state === 'viaOtherRoute' && !field.verified))) {
      return { portal, text: `${name}: ${OUTCOME_STATE_TEXT.updating.text}`, color: OUTCOME_STATE_TEXT.updating.color };
    }
    const state = wordOf(SYNC_STATE_TEXT, view.syncState[portal]) ?? SYNC_STATE_TEXT.pending;
    return { portal, text: `${name}: ${state.text}`, color: state.color };
  });
}

function mergedNotice(view: IncidentView): string {
  const redirect = view.defender?.status === 'redirected' ? view.defender.redirectIncidentId : undefined;
  if (redirect) return `Merged into Defender incident ${escapeForTextBlock(redirect, 40)}. Updates continue on that incident's card.`;
  if (view.mergedIntoLinkId || view.defender?.status === 'redirected') {
    return 'This incident was merged into another incident. Updates continue on that incident\'s card.';
  }
  return '';
}

/** The "Updating…" / result section for an edit outcome of this link; null without one. */
export function buildUpdate(view: IncidentView, outcome: EditOutcome | null): UpdateViewModel | null {
  // An outcome for another link must never show on this card.
  if (!outcome || outcome.linkId !== view.linkId) return null;
  const rows: UpdateRowViewModel[] = [];
  const portalSummaries: string[] = [];
  for (const portal of ['defender', 'sentinel'] as const) {
    const fields = Object.entries(outcome.perPortal?.[portal] ?? {}) as [FieldName, FieldOutcome | undefined][];
    const outcomes = fields.filter((entry): entry is [FieldName, FieldOutcome] => entry[1] !== undefined);
    if (outcomes.length === 0) continue;
    portalSummaries.push(`${PORTAL_NAMES[portal]} ${portalSummary(outcomes.map(([, o]) => o))}`);
    for (const [field, fieldOutcome] of outcomes) {
      const { text, color } = fieldOutcomeText(fieldOutcome);
      rows.push({ text: `${PORTAL_NAMES[portal]} · ${wordOf(FIELD_WORDS, field) ?? 'field'}: ${text}`, color });
    }
  }
  const summary = portalSummaries.join(', ');
  switch (outcome.state) {
    case 'accepted':
      return { headline: `⏳ Updating… ${summary}`.trimEnd(), color: 'accent', rows };
    case 'completed':
      return {
        headline: outcome.converged ? '✅ Update applied; both portals agree' : '✅ Update applied; waiting for read-back',
        color: 'default',
        rows,
      };
    case 'partial':
      return { headline: `⚠️ Update partly applied: ${summary}`, color: 'default', rows };
    case 'failed':
      return { headline: `❌ Update failed: ${summary}`, color: 'default', rows };
    default:
      return { headline: 'Update state unknown', color: 'default', rows };
  }
}

function portalSummary(outcomes: FieldOutcome[]): string {
  if (outcomes.some((o) => o.state === 'pending')) return 'pending';
  if (outcomes.some((o) => o.state === 'failed')) return outcomes.every((o) => o.state === 'failed') ? 'failed' : 'partly failed';
  return 'done';
}

function fieldOutcomeText(outcome: FieldOutcome): { text: string; color: CardTextColor } {
  switch (outcome.state) {
    case 'pending':
      return { text: '⏳ pending', color: 'accent' };
    case 'written':
      return { text: '✅ written', color: 'default' };
    case 'viaOtherRoute':
      return outcome.verified
        ? { text: '✅ via native sync (verified)', color: 'default' }
        : { text: '⏳ via native sync (not yet verified)', color: 'accent' };
    case 'failed':
      return { text: `❌ failed: ${escapeForTextBlock(outcome.reason, LIMITS.failureReason) || 'no reason given'}`, color: 'default' };
    default:
      return { text: 'unknown', color: 'default' };
  }
}

function links(view: IncidentView, options: IncidentCardViewModelOptions): LinkViewModel[] {
  const extra = options.allowedLinkHosts ?? [];
  const result: LinkViewModel[] = [];
  const add = (title: string, url: string | null): void => {
    if (url && !result.some((link) => link.url === url)) result.push({ title, url });
  };
  add('Open in Defender', safeOpenUrl(view.defender?.webUrl, extra));
  add('Open in Sentinel', safeOpenUrl(view.sentinel?.webUrl, extra));
  if (options.unifiedPortalBase) add('Open in unified portal', unifiedPortalUrl(view, options.unifiedPortalBase, extra));
  add('Open war room', safeTeamsUrl(view.warRoom?.url));
  return result;
}

/**
 * With Sentinel onboarded to the Defender portal, every Sentinel incident is also a Defender XDR
 * incident (its providerIncidentId), opened at {base}/incident2/{id}/overview?tid={tenant} — the
 * form Graph returns in incidentWebUrl. Only shown when it differs from the Defender link.
 */
function unifiedPortalUrl(view: IncidentView, base: string, extraHosts: readonly string[]): string | null {
  const xdrId = view.defender?.id ?? view.sentinel?.providerIncidentId;
  if (!xdrId || !/^[0-9A-Za-z-]{1,64}$/.test(xdrId)) return null;
  const tenantId = view.defender?.tenantId ?? view.sentinel?.tenantId;
  const root = safeOpenUrl(base, extraHosts);
  if (!root) return null;
  const url = new URL(`incident2/${xdrId}/overview`, root.endsWith('/') ? root : `${root}/`);
  if (tenantId && /^[0-9A-Za-z-]{1,64}$/.test(tenantId)) url.searchParams.set('tid', tenantId);
  return safeOpenUrl(url.href, extraHosts);
}
