// What an analyst may send as an edit, and the words that refuse what they may not. The one source
// of these limits and checks for every layer: the chat command parser, the incident card's inputs
// (Input.Text maxLength), card action validation and the edit planner in sync. Pure; imports only
// the domain. Refusing early with a clear reason beats a portal's 400 halfway through a two-portal
// write, and the same text gets the same answer wherever it was typed.
//
// Reasons are lower-case clauses ("the comment contains a control character (U+0007)") that a
// command reply places after "I could not read that: "; asSentence makes one stand alone.
import { typedTextProblem } from './untrusted-input.ts';

/**
 * Sentinel: "Number of characters per comment: 30,000 characters" (Microsoft Learn, "Microsoft
 * Sentinel service limits", Incident limits). Graph documents no limit for an incident comment
 * (security-incident-post-comments: `comment` is a String), so Sentinel's figure bounds both portals.
 */
export const SENTINEL_MAX_COMMENT_CHARS = 30_000;

/** Sentinel: "Number of comments per incident: 100 comments" (same table). */
export const MAX_SENTINEL_COMMENTS_PER_INCIDENT = 100;

/**
 * What the bridge adds to an analyst's comment when it writes it: "[<name> via incident-bridge] "
 * with the name cut to 200 characters, and " [ref 1a2b3c4d]" (src/portals/attribution.ts), 238
 * characters at most. Kept apart from the analyst's share so that any comment the analyst may type
 * still fits Sentinel's limit once attributed.
 */
export const COMMENT_ATTRIBUTION_ALLOWANCE = 300;

/** The longest comment an analyst may type: Sentinel's limit less the attribution (29,700). */
export const MAX_COMMENT_CHARS = SENTINEL_MAX_COMMENT_CHARS - COMMENT_ATTRIBUTION_ALLOWANCE;

/**
 * Neither portal documents a tag limit: Graph customTags is a string list, and Sentinel's
 * IncidentLabel.labelName has no maxLength in the 2025-09-01 ARM spec, nor a line in the service
 * limits. 128 characters is the bridge's own policy: far beyond a useful tag, short enough to stay
 * readable on a card and in portal lists.
 */
export const MAX_TAG_CHARS = 128;

/** Bridge policy (no portal figure): tags one edit may add and remove together. */
export const MAX_TAGS_PER_EDIT = 20;

/**
 * The longest text of a tag box (the card's Input.Text maxLength): every tag an edit may change at
 * its longest, each with a sign, quotes and a separator.
 */
export const MAX_TAG_EDIT_TEXT_CHARS = MAX_TAGS_PER_EDIT * (MAX_TAG_CHARS + 4);

/** Bridge policy: a sanity bound for owner identifiers and names (no portal documents one for assignedTo). */
export const MAX_OWNER_TEXT_CHARS = 256;

const count = (n: number): string => n.toLocaleString('en-US');

/** Null when `comment` may be written as it is; else why not. Measured as written: trimmed. */
export function commentProblem(comment: string): string | null {
  const text = comment.trim();
  if (text === '') return 'the comment is empty';
  if (text.length > MAX_COMMENT_CHARS) return `the comment is ${count(text.length)} characters long; the limit is ${count(MAX_COMMENT_CHARS)}`;
  const problem = typedTextProblem(text, 'prose');
  return problem ? `the comment contains ${problem}` : null;
}

/** Null when `tag` may be added or removed as it is (trimmed); else why not. */
export function tagProblem(tag: string): string | null {
  const text = tag.trim();
  if (text === '') return 'a tag is empty';
  if (text.length > MAX_TAG_CHARS) return `a tag is ${count(text.length)} characters long; the limit is ${MAX_TAG_CHARS}`;
  const problem = typedTextProblem(text, 'line');
  return problem ? `a tag contains ${problem}` : null;
}

/** Null when an edit may change `changes` tags at once; else why not. */
export function tagCountProblem(changes: number): string | null {
  return changes > MAX_TAGS_PER_EDIT ? `${changes} tag changes in one edit; the limit is ${MAX_TAGS_PER_EDIT}` : null;
}

/** A reason as a sentence of its own: "The comment is empty." */
export function asSentence(reason: string): string {
  return `${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`;
}
