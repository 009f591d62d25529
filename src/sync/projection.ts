// How each portal can express a canonical value, and when two portal values mean the same thing.
// Pure. Reconcile, planEdit and convergence checks all ask these questions, so they live here once.
//
// The vocabularies differ (see src/domain/incident.ts):
// - status: Defender has active | inProgress | awaitingAction | resolved | redirected, no 'new'.
//   Sentinel has New | Active | Closed, so 'inProgress' and 'awaitingAction' show as Active there.
// - severity: Defender's 'unknown' means "no value" (Graph `unknown`); Sentinel always has one.
// - owner: Graph's assignedTo is free text, usually a UPN; Sentinel's owner has objectId and UPN.
// - tags: sets; order and duplicates carry no meaning in either portal.
import type { Owner, Portal, Severity, Status } from '../domain/incident.ts';

/** The status a portal shows for a canonical status. */
export function projectStatus(portal: Portal, status: Status): Status {
  if (portal === 'defender') return status === 'new' ? 'active' : status;
  switch (status) {
    case 'inProgress':
    case 'awaitingAction':
      return 'active';
    case 'redirected':
      // A merged Defender incident is closed in Sentinel; the bridge never writes 'redirected'.
      return 'resolved';
    default:
      return status;
  }
}

/** Whether `shown` on `portal` is how that portal expresses the canonical `status`. */
export function statusAgrees(portal: Portal, shown: Status, canonical: Status): boolean {
  return projectStatus(portal, canonical) === shown;
}

/**
 * The most specific canonical status both portal values express, or undefined when they disagree.
 * Defender 'inProgress' + Sentinel 'active' -> 'inProgress'; Defender 'active' + Sentinel 'new' -> 'new'.
 */
export function joinStatus(defender: Status, sentinel: Status): Status | undefined {
  if (statusAgrees('sentinel', sentinel, defender)) return defender;
  if (statusAgrees('defender', defender, sentinel)) return sentinel;
  return undefined;
}

/** Defender's 'unknown' severity is the absence of a value: it agrees with anything. */
export function severityAgrees(portal: Portal, shown: Severity, canonical: Severity): boolean {
  if (canonical === 'unknown') return true;
  if (portal === 'defender' && shown === 'unknown') return true;
  return shown === canonical;
}

export function joinSeverity(defender: Severity, sentinel: Severity): Severity | undefined {
  if (defender === 'unknown') return sentinel;
  if (sentinel === 'unknown') return defender;
  return defender === sentinel ? defender : undefined;
}

/**
 * Two owners are the same person when their UPNs match case-insensitively (UPNs are
 * case-insensitive in Entra ID), else their object ids match, else (Graph's free-text assignedTo
 * without an '@') their display names match case-insensitively.
 */
export function ownersEqual(a: Owner | null, b: Owner | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.upn && b.upn) return a.upn.toLowerCase() === b.upn.toLowerCase();
  if (a.objectId && b.objectId) return a.objectId.toLowerCase() === b.objectId.toLowerCase();
  const nameOnly = (owner: Owner): boolean => !owner.upn && !owner.objectId;
  if ((nameOnly(a) || nameOnly(b)) && a.displayName && b.displayName) {
    return a.displayName.trim().toLowerCase() === b.displayName.trim().toLowerCase();
  }
  return false;
}

/** The richer of two descriptions of the same owner (Sentinel's carries objectId and UPN). */
export function richerOwner(a: Owner | null, b: Owner | null): Owner | null {
  if (a === null || b === null) return a ?? b;
  const score = (owner: Owner): number => (owner.objectId ? 2 : 0) + (owner.upn ? 1 : 0);
  return score(b) > score(a) ? b : a;
}

/** Tags without duplicates, first occurrence order kept. */
export function uniqueTags(tags: readonly string[]): string[] {
  return [...new Set(tags)];
}

export function tagSetsEqual(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  if (left.size !== right.size) return false;
  for (const tag of left) if (!right.has(tag)) return false;
  return true;
}

export function stringSetsEqual(a: readonly string[], b: readonly string[]): boolean {
  return tagSetsEqual(a, b);
}

/**
 * Compares two ISO-8601 instants. Positive when `a` is later. An unparsable value compares as
 * equal, so the documented tie-break (Defender) decides rather than garbage.
 */
export function compareInstants(a: string | undefined, b: string | undefined): number {
  const left = a === undefined ? Number.NaN : Date.parse(a);
  const right = b === undefined ? Number.NaN : Date.parse(b);
  if (Number.isNaN(left) || Number.isNaN(right)) return 0;
  return left - right;
}
