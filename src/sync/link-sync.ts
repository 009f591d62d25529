// Reconciles one linked incident: reads the views the watcher stored (or fresh ones), asks the pure
// reconcile what to write, writes it, and saves the new snapshot together with the change event in
// one transaction. Safe to run again at any point: reconcile is idempotent, Sentinel comments carry
// deterministic ids, and a retry reads Defender fresh so a comment posted before a crash is seen.
import { createHash } from 'node:crypto';
import type { Actor, Incident, IncidentPatch, Portal } from '../domain/incident.ts';
import type { IncidentLink, LinkSyncState, Repositories } from '../store/ports.ts';
import type { ChangeEvent, FieldChange, IncidentView, PortalSyncState } from '../domain/change-events.ts';
import { applyTagEdits } from './plan-edit.ts';
import type { IncidentEdit } from './ports.ts';
import { parseSyncedSnapshot, reconcile, type ReconcileResult } from './reconcile.ts';
import { BRIDGE_ACTOR, pairOf, QUEUES, type SyncContext } from './sync-context.ts';

const MAX_SAVE_ATTEMPTS = 5;

export interface SyncLinkOptions {
  /** Read both portals instead of trusting the stored views (retries, edits). */
  fresh?: boolean;
  /** Views just read by the caller (an edit's read-back); newer than what is stored. */
  views?: { defender?: Incident | null; sentinel?: Incident | null };
  /** Credit announced changes to this analyst (edits made through the bridge). */
  actor?: Actor;
  editRequestId?: string;
  /** Changes the caller made that reconcile cannot see (an analyst's own comment carries the bridge's attribution). */
  extraChanges?: FieldChange[];
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

export function toIncidentView(link: IncidentLink): IncidentView {
  const state = link.syncState;
  return {
    linkId: link.linkId,
    pairId: link.pairId,
    defender: link.defenderView,
    sentinel: link.sentinelView,
    syncState: {
      defender: (state.defender as PortalSyncState | undefined) ?? 'inSync',
      sentinel: (state.sentinel as PortalSyncState | undefined) ?? (link.sentinelView ? 'inSync' : 'pending'),
    },
    ...(link.mergedIntoLinkId ? { mergedIntoLinkId: link.mergedIntoLinkId } : {}),
  };
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

function buildEvent(context: SyncContext, link: IncidentLink, changes: FieldChange[], kind: ChangeEvent['kind'], options: SyncLinkOptions): Omit<ChangeEvent, 'seq'> {
  // The id is a digest of what changed, so re-running the same reconcile after a crash appends
  // nothing new (the outbox skips known ids) and consumers see each change once.
  const id = createHash('sha256')
    .update(JSON.stringify([link.linkId, kind, changes, options.editRequestId ?? null]))
    .digest('hex')
    .slice(0, 40);
  return {
    id,
    kind,
    linkId: link.linkId,
    pairId: link.pairId,
    incident: toIncidentView(link),
    changes,
    ...(options.actor ? { actor: options.actor } : {}),
    ...(options.editRequestId ? { editRequestId: options.editRequestId } : {}),
    occurredAt: context.clock().toISOString(),
  };
}

export async function syncLink(context: SyncContext, linkId: string, options: SyncLinkOptions = {}): Promise<SyncLinkResult> {
  const wrote = { defender: false, sentinel: false, comments: 0 };
  let carried: { defender: Incident | null; sentinel: Incident | null } = { defender: options.views?.defender ?? null, sentinel: options.views?.sentinel ?? null };

  for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
    const link = await context.store.links.get(linkId);
    if (!link || link.mergedIntoLinkId) return { link, events: [], wrote };
    const { defender: defenderClient, sentinel: sentinelClient } = pairOf(context, link.pairId);
    const log = context.log.child({ linkId, defenderId: link.defenderId, pairId: link.pairId });

    let defender = newestView(link.defenderView, carried.defender);
    let sentinel = newestView(link.sentinelView, carried.sentinel);
    if (options.fresh || !defender) defender = await defenderClient.get(link.defenderId);
    if (options.fresh && link.sentinelId) sentinel = await sentinelClient.get(link.sentinelId);
    // ARM serves comments apart from the incident: read them so reconcile sees both sides' threads.
    // The watcher carries the last thread over; a count that moved (or is unknown) means read it again.
    if (sentinel && (options.fresh || sentinel.commentsCount === undefined || sentinel.commentsCount !== sentinel.comments.length)) {
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
      defender = await defenderClient.update(defender.id, asTagDelta(result.writes.defender, defender), options.actor ?? BRIDGE_ACTOR, defender);
      wrote.defender = true;
    }
    if (sentinel && !isEmptyPatch(result.writes.sentinel)) {
      const before: Incident = sentinel;
      const written = await sentinelClient.update(sentinel.id, asTagDelta(result.writes.sentinel, sentinel), options.actor ?? BRIDGE_ACTOR, sentinel);
      sentinel = written.comments.length === 0 ? { ...written, comments: before.comments } : written;
      wrote.sentinel = true;
    }
    if (sentinel) {
      for (const comment of result.comments.toSentinel) {
        await sentinelClient.addComment(sentinel.id, comment.text, { objectId: 'portal:defender', displayName: comment.author }, comment.key);
        wrote.comments++;
      }
    }
    for (const comment of result.comments.toDefender) {
      await defenderClient.addComment(defender.id, comment.text, { objectId: 'portal:sentinel', displayName: comment.author }, comment.key);
      wrote.comments++;
    }
    carried = { defender, sentinel };

    const draft = {
      linkId: link.linkId,
      pairId: link.pairId,
      defenderId: link.defenderId,
      ...(sentinel ? { sentinelId: sentinel.id, sentinelNumber: sentinel.incidentNumber } : link.sentinelId ? { sentinelId: link.sentinelId, sentinelNumber: link.sentinelNumber } : {}),
      snapshot: result.nextSnapshot as unknown as IncidentLink['snapshot'],
      defenderView: defender,
      sentinelView: sentinel,
      syncState: syncStateAfter(result, link.syncState, sentinel !== null, { defender: defender.lastUpdatedAt, sentinel: sentinel?.lastUpdatedAt }),
    };
    const reconciled = options.actor ? result.changes.map((change) => ({ ...change, by: options.actor?.displayName ?? change.by })) : result.changes;
    const changes = [...reconciled, ...(options.extraChanges ?? [])];
    const saved = await context.store.transaction(async (tx: Repositories) => {
      const save = await tx.links.save(draft, link.version);
      if (!save.ok) return null;
      const kind = snapshot === null ? 'created' : 'updated';
      const events = changes.length > 0 || snapshot === null ? await tx.changeEvents.append([buildEvent(context, save.link, changes, kind, options)]) : [];
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

/** A Defender merge: the link, its cards and later announcements move to the surviving incident. */
async function mergeLink(context: SyncContext, from: IncidentLink, defender: Incident): Promise<ChangeEvent[]> {
  const intoId = defender.redirectIncidentId;
  if (!intoId) return [];
  const into = await ensureLink(context, from.pairId, intoId);
  const merged = await context.store.links.merge(from.linkId, into.linkId);
  if (!merged) return [];
  const events = await context.store.changeEvents.append([
    buildEvent(context, merged.into, [{ field: 'status', from: from.defenderView?.status ?? null, to: 'redirected', portal: 'defender', by: defender.lastModifiedBy }], 'merged', {}),
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
