// Delivers change events from the outbox to consumers (the Teams notifier), at least once and in
// order. Each consumer's offset lives in the store, and one replica at a time delivers to a given
// consumer (a lease), so a restart resumes where delivery stopped and replicas don't double-send.
//
// One event a consumer keeps failing on does not stop that consumer's stream: after its bounded
// retries, and once a later event delivered, it is parked for that consumer (ParkedEventRepository,
// in the same transaction as the ack that moves past it) and counted; delivery-policy.ts says when.
// "In order" then means: in order, less the parked events.
import type { ChangeConsumer } from './api.ts';
import type { ChangeEvent } from '../domain/change-events.ts';
import { DELIVERY_ATTEMPTS, deliveryErrorCode, deliveryRetryDelayMs, isTransientDeliveryError, MAX_SUSPECT_EVENTS } from './delivery-policy.ts';
import type { SyncContext } from './sync-context.ts';

export interface DispatcherOptions {
  replicaId: string;
  /** How often to look for new events when idle. The outbox is a local table: cheap to poll. */
  pollIntervalMs?: number;
  batchSize?: number;
}

/** What this replica remembers of one consumer's failures (attempts restart after a restart: still bounded). */
interface ConsumerState {
  /** Failed (non-transient) deliveries per event id, for events not yet delivered or parked. */
  failures: Map<string, number>;
  /** Epoch ms before which delivery to this consumer waits (the retry backoff). */
  retryAt: number;
  /** Why the last pass stopped short of the end of the stream (health); cleared once it reaches it. */
  failure?: string;
}

interface Suspect {
  event: ChangeEvent;
  attempts: number;
  errorCode: string;
}

export function createDispatcher(context: SyncContext, options: DispatcherOptions) {
  const consumers = new Map<string, ChangeConsumer>();
  const states = new Map<string, ConsumerState>();
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const batchSize = options.batchSize ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let stopped = true;

  function stateOf(name: string): ConsumerState {
    let state = states.get(name);
    if (!state) {
      state = { failures: new Map(), retryAt: 0 };
      states.set(name, state);
    }
    return state;
  }

  /** Parks the suspects before `delivered` and moves the offset past all of them, atomically. */
  async function parkAndAck(consumer: string, suspects: Suspect[], delivered: ChangeEvent): Promise<void> {
    const parkedAt = context.clock().toISOString();
    await context.store.transaction(async (tx) => {
      for (const { event, attempts, errorCode } of suspects) {
        await tx.parkedEvents.park({ consumer, seq: event.seq, eventId: event.id, linkId: event.linkId, pairId: event.pairId, errorCode, attempts, parkedAt });
      }
      await tx.changeEvents.ack(consumer, delivered.seq);
    });
    for (const { event, attempts, errorCode } of suspects) {
      context.log.error(
        { consumer, eventId: event.id, seq: event.seq, linkId: event.linkId, pairId: event.pairId, errorCode, attempts },
        'parked a change event its consumer kept failing on; later events are delivered',
      );
      context.metrics?.recordParkedEvent(consumer);
    }
  }

  /**
   * Delivers what is pending to one consumer. Stops at a transient failure, or at an event still
   * within its retries (redelivered after the backoff); looks past events that exhausted theirs.
   */
  async function deliver(consumer: ChangeConsumer): Promise<number> {
    const state = stateOf(consumer.name);
    if (context.clock().getTime() < state.retryAt) return 0;
    const lease = await context.store.leases.tryAcquire(`dispatch:${consumer.name}`, options.replicaId, Math.max(10_000, pollIntervalMs * 20));
    if (!lease) return 0;
    let delivered = 0;
    // The offset moves once per run of delivered events (a batch, or up to a failure), not once per
    // event: a backlog of thousands cost a write each. A crash in between redelivers at most that
    // run, which at-least-once delivery allows.
    let unacked: number | undefined;
    const ackDelivered = async () => {
      if (unacked === undefined) return;
      await context.store.changeEvents.ack(consumer.name, unacked);
      unacked = undefined;
    };
    for (;;) {
      const events = await context.store.changeEvents.readPending(consumer.name, batchSize);
      if (events.length === 0) {
        delete state.failure;
        return delivered;
      }
      const suspects: Suspect[] = [];
      for (const event of events) {
        try {
          await consumer.handle(event);
        } catch (error) {
          const errorCode = deliveryErrorCode(error);
          const base = { consumer: consumer.name, eventId: event.id, seq: event.seq, linkId: event.linkId, errorCode };
          state.failure = `event ${event.id} failed (${errorCode})`;
          if (isTransientDeliveryError(error)) {
            context.log.warn(base, 'change event delivery failed transiently; will redeliver');
            await ackDelivered();
            return delivered;
          }
          const attempts = (state.failures.get(event.id) ?? 0) + 1;
          state.failures.set(event.id, attempts);
          if (attempts < DELIVERY_ATTEMPTS) {
            state.retryAt = context.clock().getTime() + deliveryRetryDelayMs(attempts);
            context.log.warn({ ...base, attempts }, 'change event delivery failed; will redeliver');
            await ackDelivered();
            return delivered;
          }
          suspects.push({ event, attempts, errorCode });
          if (suspects.length > MAX_SUSPECT_EVENTS) {
            // Several events in a row fail: the consumer is failing, not one event. Park nothing.
            state.retryAt = context.clock().getTime() + deliveryRetryDelayMs(attempts);
            context.log.error({ ...base, attempts, failingEvents: suspects.length }, 'change event consumer fails on every event; parking nothing, will redeliver');
            await ackDelivered();
            return delivered;
          }
          continue;
        }
        if (suspects.length > 0) {
          // Parking moves the offset past the suspects and this event, in one transaction.
          await parkAndAck(consumer.name, suspects, event);
          unacked = undefined;
          for (const suspect of suspects) state.failures.delete(suspect.event.id);
          suspects.length = 0;
        } else {
          unacked = event.seq;
        }
        state.failures.delete(event.id);
        delivered++;
      }
      await ackDelivered();
      if (suspects.length > 0) {
        // No later event delivered in this pass: nothing shows the events are at fault. Hold them.
        state.retryAt = context.clock().getTime() + deliveryRetryDelayMs(DELIVERY_ATTEMPTS);
        return delivered;
      }
    }
  }

  async function tick(): Promise<void> {
    if (running) return;
    running = true;
    try {
      for (const consumer of consumers.values()) {
        try {
          await deliver(consumer);
        } catch (error) {
          // The store failed (reading, acknowledging, parking). Loops never throw out of a timer:
          // report with context and try again next tick.
          stateOf(consumer.name).failure = `delivery failed (${deliveryErrorCode(error)})`;
          context.log.warn({ err: error, consumer: consumer.name }, 'change event delivery failed; will redeliver');
        }
      }
    } finally {
      running = false;
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void tick().finally(schedule);
    }, pollIntervalMs);
  }

  return {
    subscribe(consumer: ChangeConsumer): () => void {
      consumers.set(consumer.name, consumer);
      return () => consumers.delete(consumer.name);
    },
    /** Delivers now (tests, and right after a sync saved events). */
    flush: tick,
    start(): void {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      while (running) await new Promise((resolve) => setTimeout(resolve, 10));
      for (const name of consumers.keys()) await context.store.leases.release(`dispatch:${name}`, options.replicaId);
    },
    health(): { ok: boolean; detail?: string } {
      const failing = [...consumers.keys()].flatMap((name) => {
        const failure = states.get(name)?.failure;
        return failure ? [`${name}: ${failure}`] : [];
      });
      return failing.length > 0 ? { ok: false, detail: failing.join('; ') } : { ok: true };
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
