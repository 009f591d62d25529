// One record the store refuses, or whose last-modified time is unusable, never stops its pair. The watcher and the link-sync worker hand such
// a failure here: the record is kept aside in the store (QuarantineRepository) with a log line and
// a metric, the pair carries on, and the record is tried again as soon as the portal shows a newer
// version of it, else on a bounded schedule (30 s, doubling, at most hourly), and released once it
// stores. Logs name the incident, pair, portal and error code, never the record's text.
import { instantMs } from '../domain/instant.ts';
import { isRefusedRecord, type StoreError } from '../store/errors.ts';
import type { IncidentLink, QuarantineKey, QuarantinedRecord } from '../store/ports.ts';
import { syncLink, type SyncLinkOptions } from './link-sync.ts';
import type { SyncContext } from './sync-context.ts';

export const QUARANTINE_RETRY_FIRST_MS = 30_000;
export const QUARANTINE_RETRY_MAX_MS = 3_600_000;

/** Delay before the next try after `attempts` failed ones. */
export function quarantineRetryDelayMs(attempts: number): number {
  return Math.min(QUARANTINE_RETRY_MAX_MS, QUARANTINE_RETRY_FIRST_MS * 2 ** Math.max(0, attempts - 1));
}

export interface QuarantineFailure extends QuarantineKey {
  linkId: string | null;
  /** The portal's last-modified time of the version that failed. */
  seenUpdatedAt: string;
}

/** Why a record is quarantined, as the quarantine table and logs say it: never the record's text. */
export type QuarantineReason =
  /** The store refused it: a SQLSTATE (e.g. '22P02') or StoreError code. */
  | { errorCode: string; refused: true }
  /** Its last-modified time is absent or no instant ('invalid-timestamp'), or far ahead of the listing ('future-timestamp'). */
  | { errorCode: TimestampProblem; refused: false };

/** The reason for a record the store refused. */
export function refusal(error: StoreError): QuarantineReason {
  return { errorCode: error.sqlState ?? error.code, refused: true };
}

/**
 * How far past the time a listing started a record's last-modified time may be (the portal's
 * clock running ahead of ours) and still move the cursor.
 */
export const MAX_TIMESTAMP_SKEW_MS = 5 * 60_000;

export type TimestampProblem = 'invalid-timestamp' | 'future-timestamp';

/**
 * Whether a listed record's last-modified time can be trusted, `listedAtMs` being when the listing
 * started. An unusable one would move the watcher's cursor wrongly: '' or free text cannot be
 * listed from, and a time far in the future would put the cursor past changes still to come (and
 * make the record win every "newest view" comparison), so such a record is quarantined instead.
 */
export function timestampProblem(lastUpdatedAt: string, listedAtMs: number): TimestampProblem | null {
  const ms = instantMs(lastUpdatedAt);
  if (ms === null) return 'invalid-timestamp';
  return ms > listedAtMs + MAX_TIMESTAMP_SKEW_MS ? 'future-timestamp' : null;
}

/** Stores (or counts one more attempt of) a quarantined record. `previous` is its record, if any. */
export async function quarantineRecord(context: SyncContext, failure: QuarantineFailure, reason: QuarantineReason, previous: QuarantinedRecord | null): Promise<QuarantinedRecord> {
  const now = context.clock();
  const attempts = (previous?.attempts ?? 0) + 1;
  const { errorCode } = reason;
  const record = await context.store.quarantine.record({
    ...failure,
    errorCode,
    attempts,
    lastFailedAt: now.toISOString(),
    retryAt: new Date(now.getTime() + quarantineRetryDelayMs(attempts)).toISOString(),
  });
  const { pairId, portal, incidentId, stage, linkId } = failure;
  context.log.warn(
    { pairId, portal, incidentId, stage, ...(linkId ? { linkId } : {}), errorCode, attempts, retryAt: record.retryAt },
    previous
      ? 'quarantined incident still not storable; will retry'
      : reason.refused
        ? 'the store refused an incident; quarantined, its pair keeps syncing'
        : 'an incident has no usable last-modified time; quarantined, its pair keeps syncing',
  );
  if (!previous) context.metrics?.recordQuarantined(pairId, portal);
  return record;
}

/** Releases a record that stored at last. */
export async function releaseRecord(context: SyncContext, key: QuarantineKey): Promise<void> {
  if (!(await context.store.quarantine.release(key))) return;
  const { pairId, portal, incidentId, stage } = key;
  context.log.info({ pairId, portal, incidentId, stage }, 'quarantined incident stored; released');
}

/** Map key of a record, for the watcher's per-poll view of a pair's quarantine. */
export function quarantineId(key: QuarantineKey): string {
  return JSON.stringify([key.portal, key.incidentId, key.stage]);
}

/** Data of a QUEUES.syncLink job. `quarantined`: the link's sync is quarantined; release it once it saves. */
export interface SyncLinkJobData {
  linkId: string;
  quarantined?: true;
}

/** A link sync is filed under the link's Defender incident (the link's key within its pair). */
function syncKey(link: IncidentLink): QuarantineKey {
  return { pairId: link.pairId, portal: 'defender', incidentId: link.defenderId, stage: 'sync' };
}

/**
 * The sync-link job: syncs the link, and quarantines it when the store refuses what it would save
 * (the job then completes: retrying it at once would only fail again). Other errors (a portal or
 * the database being down) are thrown for the queue's retries, as before.
 */
export async function runSyncLinkJob(context: SyncContext, data: SyncLinkJobData, options: SyncLinkOptions): Promise<void> {
  let synced: IncidentLink | null;
  try {
    synced = (await syncLink(context, data.linkId, options)).link;
  } catch (error) {
    if (!isRefusedRecord(error)) throw error;
    const link = await context.store.links.get(data.linkId);
    if (!link) throw error;
    const key = syncKey(link);
    await quarantineRecord(context, { ...key, linkId: link.linkId, seenUpdatedAt: link.defenderView?.lastUpdatedAt ?? '' }, refusal(error), await context.store.quarantine.get(key));
    return;
  }
  if (data.quarantined && synced) await releaseRecord(context, syncKey(synced));
}
