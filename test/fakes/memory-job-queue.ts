// In-memory JobQueue for unit tests of the sync engine. Same contract as the pg-boss queue:
// singletonKey dedupes queued jobs, failed jobs retry up to retryLimit then go to `deadLetters`.
// Delays are scaled (default 0) so tests never wait on the clock.
import type { JobContext, JobHandler, JobOptions, JobQueue, QueueDefinition } from '../../src/sync/ports.ts';

interface QueuedJob {
  id: string;
  queue: string;
  data: object;
  singletonKey?: string;
  retryCount: number;
}

export interface MemoryJobQueue extends JobQueue {
  /** Resolves when no job is queued, delayed or running. */
  idle(): Promise<void>;
  deadLetters: Array<{ queue: string; data: object; error: unknown }>;
  sent: Array<{ queue: string; data: object }>;
}

export function createMemoryJobQueue(options: { delayScale?: number } = {}): MemoryJobQueue {
  const delayScale = options.delayScale ?? 0;
  const definitions = new Map<string, QueueDefinition>();
  const handlers = new Map<string, { handler: JobHandler<object>; concurrency: number; active: number }>();
  const queued: QueuedJob[] = [];
  const queuedKeys = new Set<string>();
  let delayed = 0;
  let running = 0;
  let nextId = 1;
  let stopped = false;
  const idleWaiters: Array<() => void> = [];
  const deadLetters: MemoryJobQueue['deadLetters'] = [];
  const sent: MemoryJobQueue['sent'] = [];

  function checkIdle(): void {
    if (queued.length === 0 && delayed === 0 && running === 0) idleWaiters.splice(0).forEach((resolve) => resolve());
  }

  function enqueue(job: QueuedJob): void {
    queued.push(job);
    if (job.singletonKey) queuedKeys.add(`${job.queue}:${job.singletonKey}`);
    pump();
  }

  function pump(): void {
    if (stopped) return;
    for (let index = 0; index < queued.length; index++) {
      const job = queued[index]!;
      const worker = handlers.get(job.queue);
      if (!worker || worker.active >= worker.concurrency) continue;
      queued.splice(index, 1);
      index--;
      if (job.singletonKey) queuedKeys.delete(`${job.queue}:${job.singletonKey}`);
      worker.active++;
      running++;
      const context: JobContext = { id: job.id, retryCount: job.retryCount };
      void worker
        .handler(job.data, context)
        .catch((error: unknown) => {
          const definition = definitions.get(job.queue);
          if (definition && job.retryCount < definition.retryLimit) enqueue({ ...job, retryCount: job.retryCount + 1 });
          else deadLetters.push({ queue: job.queue, data: job.data, error });
        })
        .finally(() => {
          worker.active--;
          running--;
          pump();
          checkIdle();
        });
    }
  }

  async function send(queue: string, data: object, jobOptions: JobOptions = {}): Promise<string | null> {
    sent.push({ queue, data });
    if (jobOptions.singletonKey && queuedKeys.has(`${queue}:${jobOptions.singletonKey}`)) return null;
    const job: QueuedJob = { id: String(nextId++), queue, data, retryCount: 0, ...(jobOptions.singletonKey ? { singletonKey: jobOptions.singletonKey } : {}) };
    const delayMs = (jobOptions.startAfterSeconds ?? 0) * 1000 * delayScale;
    if (delayMs > 0 || jobOptions.startAfterSeconds) {
      delayed++;
      setTimeout(() => {
        delayed--;
        enqueue(job);
      }, delayMs);
    } else {
      enqueue(job);
    }
    return job.id;
  }

  return {
    deadLetters,
    sent,
    async define(definition) {
      definitions.set(definition.name, definition);
    },
    send,
    async sendMany(queue, jobs) {
      let queued = 0;
      for (const { data, options } of jobs) if ((await send(queue, data, options)) !== null) queued++;
      return queued;
    },
    async work(queue, workOptions, handler) {
      handlers.set(queue, { handler: handler as JobHandler<object>, concurrency: workOptions.concurrency, active: 0 });
      pump();
    },
    async stop() {
      stopped = true;
    },
    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        checkIdle();
      });
    },
  };
}
