// Turns untrusted text (incident titles, descriptions, comments, tags, owner names: all of them
// can come from an attacker, e.g. a phishing subject or a file name) into text that Teams shows
// literally.
//
// Why this is needed: Teams renders Adaptive Card TextBlock.text and FactSet values as a subset of
// Markdown: **bold**, _italic_, "- " and "1. " lists, and [title](url) links (Microsoft Learn,
// "Format cards in Teams"; Adaptive Cards "Text features"). A plain bot message is Markdown too.
// TextBlock also expands {{DATE(...)}} / {{TIME(...)}} functions on the client. Left alone, a
// title like "[Approve](https://evil)" becomes a clickable, deceptive link on our card.
//
// What it does, in order:
//   1. cuts absurdly long input early (bounded work for 10k+ character strings);
//   2. replaces lone surrogates with U+FFFD (domain/untrusted-text.ts: a card is JSON that Teams
//      must parse as Unicode text), removes bidi overrides/isolates and invisible formatting
//      characters (a U+202E in a file name reverses what the analyst reads), C0/C1 controls, and
//      piles of combining marks;
//   3. collapses all whitespace to single spaces (single-line) or keeps paragraphs (multiline);
//   4. caps the visible length in grapheme clusters, so emoji and accents are never split;
//   5. backslash-escapes every CommonMark punctuation character that can start markup, including
//      `<` and `>` (so `<at>` never appears: no mentions) and `&` (no entity decoding);
//   6. breaks sequences that are dangerous even where a client ignores backslash escapes (Teams
//      mobile has not always honoured them: microsoft/AdaptiveCards#5590): "](" of links, "{{" of
//      date functions, "${" of template expressions, "://" of auto-linked URLs and "www." hosts.
//      The break is a zero-width space: invisible, and it stops every one of those parsers.
//
// The result is for display only; never feed it back into a portal.
import { wellFormedText } from '../domain/untrusted-text.ts';

/** U+200B ZERO WIDTH SPACE: invisible, but ends any Markdown, link or expression token. */
const BREAK = '\u200B';
const ELLIPSIS = '…';

/** ASCII punctuation that CommonMark lets us backslash-escape and that can start markup in Teams. */
const MARKDOWN_SPECIALS = /[\\`*_{}[\]()#+\-!|~<>&$]/g;

/**
 * Characters removed outright:
 *  - C0 and C1 controls except tab/newline/carriage return (handled as whitespace below);
 *  - bidi embeddings/overrides U+202A–U+202E, isolates U+2066–U+2069, marks U+200E/U+200F/U+061C;
 *  - zero-width space/non-joiner U+200B/U+200C, word joiner and invisible operators U+2060–U+2064,
 *    byte-order mark U+FEFF, soft hyphen U+00AD, Mongolian vowel separator U+180E, interlinear
 *    annotation U+FFF9–U+FFFB, tag characters U+E0000–U+E007F.
 *  U+200D (zero width joiner) is kept: emoji sequences such as 👩‍💻 need it.
 */
const INVISIBLE_OR_CONTROL =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200C\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\uFFF9-\uFFFB]|\uDB40[\uDC00-\uDC7F]/g;

/** More than this many combining marks on one base character is "zalgo" text, not a language. */
const MAX_COMBINING_MARKS = 4;
const COMBINING_PILE = new RegExp(`(\\p{M}{${MAX_COMBINING_MARKS}})\\p{M}+`, 'gu');

export interface EscapeOptions {
  /**
   * Keep paragraph breaks (a blank line in Markdown) instead of joining everything into one line.
   * Single lines are the default: most card fields show one line.
   */
  multiline?: boolean;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Returns `text` made safe to place in a TextBlock, a FactSet value or a Markdown bot message:
 * it renders as the literal characters, at most `maxLength` visible characters (grapheme
 * clusters) long, with "…" marking a cut. Non-string input renders as an empty string.
 */
export function escapeForTextBlock(text: unknown, maxLength: number, options: EscapeOptions = {}): string {
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new RangeError(`escapeForTextBlock: maxLength must be a positive integer, got ${String(maxLength)}`);
  }
  const cleaned = cleanUntrustedText(text, maxLength, options);
  const { value, truncated } = truncateGraphemes(cleaned, maxLength);
  const escaped = options.multiline
    ? value
        .split('\n\n')
        .map((paragraph) => escapeMarkdown(paragraph))
        .join('\n\n')
    : escapeMarkdown(value);
  return truncated ? `${escaped}${ELLIPSIS}` : escaped;
}

/**
 * Steps 1–3 without any Markdown escaping: for places that are not Markdown at all (an
 * Input.Text placeholder, a ChoiceSet title, a log line) but must still be one bounded, visible line.
 */
export function toPlainLine(text: unknown, maxLength: number): string {
  const { value, truncated } = truncateGraphemes(cleanUntrustedText(text, maxLength, {}), maxLength);
  return truncated ? `${value}${ELLIPSIS}` : value;
}

function cleanUntrustedText(text: unknown, maxLength: number, options: EscapeOptions): string {
  if (typeof text !== 'string') return '';
  // Bounded work: a grapheme rarely needs more than a few code units; keep generous headroom so
  // the "…" decision below still sees that the text was longer.
  const headroom = maxLength * 8 + 64;
  let value = text.length > headroom ? text.slice(0, headroom) : text;
  value = wellFormedText(value).normalize('NFC');
  value = value.replace(/\r\n?|[\u2028\u2029\u0085]/g, '\n').replace(/\t/g, ' ');
  value = value.replace(INVISIBLE_OR_CONTROL, '');
  value = value.replace(COMBINING_PILE, '$1');
  if (options.multiline) {
    value = value
      .split(/\n\s*\n/)
      .map((paragraph) => paragraph.replace(/\s+/g, ' ').trim())
      .filter((paragraph) => paragraph.length > 0)
      .join('\n\n');
  } else {
    value = value.replace(/\s+/g, ' ').trim();
  }
  return value;
}

function truncateGraphemes(value: string, maxLength: number): { value: string; truncated: boolean } {
  let count = 0;
  let end = 0;
  for (const { index, segment } of segmenter.segment(value)) {
    if (count === maxLength) {
      // Leave room for the ellipsis so the result is at most maxLength graphemes visible.
      return { value: cutForEllipsis(value.slice(0, end)), truncated: true };
    }
    count += 1;
    end = index + segment.length;
  }
  return { value, truncated: false };
}

/** Drops the last grapheme (room for "…") and any trailing space it would leave. */
function cutForEllipsis(value: string): string {
  let lastStart = 0;
  for (const { index } of segmenter.segment(value)) lastStart = index;
  return value.slice(0, lastStart).trimEnd();
}

/**
 * One bounded line for text that some clients render as Markdown or HTML and others as plain text
 * (a message extension's result preview): no backslash escapes, which a plain-text client would
 * show; instead angle brackets become ‹ › (no tag, no mention) and links, expressions and
 * auto-links are broken as in escapeForTextBlock's last step.
 */
export function toNeutralLine(text: unknown, maxLength: number): string {
  return breakConstructs(toPlainLine(text, maxLength).replace(/</g, '‹').replace(/>/g, '›'));
}

function escapeMarkdown(value: string): string {
  let out = value.replace(MARKDOWN_SPECIALS, (ch) => `\\${ch}`);
  // An ordered-list marker is digits + "." or ")" at the start of a line; ")" is escaped above,
  // "." only there (escaping every dot would litter file names and hosts with backslashes).
  out = out.replace(/^(\d+)\./, '$1\\.');
  // Break the constructs that matter even where backslashes are not honoured.
  return breakConstructs(out);
}

function breakConstructs(value: string): string {
  return value
    .replace(/\](\\?)\(/g, `]${BREAK}$1(`) // [text](url) links
    .replace(/\{(\\?)\{/g, `{${BREAK}$1{`) // {{DATE(...)}} / {{TIME(...)}} / {{x}}
    .replace(/\$(\\?)\{/g, `$${BREAK}$1{`) // ${expression}
    .replace(/:(\\?)\/\//g, `:${BREAK}$1//`) // scheme://host auto-links
    .replace(/\b(www)\./gi, `$1${BREAK}.`); // www.host auto-links
}
