// One writer per linked incident at a time, across every job and every replica. Edits are deltas
// re-computed on a fresh read, but Graph has no etag: two writers that read the same tag list and
// PATCH it in turn lose the first one's tag. So every job that writes an incident (an analyst's
// edit, its verification, a link sync) holds the incident's lease while it reads and writes. The
// lease lives in the store (the database clock, shared by all replicas), is renewed while the job
// runs, and expires if the replica dies, so a killed job blocks the incident for a TTL at most.
import { randomUUID } from 'node:crypto';
import type { SyncContext } from './sync-context.ts';

export const INCIDENT_LOCK_TTL_MS = 30_000;
/** How long a job waits for the lease before it gives the worker back (the job is retried). */
export const INCIDENT_LOCK_WAIT_MS = 60_000;

export function incidentLockName(linkId: string): string {
  return `incident-write:${linkId}`;
}

/** The incident's lease stayed taken; the job is retried later. */
export class IncidentBusyError extends Error {}

/**
 * Runs `run` while it holds the incident's lease, then releases it. Throws a transient error when
 * the lease stays taken (IncidentBusyError), so the job queue retries later instead of holding a
 * worker. Each run holds the lease under its own token (`purpose` names the job, for the log and
 * for whoever reads the leases table): two runs of one job (a job queued twice after a lost answer,
 * or pg-boss retrying a job whose heartbeat it missed while the first run still works) take turns
 * like any two writers. Sharing a holder id would let both in at once, and the first to finish
 * would release the lease under the other. A run killed mid-write blocks the incident until its
 * lease expires (INCIDENT_LOCK_TTL_MS).
 */
export async function withIncidentLock<T>(context: SyncContext, linkId: string, purpose: string, run: () => Promise<T>): Promise<T> {
  const name = incidentLockName(linkId);
  const holderId = `${purpose}:${randomUUID()}`;
  const leases = context.store.leases;
  const deadline = Date.now() + INCIDENT_LOCK_WAIT_MS;
  let pause = 20;
  while (!(await leases.tryAcquire(name, holderId, INCIDENT_LOCK_TTL_MS))) {
    if (Date.now() > deadline) {
      throw new IncidentBusyError(`incident ${linkId} is being written by another job for over ${INCIDENT_LOCK_WAIT_MS / 1000} s; retried later`);
    }
    // Short, growing and jittered: the holder usually finishes within a few portal calls.
    await new Promise((resolve) => setTimeout(resolve, pause + Math.random() * pause));
    pause = Math.min(250, pause * 2);
  }
  const renewal = setInterval(() => {
    leases.renew(name, holderId, INCIDENT_LOCK_TTL_MS).catch((error: unknown) => context.log.warn({ err: error, linkId }, 'could not renew the incident write lease'));
  }, INCIDENT_LOCK_TTL_MS / 3);
  try {
    return await run();
  } finally {
    clearInterval(renewal);
    await leases.release(name, holderId).catch(() => false);
  }
}
