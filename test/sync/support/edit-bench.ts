// The write path over fakes: a memory store, a memory job queue without workers (tests run the
// edit jobs themselves, concurrently) and the fake portals, with one linked incident.
import { randomUUID } from 'node:crypto';
import type { Actor } from '../../../src/domain/incident.ts';
import { createSilentLogger } from '../../../src/observability/logger.ts';
import type { EditChanges, EditOutcome } from '../../../src/domain/edits.ts';
import { applyEdit, submitEdit } from '../../../src/sync/edits.ts';
import { syncLink } from '../../../src/sync/link-sync.ts';
import type { SyncContext, SyncMetrics } from '../../../src/sync/sync-context.ts';
import { createMemoryJobQueue, type MemoryJobQueue } from '../../fakes/memory-job-queue.ts';
import { createMemoryStore } from '../../fakes/memory-store.ts';
import { createFakePortals, type FakePortals } from '../../fakes/portals.ts';

export interface EditBench {
  context: SyncContext;
  queue: MemoryJobQueue;
  portals: FakePortals;
  linkId: string;
  submit(changes: EditChanges, actor?: Actor): Promise<string>;
  /** Runs the edit job of each request at once; a job that throws is run again, as the queue would. */
  applyAll(requestIds: readonly string[]): Promise<void>;
  outcome(requestId: string): Promise<EditOutcome>;
}

export function analyst(n: number): Actor {
  return { objectId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, displayName: `Analyst ${n}` };
}

/** `unsynced`: the link is stored as the watcher first stores it, before its first sync (no snapshot). */
export async function startEditBench(options: { delay?: () => number; commentSettleSeconds?: number; metrics?: SyncMetrics; unsynced?: boolean } = {}): Promise<EditBench> {
  const store = createMemoryStore();
  const queue = createMemoryJobQueue();
  const portals = createFakePortals(options.delay ? { delay: options.delay } : {});
  const context: SyncContext = {
    store,
    queue,
    pairs: new Map([['default', { pairId: 'default', ...portals.clients }]]),
    clock: () => new Date(),
    newId: randomUUID,
    log: createSilentLogger(),
    verifyScheduleSeconds: [1],
    commentSettleSeconds: options.commentSettleSeconds ?? 0,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  };
  const linkId = 'link-1';
  await store.links.save(
    { linkId, pairId: 'default', defenderId: portals.defender.incident.id, sentinelId: portals.sentinel.incident.id, sentinelNumber: 4711, snapshot: {}, defenderView: null, sentinelView: null, syncState: {} },
    null,
  );
  if (!options.unsynced) await syncLink(context, linkId, { fresh: true });
  let key = 0;
  return {
    context,
    queue,
    portals,
    linkId,
    async submit(changes, actor = analyst(0)) {
      return (await submitEdit(context, { idempotencyKey: `key-${++key}`, linkId, changes, actor })).requestId;
    },
    async applyAll(requestIds) {
      await Promise.all(
        requestIds.map(async (id) => {
          for (let attempt = 0; ; attempt++) {
            try {
              return await applyEdit(context, id);
            } catch (error) {
              if (attempt >= 20) throw error;
            }
          }
        }),
      );
    },
    async outcome(requestId) {
      const stored = await store.editRequests.get(requestId);
      if (!stored?.outcome) throw new Error(`no outcome for ${requestId}`);
      return stored.outcome;
    },
  };
}
