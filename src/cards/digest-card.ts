// The digest card: a conversation's incidents at a glance (src/triage/digest.ts computes the
// figures). Pure: digest -> view model -> cards/digest.json. Titles are attacker-influenced and
// escaped; every row has "Open card", which sends /incident for the analyst (as the list card does).
import { SEVERITY_WORDS } from '../domain/display-words.ts';
import type { Severity } from '../domain/incident.ts';
import { formatDuration } from '../domain/triage.ts';
import type { Digest, DigestIncident, Median } from '../triage/digest.ts';
import { formatUtc, relativeTime, SEVERITY_MARKERS } from './card-text.ts';
import { escapeForTextBlock } from './escape.ts';
import type { OpenCommand } from './incident-list.ts';
import { renderTemplate, type AdaptiveCard } from './render.ts';

export interface DigestCardOptions {
  /** "Daily at 09:00 (Europe/Amsterdam)", or "" for one asked for with /digest. */
  schedule: string;
  /** The command that opens a row's incident card; null: no button. */
  openCommand: (incident: DigestIncident) => OpenCommand | null;
}

interface RowViewModel {
  title: string;
  facts: string;
  opens: OpenCommand[];
}

export interface DigestViewModel {
  header: string;
  subtitle: string;
  severityFacts: Array<{ title: string; value: string }>;
  activityFacts: Array<{ title: string; value: string }>;
  unassigned: RowViewModel[];
  hasUnassigned: boolean;
  unassignedHeading: string;
  overdue: RowViewModel[];
  hasOverdue: boolean;
  overdueHeading: string;
  footer: string;
}

const TITLE_MAX = 80;
const SEVERITY_ORDER: readonly Severity[] = ['high', 'medium', 'low', 'informational', 'unknown'];

function medianText(value: Median): string {
  if (value.seconds === null) return 'no incidents yet';
  return `${formatDuration(Math.round(value.seconds))} (${value.count} incident${value.count === 1 ? '' : 's'})`;
}

function row(incident: DigestIncident, facts: string, options: DigestCardOptions): RowViewModel {
  const open = options.openCommand(incident);
  return {
    title: `${SEVERITY_MARKERS[incident.severity] ?? SEVERITY_MARKERS.unknown} ${escapeForTextBlock(incident.ref, 40)} · ${escapeForTextBlock(incident.title, TITLE_MAX) || '(untitled incident)'}`,
    facts,
    opens: open ? [open] : [],
  };
}

function heading(label: string, shown: number, total: number): string {
  return total > shown ? `${label} (oldest ${shown} of ${total})` : `${label} (${total})`;
}

export function buildDigestViewModel(digest: Digest, options: DigestCardOptions): DigestViewModel {
  const nowMs = Date.parse(digest.at);
  return {
    header: 'Incident digest',
    subtitle: `${digest.openTotal} open · as of ${formatUtc(nowMs)}`,
    severityFacts: SEVERITY_ORDER.filter((severity) => severity !== 'unknown' || digest.openBySeverity.unknown > 0).map((severity) => ({
      title: `${SEVERITY_MARKERS[severity]} ${SEVERITY_WORDS[severity]}`,
      value: String(digest.openBySeverity[severity]),
    })),
    activityFacts: [
      { title: 'New in the last 24 h', value: String(digest.newLastDay) },
      { title: 'Resolved in the last 24 h', value: String(digest.resolvedLastDay) },
      { title: 'Median time to acknowledge (7 d)', value: medianText(digest.timeToAcknowledge) },
      { title: 'Median time to resolve (7 d)', value: medianText(digest.timeToResolve) },
    ],
    unassigned: digest.oldestUnassigned.map((incident) => row(incident, `${SEVERITY_WORDS[incident.severity]} · open since ${relativeTime(Date.parse(incident.createdAt), nowMs)}`, options)),
    hasUnassigned: digest.oldestUnassigned.length > 0,
    unassignedHeading: heading('Oldest unassigned', digest.oldestUnassigned.length, digest.unassignedTotal),
    overdue: digest.overdue.map((incident) => row(incident, `${SEVERITY_WORDS[incident.severity]} · due ${formatUtc(Date.parse(incident.dueAt))} (${relativeTime(Date.parse(incident.dueAt), nowMs)})`, options)),
    hasOverdue: digest.overdue.length > 0,
    overdueHeading: heading('⏰ Overdue', digest.overdue.length, digest.overdueTotal),
    footer: options.schedule,
  };
}

export function renderDigestCard(digest: Digest, options: DigestCardOptions): AdaptiveCard {
  return renderTemplate('digest', buildDigestViewModel(digest, options));
}
