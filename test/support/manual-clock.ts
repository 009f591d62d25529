// Time that tests move by hand: now() stands still until advance(); timers scheduled with
// schedule() (or wait()) fire once the clock has been advanced past their deadline. For modules
// that take `now`, `wait` or `schedule` options.
export interface ManualClock {
  now(): number;
  /** Runs `callback` once the clock reaches now + ms; the returned function cancels it. */
  schedule(ms: number, callback: () => void): () => void;
  wait(ms: number): Promise<void>;
  /** Moves time on, fires every timer whose deadline has come, and lets their continuations run. */
  advance(ms: number): Promise<void>;
  /** Timers not yet fired or cancelled. */
  readonly pending: number;
}

/**
 * Lets promise continuations (and the ones they schedule) run before the test goes on: the
 * microtask queue is empty by the time a macrotask (setImmediate) runs.
 */
export async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

export function createManualClock(startMs = Date.parse('2026-03-02T09:00:00.000Z')): ManualClock {
  let current = startMs;
  const timers = new Set<{ at: number; fire: () => void }>();
  const schedule = (ms: number, callback: () => void) => {
    const timer = { at: current + ms, fire: callback };
    timers.add(timer);
    return () => {
      timers.delete(timer);
    };
  };
  return {
    now: () => current,
    schedule,
    wait: (ms) => new Promise<void>((resolve) => void schedule(ms, resolve)),
    async advance(ms) {
      current += ms;
      for (const timer of [...timers].filter((candidate) => candidate.at <= current).sort((a, b) => a.at - b.at)) {
        timers.delete(timer);
        timer.fire();
        await settle();
      }
      await settle();
    },
    get pending() {
      return timers.size;
    },
  };
}
