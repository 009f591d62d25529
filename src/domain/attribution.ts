// Comments the bridge writes carry who asked for them, because neither API lets an app write a
// comment as a user: Graph credits the app, ARM the app's service principal. The prefix lets the
// other side (and our own sync, after the portals mirror the comment) recognise the bridge's writes.
import type { Actor } from './incident.ts';

const VIA = 'via incident-bridge';
const PATTERN = /^\[([^\]\r\n]{1,200}) via incident-bridge\] ([\s\S]*)$/;
/**
 * A reference to the edit request that wrote the comment, at its end: `… [ref 1a2b3c4d]`. When a
 * write's answer is lost, the bridge looks for its own reference before writing again, which text
 * alone cannot tell apart from the same words posted on purpose by another request.
 */
const REF = /^[0-9a-f]{8}$/;
const REF_SUFFIX = / \[ref ([0-9a-f]{8})\]$/;
/** What a ref adds to a comment's length. */
export const COMMENT_REF_CHARS = ' [ref 00000000]'.length;

/**
 * `[Jane Doe via incident-bridge] text`, with ` [ref 1a2b3c4d]` appended when a ref is given. The
 * name is flattened so it cannot break the bracket.
 */
export function formatAttributedComment(actor: Pick<Actor, 'displayName' | 'upn' | 'objectId'>, text: string, ref?: string): string {
  if (ref !== undefined && !REF.test(ref)) throw new TypeError('a comment ref is 8 lower-case hex digits');
  const name = sanitiseName(actor.displayName) || sanitiseName(actor.upn ?? '') || sanitiseName(actor.objectId) || 'unknown analyst';
  return `[${name} ${VIA}] ${text}${ref === undefined ? '' : ` [ref ${ref}]`}`;
}

export interface AttributedComment {
  actorName: string;
  /** The body, without the attribution and without the ref. */
  text: string;
  ref?: string;
}

/** null when the text was not written by the bridge. The body is returned verbatim. */
export function parseAttributedComment(text: string): AttributedComment | null {
  const match = PATTERN.exec(text);
  if (!match) return null;
  const body = match[2] as string;
  // Portals may trim what follows the ref; comments written before refs existed have none.
  const ref = REF_SUFFIX.exec(body.trimEnd());
  if (!ref) return { actorName: match[1] as string, text: body };
  return { actorName: match[1] as string, text: body.trimEnd().slice(0, ref.index), ref: ref[1] as string };
}

function sanitiseName(name: string): string {
  // Brackets and line breaks would make the prefix ambiguous; the name is display text, not markup.
  return name.replace(/[[\]\r\n\t]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
}
