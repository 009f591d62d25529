// Adapts the pg-boss queue to the sync engine's JobQueue port (src/sync/ports.ts), which the
// engine declares so that it never depends on pg-boss directly.
import { randomUUID } from 'node:crypto';
import type { JobOptions, JobQueue as SyncJobQueue } from './sync/ports.ts';
import type { BossQueue } from './store/boss-queue.ts';

/** pg-boss's minimum heartbeat; its supervisor (superviseIntervalSeconds) notices a missed one. */
export const SYNC_JOB_HEARTBEAT_SECONDS = 10;

/** Where a sync queue's jobs go once their retries are exhausted. */
export function deadLetterQueueOf(queue: string): string {
  return `${queue}-dead`;
}

export interface SyncJobQueueOptions {
  /** pg-boss fetch interval; its floor is 0.5 s, which bounds added latency per job. */
  pollingIntervalSeconds?: number;
}

function bossOptions(options: JobOptions): { singletonKey: string; startAfter?: number } {
  return {
    // The port promises de-duplication only for jobs that share a key. Under 'stately', jobs
    // without a key all share the empty key, so a second keyless job would be refused (null)
    // while one is queued: give each keyless job its own key.
    singletonKey: options.singletonKey ?? `job:${randomUUID()}`,
    ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
  };
}

export function createSyncJobQueue(queue: BossQueue, options: SyncJobQueueOptions = {}): SyncJobQueue {
  return {
    async define(definition) {
      await queue.createQueue({
        name: definition.name,
        // 'stately': one queued and one active job per singletonKey, so a burst of changes to one
        // incident collapses into one pending sync and two replicas never sync it at once.
        policy: 'stately',
        retryLimit: definition.retryLimit,
        retryDelaySeconds: definition.retryDelaySeconds,
        retryBackoff: definition.retryBackoff,
        retryDelayMaxSeconds: 120,
        expireInSeconds: definition.expireInSeconds,
        // A replica killed mid-job stops heartbeating: pg-boss fails the job after this long and
        // retries it, instead of leaving it 'active' (and its key blocked) until it expires.
        heartbeatSeconds: SYNC_JOB_HEARTBEAT_SECONDS,
        deadLetter: deadLetterQueueOf(definition.name),
      });
    },
    send: (name, data, sendOptions = {}) => queue.send(name, data, bossOptions(sendOptions)),
    sendMany: (name, jobs) => queue.sendMany(name, jobs.map(({ data, options = {} }) => ({ data, options: bossOptions(options) }))),
    async work(name, workOptions, handler) {
      await queue.work<Parameters<typeof handler>[0]>(name, (job) => handler(job.data, { id: job.id, retryCount: job.retryCount }), {
        batchSize: workOptions.concurrency,
        concurrency: workOptions.concurrency,
        pollingIntervalSeconds: options.pollingIntervalSeconds ?? 0.5,
      });
    },
    stop: (stopOptions) => queue.stop(stopOptions),
  };
}
