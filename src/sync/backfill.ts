// The backfill's jobs, and the pace of Graph list calls (backfill pages and live polls). A
// backfill page's links are synced by one job on their own queue, so live changes (the sync-link
// queue) never wait behind tens of thousands of them, and the job overhead is paid once per page.
// Pages are listed at a pace that leaves the live poll its share of the tenant's Graph budget
// (Graph throttles per app per tenant; ARM per subscription).
import { withIncidentLock } from './incident-lock.ts';
import { runSyncLinkJob } from './quarantine.ts';
import { QUEUES, type SyncContext } from './sync-context.ts';
import type { Portal } from '../domain/incident.ts';

/** Data of a QUEUES.backfillSync job: the links one backfill page queued. */
export interface BackfillJobData {
  pairId: string;
  linkIds: string[];
}

/** Graph's documented security API budget: requests per minute per app per tenant. */
export const GRAPH_REQUESTS_PER_MINUTE = 150;
/**
 * Graph requests a minute left for writes, change notes and single reads while a backfill pages,
 * and margin: Graph counts a sliding minute, and a 429 there stops the pair's calls for up to a
 * minute and starts the backfill's walk again.
 */
const GRAPH_RESERVE_PER_MINUTE = 20;
/** Never slower than this, even when a short poll interval leaves the backfill little of the budget. */
const MIN_GRAPH_PAGES_PER_MINUTE = 30;
/** ARM pages hold 1,000 incidents and its read bucket refills 25 a second: the store is the limit. */
const ARM_PAGE_INTERVAL_MS = 250;

/** Graph list pages a minute the backfill may take: the budget less one live list call per poll, less a reserve. */
export function backfillGraphPagesPerMinute(pollIntervalMs: number): number {
  const livePerMinute = 60_000 / Math.max(1, pollIntervalMs);
  return Math.max(MIN_GRAPH_PAGES_PER_MINUTE, GRAPH_REQUESTS_PER_MINUTE - livePerMinute - GRAPH_RESERVE_PER_MINUTE);
}

/**
 * How long after a live poll that listed `graphPages` Graph pages the next may start: the poll
 * interval, or longer after a long listing. A burst of new incidents is listed again by every poll
 * while it is inside the listing's overlap (watcher.ts); re-listing 40 pages every 2 s would spend
 * the tenant's budget in seconds, and the 429 that follows stops every call of the pair for up to
 * a minute. So a long listing is followed by a pause that keeps the live polls within the budget
 * less the reserve.
 */
export function livePollIntervalMs(graphPages: number, pollIntervalMs: number): number {
  return Math.max(pollIntervalMs, Math.ceil((graphPages * 60_000) / (GRAPH_REQUESTS_PER_MINUTE - GRAPH_RESERVE_PER_MINUTE)));
}

/** How long after starting one backfill page of `portal` the next may start. */
export function backfillPageIntervalMs(portal: Portal, pollIntervalMs: number): number {
  return portal === 'defender' ? Math.ceil(60_000 / backfillGraphPagesPerMinute(pollIntervalMs)) : ARM_PAGE_INTERVAL_MS;
}

/**
 * Syncs a backfill page's links one after another, each under its incident lease like any sync.
 * A link that fails is handed to the sync-link queue (its own retries and quarantine) and the page
 * carries on; only failing to hand it over fails the job, which the queue retries.
 */
export async function runBackfillJob(context: SyncContext, data: BackfillJobData, retried: boolean): Promise<void> {
  for (const linkId of data.linkIds) {
    try {
      await withIncidentLock(context, linkId, `backfill:${linkId}`, () => runSyncLinkJob(context, { linkId }, { fresh: retried }));
    } catch (error) {
      context.log.warn({ err: error, pairId: data.pairId, linkId }, 'backfill sync failed; queued on its own');
      await context.queue.send(QUEUES.syncLink, { linkId }, { singletonKey: linkId });
    }
  }
}
