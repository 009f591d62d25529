// Analysts' edit requests: stored durably before they are acknowledged, applied by a job that
// writes each portal (attributed to the analyst as far as each API allows), reads both back and
// records per portal and per field what happened.
import type { Incident, Portal } from '../domain/incident.ts';
import { CodedError, PortalError } from '../domain/errors.ts';
import type { StoredEditRequest } from '../store/ports.ts';
import type { EditOutcome, EditRequest, FieldName, FieldOutcome, SubmitResult } from './api.ts';
import { syncLink } from './link-sync.ts';
import { planEdit } from './plan-edit.ts';
import { parseAttributedComment } from './fingerprint.ts';
import { verifyConvergence } from './outcome.ts';
import { pairOf, QUEUES, type SyncContext } from './sync-context.ts';

export type EditErrorCode = 'unknown-incident' | 'ambiguous-incident' | 'empty-edit';
export class EditError extends CodedError<EditErrorCode> {}

/** How long the bridge waits for the portals' own sync to carry a field one API cannot write. */
export const VERIFY_SCHEDULE_SECONDS: readonly number[] = [2, 4, 8, 15, 30, 60, 120];

function verifySchedule(context: SyncContext): readonly number[] {
  const schedule = context.verifyScheduleSeconds;
  return schedule && schedule.length > 0 ? schedule : VERIFY_SCHEDULE_SECONDS;
}

function emptyOutcome(requestId: string, linkId: string, now: string): EditOutcome {
  return { requestId, linkId, state: 'accepted', perPortal: { defender: {}, sentinel: {} }, converged: false, updatedAt: now };
}

function hasChanges(request: EditRequest): boolean {
  const c = request.changes;
  return Boolean(
    c.severity || c.status || c.classification || c.comment?.trim() || c.owner !== undefined || c.tagsAdd?.length || c.tagsRemove?.length,
  );
}

export async function submitEdit(context: SyncContext, request: EditRequest): Promise<SubmitResult> {
  if (!hasChanges(request)) throw new EditError('empty-edit', 'The edit request changes nothing.');
  const existing = await context.store.editRequests.getByIdempotencyKey(request.idempotencyKey);
  if (existing) return { requestId: existing.id, duplicate: true, outcome: existing.outcome ?? emptyOutcome(existing.id, existing.linkId ?? '', existing.updatedAt) };

  const links = await context.store.links.findByRef(request.incidentRef);
  const live = links.filter((link) => !link.mergedIntoLinkId);
  const candidates = live.length > 0 ? live : links;
  if (candidates.length === 0) throw new EditError('unknown-incident', `No incident '${request.incidentRef}' is known. Use a Defender incident id or a Sentinel incident number.`);
  if (candidates.length > 1) throw new EditError('ambiguous-incident', `'${request.incidentRef}' matches ${candidates.length} incidents in different tenants; use the Defender incident id.`);
  const link = candidates[0]!;

  const id = context.newId();
  const now = context.clock().toISOString();
  const { request: stored, duplicate } = await context.store.editRequests.insertOrGet({
    id,
    idempotencyKey: request.idempotencyKey,
    incidentRef: request.incidentRef,
    linkId: link.linkId,
    changes: request.changes,
    actor: request.actor,
    state: 'accepted',
    outcome: emptyOutcome(id, link.linkId, now),
  });
  if (!duplicate) {
    await context.store.audit.append({ at: now, actor: request.actor, action: 'edit.submitted', subject: `link:${link.linkId}`, details: { requestId: stored.id, changes: JSON.parse(JSON.stringify(request.changes)) } });
    // Stored first, queued second: a crash in between is healed by resumeUnfinishedEdits at start.
    await context.queue.send(QUEUES.applyEdit, { requestId: stored.id });
  }
  return { requestId: stored.id, duplicate, outcome: stored.outcome ?? emptyOutcome(stored.id, link.linkId, now) };
}

function describeFailure(error: unknown): string {
  if (error instanceof PortalError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function finalState(outcome: EditOutcome): EditOutcome['state'] {
  const fields = Object.values(outcome.perPortal).flatMap((perField) => Object.values(perField));
  const failed = fields.filter((field) => field?.state === 'failed').length;
  const pending = fields.filter((field) => field?.state === 'pending' || (field?.state === 'viaOtherRoute' && !field.verified)).length;
  if (failed === fields.length && failed > 0) return 'failed';
  if (failed > 0) return 'partial';
  if (pending > 0) return 'accepted';
  return 'completed';
}

async function saveOutcome(context: SyncContext, request: StoredEditRequest, outcome: EditOutcome): Promise<void> {
  outcome.state = finalState(outcome);
  outcome.updatedAt = context.clock().toISOString();
  await context.store.editRequests.update(request.id, { state: outcome.state, outcome });
}

/** Job handler: applies one edit request. Throws on transient portal errors so the queue retries. */
export async function applyEdit(context: SyncContext, requestId: string): Promise<void> {
  const request = await context.store.editRequests.get(requestId);
  if (!request || request.state !== 'accepted' || !request.linkId) return;
  const link = await context.store.links.get(request.linkId);
  if (!link) return;
  const target = link.mergedIntoLinkId ? ((await context.store.links.get(link.mergedIntoLinkId)) ?? link) : link;
  const { defender: defenderClient, sentinel: sentinelClient } = pairOf(context, target.pairId);
  const log = context.log.child({ requestId, linkId: target.linkId });

  // Fresh reads: tag edits apply to the current set, and a retry must see what an earlier try wrote.
  const defender = await defenderClient.get(target.defenderId);
  const sentinel = target.sentinelId ? await sentinelClient.get(target.sentinelId) : null;
  const outcome = request.outcome ?? emptyOutcome(request.id, target.linkId, context.clock().toISOString());
  if (!defender) {
    outcome.perPortal.defender = { severity: { state: 'failed', reason: 'the Defender incident no longer exists' } };
    await saveOutcome(context, request, outcome);
    return;
  }

  const plan = planEdit({
    changes: request.changes,
    defender,
    sentinel,
    writable: { defender: defenderClient.writableFields(), sentinel: sentinelClient.writableFields() },
    actor: request.actor,
  });
  if (plan.errors.length > 0) {
    for (const portal of ['defender', 'sentinel'] as const) {
      for (const field of Object.keys(plan.routes[portal]) as FieldName[]) outcome.perPortal[portal][field] = { state: 'failed', reason: plan.errors.join(' ') };
    }
    if (Object.keys(outcome.perPortal.defender).length + Object.keys(outcome.perPortal.sentinel).length === 0) {
      outcome.perPortal.defender.comment = { state: 'failed', reason: plan.errors.join(' ') };
    }
    await saveOutcome(context, request, outcome);
    return;
  }

  const views: Record<Portal, Incident | null> = { defender, sentinel };
  for (const portal of ['sentinel', 'defender'] as const) {
    const client = portal === 'defender' ? defenderClient : sentinelClient;
    const view = views[portal];
    const routes = plan.routes[portal];
    const patch = plan.patches[portal];
    const apiFields = (Object.keys(routes) as FieldName[]).filter((field) => routes[field] === 'api');
    for (const field of Object.keys(routes) as FieldName[]) {
      if (routes[field] === 'unchanged') outcome.perPortal[portal][field] = { state: 'written' };
      if (routes[field] === 'viaOtherRoute') outcome.perPortal[portal][field] = { state: 'viaOtherRoute', verified: false };
    }
    if (!view || apiFields.length === 0 || Object.values(patch).every((value) => value === undefined)) continue;
    try {
      views[portal] = await client.update(view.id, patch, request.actor);
      for (const field of apiFields) outcome.perPortal[portal][field] = { state: 'written' };
    } catch (error) {
      if (error instanceof PortalError && error.transient) throw error;
      log.warn({ err: error, portal }, 'edit write refused');
      for (const field of apiFields) outcome.perPortal[portal][field] = { state: 'failed', reason: describeFailure(error) };
    }
  }

  // Comments (the analyst's own, and audit notes naming who changed what where a portal cannot
  // record it) are posted only where not already present, so a retried job never posts twice.
  const notes: Array<{ portal: Portal; text: string; field: FieldName | null }> = [];
  if (plan.comment) for (const portal of plan.comment.portals) notes.push({ portal, text: plan.comment.text, field: 'comment' });
  if (plan.auditComment) notes.push({ portal: plan.auditComment.portal, text: plan.auditComment.text, field: null });
  for (const note of notes) {
    const client = note.portal === 'defender' ? defenderClient : sentinelClient;
    const view = views[note.portal];
    if (!view) {
      if (note.field) outcome.perPortal[note.portal][note.field] = { state: 'pending' };
      continue;
    }
    try {
      // The plan's text already carries the attribution, and addComment adds it again: hand the
      // client the body, and look for the attributed text it writes (a retry must not post twice).
      const body = parseAttributedComment(note.text)?.text ?? note.text;
      const already = (await client.listComments(view.id)).some((comment) => comment.text === note.text);
      if (!already) await client.addComment(view.id, body, request.actor, `${request.id}-${note.portal}-${note.field ?? 'audit'}`);
      if (note.field) outcome.perPortal[note.portal][note.field] = { state: 'written' };
    } catch (error) {
      if (error instanceof PortalError && error.transient) throw error;
      if (note.field) outcome.perPortal[note.portal][note.field] = { state: 'failed', reason: describeFailure(error) };
    }
  }

  await readBackAndRecord(context, request, outcome, target.linkId, true);
}

async function readBackAndRecord(context: SyncContext, request: StoredEditRequest, outcome: EditOutcome, linkId: string, announceComment: boolean): Promise<void> {
  const link = await context.store.links.get(linkId);
  if (!link) return;
  const { defender: defenderClient, sentinel: sentinelClient } = pairOf(context, link.pairId);
  const defender = await defenderClient.get(link.defenderId);
  let sentinel = link.sentinelId ? await sentinelClient.get(link.sentinelId) : null;
  if (!defender) return;
  // ARM serves comments apart from the incident: read them only when a comment must be verified.
  if (sentinel && request.changes.comment?.trim()) sentinel = { ...sentinel, comments: await sentinelClient.listComments(sentinel.id) };

  const verification = verifyConvergence(request.changes, defender, sentinel);
  for (const portal of ['defender', 'sentinel'] as const) {
    for (const [field, state] of Object.entries(outcome.perPortal[portal]) as Array<[FieldName, FieldOutcome]>) {
      if (state.state === 'viaOtherRoute') outcome.perPortal[portal][field] = { state: 'viaOtherRoute', verified: verification.perPortal[portal][field] === true };
    }
  }
  outcome.converged = verification.converged;

  // Move the link's snapshot to what both portals now show and announce the change as the
  // analyst's, so the watcher neither re-writes nor re-announces the bridge's own edit.
  const comment = request.changes.comment?.trim();
  await syncLink(context, link.linkId, {
    views: { defender, sentinel },
    actor: request.actor,
    editRequestId: request.id,
    ...(comment && announceComment ? { extraChanges: [{ field: 'comment' as const, from: null, to: comment, portal: 'defender' as const, by: request.actor.displayName }] } : {}),
  });
  await saveOutcome(context, request, outcome);

  if (outcome.state === 'accepted') {
    await context.queue.send(QUEUES.verifyEdit, { requestId: request.id, attempt: 0 }, { startAfterSeconds: verifySchedule(context)[0] });
  }
}

/** Job handler: re-reads both portals for fields the portals' own sync must carry. */
export async function verifyEdit(context: SyncContext, requestId: string, attempt: number): Promise<void> {
  const request = await context.store.editRequests.get(requestId);
  if (!request || request.state !== 'accepted' || !request.outcome || !request.linkId) return;
  const outcome = request.outcome;
  await readBackAndRecord(context, request, outcome, request.linkId, false);
  const after = await context.store.editRequests.get(requestId);
  if (after?.state !== 'accepted') return;
  const next = attempt + 1;
  const schedule = verifySchedule(context);
  if (next < schedule.length) {
    await context.queue.send(QUEUES.verifyEdit, { requestId, attempt: next }, { startAfterSeconds: schedule[next] });
    return;
  }
  // Out of patience: say plainly which portal never showed the change.
  const final = after.outcome ?? outcome;
  for (const portal of ['defender', 'sentinel'] as const) {
    for (const [field, state] of Object.entries(final.perPortal[portal]) as Array<[FieldName, FieldOutcome]>) {
      if (state.state === 'viaOtherRoute' && !state.verified) {
        final.perPortal[portal][field] = { state: 'failed', reason: `${portal} cannot be written through its API and its own sync did not carry the change within ${schedule.reduce((a, b) => a + b, 0)} s` };
      }
    }
  }
  await saveOutcome(context, after, final);
}

/** At start: re-queue requests that were stored but whose job may have been lost in a crash. */
export async function resumeUnfinishedEdits(context: SyncContext): Promise<number> {
  const unfinished = await context.store.editRequests.listUnfinished(1000);
  for (const request of unfinished) {
    await context.queue.send(QUEUES.applyEdit, { requestId: request.id }, { singletonKey: `edit:${request.id}` });
  }
  return unfinished.length;
}
