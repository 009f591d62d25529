// Reconciles one linked incident: reads the views the watcher stored (or fresh ones), asks the pure
// reconcile what to write, writes it, and saves the new snapshot together with the change event in
// one transaction. Safe to run again at any point: reconcile is idempotent, Sentinel comments carry
// deterministic ids, and a retry reads Defender fresh so a comment posted before a crash is seen.
import type { Actor, Incident, IncidentPatch, Portal } from '../domain/incident.ts';
import type { IncidentLink, LinkSyncState, Repositories } from '../store/ports.ts';
import type { ChangeEvent, FieldChange } from '../domain/change-events.ts';
import { applyTagEdits } from './plan-edit.ts';
import type { IncidentEdit } from './ports.ts';
import { parseSyncedSnapshot, reconcile, type ReconcileResult } from './reconcile.ts';
import { actorName, fromTeams } from '../domain/attribution.ts';
import { changeEvent, withCredit } from './events.ts';
import { pairOf, QUEUES, type SyncContext } from './sync-context.ts';

const MAX_SAVE_ATTEMPTS = 5;

export interface SyncLinkOptions {
  /** Read both portals instead of trusting the stored views (retries, edits). */
  fresh?: boolean;
  /** Views just read by the caller (an edit's read-back); newer than what is stored. */
  views?: { defender?: Incident | null; sentinel?: Incident | null };
  /** The analyst's edit this sync records: the read-back after its writes. */
  edit?: EditRecord;
  /** Changes the caller made that reconcile cannot see (an analyst's own comment carries the bridge's attribution). */
  extraChanges?: FieldChange[];
}

export interface EditRecord {
  actor: Actor;
  requestId: string;
  /** The fields the edit asked for: their changes are the analyst's, made from Teams. */
  fields: ReadonlySet<FieldChange['field']>;
  /** The portals the edit wrote: the cards name the analyst there, not the app. */
  wrote: readonly Portal[];
}

export interface SyncLinkResult {
  link: IncidentLink | null;
  events: ChangeEvent[];
  wrote: { defender: boolean; sentinel: boolean; comments: number };
}

export function isEmptyPatch(patch: IncidentPatch): boolean {
  return Object.values(patch).every((value) => value === undefined);
}

/**
 * Reconcile's tag write is the whole agreed set; as an edit it is the difference from the view it
 * was computed on, applied to whatever the portal shows when the client writes (a Sentinel retry
 * after a Conflict re-reads), so a tag a portal user added meanwhile is kept.
 */
export function asTagDelta(patch: IncidentPatch, view: Incident): IncidentEdit {
  const tags = patch.tags;
  if (tags === undefined) return patch;
  const lower = (list: readonly string[]) => new Set(list.map((tag) => tag.toLowerCase()));
  const had = lower(view.tags);
  const wanted = lower(tags);
  const add = tags.filter((tag) => !had.has(tag.toLowerCase()));
  const remove = view.tags.filter((tag) => !wanted.has(tag.toLowerCase()));
  return (current) => ({ ...patch, tags: applyTagEdits(current.tags, add, remove) });
}

/** Newest of two views of the same incident (by the portal's own last-modified time). */
export function newestView(a: Incident | null | undefined, b: Incident | null | undefined): Incident | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return b.lastUpdatedAt > a.lastUpdatedAt ? b : a;
}

function syncStateAfter(result: ReconcileResult, previous: LinkSyncState, hasSentinel: boolean, reconciledAt: Record<Portal, string | undefined>): LinkSyncState {
  const state: LinkSyncState = { ...previous };
  for (const portal of ['defender', 'sentinel'] as const) {
    const blocked = [...result.notWritable, ...result.awaitingNativeSync].some((item) => item.portal === portal);
    state[portal] = blocked ? 'notWritable' : portal === 'sentinel' && !hasSentinel ? 'pending' : 'inSync';
    const at = reconciledAt[portal];
    if (at) state[`reconciled_${portal}`] = at;
  }
  return state;
}

export async function syncLink(context: SyncContext, linkId: string, options: SyncLinkOptions = {}): Promise<SyncLinkResult> {
  const wrote = { defender: false, sentinel: false, comments: 0 };
  let carried: { defender: Incident | null; sentinel: Incident | null } = { defender: options.views?.defender ?? null, sentinel: options.views?.sentinel ?? null };
  // After an attempt that wrote comments and could not save (the link changed meanwhile), the next
  // reads both portals: the views it carries do not show those comments, and copying them again
  // would post a second copy to Defender (Graph comments have no id to make them idempotent).
  let fresh = options.fresh ?? false;
  // Copies this run already wrote, by their deterministic key. After a write and a save that lost
  // to another writer (the watcher storing a newer view), the next attempt reconciles against the
  // snapshot from before the copy: the bridge's own copies are not counted, so the original looks
  // new again, and Graph comments have no id that would make a second POST harmless.
  const copied = new Set<string>();

  for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
    const link = await context.store.links.get(linkId);
    if (!link || link.mergedIntoLinkId) return { link, events: [], wrote };
    const { defender: defenderClient, sentinel: sentinelClient } = pairOf(context, link.pairId);
    const log = context.log.child({ linkId, defenderId: link.defenderId, pairId: link.pairId });

    let defender = newestView(link.defenderView, carried.defender);
    let sentinel = newestView(link.sentinelView, carried.sentinel);
    if (fresh || !defender) defender = await defenderClient.get(link.defenderId);
    if (fresh && link.sentinelId) sentinel = await sentinelClient.get(link.sentinelId);
    // ARM serves comments apart from the incident: read them so reconcile sees both sides' threads.
    // The watcher carries the last thread over; a count that moved (or is unknown) means read it again.
    if (sentinel && (fresh || sentinel.commentsCount === undefined || sentinel.commentsCount !== sentinel.comments.length)) {
      sentinel = { ...sentinel, comments: await sentinelClient.listComments(sentinel.id) };
    }
    if (!defender) {
      log.warn('Defender incident is gone (404); nothing to sync');
      return { link, events: [], wrote };
    }

    if (defender.status === 'redirected' && defender.redirectIncidentId) {
      const events = await mergeLink(context, link, defender);
      return { link: await context.store.links.get(linkId), events, wrote };
    }

    const snapshot = parseSyncedSnapshot(link.snapshot);
    const result = reconcile({
      defender,
      sentinel,
      snapshot,
      writable: { defender: defenderClient.writableFields(), sentinel: sentinelClient.writableFields() },
    });
    if (result.merged) {
      const events = await mergeLink(context, link, defender);
      return { link: await context.store.links.get(linkId), events, wrote };
    }

    // Writes first, then the snapshot: a crash in between re-runs reconcile, which finds the
    // written values already in place and writes nothing twice.
    if (!isEmptyPatch(result.writes.defender)) {
      defender = await defenderClient.update(defender.id, asTagDelta(result.writes.defender, defender), defender);
      wrote.defender = true;
    }
    if (sentinel && !isEmptyPatch(result.writes.sentinel)) {
      const before: Incident = sentinel;
      const written = await sentinelClient.update(sentinel.id, asTagDelta(result.writes.sentinel, sentinel), sentinel);
      sentinel = written.comments.length === 0 ? { ...written, comments: before.comments } : written;
      wrote.sentinel = true;
    }
    if (sentinel) {
      for (const comment of result.comments.toSentinel.filter((copy) => !copied.has(copy.key))) {
        await sentinelClient.addComment(sentinel.id, { kind: 'copy', author: comment.author, text: comment.text, from: 'defender' }, comment.key);
        copied.add(comment.key);
        wrote.comments++;
      }
    }
    for (const comment of result.comments.toDefender.filter((copy) => !copied.has(copy.key))) {
      await defenderClient.addComment(defender.id, { kind: 'copy', author: comment.author, text: comment.text, from: 'sentinel' }, comment.key);
      copied.add(comment.key);
      wrote.comments++;
    }
    carried = { defender, sentinel };
    if (wrote.comments > 0) fresh = true;

    // Whom each portal's last write was for: the portals name the app; cards name the person.
    let syncState = syncStateAfter(result, link.syncState, sentinel !== null, { defender: defender.lastUpdatedAt, sentinel: sentinel?.lastUpdatedAt });
    const views: Record<Portal, Incident | null> = { defender, sentinel };
    const edit = options.edit;
    const credits = [
      ...(edit ? edit.wrote.map((portal) => ({ portal, by: fromTeams(actorName(edit.actor)) })) : []),
      ...(wrote.defender ? [{ portal: 'defender' as const, by: authorsOf(result.changes, 'sentinel') }] : []),
      ...(wrote.sentinel ? [{ portal: 'sentinel' as const, by: authorsOf(result.changes, 'defender') }] : []),
    ];
    for (const { portal, by } of credits) {
      const view = views[portal];
      if (view && by) syncState = withCredit(syncState, portal, { by, at: view.lastUpdatedAt });
    }

    const draft = {
      linkId: link.linkId,
      pairId: link.pairId,
      defenderId: link.defenderId,
      ...(sentinel ? { sentinelId: sentinel.id, sentinelNumber: sentinel.incidentNumber } : link.sentinelId ? { sentinelId: link.sentinelId, sentinelNumber: link.sentinelNumber } : {}),
      snapshot: result.nextSnapshot as unknown as IncidentLink['snapshot'],
      defenderView: defender,
      sentinelView: sentinel,
      syncState,
    };
    const changes = [...creditEdit(result.changes, options.edit), ...(options.extraChanges ?? [])];
    const saved = await context.store.transaction(async (tx: Repositories) => {
      const save = await tx.links.save(draft, link.version);
      if (!save.ok) return null;
      const kind = snapshot === null ? 'created' : 'updated';
      const events =
        changes.length > 0 || snapshot === null
          ? await tx.changeEvents.append([
              changeEvent(save.link, {
                kind,
                changes,
                ...(options.edit ? { actor: options.edit.actor, editRequestId: options.edit.requestId } : {}),
                occurredAt: context.clock().toISOString(),
              }),
            ])
          : [];
      return { link: save.link, events };
    });
    if (saved) {
      for (const event of saved.events) {
        // One line per announced change: what operators watch to see the bridge at work.
        log.info({ kind: event.kind, fields: event.changes.map((change) => change.field), title: defender.title.slice(0, 80) }, `incident ${defender.id} ${event.kind}`);
      }
      if (result.conflicts.length > 0) log.info({ conflicts: result.conflicts }, 'concurrent edits of the same field; the later one won');
      return { ...saved, wrote };
    }
    log.debug({ attempt }, 'link changed while syncing; re-reading');
  }
  throw new Error(`link ${linkId} kept changing under ${MAX_SAVE_ATTEMPTS} sync attempts; the job will retry`);
}

/**
 * The changes an analyst's edit asked for are theirs, made from Teams, whichever portal showed them
 * first; anything else the read-back found (a portal user's change meanwhile) keeps its author.
 */
function creditEdit(changes: readonly FieldChange[], edit: EditRecord | undefined): FieldChange[] {
  if (!edit) return [...changes];
  return changes.map((change) => (edit.fields.has(change.field) ? { ...change, by: edit.actor.displayName, fromTeams: true } : change));
}

/** Who made the changes first seen on `portal` (the ones the bridge carried to the other portal). */
function authorsOf(changes: readonly FieldChange[], portal: Portal): string {
  return [...new Set(changes.filter((change) => change.portal === portal && change.by.trim() !== '').map((change) => change.by))].join(', ');
}

/** A Defender merge: the link, its cards and later announcements move to the surviving incident. */
async function mergeLink(context: SyncContext, from: IncidentLink, defender: Incident): Promise<ChangeEvent[]> {
  const intoId = defender.redirectIncidentId;
  if (!intoId) return [];
  const into = await ensureLink(context, from.pairId, intoId);
  const merged = await context.store.links.merge(from.linkId, into.linkId);
  if (!merged) return [];
  const events = await context.store.changeEvents.append([
    changeEvent(merged.into, {
      kind: 'merged',
      changes: [{ field: 'status', from: from.defenderView?.status ?? null, to: 'redirected', portal: 'defender', by: defender.lastModifiedBy }],
      occurredAt: context.clock().toISOString(),
    }),
  ]);
  await context.queue.send(QUEUES.syncLink, { linkId: into.linkId }, { singletonKey: into.linkId });
  return events;
}

/** The link of a Defender incident, created (empty, to be synced) when the bridge has none yet. */
export async function ensureLink(context: SyncContext, pairId: string, defenderId: string): Promise<IncidentLink> {
  const existing = await context.store.links.findByDefenderId(pairId, defenderId);
  if (existing) return existing;
  const created = await context.store.links.save(
    { linkId: context.newId(), pairId, defenderId, snapshot: {}, defenderView: null, sentinelView: null, syncState: {} },
    null,
  );
  if (created.ok) return created.link;
  if (created.current) return created.current;
  throw new Error(`could not create a link for Defender incident ${defenderId} in pair ${pairId}`);
}
