// Watches one (tenant, workspace) pair: lists what changed in each portal since its cursor, stores
// the new views on their links and queues a sync job for each link that has something not yet
// reconciled. Only the replica holding the pair's lease polls.
//
// Nothing is lost at page or clock boundaries: listing is inclusive (>=) and starts a safety
// overlap before the cursor, and a link is queued whenever a listed view is newer than what was
// last reconciled, so a crash between storing a view and queueing its job is healed by the next
// listing (the cursor only advances after both).
import type { Incident, Portal } from '../domain/incident.ts';
import type { IncidentLink } from '../store/ports.ts';
import { ensureLink, newestView } from './link-sync.ts';
import { pairOf, QUEUES, type SyncContext } from './sync-context.ts';

export interface WatcherOptions {
  pairId: string;
  /** Re-list this far before the cursor: a portal may commit a change with a slightly older timestamp. */
  overlapMs?: number;
}

export interface PollStats {
  listCalls: Record<Portal, number>;
  listed: Record<Portal, number>;
  queued: number;
}

const PROVIDERS_FROM_DEFENDER = new Set(['Microsoft XDR', 'Microsoft 365 Defender']);

function reconciledAt(link: IncidentLink, portal: Portal): string | undefined {
  const value = link.syncState[`reconciled_${portal}`];
  return typeof value === 'string' ? value : undefined;
}

/** Stores a listed view on its link; returns the link id when the link needs a sync job. */
async function recordView(context: SyncContext, pairId: string, portal: Portal, incident: Incident): Promise<string | null> {
  const defenderId = portal === 'defender' ? incident.id : incident.providerIncidentId;
  // Sentinel-native incidents (analytics rules, or the duplicates that enabled Microsoft incident
  // creation rules produce) have no Defender counterpart to keep in agreement.
  if (!defenderId || (portal === 'sentinel' && !PROVIDERS_FROM_DEFENDER.has(incident.providerName ?? ''))) return null;

  for (let attempt = 0; attempt < 5; attempt++) {
    const link = await ensureLink(context, pairId, defenderId);
    const last = reconciledAt(link, portal);
    const needsSync = last === undefined || incident.lastUpdatedAt > last;
    const stored = portal === 'defender' ? link.defenderView : link.sentinelView;
    // A listed Sentinel incident has no comments (ARM serves them apart): keep the thread read last
    // time, so a sync whose comment count did not move needs no comments call.
    const listed = portal === 'sentinel' && incident.comments.length === 0 && stored ? { ...incident, comments: stored.comments } : incident;
    const newest = newestView(stored, listed);
    if (newest === stored && !needsSync) return null;
    if (newest !== stored) {
      const draft = {
        ...link,
        ...(portal === 'defender' ? { defenderView: newest } : { sentinelView: newest, sentinelId: incident.id, sentinelNumber: incident.incidentNumber }),
      };
      const saved = await context.store.links.save(draft, link.version);
      if (!saved.ok) continue;
    }
    return needsSync ? link.linkId : null;
  }
  throw new Error(`link of Defender incident ${defenderId} kept changing while storing its ${portal} view`);
}

export function createWatcher(context: SyncContext, options: WatcherOptions) {
  const overlapMs = options.overlapMs ?? 30_000;
  /** When this replica last started listing each portal (wall clock), to bound the overlap. */
  const lastListStart = new Map<Portal, number>();
  const { pairId } = options;

  /** One poll of both portals. Throws on portal errors; the loop around it logs and carries on. */
  async function pollOnce(): Promise<PollStats> {
    const pair = pairOf(context, pairId);
    const stats: PollStats = { listCalls: { defender: 0, sentinel: 0 }, listed: { defender: 0, sentinel: 0 }, queued: 0 };
    const toSync = new Set<string>();

    const nextCursors: Array<{ portal: Portal; since: string; idsAtSince: string[] }> = [];

    for (const portal of ['defender', 'sentinel'] as const) {
      const client = portal === 'defender' ? pair.defender : pair.sentinel;
      const cursor = await context.store.cursors.get(pairId, portal);
      // A change that commits late carries a timestamp from before it became visible, but not from
      // before our previous listing started (less the overlap, which also absorbs clock skew). So
      // re-list from there, never further back: after a burst the cursor stays at its newest change,
      // and re-listing the whole burst on every idle poll would spend Graph's budget for nothing.
      const startedAt = context.clock().getTime();
      const previous = lastListStart.get(portal);
      const sinceMs = cursor ? Math.min(Date.parse(cursor.since), (previous ?? Date.parse(cursor.since)) - overlapMs) : undefined;
      lastListStart.set(portal, startedAt);
      const since = sinceMs === undefined ? undefined : new Date(sinceMs).toISOString();
      let maxSeen = cursor?.since;
      let idsAtMax = new Set(cursor?.idsAtSince ?? []);

      for await (const page of client.listChangedSince(since)) {
        stats.listCalls[portal]++;
        for (const incident of page) {
          stats.listed[portal]++;
          const linkId = await recordView(context, pairId, portal, incident);
          if (linkId) toSync.add(linkId);
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

    // Jobs before cursors: a crash in between re-lists the same changes, never skips them.
    for (const linkId of toSync) {
      await context.queue.send(QUEUES.syncLink, { linkId }, { singletonKey: linkId });
    }
    stats.queued = toSync.size;
    for (const { portal, since, idsAtSince } of nextCursors) {
      await context.store.cursors.set(pairId, portal, { since, idsAtSince });
    }
    return stats;
  }

  return { pairId, pollOnce };
}

export type Watcher = ReturnType<typeof createWatcher>;
