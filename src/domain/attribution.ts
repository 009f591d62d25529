// Comments the bridge writes say who they come from, because neither API lets an app write a
// comment as a user: Graph credits the app, ARM the app's service principal. The prefix lets the
// other side (and the bridge's own sync, after the portals mirror the comment) recognise the
// bridge's writes, and lets cards show the person instead of the app. This is the only place that
// writes or reads the format; the portal clients format what sync hands them, and nothing strips
// and re-adds it.
//
//   comment  [Alex Wilber via incident-bridge] Isolating the host [ref 1a2b3c4d]
//   note     [Alex Wilber via incident-bridge · change] severity High; tags +phishing [ref 5e6f7a8b]
//   copy     [Jane Doe via incident-bridge · from Sentinel] Looks benign
import type { Actor, Portal } from './incident.ts';

/**
 * 'comment': an analyst's comment, posted from Teams. 'note': the change note that names who changed
 * what through the bridge (Defender cannot record it). 'copy': a portal user's comment carried to
 * the other portal.
 */
export type BridgeCommentKind = 'comment' | 'note' | 'copy';

export interface BridgeComment {
  kind: BridgeCommentKind;
  /** The analyst's name, or for a copy the original's author. */
  author: string;
  text: string;
  /** For a copy: the portal the original is on. */
  from?: Portal;
  /**
   * A reference to the edit request that wrote it, at its end. When a write's answer is lost, the
   * bridge looks for its own reference before writing again, which text alone cannot tell apart
   * from the same words posted on purpose by another request.
   */
  ref?: string;
}

const VIA = 'via incident-bridge';
const KIND_SUFFIX: Record<BridgeCommentKind, (from: Portal | undefined) => string> = {
  comment: () => '',
  note: () => ' · change',
  copy: (from) => (from === 'sentinel' ? ' · from Sentinel' : from === 'defender' ? ' · from Defender' : ''),
};
// The name comes first and cannot hold ']' or a line break, so the fixed tail decides the kind.
const PATTERN = /^\[([^\]\r\n]{1,200}) via incident-bridge(?: · (change|from Defender|from Sentinel))?\] ([\s\S]*)$/;
const REF = /^[0-9a-f]{8}$/;
const REF_SUFFIX = / \[ref ([0-9a-f]{8})\]$/;
const REF_PLACEHOLDER = '00000000';

export function formatBridgeComment(comment: BridgeComment): string {
  if (comment.ref !== undefined && !REF.test(comment.ref)) throw new TypeError('a comment ref is 8 lower-case hex digits');
  const name = sanitiseName(comment.author) || 'unknown analyst';
  return `[${name} ${VIA}${KIND_SUFFIX[comment.kind](comment.from)}] ${comment.text}${comment.ref === undefined ? '' : ` [ref ${comment.ref}]`}`;
}

/** The length of the comment as a portal stores it, with a ref: what the portals' limits apply to. */
export function formattedLength(comment: Omit<BridgeComment, 'ref'>): number {
  return formatBridgeComment({ ...comment, ref: REF_PLACEHOLDER }).length;
}

/** null when the text was not written by the bridge. The body is returned verbatim, without the ref. */
export function parseBridgeComment(text: string): BridgeComment | null {
  const match = PATTERN.exec(text);
  if (!match) return null;
  const author = match[1] as string;
  const marker = match[2];
  const kind: BridgeCommentKind = marker === 'change' ? 'note' : marker === undefined ? 'comment' : 'copy';
  const from: Portal | undefined = marker === 'from Defender' ? 'defender' : marker === 'from Sentinel' ? 'sentinel' : undefined;
  const body = match[3] as string;
  // Portals may trim what follows the ref; comments written before refs existed have none.
  const ref = REF_SUFFIX.exec(body.trimEnd());
  return {
    kind,
    author,
    text: ref ? body.trimEnd().slice(0, ref.index) : body,
    ...(from ? { from } : {}),
    ...(ref ? { ref: ref[1] as string } : {}),
  };
}

/** The name an actor is credited under: display name, else UPN, else object id. */
export function actorName(actor: Pick<Actor, 'displayName' | 'upn' | 'objectId'>): string {
  return sanitiseName(actor.displayName) || sanitiseName(actor.upn ?? '') || sanitiseName(actor.objectId);
}

/** How a person who acted through the bridge is named wherever the portals would name the app. */
export function fromTeams(name: string): string {
  return `${name} (from Teams)`;
}

function sanitiseName(name: string): string {
  // Brackets and line breaks would make the prefix ambiguous; the name is display text, not markup.
  return name.replace(/[[\]\r\n\t]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
}
