// A conversation's digest, computed from the store alone (triage records and escalation timers):
// no portal is called, so a digest costs a few queries whatever the incident volume. Pure.
//
// Which incidents: those that match one of the conversation's subscriptions (the incidents it gets
// cards for), within the pairs its tenant may see; a conversation without subscriptions gets every
// incident its tenant may see.
import type { Severity } from '../domain/incident.ts';
import type { EscalationTimer, SubscriptionRecord, TriageRecord } from '../store/ports.ts';
import { matchesSubject, type FilterSubject } from '../bot/subscription-filter.ts';

export const DIGEST_WINDOW_MS = 24 * 3600_000;
/** Medians need more than a day's handful of incidents to mean something: they look back a week. */
export const MEDIAN_WINDOW_MS = 7 * DIGEST_WINDOW_MS;
/** Rows in each list of the digest. */
export const DIGEST_LIST_ROWS = 5;

export interface DigestIncident {
  linkId: string;
  ref: string;
  title: string;
  severity: Severity;
  createdAt: string;
}

export interface Median {
  /** null when no incident counts. */
  seconds: number | null;
  count: number;
}

export interface Digest {
  at: string;
  openBySeverity: Record<Severity, number>;
  openTotal: number;
  newLastDay: number;
  resolvedLastDay: number;
  /** Open, nobody owns them: oldest first. */
  oldestUnassigned: DigestIncident[];
  unassignedTotal: number;
  timeToAcknowledge: Median;
  timeToResolve: Median;
  /** Open, not acknowledged, past their deadline here: longest overdue first. */
  overdue: Array<DigestIncident & { dueAt: string }>;
  overdueTotal: number;
}

export interface DigestInput {
  records: readonly TriageRecord[];
  /** The conversation's subscriptions. */
  subscriptions: readonly SubscriptionRecord[];
  /** Whether the conversation's tenant may see a pair. */
  canSee: (pairId: string) => boolean;
  /** The conversation's escalation timers that fired, or are pending (overdue once their time passed). */
  timers: readonly EscalationTimer[];
  now: string;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function toIncident(record: TriageRecord): DigestIncident {
  return { linkId: record.linkId, ref: record.ref, title: record.title, severity: record.severity, createdAt: record.createdAt };
}

export function computeDigest(input: DigestInput): Digest {
  const nowMs = Date.parse(input.now);
  const since = (windowMs: number) => (at: string | null) => at !== null && Date.parse(at) >= nowMs - windowMs;
  const lastDay = since(DIGEST_WINDOW_MS);
  const lastWeek = since(MEDIAN_WINDOW_MS);
  const records = input.records.filter(
    (record) =>
      input.canSee(record.pairId) &&
      (input.subscriptions.length === 0 || input.subscriptions.some((subscription) => matchesSubject(subscription.filters, record.subject as unknown as FilterSubject))),
  );
  const open = records.filter((record) => record.open);
  const openBySeverity: Record<Severity, number> = { high: 0, medium: 0, low: 0, informational: 0, unknown: 0 };
  for (const record of open) openBySeverity[record.severity] += 1;
  const unassigned = open.filter((record) => !record.assigned).sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  const seconds = (from: string, to: string) => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
  const acknowledged = records.filter((record) => !record.acknowledgedOnFirstSight && record.acknowledgedAt !== null && lastWeek(record.acknowledgedAt));
  const resolved = records.filter((record) => record.resolvedAt !== null && lastWeek(record.resolvedAt));
  const byLink = new Map(open.filter((record) => !record.acknowledged).map((record) => [record.linkId, record]));
  const overdue = input.timers
    .filter((timer) => timer.state === 'fired' || (timer.state === 'pending' && Date.parse(timer.dueAt) <= nowMs))
    .flatMap((timer) => {
      const record = byLink.get(timer.linkId);
      return record ? [{ ...toIncident(record), dueAt: timer.dueAt }] : [];
    })
    .sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt));
  return {
    at: input.now,
    openBySeverity,
    openTotal: open.length,
    newLastDay: records.filter((record) => lastDay(record.createdAt)).length,
    resolvedLastDay: records.filter((record) => lastDay(record.resolvedAt)).length,
    oldestUnassigned: unassigned.slice(0, DIGEST_LIST_ROWS).map(toIncident),
    unassignedTotal: unassigned.length,
    timeToAcknowledge: { seconds: median(acknowledged.map((record) => seconds(record.createdAt, record.acknowledgedAt as string))), count: acknowledged.length },
    timeToResolve: { seconds: median(resolved.map((record) => seconds(record.createdAt, record.resolvedAt as string))), count: resolved.length },
    overdue: overdue.slice(0, DIGEST_LIST_ROWS),
    overdueTotal: overdue.length,
  };
}
