// Comments the bridge writes carry who asked for them, because neither API lets an app write a
// comment as a user: Graph credits the app, ARM the app's service principal. The prefix lets the
// other side (and our own sync, after the portals mirror the comment) recognise the bridge's writes.
import type { Actor } from '../domain/incident.ts';

const VIA = 'via incident-bridge';
const PATTERN = /^\[([^\]\r\n]{1,200}) via incident-bridge\] ([\s\S]*)$/;

/** `[Jane Doe via incident-bridge] text`. The name is flattened so it cannot break the bracket. */
export function formatAttributedComment(actor: Pick<Actor, 'displayName' | 'upn' | 'objectId'>, text: string): string {
  const name = sanitiseName(actor.displayName) || sanitiseName(actor.upn ?? '') || sanitiseName(actor.objectId) || 'unknown analyst';
  return `[${name} ${VIA}] ${text}`;
}

export interface AttributedComment {
  actorName: string;
  text: string;
}

/** null when the text was not written by the bridge. The body is returned verbatim. */
export function parseAttributedComment(text: string): AttributedComment | null {
  const match = PATTERN.exec(text);
  if (!match) return null;
  return { actorName: match[1] as string, text: match[2] as string };
}

function sanitiseName(name: string): string {
  // Brackets and line breaks would make the prefix ambiguous; the name is display text, not markup.
  return name.replace(/[[\]\r\n\t]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
}
