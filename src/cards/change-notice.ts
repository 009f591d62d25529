// The short threaded reply posted under an incident's card when it changes, e.g.
// "Severity Medium → High by Jane Doe in Sentinel; tags +phishing". Pure. Values read as the card
// words them (domain/display-words.ts). Everything taken from the event (names, tags, titles) is
// untrusted and escaped: a bot message is Markdown in Teams.
import { CLASSIFICATION_WORDS, FIELD_WORDS, ownerWord, PORTAL_NAMES, SEVERITY_WORDS, statusWord, wordOf } from '../domain/display-words.ts';
import type { Owner, Portal } from '../domain/incident.ts';
import type { ChangeEvent, FieldChange } from '../domain/change-events.ts';
import { compareAlerts } from '../domain/alerts.ts';
import { escapeForTextBlock } from './escape.ts';
import { friendlyProductName } from './product-names.ts';

const VALUE_MAX = 60;
const NAME_MAX = 60;
const TAGS_SHOWN = 6;
/** One line in a thread; the card holds the details. */
const NOTICE_MAX_CHANGES = 6;

export function buildChangeNoticeText(event: ChangeEvent): string {
  const subject = incidentLabel(event);
  if (event.kind === 'created') return `New incident ${subject}`.trim();
  if (event.kind === 'merged') {
    const into = event.incident.defender?.redirectIncidentId;
    return into
      ? `Incident ${subject} was merged into Defender incident ${escapeForTextBlock(into, 40)}`
      : `Incident ${subject} was merged into another incident`;
  }

  const outcome = outcomeNotice(event);
  const alerts = alertsNotice(event);
  // A new alert names its source: "new alert sources" beside it would say it twice.
  const shownChanges = event.changes.filter((change) => isShown(change) && change.field !== 'alerts' && !(alerts && change.field === 'productNames'));
  const groups = groupByAuthor(shownChanges);
  if (groups.length === 0) return [alerts, outcome].filter(Boolean).join('\n\n') || (event.kind === 'updated' ? `Incident ${subject} updated` : '');
  // Alerts that only changed state (resolved with their incident) are not news beside the change that did it.
  const alertsLine = alerts === ALERTS_UPDATED ? undefined : alerts;
  const clauses: string[] = [];
  let shown = 0;
  for (const group of groups) {
    const parts: string[] = [];
    for (const change of group.changes) {
      if (shown === NOTICE_MAX_CHANGES) break;
      parts.push(describeChange(change, event));
      shown += 1;
    }
    if (parts.length === 0) break;
    const who = group.by ? ` by ${escapeForTextBlock(group.by, NAME_MAX)}` : '';
    const first = parts[0] ?? '';
    // An edit made through the bridge came from Teams, whichever portal showed it first; anything
    // else is named after the portal where it was made.
    const where = group.fromTeams ? 'from Teams' : `in ${PORTAL_NAMES[group.portal]}`;
    clauses.push([`${capitalise(first)}${who} ${where}`, ...parts.slice(1)].join('; '));
  }
  const hidden = shownChanges.length - shown;
  const changes = clauses.join('. ') + (hidden > 0 ? `; +${hidden} more` : '');
  return [alertsLine, changes, outcome].filter(Boolean).join('\n\n');
}

/** New alerts named in the notice; more are counted. */
const NEW_ALERTS_NAMED = 2;
const ALERTS_UPDATED = 'Alerts and evidence updated';

/**
 * "New alert: Suspicious PowerShell command line (Defender for Endpoint, High)", for alerts that
 * joined the incident; "Alerts and evidence updated" when only what they show changed.
 */
function alertsNotice(event: ChangeEvent): string | undefined {
  const change = event.changes.find((candidate) => candidate.field === 'alerts');
  if (!change) return undefined;
  const before = new Set(alertIds(change.from));
  const added = alertIds(change.to).filter((id) => !before.has(id));
  const known = event.incident.defender?.alertDetails?.alerts ?? [];
  const named = added.flatMap((id) => known.filter((alert) => alert.id === id)).sort(compareAlerts);
  // More joined than the bridge keeps (it keeps the most relevant): the alert count says how many.
  const counts = event.changes.find((candidate) => candidate.field === 'additionalData');
  const joined = Math.max(added.length, alertCountOf(counts?.to) - alertCountOf(counts?.from));
  if (joined === 0) return ALERTS_UPDATED;
  const lines = named.slice(0, NEW_ALERTS_NAMED).map((alert) => {
    const source = friendlyProductName(alert.serviceSource);
    const about = [source ? escapeForTextBlock(source, NAME_MAX) : '', wordOf(SEVERITY_WORDS, alert.severity) ?? ''].filter(Boolean).join(', ');
    return `New alert: ${escapeForTextBlock(alert.title, VALUE_MAX) || '(untitled alert)'}${about ? ` (${about})` : ''}`;
  });
  const more = joined - lines.length;
  if (lines.length === 0) return `${joined} new alert${joined === 1 ? '' : 's'}`;
  return more > 0 ? `${lines.join('; ')}; +${more} more new alert${more === 1 ? '' : 's'}` : lines.join('; ');
}

function alertIds(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { ids?: unknown }).ids)) return [];
  return ((value as { ids: unknown[] }).ids).filter((id): id is string => typeof id === 'string');
}

function alertCountOf(value: unknown): number {
  const count = typeof value === 'object' && value !== null ? (value as { alertsCount?: unknown }).alertsCount : undefined;
  return typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 ? count : 0;
}

/** A line for an edit from Teams that did not fully apply; nothing while it runs or once it succeeded. */
function outcomeNotice(event: ChangeEvent): string | undefined {
  const outcome = event.outcome;
  if (!outcome || (outcome.state !== 'partial' && outcome.state !== 'failed')) return undefined;
  const failures: string[] = [];
  for (const portal of ['defender', 'sentinel'] as const) {
    const fields = Object.entries(outcome.perPortal[portal]).filter(([, field]) => field?.state === 'failed');
    if (fields.length > 0) failures.push(`${PORTAL_NAMES[portal]}: ${fields.map(([name]) => wordOf(FIELD_WORDS, name) ?? 'a field').join(', ')}`);
  }
  const who = event.actor ? ` by ${escapeForTextBlock(event.actor.displayName, NAME_MAX)}` : '';
  const head = outcome.state === 'failed' ? `❌ The update${who} failed` : `⚠️ The update${who} was only partly applied`;
  return `${head} (${failures.join('; ')}); the card has the details.`;
}

function incidentLabel(event: ChangeEvent): string {
  const incident = event.incident.defender ?? event.incident.sentinel;
  if (!incident) return '';
  const title = escapeForTextBlock(incident.title, 80);
  const id = event.incident.defender ? event.incident.defender.id : String(event.incident.sentinel?.incidentNumber ?? incident.id);
  return `${escapeForTextBlock(id, 40)}${title ? `: ${title}` : ''}`;
}

/** Fields worth a line in the thread; additionalData and lastModifiedBy churn constantly. */
function isShown(change: FieldChange): boolean {
  return change.field !== 'additionalData' && change.field !== 'lastModifiedBy';
}

interface AuthorGroup {
  by: string;
  portal: Portal;
  fromTeams: boolean;
  changes: FieldChange[];
}

function groupByAuthor(changes: FieldChange[]): AuthorGroup[] {
  const groups: AuthorGroup[] = [];
  for (const change of changes) {
    const by = typeof change.by === 'string' ? change.by : '';
    const fromTeams = change.fromTeams === true;
    const last = groups.at(-1);
    if (last && last.by === by && last.fromTeams === fromTeams && (fromTeams || last.portal === change.portal)) last.changes.push(change);
    else groups.push({ by, portal: change.portal, fromTeams, changes: [change] });
  }
  return groups;
}

function describeChange(change: FieldChange, event: ChangeEvent): string {
  switch (change.field) {
    case 'severity':
      return `severity ${worded(wordOf(SEVERITY_WORDS, change.from), change.from)} → ${worded(wordOf(SEVERITY_WORDS, change.to), change.to)}`;
    case 'status':
      return `status ${worded(statusWord(change.portal, change.from), change.from)} → ${worded(statusWord(change.portal, change.to), change.to)}`;
    case 'classification':
      return `classification ${worded(wordOf(CLASSIFICATION_WORDS, change.from), change.from)} → ${worded(wordOf(CLASSIFICATION_WORDS, change.to), change.to)}`;
    case 'owner': {
      // The incident's owners (both portals) may know the name of an owner a change names by UPN.
      const known = [event.incident.defender?.owner, event.incident.sentinel?.owner];
      return `owner ${ownerName(change.from, known)} → ${ownerName(change.to, known)}`;
    }
    case 'title':
      return `title → "${value(change.to)}"`;
    case 'description':
      return 'description edited';
    case 'tags':
      return `tags ${tagDelta(change.from, change.to)}`;
    case 'productNames':
      return 'new alert sources';
    case 'comment':
      return 'new comment';
    default:
      return `${escapeForTextBlock(String(change.field), 30)} changed`;
  }
}

function value(input: unknown): string {
  if (input === null || input === undefined || input === '') return 'none';
  if (typeof input === 'string' || typeof input === 'number' || typeof input === 'boolean') {
    return escapeForTextBlock(String(input), VALUE_MAX);
  }
  return 'changed';
}

/** The display word of a known value; anything else escaped as it came. */
function worded(word: string | undefined, input: unknown): string {
  return word ?? value(input);
}

function ownerName(input: unknown, known: readonly (Owner | null | undefined)[]): string {
  if (typeof input === 'string') return value(input);
  return escapeForTextBlock(ownerWord(typeof input === 'object' ? (input as Owner | null) : null, known), NAME_MAX);
}

function tagDelta(from: unknown, to: unknown): string {
  const before = toTagSet(from);
  const after = toTagSet(to);
  const added = [...after.values()].filter((tag) => !before.has(tag.toLowerCase()));
  const removed = [...before.values()].filter((tag) => !after.has(tag.toLowerCase()));
  const parts = [
    ...added.map((tag) => `+${escapeForTextBlock(tag, 40)}`),
    ...removed.map((tag) => `-${escapeForTextBlock(tag, 40)}`),
  ];
  if (parts.length === 0) return 'reordered';
  const shown = parts.slice(0, TAGS_SHOWN).join(' ');
  return parts.length > TAGS_SHOWN ? `${shown} +${parts.length - TAGS_SHOWN} more` : shown;
}

/** lower-cased key -> original spelling. Tags compare case-insensitively, as both portals do (uncertain). */
function toTagSet(input: unknown): Map<string, string> {
  const result = new Map<string, string>();
  if (!Array.isArray(input)) return result;
  for (const tag of input) {
    if (typeof tag === 'string' && tag.trim() !== '') result.set(tag.trim().toLowerCase(), tag.trim());
  }
  return result;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
