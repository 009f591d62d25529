// Runs the sync engine on one replica: a watcher loop per pair (only the lease holder polls; the
// replicas that watch share the pairs, watcher-share.ts) with its backfill loop beside it, the job
// workers for link syncs, backfill pages, edits and verifications, and the change-event dispatcher. Exposes the BridgeApi the Teams side uses.
import type { BridgeApi, IncidentListFilter } from './api.ts';
import { createDispatcher } from './dispatcher.ts';
import { backfillPageIntervalMs, livePollIntervalMs, runBackfillJob, type BackfillJobData } from './backfill.ts';
import { applyEdit, resumeUnfinishedEdits, submitEdit, verifyEdit } from './edits.ts';
import { withIncidentLock } from './incident-lock.ts';
import { changeEvent, toIncidentView } from './events.ts';
import { runSyncLinkJob, type SyncLinkJobData } from './quarantine.ts';
import { QUEUES, type SyncContext } from './sync-context.ts';
import { createWatcher, type PollStats } from './watcher.ts';
import { nextWatchStep, WATCHER_LEASE_PREFIX, WATCHING_LEASE_PREFIX, watcherShare } from './watcher-share.ts';
import { untraced } from '../observability/tracing.ts';

export interface SyncEngineOptions {
  /** The replica's name (replicas/replica-name.ts): the holder of its leases, kept across a restart. */
  replicaId: string;
  pollIntervalMs: number;
  /** Parallel link syncs on this replica. Portal budgets, not CPU, are the limit. */
  syncConcurrency?: number;
  /** Parallel backfill pages on this replica (each syncs its links one after another). */
  backfillConcurrency?: number;
  dispatchIntervalMs?: number;
}

export interface WatcherStatus {
  /** Completed polls on this replica (tests wait for it to advance instead of sleeping). */
  polls: number;
  /** Failed polls in a row; 0 after a success. */
  consecutiveFailures: number;
  lastSuccessAt?: string;
  /** This replica's first successful poll of the pair since the engine started (how soon a restart resumes). */
  firstSuccessAt?: string;
  lastError?: string;
  holdsLease: boolean;
  /** Since when this replica holds the pair's lease (it took it, or took it back). */
  heldSince?: string;
  lastStats?: PollStats;
  /** Backfill pages stored on this replica. */
  backfillPages: number;
  /** No backfill walk is pending for the pair (seen by this replica's backfill tick). */
  backfilled: boolean;
}

/**
 * Parallel link syncs by default: 8, and one per pair beyond that up to 32. Each pair spends its own
 * tenant's Graph budget and subscription's ARM buckets, so pairs' changes can be synced side by side;
 * a change in each of 50 pairs at once otherwise waits in rounds of 8.
 */
export function defaultSyncConcurrency(pairs: number): number {
  return Math.min(32, Math.max(8, pairs));
}

export function createSyncEngine(context: SyncContext, options: SyncEngineOptions) {
  const dispatcher = createDispatcher(context, { replicaId: options.replicaId, ...(options.dispatchIntervalMs ? { pollIntervalMs: options.dispatchIntervalMs } : {}) });
  const watchers = [...context.pairs.keys()].map((pairId) => createWatcher(context, { pairId, backfill: true }));
  const health = new Map<string, WatcherStatus>(watchers.map((watcher) => [watcher.pairId, { holdsLease: false, polls: 0, consecutiveFailures: 0, backfillPages: 0, backfilled: false }]));
  const timers = new Set<NodeJS.Timeout>();
  let stopped = true;
  let startedAt: string | undefined;
  const inFlight = new Set<Promise<unknown>>();
  const trace = context.trace ?? untraced;
  // The watcher lease outlives a slow poll; a replica that dies is replaced once it expires.
  const leaseMs = Math.max(15_000, options.pollIntervalMs * 5);
  const membershipLease = `${WATCHING_LEASE_PREFIX}${options.replicaId}`;
  /** Replicas watching, this one included, as last counted. */
  let liveReplicas = 1;
  /** Pairs whose lease a tick is taking right now: counted as held, so ticks at once never overshoot the share. */
  const taking = new Set<string>();
  /**
   * Pairs whose lease this replica's name held before this start (a restart under the same name).
   * Beyond the share they are let go at once, not left to expire unwatched.
   */
  const inherited = new Set<string>();

  function track<T>(promise: Promise<T>): Promise<T> {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }

  function held(): number {
    let count = taking.size;
    for (const state of health.values()) if (state.holdsLease) count++;
    return count;
  }

  /** Renews this replica's membership and counts the replicas watching. Never throws. */
  async function refreshMembership(): Promise<void> {
    try {
      await context.store.leases.tryAcquire(membershipLease, options.replicaId, leaseMs);
      liveReplicas = Math.max(1, (await context.store.leases.listLive(WATCHING_LEASE_PREFIX)).length);
    } catch (error) {
      // The last count stands; pair leases fail the same way meanwhile.
      context.log.warn({ err: error }, 'could not count the replicas watching; keeping the last count');
    }
  }

  /** One watcher tick: poll when this replica holds the pair's lease, within its share. Never throws. */
  async function watchTick(watcher: ReturnType<typeof createWatcher>): Promise<number> {
    const state = health.get(watcher.pairId)!;
    const leaseName = `${WATCHER_LEASE_PREFIX}${watcher.pairId}`;
    try {
      const share = watcherShare(watchers.length, liveReplicas);
      const step = nextWatchStep(state.holdsLease, held(), share);
      if (step === 'stand-by') {
        if (inherited.delete(watcher.pairId)) await context.store.leases.release(leaseName, options.replicaId);
        return options.pollIntervalMs;
      }
      inherited.delete(watcher.pairId);
      if (step === 'release') {
        state.holdsLease = false;
        delete state.heldSince;
        await context.store.leases.release(leaseName, options.replicaId);
        context.log.info({ pairId: watcher.pairId, share, liveReplicas }, "gave the pair's watcher up: this replica held more than its share");
        return options.pollIntervalMs;
      }
      if (step === 'acquire') taking.add(watcher.pairId);
      try {
        state.holdsLease = (await context.store.leases.tryAcquire(leaseName, options.replicaId, leaseMs)) !== null;
      } finally {
        taking.delete(watcher.pairId);
      }
      if (!state.holdsLease) {
        delete state.heldSince;
        return options.pollIntervalMs;
      }
      state.heldSince ??= context.clock().toISOString();
      state.lastStats = await trace('incident-bridge poll', { 'incident_bridge.pair': watcher.pairId }, () => watcher.pollOnce());
      state.lastSuccessAt = context.clock().toISOString();
      state.firstSuccessAt ??= state.lastSuccessAt;
      state.lastError = undefined;
      state.polls++;
      state.consecutiveFailures = 0;
      return livePollIntervalMs(state.lastStats.listCalls.defender, options.pollIntervalMs);
    } catch (error) {
      state.lastError = error instanceof Error ? error.message : String(error);
      state.consecutiveFailures++;
      context.log.warn({ err: error, pairId: watcher.pairId }, 'watcher poll failed; retrying with backoff');
      // A portal that is down for minutes is polled less often, up to once a minute.
      return Math.min(60_000, options.pollIntervalMs * 4);
    }
  }

  /**
   * One backfill tick, beside the live poll: a page when this replica holds the pair's lease (the
   * poll's tick keeps it) and a backfill is pending. Returns the delay before the next. Never throws.
   */
  async function backfillTick(watcher: ReturnType<typeof createWatcher>): Promise<number> {
    const state = health.get(watcher.pairId)!;
    if (!state.holdsLease) return options.pollIntervalMs;
    const started = context.clock().getTime();
    try {
      const step = await watcher.backfillStep();
      state.backfilled = step === null;
      if (!step) return options.pollIntervalMs;
      if (!step.finished) state.backfillPages++;
      else context.log.info({ pairId: watcher.pairId, portal: step.portal }, 'backfill finished');
      return Math.max(0, backfillPageIntervalMs(step.portal, options.pollIntervalMs) - (context.clock().getTime() - started));
    } catch (error) {
      context.log.warn({ err: error, pairId: watcher.pairId }, 'backfill page failed; the walk starts again');
      return Math.min(60_000, options.pollIntervalMs * 4);
    }
  }

  function backfillLoop(watcher: ReturnType<typeof createWatcher>, delayMs: number): void {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      void track(backfillTick(watcher)).then((next) => backfillLoop(watcher, next));
    }, delayMs);
    timers.add(timer);
  }

  function loop(watcher: ReturnType<typeof createWatcher>, delayMs: number): void {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      void track(watchTick(watcher)).then((next) => loop(watcher, next));
    }, delayMs);
    timers.add(timer);
  }

  function membershipLoop(): void {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      void track(refreshMembership()).then(membershipLoop);
    }, options.pollIntervalMs);
    timers.add(timer);
  }

  const api: BridgeApi = {
    async findIncident(ref, within) {
      const allowed = within?.pairIds;
      const links = (await context.store.links.findByRef(ref.trim())).filter((candidate) => allowed === undefined || allowed.includes(candidate.pairId));
      const link = links.find((candidate) => !candidate.mergedIntoLinkId) ?? links[0];
      if (!link) return null;
      const survivor = link.mergedIntoLinkId ? await context.store.links.get(link.mergedIntoLinkId) : link;
      return toIncidentView(survivor ?? link);
    },
    async listIncidents(filter: IncidentListFilter) {
      return (await context.store.links.list(filter)).map(toIncidentView);
    },
    submitEdit: (request) => submitEdit(context, request),
    async getEditOutcome(requestId) {
      return (await context.store.editRequests.get(requestId))?.outcome ?? null;
    },
    async latestEditOutcome(linkId) {
      return (await context.store.editRequests.latestForLink(linkId))?.outcome ?? null;
    },
    async registerCard(card) {
      const at = context.clock().toISOString();
      await context.store.transaction(async (tx) => {
        const link = await tx.links.get(card.linkId);
        if (!link) return;
        const target = { conversationId: card.conversationId, activityId: card.activityId };
        await tx.cards.registerCopy({ ...target, linkId: link.linkId, lastHash: card.shownHash }, at);
        await tx.changeEvents.append([changeEvent(link, { kind: 'card-registered', changes: [], target, occurredAt: at })]);
      });
    },
    async recordWarRoomChat(chat) {
      const at = context.clock().toISOString();
      return context.store.transaction(async (tx) => {
        const link = await tx.links.get(chat.linkId);
        if (!link) return false;
        if (!(await tx.warRooms.recordChat(chat.linkId, chat.holderId, chat.chatId, chat.webUrl, at))) return false;
        await tx.changeEvents.append([changeEvent(link, { kind: 'war-room', changes: [], occurredAt: at })]);
        return true;
      });
    },
    subscribe: (consumer) => dispatcher.subscribe(consumer),
  };

  return {
    api,
    dispatcher,
    watchers,
    async start(): Promise<void> {
      const definitions = [
        { name: QUEUES.syncLink, retryLimit: 12, retryDelaySeconds: 2, retryBackoff: true, expireInSeconds: 300 },
        { name: QUEUES.backfillSync, retryLimit: 12, retryDelaySeconds: 2, retryBackoff: true, expireInSeconds: 900 },
        { name: QUEUES.applyEdit, retryLimit: 12, retryDelaySeconds: 2, retryBackoff: true, expireInSeconds: 300 },
        { name: QUEUES.verifyEdit, retryLimit: 5, retryDelaySeconds: 5, retryBackoff: true, expireInSeconds: 120 },
      ];
      for (const definition of definitions) await context.queue.define(definition);
      await context.queue.work<SyncLinkJobData>(QUEUES.syncLink, { concurrency: options.syncConcurrency ?? defaultSyncConcurrency(context.pairs.size) }, async (data, job) => {
        // The sync-link queue keeps one job per link; the lease also keeps it apart from edits.
        await trace('incident-bridge sync-link', { 'incident_bridge.link': data.linkId }, () =>
          withIncidentLock(context, data.linkId, `sync:${data.linkId}`, () => runSyncLinkJob(context, data, { fresh: job.retryCount > 0 })),
        );
      });
      await context.queue.work<BackfillJobData>(QUEUES.backfillSync, { concurrency: options.backfillConcurrency ?? 2 }, (data, job) =>
        trace('incident-bridge backfill', { 'incident_bridge.pair': data.pairId }, () => runBackfillJob(context, data, job.retryCount > 0)),
      );
      await context.queue.work<{ requestId: string }>(QUEUES.applyEdit, { concurrency: 2 }, (data) =>
        trace('incident-bridge apply-edit', { 'incident_bridge.request': data.requestId }, () => applyEdit(context, data.requestId)),
      );
      await context.queue.work<{ requestId: string; attempt: number }>(QUEUES.verifyEdit, { concurrency: 2 }, (data) =>
        trace('incident-bridge verify-edit', { 'incident_bridge.request': data.requestId }, () => verifyEdit(context, data.requestId, data.attempt)),
      );
      const resumed = await resumeUnfinishedEdits(context);
      if (resumed > 0) context.log.info({ resumed }, 'resumed unfinished edit requests');
      stopped = false;
      startedAt = context.clock().toISOString();
      // Counted before the first ticks, so a replica joining others takes only its share.
      await refreshMembership();
      for (const lease of await context.store.leases.listLive(WATCHER_LEASE_PREFIX)) {
        const pairId = lease.name.slice(WATCHER_LEASE_PREFIX.length);
        if (lease.holderId === options.replicaId && health.has(pairId)) inherited.add(pairId);
      }
      membershipLoop();
      for (const watcher of watchers) {
        loop(watcher, 0);
        backfillLoop(watcher, 0);
      }
      dispatcher.start();
    },
    async stop(): Promise<void> {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...inFlight]);
      await dispatcher.stop();
      // Membership first: the others' shares grow as the pairs come free.
      await context.store.leases.release(membershipLease, options.replicaId).catch(() => false);
      for (const watcher of watchers) await context.store.leases.release(`${WATCHER_LEASE_PREFIX}${watcher.pairId}`, options.replicaId).catch(() => false);
    },
    /** When start() began its loops (how soon a restart resumes is measured from it). */
    startedAt(): string | undefined {
      return startedAt;
    },
    /** Replicas watching, this one included, as last counted. */
    liveReplicas(): number {
      return liveReplicas;
    },
    /** Per pair: polls, failures and the last poll's figures on this replica. */
    watcherStatus(): Record<string, WatcherStatus> {
      return Object.fromEntries([...health].map(([pairId, state]) => [pairId, { ...state }]));
    },
    health(): Record<string, { ok: boolean; detail?: string }> {
      const report: Record<string, { ok: boolean; detail?: string }> = { dispatcher: dispatcher.health() };
      const now = context.clock().getTime();
      // A watcher that holds its lease but has not succeeded for this long is stuck (or its portals
      // are down): ten poll intervals, and never less than a minute, so one slow page is not an alarm.
      const staleAfterMs = Math.max(60_000, options.pollIntervalMs * 10);
      for (const [pairId, state] of health) {
        const key = `watcher:${pairId}`;
        if (state.lastError) {
          report[key] = { ok: false, detail: `${state.consecutiveFailures} failed poll(s) in a row; last error: ${state.lastError}` };
        } else if (!state.holdsLease) {
          report[key] = { ok: true, detail: 'standby (another replica holds the lease, or this one holds its share of the pairs)' };
        } else if (state.lastSuccessAt && now - Date.parse(state.lastSuccessAt) > staleAfterMs) {
          report[key] = { ok: false, detail: `no successful poll since ${state.lastSuccessAt}` };
        } else {
          report[key] = { ok: true, detail: `polling; last success ${state.lastSuccessAt ?? 'pending'}` };
        }
      }
      return report;
    },
  };
}

export type SyncEngine = ReturnType<typeof createSyncEngine>;
