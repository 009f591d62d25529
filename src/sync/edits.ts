// Analysts' edit requests: stored durably before they are acknowledged, applied by a job that
// writes each portal, reads both back and records per portal and per field what happened. Every
// change of an outcome is saved together with an 'edit-outcome' change event, in one transaction,
// so the Teams notifier (the only writer of card messages) shows it; nobody polls for outcomes.
import { actorName, type BridgeComment } from '../domain/attribution.ts';
import type { FieldChange } from '../domain/change-events.ts';
import { PORTALS, type Incident, type IncidentComment, type Portal } from '../domain/incident.ts';
import { isFinalEditState, type EditChanges, type EditOutcome, type FieldName } from '../domain/edits.ts';
import { CodedError, PortalError } from '../domain/errors.ts';
import type { IncidentLink, StoredEditRequest } from '../store/ports.ts';
import type { EditRequest, SubmitResult } from './api.ts';
import { changeEvent, outcomeVisiblyChanged } from './events.ts';
import { commentRef, commentRefOf } from './fingerprint.ts';
import { withIncidentLock } from './incident-lock.ts';
import { syncLink } from './link-sync.ts';
import { parseSyncedSnapshot } from './snapshot.ts';
import { acceptedOutcome, commentSentAt, createOutcome, expireUnverified, recordCommentSent, recordVerification, recordWrite, verifyConvergence } from './outcome.ts';
import { fieldsRequested, planEdit } from './plan-edit.ts';
import type { PortalClient } from './ports.ts';
import { pairOf, QUEUES, type PairPortals, type SyncContext } from './sync-context.ts';

export type EditErrorCode = 'unknown-incident' | 'empty-edit';
export class EditError extends CodedError<EditErrorCode> {}

/** How long the bridge waits for the portals' own sync to carry a field one API cannot write. */
export const VERIFY_SCHEDULE_SECONDS: readonly number[] = [2, 4, 8, 15, 30, 60, 120];

function verifySchedule(context: SyncContext): readonly number[] {
  const schedule = context.verifyScheduleSeconds;
  return schedule && schedule.length > 0 ? schedule : VERIFY_SCHEDULE_SECONDS;
}

function hasChanges(request: EditRequest): boolean {
  const c = request.changes;
  return Boolean(
    c.severity || c.status || c.classification || c.comment?.trim() || c.owner !== undefined || c.tagsAdd?.length || c.tagsRemove?.length,
  );
}

function now(context: SyncContext): string {
  return context.clock().toISOString();
}

/**
 * Stores the request with its 'accepted' outcome and announces it (so every card of the incident
 * shows the update under way), then queues the job. The caller resolved the incident already.
 */
export async function submitEdit(context: SyncContext, request: EditRequest): Promise<SubmitResult> {
  if (!hasChanges(request)) throw new EditError('empty-edit', 'The edit request changes nothing.');
  // No look-up of the key first: insertOrGet finds a repeated request in the same transaction, and
  // the click that waits for this answer is spared a round trip to the store.
  const id = context.newId();
  const at = now(context);
  const outcome = acceptedOutcome({ requestId: id, linkId: request.linkId }, at);
  const stored = await context.store.transaction(async (tx) => {
    const link = await tx.links.get(request.linkId);
    if (!link) return null;
    const inserted = await tx.editRequests.insertOrGet({ id, idempotencyKey: request.idempotencyKey, linkId: link.linkId, changes: request.changes, actor: request.actor, outcome });
    if (!inserted.duplicate) {
      await tx.audit.append({ at, actor: request.actor, action: 'edit.submitted', subject: `link:${link.linkId}`, details: { requestId: id, changes: JSON.parse(JSON.stringify(request.changes)) } });
      await tx.changeEvents.append([changeEvent(link, { kind: 'edit-outcome', changes: [], actor: request.actor, editRequestId: id, outcome, occurredAt: at })]);
    }
    return inserted;
  });
  if (!stored) throw new EditError('unknown-incident', 'That incident is no longer known to the bridge.');
  // Stored first, queued second: a crash in between is healed by resumeUnfinishedEdits at start.
  if (!stored.duplicate) await context.queue.send(QUEUES.applyEdit, { requestId: stored.request.id }, { singletonKey: applyEditKey(stored.request.id) });
  return { requestId: stored.request.id, duplicate: stored.duplicate, outcome: stored.request.outcome };
}

function describeFailure(error: unknown): string {
  if (error instanceof PortalError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** A comment write whose answer was lost may still land: it is looked for again before a resend. */
export class CommentOutcomeUnknownError extends Error {}

/** Rounds of write-then-read-back per portal before a field that never shows is reported failed. */
export const EDIT_WRITE_ROUNDS = 3;
/**
 * How long a comment write whose answer was lost (a timeout, a crash mid-request) may take to land
 * before the bridge writes it again: longer than any request the portals keep processing.
 */
export const COMMENT_SETTLE_SECONDS = 120;

function commentSettleMs(context: SyncContext): number {
  return (context.commentSettleSeconds ?? COMMENT_SETTLE_SECONDS) * 1000;
}

/**
 * Saves the outcome over `saved`; when a card would show it differently, the 'edit-outcome' event
 * that makes the notifier show it commits in the same transaction. A final outcome is never
 * replaced (another try of the job may have finished the request meanwhile): then nothing is saved
 * or announced, and the stored outcome is returned. An outcome is counted when it becomes final,
 * so once per request. Returns what is saved now.
 */
async function saveOutcome(context: SyncContext, request: StoredEditRequest, saved: EditOutcome, next: EditOutcome): Promise<EditOutcome> {
  const stored = await context.store.transaction(async (tx) => {
    if (!(await tx.editRequests.update(request.id, { outcome: next }))) return (await tx.editRequests.get(request.id))?.outcome ?? null;
    if (outcomeVisiblyChanged(saved, next)) {
      const link = await tx.links.get(next.linkId);
      if (link) await tx.changeEvents.append([changeEvent(link, { kind: 'edit-outcome', changes: [], actor: request.actor, editRequestId: request.id, outcome: next, occurredAt: next.updatedAt })]);
    }
    return next;
  });
  if (stored === next && isFinalEditState(next.state)) context.metrics?.recordEditOutcome(next.state);
  return stored ?? saved;
}

interface Target {
  link: IncidentLink;
  portals: PairPortals;
}

/** The incident the request edits, or the one it was merged into since. */
async function resolveTarget(context: SyncContext, linkId: string): Promise<Target | null> {
  const link = await context.store.links.get(linkId);
  if (!link) return null;
  const target = link.mergedIntoLinkId ? ((await context.store.links.get(link.mergedIntoLinkId)) ?? link) : link;
  return { link: target, portals: pairOf(context, target.pairId) };
}

/** Both portals, fresh; Sentinel's comments too when `withComments` (ARM serves them apart). */
async function readBoth(target: Target, withComments: boolean): Promise<Record<Portal, Incident | null>> {
  const { defender: defenderClient, sentinel: sentinelClient } = target.portals;
  const defender = await defenderClient.get(target.link.defenderId);
  let sentinel = target.link.sentinelId ? await sentinelClient.get(target.link.sentinelId) : null;
  if (sentinel && withComments) sentinel = { ...sentinel, comments: await sentinelClient.listComments(sentinel.id) };
  return { defender, sentinel };
}

/**
 * Job handler: applies one edit request while holding the incident's write lease, so edits of one
 * incident never interleave. Throws on transient portal errors so the queue retries; a retry plans
 * again on fresh reads and finds what an earlier try wrote.
 */
export async function applyEdit(context: SyncContext, requestId: string): Promise<void> {
  const request = await context.store.editRequests.get(requestId);
  if (!request || request.outcome.state !== 'accepted') return;
  const target = await resolveTarget(context, request.linkId);
  if (!target) return;
  await withIncidentLock(context, target.link.linkId, `edit:${request.id}`, async () => {
    // Another try of this request may have finished while this one waited.
    const current = await context.store.editRequests.get(requestId);
    if (current?.outcome.state !== 'accepted') return;
    // A link not synced yet has no snapshot to tell which portal changed a field they disagree on;
    // its first sync goes by which changed last. Run after this edit's writes, it would see the
    // portal the bridge wrote last as the newer one and put a portal user's earlier change back. So
    // it runs first, on fresh reads of both portals.
    const link = await context.store.links.get(target.link.linkId);
    if (link && parseSyncedSnapshot(link.snapshot) === null) await syncLink(context, link.linkId, { fresh: true });
    await applyLocked(context, current, target);
  });
}

interface CommentWrite {
  portal: Portal;
  comment: BridgeComment;
  /** The outcome field it settles; a change note settles none. */
  field: 'comment' | null;
  purpose: string;
}

async function applyLocked(context: SyncContext, request: StoredEditRequest, target: Target): Promise<void> {
  const ids = { requestId: request.id, linkId: target.link.linkId };
  let saved = request.outcome;
  let views = await readBoth(target, request.changes.comment !== undefined);
  if (!views.defender) {
    const fields = [...fieldsRequested(request.changes), ...(request.changes.comment !== undefined ? (['comment'] as const) : [])];
    await saveOutcome(context, request, saved, recordWrite(saved, 'defender', fields, { ok: false, reason: 'the Defender incident no longer exists' }, now(context)));
    return;
  }

  const { defender: defenderClient, sentinel: sentinelClient } = target.portals;
  const clients: Record<Portal, PortalClient> = { defender: defenderClient, sentinel: sentinelClient };
  const plan = planEdit({
    changes: request.changes,
    defender: views.defender,
    sentinel: views.sentinel,
    writable: { defender: defenderClient.writableFields(), sentinel: sentinelClient.writableFields() },
    actor: request.actor,
    changeNotes: context.changeNotes ?? true,
  });
  let outcome: EditOutcome = { ...createOutcome(plan, ids, now(context)), ...(saved.commentsSentAt ? { commentsSentAt: saved.commentsSentAt } : {}) };
  if (plan.errors.length > 0) {
    if (PORTALS.every((portal) => Object.keys(outcome.perPortal[portal]).length === 0)) {
      outcome = recordWrite(outcome, 'defender', ['comment'], { ok: false, reason: plan.errors.join(' ') }, now(context));
    }
    await saveOutcome(context, request, saved, outcome);
    return;
  }
  saved = await saveOutcome(context, request, saved, outcome);

  // Fields: the analyst's delta, computed again on each fresh read, then confirmed by reading back.
  // A field that does not show after a write (a portal user wrote over it: Graph has no etag) is
  // written again on the state just read, a bounded number of times.
  const log = context.log.child({ requestId: request.id, linkId: target.link.linkId });
  const open = (portal: Portal): FieldName[] =>
    (Object.keys(plan.routes[portal]) as FieldName[]).filter((field) => field !== 'comment' && plan.routes[portal][field] === 'api' && outcome.perPortal[portal][field]?.state === 'pending');
  for (let round = 0; PORTALS.some((portal) => open(portal).length > 0); round++) {
    if (round === EDIT_WRITE_ROUNDS) {
      for (const portal of PORTALS) {
        outcome = recordWrite(outcome, portal, open(portal), { ok: false, reason: `${portal} did not show the change after ${EDIT_WRITE_ROUNDS} writes: it was changed again meanwhile` }, now(context));
      }
      break;
    }
    for (const portal of ['sentinel', 'defender'] as const) {
      const view = views[portal];
      const fields = open(portal);
      if (!view || fields.length === 0) continue;
      try {
        await clients[portal].update(view.id, (fresh) => plan.patchFor(portal, fresh), view);
      } catch (error) {
        if (error instanceof PortalError && error.transient) throw error;
        log.warn({ err: error, portal }, 'edit write refused');
        outcome = recordWrite(outcome, portal, fields, { ok: false, reason: describeFailure(error) }, now(context));
      }
    }
    views = await readBoth(target, false);
    for (const portal of PORTALS) {
      const view = views[portal];
      if (view) outcome = recordWrite(outcome, portal, open(portal).filter((field) => plan.shows(portal, field, view)), { ok: true }, now(context));
    }
  }

  // Comments (the analyst's own, and the change note naming who changed what where a portal cannot
  // record it) carry a ref derived from the request: a try finds what an earlier one wrote.
  const author = actorName(request.actor);
  const writes: CommentWrite[] = [];
  if (plan.comment) {
    for (const portal of plan.comment.portals) writes.push({ portal, field: 'comment', purpose: 'comment', comment: { kind: 'comment', author, text: plan.comment.text, ref: commentRef(request.id, 'comment') } });
  }
  if (plan.changeNote) {
    writes.push({ portal: plan.changeNote.portal, field: null, purpose: 'audit', comment: { kind: 'note', author, text: plan.changeNote.text, ref: commentRef(request.id, 'audit') } });
  }
  for (const write of writes) {
    const view = views[write.portal];
    if (!view) continue;
    const ref = write.comment.ref as string;
    const present = async (comments?: readonly IncidentComment[]) => (comments ?? (await clients[write.portal].listComments(view.id))).some((comment) => commentRefOf(comment.text) === ref);
    // Defender's fresh read carries its comments; ARM serves them apart.
    if (!(await present(write.portal === 'defender' ? view.comments : undefined))) {
      const sentAt = commentSentAt(outcome, write.portal, ref);
      if (sentAt !== undefined && context.clock().getTime() - Date.parse(sentAt) < commentSettleMs(context)) {
        throw new CommentOutcomeUnknownError(`the ${write.portal} comment of edit ${request.id} was sent at ${sentAt} and is not there yet; looking again before sending it again`);
      }
      outcome = recordCommentSent(outcome, write.portal, ref, now(context));
      saved = await saveOutcome(context, request, saved, outcome);
      try {
        await clients[write.portal].addComment(view.id, write.comment, `${request.id}-${write.portal}-${write.purpose}`);
      } catch (error) {
        if (error instanceof PortalError && error.transient) throw error;
        if (write.field) outcome = recordWrite(outcome, write.portal, [write.field], { ok: false, reason: describeFailure(error) }, now(context));
        continue;
      }
      if (!(await present())) throw new CommentOutcomeUnknownError(`the ${write.portal} comment of edit ${request.id} was accepted but does not show yet`);
    }
    if (write.field) outcome = recordWrite(outcome, write.portal, [write.field], { ok: true }, now(context));
  }

  await readBackAndRecord(context, request, saved, outcome, target, true);
}

/** The announced fields an edit changes. */
function changedFields(changes: EditChanges): ReadonlySet<FieldChange['field']> {
  return new Set(fieldsRequested(changes).map((field): FieldChange['field'] => (field === 'tagsAdd' || field === 'tagsRemove' ? 'tags' : field)));
}

/** The portals the request wrote something to (a field or a comment). */
function portalsWritten(outcome: EditOutcome): Portal[] {
  return PORTALS.filter((portal) => Object.values(outcome.perPortal[portal]).some((field) => field?.state === 'written'));
}

/**
 * Reads both portals back, records what they show, moves the link's snapshot and saves the outcome.
 * `first`: right after the writes (announce the analyst's comment, start the verification jobs).
 */
async function readBackAndRecord(context: SyncContext, request: StoredEditRequest, saved: EditOutcome, recorded: EditOutcome, target: Target, first: boolean): Promise<EditOutcome> {
  const { defender, sentinel } = await readBoth(target, Boolean(request.changes.comment?.trim()));
  if (!defender) return saveOutcome(context, request, saved, recorded);
  const outcome = recordVerification(recorded, verifyConvergence(request.changes, defender, sentinel), now(context));

  // Move the link's snapshot to what both portals now show and announce the change as the
  // analyst's, so the watcher neither re-writes nor re-announces the bridge's own edit.
  const comment = request.changes.comment?.trim();
  await syncLink(context, target.link.linkId, {
    views: { defender, sentinel },
    edit: { actor: request.actor, requestId: request.id, fields: changedFields(request.changes), wrote: portalsWritten(outcome) },
    ...(comment && first ? { extraChanges: [{ field: 'comment' as const, from: null, to: comment, portal: 'defender' as const, by: request.actor.displayName, fromTeams: true }] } : {}),
  });
  await saveOutcome(context, request, saved, outcome);
  if (outcome.state === 'accepted' && first) {
    await context.queue.send(QUEUES.verifyEdit, { requestId: request.id, attempt: 0 }, { startAfterSeconds: verifySchedule(context)[0] });
  }
  return outcome;
}

/** Job handler: re-reads both portals for fields the portals' own sync must carry. */
export async function verifyEdit(context: SyncContext, requestId: string, attempt: number): Promise<void> {
  const request = await context.store.editRequests.get(requestId);
  if (!request || request.outcome.state !== 'accepted') return;
  const target = await resolveTarget(context, request.linkId);
  if (!target) return;
  const outcome = await withIncidentLock(context, target.link.linkId, `verify:${requestId}`, async () => {
    // Another job for this request (a verification queued twice after a lost answer) may have
    // finished it while this one waited: its outcome is final, and is neither saved again nor recounted.
    const current = await context.store.editRequests.get(requestId);
    if (current?.outcome.state !== 'accepted') return null;
    return readBackAndRecord(context, current, current.outcome, current.outcome, target, false);
  });
  if (outcome?.state !== 'accepted') return;
  const next = attempt + 1;
  const schedule = verifySchedule(context);
  if (next < schedule.length) {
    await context.queue.send(QUEUES.verifyEdit, { requestId, attempt: next }, { startAfterSeconds: schedule[next] });
    return;
  }
  // Out of patience: say plainly which portal never showed the change.
  const waited = schedule.reduce((a, b) => a + b, 0);
  const expired = PORTALS.reduce(
    (current, portal) => expireUnverified(current, `${portal} cannot be written through its API and its own sync did not carry the change within ${waited} s`, now(context), portal),
    outcome,
  );
  await saveOutcome(context, request, outcome, expired);
}

/**
 * One apply job per request at a time: a request resumed at start while its job came back as a
 * retry (the process stopped mid-job) is not queued twice.
 */
function applyEditKey(requestId: string): string {
  return `edit:${requestId}`;
}

/** At start: re-queue requests that were stored but whose job may have been lost in a crash. */
export async function resumeUnfinishedEdits(context: SyncContext): Promise<number> {
  const unfinished = await context.store.editRequests.listUnfinished(1000);
  for (const request of unfinished) {
    await context.queue.send(QUEUES.applyEdit, { requestId: request.id }, { singletonKey: applyEditKey(request.id) });
  }
  return unfinished.length;
}
