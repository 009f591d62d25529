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

/** A search is a few words: each one is a condition on every listed link. */
export const MAX_SEARCH_WORDS = 8;
export const MAX_SEARCH_WORD_CHARS = 100;

/** A search word and, when it names one, the Sentinel number it stands for ("1042" or "#1042"). */
export interface SearchWord {
  word: string;
  number: number | null;
}

/**
 * The words of a search text: split on whitespace, each once. Throws RangeError for more than
 * MAX_SEARCH_WORDS words or a longer word; callers bound what they pass.
 */
export function searchWords(text: string): SearchWord[] {
  const words = [...new Set(text.split(/\s+/u).filter((word) => word.length > 0))];
  if (words.length > MAX_SEARCH_WORDS) throw new RangeError(`a search has at most ${MAX_SEARCH_WORDS} words, got ${words.length}`);
  const long = words.find((word) => word.length > MAX_SEARCH_WORD_CHARS);
  if (long !== undefined) throw new RangeError(`a search word has at most ${MAX_SEARCH_WORD_CHARS} characters`);
  return words.map((word) => {
    const digits = /^#?(\d{1,15})$/u.exec(word)?.[1];
    return { word, number: digits === undefined ? null : Number(digits) };
  });
}

function viewHasWord(view: Incident, { word }: SearchWord): boolean {
  const lower = word.toLowerCase();
  const contains = (value: unknown) => typeof value === 'string' && value.toLowerCase().includes(lower);
  return (
    contains(view.title) ||
    (Array.isArray(view.tags) && view.tags.some((tag) => typeof tag === 'string' && tag.toLowerCase() === lower)) ||
    contains(view.owner?.upn) ||
    contains(view.owner?.displayName)
  );
}

/** What a search matches besides the views: the incident's ids. */
export type SearchKeys = Pick<IncidentLink, 'linkId' | 'defenderId' | 'sentinelNumber'>;

/** Whether every word of `text` matches the incident (see LinkListFilter.text). */
export function matchesSearch(keys: SearchKeys, views: readonly Incident[], text: string): boolean {
  return searchWords(text).every(
    (search) =>
      keys.defenderId === search.word ||
      keys.linkId === search.word ||
      (search.number !== null && keys.sentinelNumber === search.number) ||
      views.some((view) => viewHasWord(view, search)),
  );
}

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
  if (filter.text !== undefined && !matchesSearch(link, views, filter.text)) return false;
  return (['minSeverity', 'status', 'tag', 'productName'] as const)
    .filter((field) => filter[field] !== undefined)
    .every((field) => views.some((view) => viewMatches(view, filter, field)));
}
