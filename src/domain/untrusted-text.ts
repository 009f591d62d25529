// Text from portal responses, made storable. The one owner of what untrusted incident text may
// contain once it is past the portal boundary (the DTO -> domain mappings call storableIncident and
// storableComment). Pure: imports nothing but domain types.
//
// Why: JSON lets a portal send strings that are not Unicode text, and both real services can: an
// unpaired UTF-16 surrogate escaped as "\ud800" (a file name cut in the middle of a character) or
// "\u0000". PostgreSQL refuses both in json and jsonb (22P02 invalid input syntax for type json,
// 22P05 unsupported Unicode escape sequence) and NUL in text (22021). The bridge stores every view
// as jsonb, so one such title used to fail every poll of its pair. What PostgreSQL refuses becomes
// U+FFFD REPLACEMENT CHARACTER: visible on a card (a NUL in a file name is itself worth seeing),
// stable (the same input always gives the same output, so both portals' copies still agree), and
// valid everywhere. Nothing else is changed here: display concerns (Markdown, bidi overrides,
// control characters) belong to src/cards/escape.ts, input rules to src/sync/plan-edit.ts.
//
// Bounds. Each string is cut (marked with "…") at:
// - MAX_LINE_CHARS (4,096 UTF-16 code units) for one-line values: titles, names, tags, product
//   names, ids, timestamps, URLs;
// - MAX_TEXT_CHARS (65,536) for prose: descriptions, comments, classification comments.
// Generous on purpose: real values are far shorter, and cards show much less (escape.ts caps what
// is displayed, a card is ~28 KB at most). The bounds cap what a broken or hostile response can
// make the store write: each view is stored in its link row and copied into every change event, so
// an unbounded 1 MB title would cost megabytes per poll. A cut value can be copied to the other
// portal by reconcile like any other change, so the bounds stay far above anything a person types.
// Lists (tags, comments) are not shortened: they are written back as whole sets, and dropping
// items there would delete them from a portal.
import type { Incident, IncidentComment } from './incident.ts';

export const MAX_LINE_CHARS = 4_096;
export const MAX_TEXT_CHARS = 65_536;

const REPLACEMENT = '\uFFFD';
/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one (no `u` flag: code units). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** What PostgreSQL refuses: lone surrogates (json, jsonb) and NUL (jsonb, text). */
const UNSTORABLE = new RegExp(`${LONE_SURROGATE.source}|\\u0000`, 'g');
const ELLIPSIS = '…';

/** Keys of the Incident model (and its comments) that hold prose rather than one line. */
const PROSE_KEYS: ReadonlySet<string> = new Set(['description', 'text', 'classificationComment']);

/** True when PostgreSQL's json, jsonb and text types accept `value` as it is. */
export function isStorableText(value: string): boolean {
  return value.search(UNSTORABLE) === -1;
}

/** Unpaired surrogates become U+FFFD (the one rule for well-formed text; cards use it too). */
export function wellFormedText(value: string): string {
  return value.replace(LONE_SURROGATE, REPLACEMENT);
}

/**
 * `value` with lone surrogates and NUL replaced by U+FFFD, cut to at most `maxChars` UTF-16 code
 * units ("…" included) without splitting a surrogate pair.
 */
export function storableText(value: string, maxChars: number): string {
  if (!Number.isInteger(maxChars) || maxChars < 2) throw new RangeError(`storableText: maxChars must be an integer >= 2, got ${String(maxChars)}`);
  let text = value;
  if (text.length > maxChars) {
    let end = maxChars - ELLIPSIS.length;
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end -= 1;
    text = `${text.slice(0, end)}${ELLIPSIS}`;
  }
  return text.replace(UNSTORABLE, REPLACEMENT);
}

/** Every string in a JSON-shaped value made storable; keys too (a portal could send any). */
function storableValue(value: unknown, key: string | undefined): unknown {
  if (typeof value === 'string') return storableText(value, key !== undefined && PROSE_KEYS.has(key) ? MAX_TEXT_CHARS : MAX_LINE_CHARS);
  // Array items inherit their key: `tags` items are lines, `comments` items are objects.
  if (Array.isArray(value)) return value.map((item) => storableValue(item, key));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [storableText(name, MAX_LINE_CHARS), storableValue(item, name)]));
  }
  return value;
}

/** The incident with every string field storable (see the bounds above). */
export function storableIncident(incident: Incident): Incident {
  return storableValue(incident, undefined) as Incident;
}

export function storableComment(comment: IncidentComment): IncidentComment {
  return storableValue(comment, undefined) as IncidentComment;
}
