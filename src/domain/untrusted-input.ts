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

/** What makes `text` impossible to store or send as it is, in words; null when nothing does. */
function unstorableTextProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'a NUL character (U+0000)';
  // Without NUL, what the store refuses is a UTF-16 surrogate half without its partner.
  if (!isStorableText(text)) return 'a broken character (a lone UTF-16 surrogate, e.g. half of an emoji)';
  return null;
}

/**
 * Control characters a person may not type into the bridge: C0 and C1 controls, DEL, and the
 * bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) that make text
 * display as different text ("Trojan source"). One-line values (tags, names, filter values) allow
 * none of them: a line break would split a tag in portal lists and on cards.
 */
const CONTROL_IN_LINE = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;
/** Prose (comments) keeps tab, line feed and carriage return; everything else above is refused. */
const CONTROL_IN_PROSE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

/** What a person typed may be one line (a tag, a name) or prose (a comment). */
export type TypedTextForm = 'line' | 'prose';

/**
 * What makes typed text unacceptable, in words for the person who typed it ("a control character
 * (U+0007)"); null when nothing does. The one rule for chat commands, card inputs and the edits
 * they become: the same text gets the same answer wherever it was typed.
 */
export function typedTextProblem(text: string, form: TypedTextForm): string | null {
  const unstorable = unstorableTextProblem(text);
  if (unstorable) return unstorable;
  const found = (form === 'line' ? CONTROL_IN_LINE : CONTROL_IN_PROSE).exec(text)?.[0];
  if (found === undefined) return null;
  const code = `U+${(found.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  if (found === '\n' || found === '\r') return `a line break (${code})`;
  if (found >= '\u202A') return `a text-direction character (${code})`;
  return `a control character (${code})`;
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
