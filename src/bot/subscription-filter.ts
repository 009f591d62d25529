// Which channel subscriptions a change event matches. Pure.
//
// Semantics: every criterion a subscription sets must hold (AND); within one criterion any listed
// value will do (OR). An empty subscription matches everything.
// A linked incident has two views (Defender and Sentinel) that can briefly disagree while a change
// is in flight; a criterion holds when either view satisfies it, so a subscriber is never left out
// because one portal has not caught up yet.
import { SEVERITIES, type Incident, type Severity, type Status } from '../domain/incident.ts';
import type { ChangeEvent, IncidentView } from '../domain/change-events.ts';
import type { SubscriptionFilters, SubscriptionRecord } from '../store/ports.ts';
import { friendlyProductName } from '../cards/product-names.ts';
import { statusCommandWord } from './commands/parse.ts';

/**
 * What subscription filters look at, per portal view of an incident: small enough to keep beside
 * an incident's triage record (the digest and the escalation timers match incidents without their
 * full views).
 */
export interface FilterSubject {
  pairId: string;
  sides: Array<{ severity: Severity; status: Status; tags: string[]; productNames: string[]; tenantId?: string }>;
}

export function filterSubjectOf(pairId: string, view: IncidentView): FilterSubject {
  const sides = [view.defender, view.sentinel]
    .filter((incident): incident is Incident => incident !== null)
    .map((incident) => ({
      severity: incident.severity,
      status: incident.status,
      tags: [...incident.tags],
      productNames: [...incident.additionalData.productNames],
      ...(incident.tenantId ? { tenantId: incident.tenantId } : {}),
    }));
  return { pairId, sides };
}

/** informational=0 … high=3; 'unknown' (Defender only) ranks below everything. */
function severityRank(severity: Severity): number {
  return (SEVERITIES as readonly string[]).indexOf(severity);
}

function fold(value: string): string {
  return value.trim().toLowerCase();
}

/**
 * Product filters are short words analysts type ("endpoint", "identity"); portals report either
 * Graph serviceSource values or display names. Compare against both the raw and the friendly name,
 * as case-insensitive substrings.
 */
function productMatches(wanted: string, reported: string): boolean {
  const needle = fold(wanted).replace(/[\s_-]+/g, '');
  if (needle.length === 0) return false;
  return [reported, friendlyProductName(reported)].some((name) => fold(name).replace(/[\s_-]+/g, '').includes(needle));
}

export function matchesSubject(filters: SubscriptionFilters, subject: FilterSubject): boolean {
  const sides = subject.sides;
  if (sides.length === 0) return false;

  if (filters.minSeverity !== undefined) {
    const floor = severityRank(filters.minSeverity);
    if (!sides.some((side) => severityRank(side.severity) >= floor)) return false;
  }
  if (filters.statuses !== undefined && filters.statuses.length > 0) {
    const statuses = filters.statuses;
    if (!sides.some((side) => statuses.includes(side.status))) return false;
  }
  if (filters.tags !== undefined && filters.tags.length > 0) {
    const wanted = filters.tags.map(fold);
    if (!sides.some((side) => side.tags.some((tag) => wanted.includes(fold(tag))))) return false;
  }
  if (filters.products !== undefined && filters.products.length > 0) {
    const wanted = filters.products;
    const reported = sides.flatMap((side) => side.productNames);
    if (!wanted.some((product) => reported.some((name) => productMatches(product, name)))) return false;
  }
  if (filters.pairIds !== undefined && filters.pairIds.length > 0) {
    // "tenant=" names a configured pair id, or the Entra tenant id itself.
    const wanted = filters.pairIds.map(fold);
    const known = [subject.pairId, ...sides.map((side) => side.tenantId ?? '')].map(fold);
    if (!wanted.some((value) => known.includes(value))) return false;
  }
  return true;
}

export function matchesFilters(filters: SubscriptionFilters, event: Pick<ChangeEvent, 'pairId' | 'incident'>): boolean {
  return matchesSubject(filters, filterSubjectOf(event.pairId, event.incident));
}

/** The conversation ids to notify: each conversation once, however many of its subscriptions match. */
export function conversationsToNotify(subscriptions: readonly SubscriptionRecord[], event: Pick<ChangeEvent, 'pairId' | 'incident'>): string[] {
  const conversations = new Set<string>();
  for (const subscription of subscriptions) {
    if (conversations.has(subscription.conversationId)) continue;
    if (matchesFilters(subscription.filters, event)) conversations.add(subscription.conversationId);
  }
  return [...conversations];
}

/**
 * One line describing a subscription's filters, for replies. Values are user input: the caller
 * escapes. `pairLabel` names a tenant= value as the customer it is (default: the value).
 */
export function describeFilters(filters: SubscriptionFilters, pairLabel: (value: string) => string = (value) => value): string {
  const parts: string[] = [];
  if (filters.minSeverity) parts.push(`severity ≥ ${filters.minSeverity}`);
  if (filters.statuses?.length) parts.push(`status ${filters.statuses.map(statusCommandWord).join(' or ')}`);
  if (filters.products?.length) parts.push(`product ${filters.products.join(' or ')}`);
  if (filters.tags?.length) parts.push(`tag ${filters.tags.join(' or ')}`);
  if (filters.pairIds?.length) parts.push(`tenant ${filters.pairIds.map(pairLabel).join(' or ')}`);
  return parts.length > 0 ? parts.join(', ') : 'every incident';
}
