// Comment identity across portals. The two portals give the same comment different ids (Graph
// comments have none at all), different authors (the bridge's app vs the analyst) and, for the
// bridge's own copies, an attribution prefix. What survives every route is the text, so a
// comment is recognised by a fingerprint of its normalised text. Pure.
import { createHash } from 'node:crypto';
import { parseBridgeComment } from '../domain/attribution.ts';

/**
 * The text that identifies a comment on either portal: the bridge's attribution prefix
 * (`[Name via incident-bridge] `) and its request ref (` [ref 1a2b3c4d]`) stripped, Unicode composed (NFC), every run of whitespace
 * collapsed to one space, and trimmed. Case is kept: "Block IP" and "block ip" are two remarks.
 * Portals are free to re-wrap lines or trim; they do not change letters.
 */
export function commentFingerprint(text: string): string {
  const body = parseBridgeComment(text)?.text ?? text;
  return body.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

/** Whether the bridge wrote this comment (its own copy, an analyst's comment from Teams, an audit note). */
export function isBridgeComment(text: string): boolean {
  return parseBridgeComment(text) !== null;
}

/**
 * A short, fixed-length key for a fingerprint, for use as a JSON object key in the stored
 * snapshot (comments may be up to 30,000 characters; keys should not be).
 */
export function fingerprintKey(fingerprint: string): string {
  return createHash('sha256').update(fingerprint, 'utf8').digest('hex').slice(0, 32);
}

/**
 * The ref an edit request's comment carries (see domain/attribution.ts). The same on both
 * portals: it names the comment, not the copy, so the two copies read alike and a copy the portals'
 * own sync mirrored across counts as that portal's copy.
 */
export function commentRef(requestId: string, purpose: string): string {
  return createHash('sha256').update(`${requestId}\n${purpose}`, 'utf8').digest('hex').slice(0, 8);
}

/** The ref of a comment the bridge wrote for an edit request, or undefined. */
export function commentRefOf(text: string): string | undefined {
  return parseBridgeComment(text)?.ref;
}

/**
 * A deterministic idempotency key for the n-th bridge copy of a comment to one portal: the same
 * reconcile run repeated after a crash yields the same keys, so a Sentinel comment PUT with this
 * id replaces instead of duplicating.
 */
export function commentCopyKey(target: 'defender' | 'sentinel', fingerprint: string, occurrence: number): string {
  return createHash('sha256').update(`${target}\n${occurrence}\n${fingerprint}`, 'utf8').digest('hex').slice(0, 32);
}
