// Watches one (tenant, workspace) pair: lists what changed in each portal since its cursor, stores
// the new views on their links and queues a sync job for each link that has something not yet
// reconciled. Only the replica holding the pair's lease polls.
//
// Nothing is lost at page or clock boundaries: listing is inclusive (>=) and starts a safety
// overlap before the cursor, and a link is queued whenever a listed view is newer than what was
// last reconciled, so a crash between storing a view and queueing its job is healed by the next
// listing (the cursor only advances after both).
//
// A page's views are stored with one lookup and one batch write, not two statements a view. A
// view the store refuses is quarantined (quarantine.ts) rather than failing the poll: its page is
// then stored one view at a time, the cursor advances past it and the pair's other incidents keep
// syncing. A view whose last-modified time is absent, no instant, or far ahead of the listing is
// quarantined too, and does not move the cursor at all (only valid, believable instants do), so it
// can neither break the next listing nor put the cursor past changes still to come. Each poll reads
// the pair's quarantine once; a quarantined incident is tried again when it is listed with a newer
// version, or when its retry time has come (read fresh from its portal, a few per poll).
//
// Backfill (option `backfill`, which the engine sets): a portal's first listing does not walk
// everything the portal holds inside one poll, where a live change would wait behind tens of
// thousands of incidents. The live cursor starts at that moment, and the backfill walks the rest
// page by page (backfillStep, paced by the engine), queueing one job per page on its own queue. A
// restart takes a pending backfill up again from its first page (the store keeps it pending).
import type { Incident, Portal } from '../domain/incident.ts';
import type { BackfillJobData } from './backfill.ts';
import { instantMs } from '../domain/instant.ts';
import { isRefusedRecord } from '../store/errors.ts';
import type { IncidentLink, LinkDraft, LinkSave, PortalCursor, QuarantinedRecord } from '../store/ports.ts';
import { MAX_QUARANTINE_LIST_LIMIT } from '../store/sql/quarantine.ts';
import { newestView } from './link-sync.ts';
import { quarantineId, quarantineRecord, refusal, releaseRecord, timestampProblem, type SyncLinkJobData } from './quarantine.ts';
import { pairOf, QUEUES, type SyncContext } from './sync-context.ts';

export interface WatcherOptions {
  pairId: string;
  /** Re-list this far before the cursor: a portal may commit a change with a slightly older timestamp. */
  overlapMs?: number;
  /** A portal's first listing starts the live cursor now and leaves the rest to backfillStep. Default false. */
  backfill?: boolean;
}

/** One backfill page stored: its portal, incidents listed, links queued (0 and 0 when the walk ended). */
export interface BackfillStep {
  portal: Portal;
  listed: number;
  queued: number;
  /** The walk ended: nothing more to list for this portal. */
  finished: boolean;
}

/** A view stored on its link: the link needs a sync job; whether the link has Defender's view yet. */
interface StoredView {
  linkId: string;
  defenderKnown: boolean;
}

export interface PollStats {
  listCalls: Record<Portal, number>;
  listed: Record<Portal, number>;
  queued: number;
  /** Views the store refused in this poll (quarantined, or still quarantined). */
  quarantined: number;
}

/** Quarantined views whose retry time has come, read fresh per poll: bounded so a backlog cannot stall polling. */
const MAX_QUARANTINE_RETRIES_PER_POLL = 5;

const PROVIDERS_FROM_DEFENDER = new Set(['Microsoft XDR', 'Microsoft 365 Defender']);

function reconciledAt(link: IncidentLink, portal: Portal): string | undefined {
  const value = link.syncState[`reconciled_${portal}`];
  return typeof value === 'string' ? value : undefined;
}

/** The Defender id a listed view is linked by; null for a Sentinel incident with no Defender counterpart. */
function linkedDefenderId(portal: Portal, incident: Incident): string | null {
  const defenderId = portal === 'defender' ? incident.id : incident.providerIncidentId;
  // Sentinel-native incidents (analytics rules, or the duplicates that enabled Microsoft incident
  // creation rules produce) have no Defender counterpart to keep in agreement.
  if (!defenderId || (portal === 'sentinel' && !PROVIDERS_FROM_DEFENDER.has(incident.providerName ?? ''))) return null;
  return defenderId;
}

/** How a listed view goes onto its link: the save it takes (none when the stored view is as new), and the link when it needs a sync job. */
interface ViewPlan {
  save: LinkSave | null;
  stored: StoredView | null;
}

/** Plans storing a listed view on its link as last read (null: the incident has none yet). */
function planView(link: IncidentLink | null, pairId: string, defenderId: string, portal: Portal, incident: Incident, newLinkId: () => string): ViewPlan {
  if (!link) {
    // A new incident: its link is created with the view in one write, so a view the store
    // refuses leaves no half-stored link behind (one with no view has nothing to show).
    const linkId = newLinkId();
    const draft: LinkDraft = {
      linkId,
      pairId,
      defenderId,
      snapshot: {},
      defenderView: portal === 'defender' ? incident : null,
      sentinelView: portal === 'sentinel' ? incident : null,
      ...(portal === 'sentinel' ? { sentinelId: incident.id, sentinelNumber: incident.incidentNumber } : {}),
      syncState: {},
    };
    return { save: { link: draft, expectedVersion: null }, stored: { linkId, defenderKnown: portal === 'defender' } };
  }
  const last = reconciledAt(link, portal);
  const needsSync = last === undefined || incident.lastUpdatedAt > last;
  const stored = needsSync ? { linkId: link.linkId, defenderKnown: portal === 'defender' || link.defenderView !== null } : null;
  const current = portal === 'defender' ? link.defenderView : link.sentinelView;
  // A listed Sentinel incident has no comments (ARM serves them apart): keep the thread read last
  // time, so a sync whose comment count did not move needs no comments call.
  const listed = portal === 'sentinel' && incident.comments.length === 0 && current ? { ...incident, comments: current.comments } : incident;
  const newest = newestView(current, listed);
  if (newest === current) return { save: null, stored };
  const draft = {
    ...link,
    ...(portal === 'defender' ? { defenderView: newest } : { sentinelView: newest, sentinelId: incident.id, sentinelNumber: incident.incidentNumber }),
  };
  return { save: { link: draft, expectedVersion: link.version }, stored };
}

/** Stores a listed view on its link; returns the link when it needs a sync job. */
async function recordView(context: SyncContext, pairId: string, portal: Portal, incident: Incident): Promise<StoredView | null> {
  const defenderId = linkedDefenderId(portal, incident);
  if (!defenderId) return null;
  for (let attempt = 0; attempt < 5; attempt++) {
    const plan = planView(await context.store.links.findByDefenderId(pairId, defenderId), pairId, defenderId, portal, incident, context.newId);
    if (plan.save && !(await context.store.links.save(plan.save.link, plan.save.expectedVersion)).ok) continue;
    return plan.stored;
  }
  throw new Error(`link of Defender incident ${defenderId} kept changing while storing its ${portal} view`);
}

/**
 * recordView for a page of views, in one lookup and one batch write. A view whose link another
 * writer saved (or created) in between, or a second view of one incident in the page, is then
 * stored on its own, re-reading its link as recordView does. Throws what the batch write throws: a
 * record the store refuses refuses the batch, and nothing of it is stored.
 */
async function recordViews(context: SyncContext, pairId: string, portal: Portal, incidents: readonly Incident[]): Promise<Array<StoredView | null>> {
  const defenderIds = incidents.map((incident) => linkedDefenderId(portal, incident));
  const wanted = [...new Set(defenderIds.filter((id): id is string => id !== null))];
  const links = new Map((await context.store.links.findByDefenderIds(pairId, wanted)).map((link) => [link.defenderId, link]));
  const planned = new Set<string>();
  const plans = incidents.map((incident, index) => {
    const defenderId = defenderIds[index];
    if (!defenderId || planned.has(defenderId)) return null;
    planned.add(defenderId);
    return planView(links.get(defenderId) ?? null, pairId, defenderId, portal, incident, context.newId);
  });
  const saves = plans.flatMap((plan) => (plan?.save ? [plan.save] : []));
  const results = saves.length > 0 ? await context.store.links.saveMany(saves) : [];
  const saved = new Set(saves.filter((_, index) => results[index]?.ok));
  const stored: Array<StoredView | null> = [];
  for (const [index, incident] of incidents.entries()) {
    const plan = plans[index];
    if (defenderIds[index] === null) stored.push(null);
    else if (plan && (!plan.save || saved.has(plan.save))) stored.push(plan.stored);
    else stored.push(await recordView(context, pairId, portal, incident));
  }
  return stored;
}

export function createWatcher(context: SyncContext, options: WatcherOptions) {
  const overlapMs = options.overlapMs ?? 30_000;
  /** When this replica last started listing each portal (wall clock), to bound the overlap. */
  const lastListStart = new Map<Portal, number>();
  const { pairId } = options;
  /** Portals whose backfill is pending (read from the store on the first poll), and their walks under way. */
  const backfilling = new Set<Portal>();
  let backfillsRead = false;
  const walks = new Map<Portal, AsyncIterator<Incident[]>>();

  /** A listed view's key in the quarantine. */
  function viewKey(portal: Portal, incident: Incident) {
    return { pairId, portal, incidentId: incident.id, stage: 'view' } as const;
  }

  /**
   * Whether a listed view is stored now, as the pair's quarantine says: its record there (or null)
   * when it is; undefined when it waits for its retry time or is quarantined now (counted in
   * `stats`). `held` is the pair's quarantine as this poll knows it, kept current.
   */
  async function admit(portal: Portal, incident: Incident, held: Map<string, QuarantinedRecord>, stats: PollStats, listedAtMs: number): Promise<{ previous: QuarantinedRecord | null } | undefined> {
    const key = viewKey(portal, incident);
    const previous = held.get(quarantineId(key)) ?? null;
    // The version that was refused, listed again (the overlap re-lists it on every poll): wait for its retry time.
    if (previous && previous.seenUpdatedAt === incident.lastUpdatedAt && Date.parse(previous.retryAt) > context.clock().getTime()) {
      stats.quarantined++;
      return undefined;
    }
    const problem = timestampProblem(incident.lastUpdatedAt, listedAtMs);
    if (problem) {
      held.set(quarantineId(key), await quarantineRecord(context, { ...key, linkId: null, seenUpdatedAt: incident.lastUpdatedAt }, { errorCode: problem, refused: false }, previous));
      stats.quarantined++;
      return undefined;
    }
    return { previous };
  }

  /** A quarantined view stored at last: released. */
  async function releaseStored(portal: Portal, incident: Incident, previous: QuarantinedRecord | null, held: Map<string, QuarantinedRecord>): Promise<void> {
    if (!previous) return;
    const key = viewKey(portal, incident);
    await releaseRecord(context, key);
    held.delete(quarantineId(key));
  }

  /** Stores one admitted view, or quarantines it when the store refuses it. Returns the link when it needs a sync job. */
  async function storeAdmitted(portal: Portal, incident: Incident, previous: QuarantinedRecord | null, held: Map<string, QuarantinedRecord>, stats: PollStats): Promise<StoredView | null> {
    try {
      const stored = await recordView(context, pairId, portal, incident);
      await releaseStored(portal, incident, previous, held);
      return stored;
    } catch (error) {
      if (!isRefusedRecord(error)) throw error;
      const key = viewKey(portal, incident);
      held.set(quarantineId(key), await quarantineRecord(context, { ...key, linkId: null, seenUpdatedAt: incident.lastUpdatedAt }, refusal(error), previous));
      stats.quarantined++;
      return null;
    }
  }

  /** Stores one view, as the quarantine admits it. Returns the link when it needs a sync job. */
  async function storeView(portal: Portal, incident: Incident, held: Map<string, QuarantinedRecord>, stats: PollStats, listedAtMs: number): Promise<StoredView | null> {
    const admitted = await admit(portal, incident, held, stats, listedAtMs);
    return admitted ? storeAdmitted(portal, incident, admitted.previous, held, stats) : null;
  }

  /**
   * Stores a page of views in one batch (recordViews). When the store refuses the batch, its views
   * are stored one at a time instead, so only the one it refuses is quarantined and the page's
   * others are stored. Returns the links that need a sync job.
   */
  async function storePage(portal: Portal, page: readonly Incident[], held: Map<string, QuarantinedRecord>, stats: PollStats, listedAtMs: number): Promise<StoredView[]> {
    const admitted: Array<{ incident: Incident; previous: QuarantinedRecord | null }> = [];
    for (const incident of page) {
      const admission = await admit(portal, incident, held, stats, listedAtMs);
      if (admission) admitted.push({ incident, previous: admission.previous });
    }
    let stored: Array<StoredView | null>;
    try {
      stored = await recordViews(context, pairId, portal, admitted.map(({ incident }) => incident));
      for (const { incident, previous } of admitted) await releaseStored(portal, incident, previous, held);
    } catch (error) {
      if (!isRefusedRecord(error)) throw error;
      stored = [];
      for (const { incident, previous } of admitted) stored.push(await storeAdmitted(portal, incident, previous, held, stats));
    }
    return stored.filter((view): view is StoredView => view !== null);
  }

  /** Quarantined records whose retry time has come: views are read fresh, link syncs are queued. */
  async function retryDue(held: Map<string, QuarantinedRecord>, toSync: Set<string>, stats: PollStats): Promise<void> {
    const pair = pairOf(context, pairId);
    const now = context.clock().getTime();
    const due = [...held.values()].filter((record) => Date.parse(record.retryAt) <= now);
    for (const record of due.filter((candidate) => candidate.stage === 'sync')) if (record.linkId) toSync.add(record.linkId);
    for (const record of due.filter((candidate) => candidate.stage === 'view').slice(0, MAX_QUARANTINE_RETRIES_PER_POLL)) {
      const client = record.portal === 'defender' ? pair.defender : pair.sentinel;
      let incident: Incident | null;
      try {
        incident = await client.get(record.incidentId);
      } catch (error) {
        // The portal, not the record: try again next poll.
        context.log.debug({ err: error, pairId, portal: record.portal, incidentId: record.incidentId }, 'could not re-read a quarantined incident');
        continue;
      }
      if (incident === null) {
        await releaseRecord(context, record);
        held.delete(quarantineId(record));
        continue;
      }
      const stored = await storeView(record.portal, incident, held, stats, context.clock().getTime());
      if (stored) toSync.add(stored.linkId);
    }
  }

  /**
   * A stored cursor whose `since` is no instant (written before timestamps were checked) is
   * dropped: listing everything again loses nothing, where listing from it cannot work at all.
   */
  function usableCursor(cursor: PortalCursor | null, portal: Portal): PortalCursor | null {
    if (cursor === null || instantMs(cursor.since) !== null) return cursor;
    context.log.warn({ pairId, portal, since: cursor.since.slice(0, 40) }, 'stored cursor is no instant; listing from the start');
    return null;
  }

  /** One poll of both portals. Throws on portal errors; the loop around it logs and carries on. */
  async function pollOnce(): Promise<PollStats> {
    const pair = pairOf(context, pairId);
    const stats: PollStats = { listCalls: { defender: 0, sentinel: 0 }, listed: { defender: 0, sentinel: 0 }, queued: 0, quarantined: 0 };
    const toSync = new Set<string>();
    const held = await heldRecords();
    if (options.backfill && !backfillsRead) {
      for (const portal of await context.store.cursors.pendingBackfills(pairId)) backfilling.add(portal);
      backfillsRead = true;
    }

    const nextCursors: Array<{ portal: Portal; since: string; idsAtSince: string[] }> = [];
    const listedAt = new Map<Portal, number>();

    for (const portal of ['defender', 'sentinel'] as const) {
      const client = portal === 'defender' ? pair.defender : pair.sentinel;
      let cursor = usableCursor(await context.store.cursors.get(pairId, portal), portal);
      // A change that commits late carries a timestamp from before it became visible, but not from
      // before our previous listing started (less the overlap, which also absorbs clock skew). So
      // re-list from there, never further back: after a burst the cursor stays at its newest change,
      // and re-listing the whole burst on every idle poll would spend Graph's budget for nothing.
      const startedAt = context.clock().getTime();
      if (cursor === null && options.backfill) {
        // First listing: live from now (less the overlap); everything older is the backfill's.
        cursor = { since: new Date(startedAt - overlapMs).toISOString(), idsAtSince: [] };
        await context.store.cursors.startBackfill(pairId, portal, cursor);
        backfilling.add(portal);
      }
      listedAt.set(portal, startedAt);
      const previous = lastListStart.get(portal);
      const sinceMs = cursor ? Math.min(Date.parse(cursor.since), (previous ?? Date.parse(cursor.since)) - overlapMs) : undefined;
      lastListStart.set(portal, startedAt);
      const since = sinceMs === undefined ? undefined : new Date(sinceMs).toISOString();
      let maxSeen = cursor?.since;
      let idsAtMax = new Set(cursor?.idsAtSince ?? []);

      for await (const page of client.listChangedSince(since)) {
        stats.listCalls[portal]++;
        stats.listed[portal] += page.length;
        for (const stored of await storePage(portal, page, held, stats, startedAt)) toSync.add(stored.linkId);
        for (const incident of page) {
          // Only a believable instant moves the cursor (storePage quarantined any other).
          if (timestampProblem(incident.lastUpdatedAt, startedAt)) continue;
          if (maxSeen === undefined || incident.lastUpdatedAt > maxSeen) {
            maxSeen = incident.lastUpdatedAt;
            idsAtMax = new Set([incident.id]);
          } else if (incident.lastUpdatedAt === maxSeen) {
            idsAtMax.add(incident.id);
          }
        }
      }
      if (maxSeen !== undefined) nextCursors.push({ portal, since: maxSeen, idsAtSince: [...idsAtMax] });
    }

    await retryDue(held, toSync, stats);

    // Jobs before cursors, in one write: a crash in between re-lists the same changes, never skips them.
    // A link whose sync is quarantined says so, so that the worker releases it once it saves.
    const syncHeld = new Set([...held.values()].filter((record) => record.stage === 'sync').map((record) => record.linkId));
    const jobs = [...toSync].map((linkId) => ({ data: (syncHeld.has(linkId) ? { linkId, quarantined: true } : { linkId }) satisfies SyncLinkJobData, options: { singletonKey: linkId } }));
    await context.queue.sendMany(QUEUES.syncLink, jobs);
    stats.queued = toSync.size;
    for (const { portal, since, idsAtSince } of nextCursors) {
      await context.store.cursors.set(pairId, portal, { since, idsAtSince });
    }
    // Every change a portal committed before its listing started is now stored and queued: the
    // sync lag metric counts from there.
    for (const [portal, at] of listedAt) await context.store.cursors.recordListing({ pairId, portal, listedAt: new Date(at).toISOString() });
    return stats;
  }

  async function heldRecords(): Promise<Map<string, QuarantinedRecord>> {
    return new Map((await context.store.quarantine.list(pairId, MAX_QUARANTINE_LIST_LIMIT)).map((record) => [quarantineId(record), record]));
  }

  /**
   * Stores one page of a pending backfill and queues its links as one backfill job. Sentinel is
   * walked first: a Defender page then finds both views stored, and its job reads no portal. A
   * Sentinel view whose link has no Defender view yet is left for the Defender walk to queue
   * (queued now, its sync would read the incident from Graph, one request per incident).
   * Returns null when no backfill is pending. A failed page ends the walk; the next step starts
   * it again from the first page (a view stored twice is stored once).
   */
  async function backfillStep(): Promise<BackfillStep | null> {
    const portal = (['sentinel', 'defender'] as const).find((candidate) => backfilling.has(candidate));
    if (!portal) return null;
    const pair = pairOf(context, pairId);
    let walk = walks.get(portal);
    if (!walk) {
      walk = (portal === 'defender' ? pair.defender : pair.sentinel).listChangedSince(undefined)[Symbol.asyncIterator]();
      walks.set(portal, walk);
    }
    let page: IteratorResult<Incident[]>;
    try {
      page = await walk.next();
    } catch (error) {
      walks.delete(portal);
      throw error;
    }
    if (page.done) {
      walks.delete(portal);
      await context.store.cursors.finishBackfill(pairId, portal);
      backfilling.delete(portal);
      return { portal, listed: 0, queued: 0, finished: true };
    }
    const held = await heldRecords();
    const stats: PollStats = { listCalls: { defender: 0, sentinel: 0 }, listed: { defender: 0, sentinel: 0 }, queued: 0, quarantined: 0 };
    const listedAtMs = context.clock().getTime();
    const linkIds = new Set<string>();
    for (const stored of await storePage(portal, page.value, held, stats, listedAtMs)) if (stored.defenderKnown) linkIds.add(stored.linkId);
    if (linkIds.size > 0) await context.queue.send<BackfillJobData>(QUEUES.backfillSync, { pairId, linkIds: [...linkIds] });
    return { portal, listed: page.value.length, queued: linkIds.size, finished: false };
  }

  return { pairId, pollOnce, backfillStep };
}

export type Watcher = ReturnType<typeof createWatcher>;
