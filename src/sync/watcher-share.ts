// How replicas share the pairs' watchers: each replica that watches holds a membership lease
// (`watching:<replica>`), counts the live ones, and holds at most its fair share of pair leases,
// ceil(pairs / replicas). Above its share it gives leases up, one a watcher tick; below it, it takes
// free ones. Shares add up to at least the number of pairs, so every pair has a replica with room;
// a replica that dies stops renewing both kinds of lease, and the survivors' shares grow as its
// leases expire. Pure: the engine does the I/O.

export const WATCHING_LEASE_PREFIX = 'watching:';
/** A pair's watcher lease is `watch:<pair id>`. */
export const WATCHER_LEASE_PREFIX = 'watch:';

export function watcherShare(pairs: number, liveReplicas: number): number {
  return Math.ceil(pairs / Math.max(1, liveReplicas));
}

/**
 * One watcher tick's step: `poll` (renew and poll), `acquire` (try to take the free lease, then
 * poll), `release` (give the lease up: this replica holds more than its share), `stand-by`.
 */
export type WatchStep = 'poll' | 'acquire' | 'release' | 'stand-by';

export function nextWatchStep(holds: boolean, held: number, share: number): WatchStep {
  if (holds) return held > share ? 'release' : 'poll';
  return held < share ? 'acquire' : 'stand-by';
}
