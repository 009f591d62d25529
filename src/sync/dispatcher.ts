// Delivers change events from the outbox to consumers (the Teams notifier), at least once and in
// order. Each consumer's offset lives in the store, and one replica at a time delivers to a given
// consumer (a lease), so a restart resumes where delivery stopped and replicas don't double-send.
import type { ChangeConsumer } from './api.ts';
import type { SyncContext } from './sync-context.ts';

export interface DispatcherOptions {
  replicaId: string;
  /** How often to look for new events when idle. The outbox is a local table: cheap to poll. */
  pollIntervalMs?: number;
  batchSize?: number;
}

export function createDispatcher(context: SyncContext, options: DispatcherOptions) {
  const consumers = new Map<string, ChangeConsumer>();
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const batchSize = options.batchSize ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let stopped = true;
  let lastError: string | undefined;

  /** Delivers what is pending to one consumer; stops at the first failure (redelivered later). */
  async function deliver(consumer: ChangeConsumer): Promise<number> {
    const lease = await context.store.leases.tryAcquire(`dispatch:${consumer.name}`, options.replicaId, Math.max(10_000, pollIntervalMs * 20));
    if (!lease) return 0;
    let delivered = 0;
    for (;;) {
      const events = await context.store.changeEvents.readPending(consumer.name, batchSize);
      if (events.length === 0) return delivered;
      for (const event of events) {
        await consumer.handle(event);
        await context.store.changeEvents.ack(consumer.name, event.seq);
        delivered++;
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
          lastError = undefined;
        } catch (error) {
          // Loops never throw out of a timer: report with context and try again next tick.
          lastError = error instanceof Error ? error.message : String(error);
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
      return lastError ? { ok: false, detail: lastError } : { ok: true };
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
