// Building and advancing an edit's outcome (src/sync/api.ts EditOutcome), and checking by reading
// back whether both portals now show what the analyst asked for. Pure: instants come in as input.
import { PORTALS, type Incident, type Portal } from '../domain/incident.ts';
import type { EditChanges, EditOutcome, FieldName, FieldOutcome } from '../domain/edits.ts';
import { commentFingerprint } from './fingerprint.ts';
import type { EditPlan } from './plan-edit.ts';
import { ownersEqual, projectStatus } from './projection.ts';

export interface Convergence {
  /** Per portal and requested field: does the portal show the requested value? */
  perPortal: Record<Portal, Partial<Record<FieldName, boolean>>>;
  /** Every requested field shows on every portal that exists. */
  converged: boolean;
}

/**
 * Whether each portal now shows each requested change, in its own vocabulary: Sentinel shows
 * 'inProgress' as Active, Defender shows 'new' as Active; Defender's 'unknown' severity shows no
 * severity at all; owners match by UPN, else object id; tag edits must be present/absent
 * (case-insensitively); the comment must be present (attributed or not) by fingerprint.
 */
export function verifyConvergence(changes: EditChanges, defender: Incident | null, sentinel: Incident | null): Convergence {
  const incidents: Record<Portal, Incident | null> = { defender, sentinel };
  const perPortal: Convergence['perPortal'] = { defender: {}, sentinel: {} };
  const wanted = fingerprintOf(changes.comment);
  for (const portal of PORTALS) {
    const incident = incidents[portal];
    if (!incident) continue;
    const shows = perPortal[portal];
    if (changes.severity !== undefined) shows.severity = incident.severity === changes.severity;
    if (changes.status !== undefined) shows.status = incident.status === projectStatus(portal, changes.status);
    if (changes.classification !== undefined) shows.classification = incident.classification === changes.classification;
    if (changes.owner !== undefined) shows.owner = ownersEqual(incident.owner, changes.owner);
    if (changes.tagsAdd !== undefined || changes.tagsRemove !== undefined) {
      const have = new Set(incident.tags.map((tag) => tag.toLowerCase()));
      shows.tags =
        (changes.tagsAdd ?? []).every((tag) => have.has(tag.trim().toLowerCase())) &&
        (changes.tagsRemove ?? []).every((tag) => !have.has(tag.trim().toLowerCase()));
    }
    if (wanted !== undefined) shows.comment = incident.comments.some((comment) => commentFingerprint(comment.text) === wanted);
  }
  const all = PORTALS.flatMap((portal) => (incidents[portal] ? Object.values(perPortal[portal]) : []));
  return { perPortal, converged: defender !== null && all.every(Boolean) };
}

function fingerprintOf(comment: string | undefined): string | undefined {
  if (comment === undefined) return undefined;
  const fingerprint = commentFingerprint(comment);
  return fingerprint === '' ? undefined : fingerprint;
}

/** The outcome of a request stored but not yet planned: nothing is known per field. */
export function acceptedOutcome(ids: { requestId: string; linkId: string }, now: string): EditOutcome {
  return { requestId: ids.requestId, linkId: ids.linkId, state: 'accepted', perPortal: { defender: {}, sentinel: {} }, converged: false, updatedAt: now };
}

/** The outcome right after a plan is accepted: API writes pending, other-route fields unverified. */
export function createOutcome(plan: EditPlan, ids: { requestId: string; linkId: string }, now: string): EditOutcome {
  const perPortal: EditOutcome['perPortal'] = { defender: {}, sentinel: {} };
  for (const portal of PORTALS) {
    for (const [field, route] of Object.entries(plan.routes[portal]) as Array<[FieldName, string]>) {
      perPortal[portal][field] =
        plan.errors.length > 0
          ? { state: 'failed', reason: plan.errors.join(' ') }
          : route === 'api'
            ? { state: 'pending' }
            : route === 'viaOtherRoute'
              ? { state: 'viaOtherRoute', verified: false }
              : { state: 'written' };
    }
  }
  return settle({ requestId: ids.requestId, linkId: ids.linkId, state: 'accepted', perPortal, converged: false, updatedAt: now });
}

export type WriteResult = { ok: true } | { ok: false; reason: string };

/** Records the result of writing `fields` to `portal` (one portal call covers several fields). */
export function recordWrite(outcome: EditOutcome, portal: Portal, fields: readonly FieldName[], result: WriteResult, now: string): EditOutcome {
  const perPortal = clonePerPortal(outcome);
  for (const field of fields) {
    perPortal[portal][field] = result.ok ? { state: 'written' } : { state: 'failed', reason: result.reason };
  }
  return settle({ ...outcome, perPortal, updatedAt: now });
}

/** The key of one portal's copy of a comment in EditOutcome.commentsSentAt. */
function commentSendKey(portal: Portal, ref: string): string {
  return `${portal}:${ref}`;
}

/** When the portal's copy of the comment with this ref was last sent, if it was. */
export function commentSentAt(outcome: EditOutcome, portal: Portal, ref: string): string | undefined {
  const sent = outcome.commentsSentAt;
  const key = commentSendKey(portal, ref);
  return sent && Object.hasOwn(sent, key) ? sent[key] : undefined;
}

/**
 * Records that the portal's copy of the comment with this ref is being sent now (saved before the
 * write, so a crash keeps it). The job still writes, so the outcome stays 'accepted' until it is
 * settled again.
 */
export function recordCommentSent(outcome: EditOutcome, portal: Portal, ref: string, now: string): EditOutcome {
  return { ...outcome, state: 'accepted', commentsSentAt: { ...outcome.commentsSentAt, [commentSendKey(portal, ref)]: now }, updatedAt: now };
}

/** Records a read-back: other-route fields become verified when the portal shows them. */
export function recordVerification(outcome: EditOutcome, convergence: Convergence, now: string): EditOutcome {
  const perPortal = clonePerPortal(outcome);
  for (const portal of PORTALS) {
    for (const [field, state] of Object.entries(perPortal[portal]) as Array<[FieldName, FieldOutcome]>) {
      if (state.state === 'viaOtherRoute') perPortal[portal][field] = { state: 'viaOtherRoute', verified: convergence.perPortal[portal][field] === true };
    }
  }
  return settle({ ...outcome, perPortal, converged: convergence.converged, updatedAt: now });
}

/** Gives up on other-route fields that never showed up (on `only`, else on both portals), saying why. */
export function expireUnverified(outcome: EditOutcome, reason: string, now: string, only?: Portal): EditOutcome {
  const perPortal = clonePerPortal(outcome);
  for (const portal of only ? [only] : PORTALS) {
    for (const [field, state] of Object.entries(perPortal[portal]) as Array<[FieldName, FieldOutcome]>) {
      if (state.state === 'viaOtherRoute' && !state.verified) perPortal[portal][field] = { state: 'failed', reason };
    }
  }
  return settle({ ...outcome, perPortal, updatedAt: now });
}

/**
 * The overall state: 'failed' when every field failed, 'partial' when some did, 'accepted' while
 * anything is pending or unverified, 'completed' when every field was written or verified.
 */
export function outcomeState(outcome: Pick<EditOutcome, 'perPortal'>): EditOutcome['state'] {
  const fields = PORTALS.flatMap((portal) => Object.values(outcome.perPortal[portal]).filter((state): state is FieldOutcome => state !== undefined));
  const failed = fields.filter((state) => state.state === 'failed').length;
  const open = fields.filter((state) => state.state === 'pending' || (state.state === 'viaOtherRoute' && !state.verified)).length;
  if (failed > 0 && failed === fields.length) return 'failed';
  if (open > 0) return 'accepted';
  if (failed > 0) return 'partial';
  return 'completed';
}

function settle(outcome: EditOutcome): EditOutcome {
  return { ...outcome, state: outcomeState(outcome) };
}

function clonePerPortal(outcome: EditOutcome): EditOutcome['perPortal'] {
  return { defender: { ...outcome.perPortal.defender }, sentinel: { ...outcome.perPortal.sentinel } };
}
