// A pair's display name (SYNC_PAIRS `name`): how chat and cards name an MSSP's customer. Pure.
// Names come from configuration, yet are checked like typed text and escaped wherever shown.
import { typedTextProblem } from './untrusted-input.ts';

export const MAX_PAIR_NAME_LENGTH = 64;

/**
 * Characters that are markup in Teams' Markdown, Adaptive Card expressions or HTML. A customer's
 * name needs none of them, and one that has them would read differently from what was configured.
 */
const MARKUP = /[<>[\]{}*_~`#|\\$]/;

/** What is wrong with a display name, in words; null when nothing is. */
export function pairNameProblem(name: string): string | null {
  if (name.trim() !== name) return 'starts or ends with a space';
  if (name.length === 0) return 'is empty';
  if ([...name].length > MAX_PAIR_NAME_LENGTH) return `is longer than ${MAX_PAIR_NAME_LENGTH} characters`;
  const typed = typedTextProblem(name, 'line');
  if (typed) return `contains ${typed}`;
  const markup = MARKUP.exec(name)?.[0];
  if (markup) return `contains '${markup}', which is markup in Teams messages or cards; use letters, digits, spaces and . , & ' ( ) - / + : only`;
  return null;
}

export interface NamedPair {
  id: string;
  name?: string | undefined;
}

function fold(value: string): string {
  return value.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The pair `value` names, by id or display name (case-insensitive); undefined when none does. */
export function findPair<T extends NamedPair>(pairs: readonly T[], value: string): T | undefined {
  const wanted = fold(value);
  return pairs.find((pair) => fold(pair.id) === wanted) ?? pairs.find((pair) => pair.name !== undefined && fold(pair.name) === wanted);
}

/** "Contoso Ltd (contoso)" or the id alone: unescaped, the caller escapes for where it shows it. */
export function pairLabel(pair: NamedPair): string {
  return pair.name ? `${pair.name} (${pair.id})` : pair.id;
}

/**
 * Which customer an incident belongs to, as cards and replies show it: the pair's name, else its
 * id; null when nothing needs saying (one pair, with no name).
 */
export interface CustomerNames {
  customerOf(pairId: string): string | null;
  /** The id of the pair `value` names by id or name; else `value` itself (it may be a tenant id). */
  idOf(value: string): string;
}

/**
 * `customers` as a conversation may know them: pairs it may not see are neither named nor found by
 * name, so a customer learns nothing of another from a reply (a name typed back stays as typed).
 */
export function customersSeenBy(customers: CustomerNames, visible: (pairId: string) => boolean): CustomerNames {
  return {
    customerOf: (pairId) => (visible(pairId) ? customers.customerOf(pairId) : null),
    idOf: (value) => {
      const id = customers.idOf(value);
      return visible(id) ? id : value;
    },
  };
}

export function createCustomerNames(pairs: readonly NamedPair[]): CustomerNames {
  const shown = pairs.length > 1 || pairs.some((pair) => pair.name !== undefined);
  const byId = new Map(pairs.map((pair) => [pair.id, pair.name ?? pair.id]));
  return {
    customerOf: (pairId) => (shown ? (byId.get(pairId) ?? pairId) : null),
    idOf: (value) => findPair(pairs, value)?.id ?? value,
  };
}
