// Stops the bridge in bounded time, whatever Teams or the portals do meanwhile.
//
// Parts register a step as they start. On run(), every step's drain (stop taking new work, let the
// work in flight finish) starts at once and is waited for at most `graceMs`; then the steps'
// releases (job queue, store, simulators) run one at a time, last registered first, within what is
// left of `deadlineMs`. A step still running at its bound is abandoned, not awaited: the process
// exits regardless. Cutting work off is safe at any point, as the kill -9 tests show: a job still
// running goes back to its queue (the job queue's release fails it to a retry), an edit is durable
// before it is acknowledged, and a change event stays in the outbox until its consumer took it.
import type { Logger } from './observability/logger.ts';

export interface ShutdownStep {
  name: string;
  /** Stops taking new work and resolves when the work in flight is done. Runs alongside every other drain. */
  drain?: () => Promise<void>;
  /** Releases what the step holds (pools, files, ports), once every drain finished or was abandoned. */
  release?: () => Promise<void>;
}

export interface ShutdownReport {
  elapsedMs: number;
  /** `step (drain|release)` still running at its bound, or not started because the deadline had passed. */
  abandoned: string[];
  /** `step (drain|release)` that threw (logged with the error). */
  failed: string[];
}

/** Runs `callback` after `ms`; the returned function cancels it. */
export type Schedule = (ms: number, callback: () => void) => () => void;

export interface ShutdownOptions {
  log: Logger;
  /** How long the work in flight may take to finish. */
  graceMs?: number;
  /** How long the whole shutdown may take, releases included. */
  deadlineMs?: number;
  /** Epoch milliseconds. */
  now?: () => number;
  schedule?: Schedule;
}

export interface Shutdown {
  add(step: ShutdownStep): void;
  /** Runs the steps once; later calls get the same result. Never rejects. */
  run(): Promise<ShutdownReport>;
}

/**
 * Container platforms send SIGKILL some time after SIGTERM (Kubernetes and Container Apps: 30 s by
 * default; `docker stop`: 10 s). The bridge aims to be gone within 5 s of SIGTERM: 2.5 s for
 * handlers, sends and requests in flight (a portal write or a Teams send normally takes well under
 * a second), the rest for failing unfinished jobs back to their queue and closing the store.
 */
export const DEFAULT_SHUTDOWN_GRACE_MS = 2_500;
export const DEFAULT_SHUTDOWN_DEADLINE_MS = 4_000;

// The timer stays referenced: were it unref'd, a drain waiting on nothing but unref'd timers
// would let Node exit mid-shutdown, before the store is closed.
const realSchedule: Schedule = (ms, callback) => {
  const timer = setTimeout(callback, ms);
  return () => clearTimeout(timer);
};

export function createShutdown(options: ShutdownOptions): Shutdown {
  const { log } = options;
  const graceMs = options.graceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  const deadlineMs = options.deadlineMs ?? DEFAULT_SHUTDOWN_DEADLINE_MS;
  const now = options.now ?? Date.now;
  const schedule = options.schedule ?? realSchedule;
  const steps: ShutdownStep[] = [];
  let result: Promise<ShutdownReport> | null = null;

  /** Waits for `work` at most `boundMs`, recording in `report` what failed or was abandoned. */
  async function bounded(label: string, work: () => Promise<void>, boundMs: number, report: ShutdownReport): Promise<void> {
    if (boundMs <= 0) {
      report.abandoned.push(label);
      log.warn({ step: label }, 'shutdown deadline passed; step not started');
      return;
    }
    let cancel: (() => void) | undefined;
    const late = new Promise<'late'>((resolve) => {
      cancel = schedule(boundMs, () => resolve('late'));
    });
    const done = Promise.resolve()
      .then(work)
      .then(
        () => 'done' as const,
        (error: unknown) => {
          report.failed.push(label);
          log.warn({ err: error, step: label }, 'shutdown step failed');
          return 'failed' as const;
        },
      );
    const outcome = await Promise.race([done, late]);
    cancel?.();
    if (outcome === 'late') {
      report.abandoned.push(label);
      log.warn({ step: label, waitedMs: boundMs }, 'shutdown step still running at its bound; abandoned');
    }
  }

  async function runSteps(): Promise<ShutdownReport> {
    const startedAt = now();
    const report: ShutdownReport = { elapsedMs: 0, abandoned: [], failed: [] };
    const drains = steps.flatMap((step) => (step.drain ? [{ name: step.name, drain: step.drain }] : []));
    await Promise.all(drains.map((step) => bounded(`${step.name} (drain)`, step.drain, graceMs, report)));
    for (const step of [...steps].reverse()) {
      if (step.release) await bounded(`${step.name} (release)`, step.release, deadlineMs - (now() - startedAt), report);
    }
    report.elapsedMs = now() - startedAt;
    log.info({ ...report }, 'shut down');
    return report;
  }

  return {
    add(step) {
      if (result) throw new Error(`shutdown already running; cannot add step '${step.name}'`);
      steps.push(step);
    },
    run() {
      result ??= runSteps();
      return result;
    },
  };
}
