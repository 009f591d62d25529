// Checks for values that arrive from outside (chat commands, card inputs, invoke data) before any
// of them is looked up in a table, stored or sent to a portal. Pure: imports only the domain.
// Portal text is repaired at the portal boundary (untrusted-text.ts); what a person typed is
// refused instead, with the reason, so that nothing is written that they did not write.
import { isStorableText } from './untrusted-text.ts';

/**
 * The value `data` holds under `name` itself. Never one inherited from Object.prototype: data
 * decoded from the wire answers `constructor` or `toString` with a function otherwise.
 */
export function ownValue(data: object, name: string): unknown {
  return Object.hasOwn(data, name) ? (data as Record<string, unknown>)[name] : undefined;
}

/**
 * What makes `text` impossible to store or send as it is, in words for the person who typed it;
 * null when nothing does. Other control characters are the caller's rule (a comment keeps line
 * breaks, a tag does not).
 */
export function unstorableTextProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'a NUL character (U+0000)';
  // Without NUL, what the store refuses is a UTF-16 surrogate half without its partner.
  if (!isStorableText(text)) return 'a broken character (a lone UTF-16 surrogate, e.g. half of an emoji)';
  return null;
}

/**
 * A whole number written in plain decimal digits, within [min, max]; null otherwise. Number()
 * alone would also take "1e1", "0x10", " 7", "1.0" and "".
 */
export function parseWholeNumber(text: string, min: number, max: number): number | null {
  // Bounded length first: a thousand digits are not a number anyone meant.
  if (text.length > 15 || !/^[0-9]+$/.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= max ? value : null;
}
