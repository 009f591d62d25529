// Time that tests move by hand: now() stands still until advance(), and wait(ms) resolves once the
// clock has been advanced past its deadline. For modules that take `now` and `wait` options.
export interface ManualClock {
  now(): number;
  wait(ms: number): Promise<void>;
  /** Moves time on, wakes every waiter whose deadline has come, and lets their continuations run. */
  advance(ms: number): Promise<void>;
  /** Waiters not yet woken. */
  readonly waiting: number;
}

/** Lets promise continuations (and the ones they schedule) run before the test goes on. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export function createManualClock(startMs = Date.parse('2026-03-02T09:00:00.000Z')): ManualClock {
  let current = startMs;
  let waiters: Array<{ at: number; wake: () => void }> = [];
  return {
    now: () => current,
    wait: (ms) =>
      new Promise<void>((resolve) => {
        waiters.push({ at: current + ms, wake: resolve });
      }),
    async advance(ms) {
      current += ms;
      const due = waiters.filter((waiter) => waiter.at <= current);
      waiters = waiters.filter((waiter) => waiter.at > current);
      for (const waiter of due) waiter.wake();
      await settle();
    },
    get waiting() {
      return waiters.length;
    },
  };
}
