// Work that outlives a turn (waiting for an edit's outcome, then updating the card). Tracked so
// tests and graceful shutdown can wait for it; failures are logged, never thrown into a timer.
import type { Logger } from '../observability/logger.ts';
import { createSilentLogger } from '../observability/logger.ts';

export interface BackgroundTasks {
  run(label: string, task: () => Promise<void>): void;
  /** Resolves when every task started so far (and any they started) has finished. */
  idle(): Promise<void>;
  readonly size: number;
}

export function createBackgroundTasks(log: Logger = createSilentLogger()): BackgroundTasks {
  const running = new Set<Promise<void>>();
  return {
    run(label, task) {
      const promise = Promise.resolve()
        .then(task)
        .catch((error: unknown) => log.error({ err: error, task: label }, 'background task failed'))
        .finally(() => running.delete(promise));
      running.add(promise);
    },
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
    get size() {
      return running.size;
    },
  };
}
