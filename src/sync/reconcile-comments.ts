// New comments are copied to the other portal, once. Pure. Rules in reconcile.ts.
//
// Comments are matched by fingerprint (normalised text, see fingerprint.ts) and counted as a
// multiset per portal, because neither portal gives a comment an identity the other one keeps.
// Comments the bridge wrote (attribution prefix) are never copied and never counted: they are the
// bridge's own copies, analysts' comments posted from Teams to both portals, audit notes, or the
// portals' native mirror of any of those. That alone breaks every copy loop.
import type { Incident, IncidentComment, Portal } from '../domain/incident.ts';
import type { FieldChange } from '../domain/change-events.ts';
import { commentCopyKey, commentFingerprint, fingerprintKey, isBridgeComment } from './fingerprint.ts';
import { compareInstants } from './projection.ts';
import type { CommentTally } from './snapshot.ts';

/** A comment to write on the other portal. `text` is the original text; the writer adds attribution. */
export interface CommentCopy extends IncidentComment {
  /** Where the original is. */
  source: Portal;
  fingerprint: string;
  /** Deterministic idempotency key for this copy (usable as the Sentinel comment id). */
  key: string;
}

export interface CommentContext {
  defender: Incident;
  sentinel: Incident | null;
  /** null at first sight: every comment present is history, recorded and not copied. */
  tallies: Record<string, CommentTally> | null;
  /** false when Sentinel is seen for the first time: its comments are history too. */
  sentinelSeen: boolean;
  /** How long after an original's creation the portals' own sync may still deliver its mirror. */
  echoWindowMs: number;
  /** Each portal's lastUpdatedAt at the previous poll (the snapshot's seenAt). */
  previousSeenAt: Partial<Record<Portal, string>>;
}

/**
 * Slack for the portals' read lag: a comment created this long before the previous poll may
 * legitimately have been invisible to it (list endpoints are eventually consistent).
 */
export const LATE_COMMENT_TOLERANCE_MS = 2 * 60 * 1000;

export interface CommentDecision {
  toDefender: CommentCopy[];
  toSentinel: CommentCopy[];
  changes: FieldChange[];
  tallies: Record<string, CommentTally>;
}

interface Group {
  fingerprint: string;
  defender: IncidentComment[];
  sentinel: IncidentComment[];
}

export function decideComments(context: CommentContext): CommentDecision {
  const groups = groupByFingerprint(context.defender, context.sentinel);
  const decision: CommentDecision = { toDefender: [], toSentinel: [], changes: [], tallies: {} };
  // Tallies of fingerprints no longer present on either side still carry pending echoes.
  const keys = new Set([...groups.keys(), ...Object.keys(context.tallies ?? {})]);

  for (const key of keys) {
    const group = groups.get(key);
    const previous = context.tallies?.[key] ?? { defender: 0, sentinel: 0 };
    const defenderComments = group?.defender ?? [];
    const sentinelComments = group?.sentinel ?? [];
    let echoes: Record<Portal, string[]> = { defender: [...(previous.echoes?.defender ?? [])], sentinel: [...(previous.echoes?.sentinel ?? [])] };

    if (context.tallies !== null && group) {
      const fresh = {
        defender: absorbEchoes(defenderComments.slice(Math.min(previous.defender, defenderComments.length)), echoes.defender),
        // Sentinel's comments when it is first seen are history, like everything at first sight.
        sentinel: context.sentinel && context.sentinelSeen ? absorbEchoes(sentinelComments.slice(Math.min(previous.sentinel, sentinelComments.length)), echoes.sentinel) : [],
      };
      const outcome = planCopies(group, fresh, context);
      decision.toDefender.push(...outcome.toDefender);
      decision.toSentinel.push(...outcome.toSentinel);
      decision.changes.push(...outcome.changes);
      for (const copy of outcome.toDefender) echoes.defender.push(echoDeadline(copy, context.sentinel ?? context.defender, context.echoWindowMs));
      for (const copy of outcome.toSentinel) echoes.sentinel.push(echoDeadline(copy, context.defender, context.echoWindowMs));
    }
    echoes = {
      defender: pruneEchoes(echoes.defender, context.defender.lastUpdatedAt),
      sentinel: context.sentinel ? pruneEchoes(echoes.sentinel, context.sentinel.lastUpdatedAt) : echoes.sentinel,
    };

    const tally: CommentTally = { defender: defenderComments.length, sentinel: context.sentinel ? sentinelComments.length : 0 };
    const pending = Object.fromEntries((['defender', 'sentinel'] as const).filter((portal) => echoes[portal].length > 0).map((portal) => [portal, echoes[portal]]));
    if (Object.keys(pending).length > 0) tally.echoes = pending;
    if (tally.defender > 0 || tally.sentinel > 0 || tally.echoes) decision.tallies[key] = tally;
  }

  const byCreation = (a: CommentCopy, b: CommentCopy): number => compareInstants(a.createdAt, b.createdAt);
  decision.toDefender.sort(byCreation);
  decision.toSentinel.sort(byCreation);
  return decision;
}

function planCopies(group: Group, fresh: Record<Portal, IncidentComment[]>, context: CommentContext): Omit<CommentDecision, 'tallies'> {
  const result: Omit<CommentDecision, 'tallies'> = { toDefender: [], toSentinel: [], changes: [] };
  const announce = (portal: Portal, comment: IncidentComment): void => {
    result.changes.push({ field: 'comment', from: null, to: comment.text, portal, by: comment.author });
  };

  const notEdited = (portal: Portal, comments: IncidentComment[]): IncidentComment[] =>
    comments.filter((comment) => !isEditedComment(comment, context.previousSeenAt[portal]));

  if (context.sentinel === null) {
    // Nothing to copy to yet; the comment still happened.
    for (const comment of notEdited('defender', fresh.defender)) announce('defender', comment);
    return result;
  }

  if (!context.sentinelSeen) {
    // Sentinel was just created: what it already has covers Defender's new comments first.
    const created = notEdited('defender', fresh.defender);
    const missing = Math.max(0, created.length - group.sentinel.length);
    for (const comment of created) announce('defender', comment);
    result.toSentinel.push(...copiesOf(created.slice(created.length - missing), group, 'defender'));
    return result;
  }

  // The same new comment on both sides: the portals' own sync got there first. Announce once,
  // credited to the side where it was created first.
  const matched = Math.min(fresh.defender.length, fresh.sentinel.length);
  for (let index = 0; index < matched; index++) {
    const ours = fresh.defender[index] as IncidentComment;
    const theirs = fresh.sentinel[index] as IncidentComment;
    if (compareInstants(theirs.createdAt, ours.createdAt) < 0) announce('sentinel', theirs);
    else announce('defender', ours);
  }
  // Unmatched new text created before the previous poll is an edit of an old comment (the text
  // changed, the creation instant did not). Edits don't sync in either product; nor here.
  const created = (portal: Portal): IncidentComment[] => notEdited(portal, fresh[portal].slice(matched));
  for (const comment of created('defender')) announce('defender', comment);
  for (const comment of created('sentinel')) announce('sentinel', comment);
  result.toSentinel.push(...copiesOf(created('defender'), group, 'defender'));
  result.toDefender.push(...copiesOf(created('sentinel'), group, 'sentinel'));
  return result;
}

function isEditedComment(comment: IncidentComment, previousSeenAt: string | undefined): boolean {
  const created = Date.parse(comment.createdAt);
  const seen = previousSeenAt === undefined ? Number.NaN : Date.parse(previousSeenAt);
  if (Number.isNaN(created) || Number.isNaN(seen)) return false;
  return created < seen - LATE_COMMENT_TOLERANCE_MS;
}

function copiesOf(originals: IncidentComment[], group: Group, source: Portal): CommentCopy[] {
  const target: Portal = source === 'defender' ? 'sentinel' : 'defender';
  const all = group[source];
  return originals.map((original) => {
    // The original's position among its look-alikes on its own portal is stable across re-runs.
    const occurrence = all.indexOf(original) + 1;
    return {
      text: original.text,
      author: original.author,
      createdAt: original.createdAt,
      source,
      fingerprint: group.fingerprint,
      key: commentCopyKey(target, group.fingerprint, occurrence),
    };
  });
}

/** Removes from `fresh` the comments that are the expected native mirror of an earlier copy. */
function absorbEchoes(fresh: IncidentComment[], echoes: string[]): IncidentComment[] {
  const remaining: IncidentComment[] = [];
  for (const comment of fresh) {
    const index = echoes.findIndex((deadline) => compareInstants(comment.createdAt, deadline) <= 0);
    if (index >= 0) echoes.splice(index, 1);
    else remaining.push(comment);
  }
  return remaining;
}

function echoDeadline(copy: CommentCopy, sourceIncident: Incident, windowMs: number): string {
  const created = Date.parse(copy.createdAt);
  const from = Number.isNaN(created) ? Date.parse(sourceIncident.lastUpdatedAt) : created;
  // No usable instant at all: a deadline in 1970, pruned at the next poll. (Unparsable creation
  // instants compare as equal, so a mirror without one is absorbed: a missed copy beats a loop.)
  return new Date((Number.isNaN(from) ? 0 : from) + windowMs).toISOString();
}

/**
 * A portal whose last update is past an echo's deadline would already show the mirror if the
 * portals' own sync had sent one (it is off, or it came earlier and was matched), so stop expecting it.
 */
function pruneEchoes(echoes: string[], portalUpdatedAt: string): string[] {
  return echoes.filter((deadline) => !(compareInstants(portalUpdatedAt, deadline) > 0));
}

function groupByFingerprint(defender: Incident, sentinel: Incident | null): Map<string, Group> {
  const groups = new Map<string, Group>();
  const add = (portal: Portal, comment: IncidentComment): void => {
    if (typeof comment.text !== 'string' || isBridgeComment(comment.text)) return;
    const fingerprint = commentFingerprint(comment.text);
    if (fingerprint.length === 0) return;
    const key = fingerprintKey(fingerprint);
    let group = groups.get(key);
    if (!group) {
      group = { fingerprint, defender: [], sentinel: [] };
      groups.set(key, group);
    }
    group[portal].push(comment);
  };
  for (const comment of defender.comments) add('defender', comment);
  for (const comment of sentinel?.comments ?? []) add('sentinel', comment);
  for (const group of groups.values()) {
    // Oldest first, so the newest look-alikes are the ones beyond the recorded count. sort is stable.
    group.defender.sort((a, b) => compareInstants(a.createdAt, b.createdAt));
    group.sentinel.sort((a, b) => compareInstants(a.createdAt, b.createdAt));
  }
  return groups;
}
