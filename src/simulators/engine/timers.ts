// The engine's deferred work (delayed imports, coalesced mirrors): timers that never keep the
// process alive, never throw out of a callback, and can all be cancelled at once (reset, stop,
// replaced state).

export interface TimerSet {
  /** Runs `work` after `delayMs`; an error is reported with `context`, never thrown. */
  schedule(delayMs: number, context: string, work: () => void): NodeJS.Timeout;
  /** Cancels every scheduled timer that has not run yet. */
  clear(): void;
}

export function createTimerSet(onError: (error: unknown, context: string) => void): TimerSet {
  const timers = new Set<NodeJS.Timeout>();
  return {
    schedule(delayMs, context, work) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        try {
          work();
        } catch (error) {
          onError(error, context); // a timer never throws; the next event retries naturally
        }
      }, delayMs);
      timer.unref();
      timers.add(timer);
      return timer;
    },
    clear() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
