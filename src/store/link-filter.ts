// Pure rules shared by every LinkRepository implementation, so the SQL and the in-memory fake
// agree on what a filter means.
import type { Incident, Severity } from '../domain/incident.ts';
import type { IncidentLink, LinkListFilter } from './ports.ts';

/** Severity order for "at least" filters; 'unknown' (Defender only) ranks below everything. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  unknown: 0,
  informational: 1,
  low: 2,
  medium: 3,
  high: 4,
};

export const DEFAULT_LINK_LIST_LIMIT = 50;
export const MAX_LINK_LIST_LIMIT = 500;

/** Code-unit order, the same as PostgreSQL's COLLATE "C", independent of the server's locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function viewMatches(view: Incident, filter: LinkListFilter, field: 'minSeverity' | 'status' | 'tag' | 'productName'): boolean {
  switch (field) {
    case 'minSeverity':
      return filter.minSeverity === undefined || (SEVERITY_RANK[view.severity] ?? -1) >= SEVERITY_RANK[filter.minSeverity];
    case 'status':
      return filter.status === undefined || view.status === filter.status;
    case 'tag':
      return filter.tag === undefined || (Array.isArray(view.tags) && view.tags.includes(filter.tag));
    case 'productName': {
      if (filter.productName === undefined) return true;
      const wanted = filter.productName.toLowerCase();
      const products = view.additionalData?.productNames;
      return Array.isArray(products) && products.some((name) => name.toLowerCase() === wanted);
    }
  }
}

/**
 * Whether a link passes the filter. Each criterion holds when it holds on either portal's view
 * (the two views converge after reconcile; between syncs either may be the fresher).
 */
export function linkMatchesFilter(link: IncidentLink, filter: LinkListFilter): boolean {
  if (filter.pairId !== undefined && link.pairId !== filter.pairId) return false;
  if (filter.pairIds !== undefined && !filter.pairIds.includes(link.pairId)) return false;
  if (!filter.includeMerged && link.mergedIntoLinkId !== undefined) return false;
  const views = [link.defenderView, link.sentinelView].filter((view): view is Incident => view !== null);
  // A link with no stored view (just created, or its view was refused) has nothing to show.
  if (views.length === 0) return false;
  return (['minSeverity', 'status', 'tag', 'productName'] as const)
    .filter((field) => filter[field] !== undefined)
    .every((field) => views.some((view) => viewMatches(view, filter, field)));
}
