// A replica's stable name, held by one live process at a time. Every lease a replica takes (pair
// watchers, the change-event dispatcher, the approvals scheduler) and every claim it makes (cards,
// war rooms) names its holder by this name, so a process restarted under the same name recognises
// what its predecessor held and carries on at once, where another replica waits for the lease to
// expire. That is only safe while no two live processes share a name: the name itself is a lease
// (`replica:<name>`) whose holder is the process's identity (process-identity.ts), renewed every
// second. A process takes a name over from a predecessor proven gone (same pid space, no such
// process any more), or from one watched not renewing for three heartbeats (another host or
// container: nothing else to check); never from one that renews.
//
// Unset, the name is the host name (a container's, a machine's), so a restarted container or
// service gets its own name back; a second process on the same host takes `<host>-2`, and so on.
// An explicit REPLICA_NAME that a live process holds is refused: the start fails naming it.
import type { Logger } from '../observability/logger.ts';
import type { Lease, LeaseRepository } from '../store/ports.ts';
import { livenessOf, parseProcessIdentity, type ProcessIdentity, type ProcessTable } from './process-identity.ts';

export const REPLICA_NAME_HEARTBEAT_MS = 1_000;
/** A silent holder is given up after this; well past a long event-loop stall. */
export const REPLICA_NAME_SILENCE_MS = 3 * REPLICA_NAME_HEARTBEAT_MS;
/** The name outlives a crashed holder this long at most; a successor waits a silence, not this. */
const REPLICA_NAME_TTL_MS = 10_000;
/** Default names tried on one host: `<host>`, `<host>-2`, ... */
const MAX_DEFAULT_SLOTS = 32;
/** Rounds of a name changing hands under the claimer before it counts as in use. */
const MAX_CLAIM_ROUNDS = 5;

export const REPLICA_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function replicaNameLease(name: string): string {
  return `replica:${name}`;
}

/** The default name's base: the host name, in the characters a name may hold. */
export function defaultNameBase(host: string): string {
  const cleaned = host.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 56);
  return cleaned === '' ? 'replica' : cleaned;
}

export interface ReplicaNameDeps {
  leases: LeaseRepository;
  processes: ProcessTable;
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
  heartbeatMs?: number;
  silenceMs?: number;
}

export interface ReplicaName {
  name: string;
  /** The process that held the name before, when this one took it over from it. */
  predecessor?: ProcessIdentity;
  /** Called once if another process takes the name (this one was silent too long): stop at once. */
  onLost(callback: () => void): void;
  /** Stops renewing and gives the name up. */
  release(): Promise<void>;
}

export class ReplicaNameInUseError extends Error {}

type Attempt = { claimed: true; predecessor?: ProcessIdentity } | { claimed: false; holder: ProcessIdentity | null };

async function attempt(deps: ReplicaNameDeps, name: string): Promise<Attempt> {
  const key = replicaNameLease(name);
  const self = JSON.stringify(deps.processes.self);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
    if (await deps.leases.tryAcquire(key, self, REPLICA_NAME_TTL_MS)) return { claimed: true };
    const seen = await deps.leases.get(key);
    if (!seen) continue;
    const holder = parseProcessIdentity(seen.holderId);
    const liveness = holder ? livenessOf(holder, deps.processes) : 'unknown';
    if (liveness === 'alive') return { claimed: false, holder };
    if (liveness === 'unknown' && !(await staysSilent(deps, seen, sleep))) return { claimed: false, holder };
    if (await deps.leases.takeOver(seen, self, REPLICA_NAME_TTL_MS)) return { claimed: true, ...(holder ? { predecessor: holder } : {}) };
  }
  return { claimed: false, holder: null };
}

/** Watches the holder for a silence: true when it did not renew (and nobody else took the name). */
async function staysSilent(deps: ReplicaNameDeps, seen: Lease, sleep: (ms: number) => Promise<void>): Promise<boolean> {
  await sleep(deps.silenceMs ?? REPLICA_NAME_SILENCE_MS);
  const now = await deps.leases.get(seen.name);
  return now === null || (now.holderId === seen.holderId && now.expiresAt === seen.expiresAt);
}

function describe(holder: ProcessIdentity | null): string {
  return holder ? `host ${holder.host}, pid ${holder.pid}` : 'it changed hands while this process tried to take it';
}

/**
 * Claims `requested` (REPLICA_NAME), or the first free default name on this host, and keeps it
 * renewed. Throws ReplicaNameInUseError when a live process holds the requested name.
 */
export async function claimReplicaName(deps: ReplicaNameDeps, requested: string | undefined): Promise<ReplicaName> {
  let name: string | undefined;
  let predecessor: ProcessIdentity | undefined;
  if (requested !== undefined) {
    const result = await attempt(deps, requested);
    if (!result.claimed) {
      throw new ReplicaNameInUseError(
        `REPLICA_NAME '${requested}' is held by a running replica (${describe(result.holder)}). Two processes under one name would each take the other's leases: give every replica its own REPLICA_NAME, or unset it for the host name.`,
      );
    }
    name = requested;
    predecessor = result.predecessor;
  } else {
    const base = defaultNameBase(deps.processes.self.host);
    for (let slot = 1; slot <= MAX_DEFAULT_SLOTS && name === undefined; slot++) {
      const candidate = slot === 1 ? base : `${base}-${slot}`;
      const result = await attempt(deps, candidate);
      if (result.claimed) {
        name = candidate;
        predecessor = result.predecessor;
      }
    }
    if (name === undefined) throw new ReplicaNameInUseError(`Every default replica name on host '${base}' (up to ${MAX_DEFAULT_SLOTS}) is held by a running replica; set REPLICA_NAME.`);
  }
  if (predecessor) deps.log.info({ replicaName: name, predecessor: { host: predecessor.host, pid: predecessor.pid } }, 'took over the replica name from a process that is gone; its leases are resumed at once');
  return keepRenewed(deps, name, predecessor);
}

function keepRenewed(deps: ReplicaNameDeps, name: string, predecessor: ProcessIdentity | undefined): ReplicaName {
  const key = replicaNameLease(name);
  const self = JSON.stringify(deps.processes.self);
  const lostCallbacks: Array<() => void> = [];
  let lost = false;
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = deps.leases.renew(key, self, REPLICA_NAME_TTL_MS).then(
      (lease) => {
        if (lease || lost) return;
        lost = true;
        clearInterval(timer);
        deps.log.error({ replicaName: name }, 'another process took this replica name over (this one was silent too long); stopping');
        for (const callback of lostCallbacks) callback();
      },
      // The store is unreachable: the name stays ours until its TTL, and the next beat tries again.
      (error: unknown) => deps.log.warn({ err: error, replicaName: name }, 'could not renew the replica name'),
    );
  }, deps.heartbeatMs ?? REPLICA_NAME_HEARTBEAT_MS);
  timer.unref();
  return {
    name,
    ...(predecessor ? { predecessor } : {}),
    onLost(callback) {
      lostCallbacks.push(callback);
    },
    async release() {
      clearInterval(timer);
      await renewing;
      if (!lost) await deps.leases.release(key, self);
    },
  };
}
