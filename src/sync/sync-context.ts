// What the sync engine's parts share: the store, the portal clients of each pair, a clock, ids
// and a logger. Built once in the composition root; tests build it over fakes.
import type { Logger } from 'pino';
import type { Traced } from '../observability/tracing.ts';
import type { EditState } from '../domain/edits.ts';
import type { Portal } from '../domain/incident.ts';
import type { Store } from '../store/ports.ts';
import type { JobQueue, PortalClient, SentinelPortalClient } from './ports.ts';

export interface PairPortals {
  pairId: string;
  defender: PortalClient;
  sentinel: SentinelPortalClient;
}

/** What the sync engine reports to metrics (src/observability/metrics.ts implements it). */
export interface SyncMetrics {
  /** A record entered quarantine (the store refused it). */
  recordQuarantined(pairId: string, portal: Portal): void;
  /** The dispatcher parked a change event for a consumer (dispatcher.ts). */
  recordParkedEvent(consumer: string): void;
  /** An edit request's outcome became final (completed, partial or failed): once per request. */
  recordEditOutcome(state: EditState): void;
}

export interface SyncContext {
  store: Store;
  queue: JobQueue;
  pairs: ReadonlyMap<string, PairPortals>;
  clock: () => Date;
  newId: () => string;
  log: Logger;
  /** Absent in tests that do not look at metrics. */
  metrics?: SyncMetrics;
  /** Traces polls, link syncs and edit jobs (when telemetry is on). Default: untraced. */
  trace?: Traced;
  /**
   * Seconds between read-backs of a field only the portals' own sync can carry (default
   * VERIFY_SCHEDULE_SECONDS in edits.ts). Tests compress it; production keeps the default.
   */
  verifyScheduleSeconds?: readonly number[];
  /**
   * Seconds a comment write whose answer was lost may take to land before it is sent again
   * (default COMMENT_SETTLE_SECONDS in edits.ts). Tests compress it.
   */
  commentSettleSeconds?: number;
  /**
   * Whether an edit that Defender cannot attribute writes one change note there naming the analyst
   * (CHANGE_NOTES; default true).
   */
  changeNotes?: boolean;
}

export const QUEUES = {
  /** Reconcile one linked incident and write what differs. Data: SyncLinkJobData (quarantine.ts). */
  syncLink: 'sync-link',
  /** Sync the links one backfill page listed, apart from live changes. Data: BackfillJobData (backfill.ts). */
  backfillSync: 'sync-backfill',
  /** Apply one analyst edit request. Data: { requestId }. */
  applyEdit: 'apply-edit',
  /** Re-check a field another route (the portals' own sync) must carry. Data: { requestId, attempt }. */
  verifyEdit: 'verify-edit',
} as const;

export function pairOf(context: SyncContext, pairId: string): PairPortals {
  const pair = context.pairs.get(pairId);
  if (!pair) throw new Error(`no portal clients are configured for pair '${pairId}'; check SYNC_PAIRS`);
  return pair;
}
