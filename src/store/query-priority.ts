// Store calls someone is waiting for go first where the database has one connection.
//
// PGlite runs one statement (or one whole transaction) at a time, in arrival order. Behind a card
// click's few reads and its one transaction sat everything the bridge does in the background at
// that moment: the edit jobs that earlier clicks queued, link syncs, the outbox's consumers and
// pg-boss's polling. A hundred clicks at once queued their statements behind the work they had just
// caused, and answers took longer than Teams waits (5 s). Work a Teams turn starts runs inside
// interactive(), and the embedded database's gate lets its calls ahead of background calls (each
// kind keeps its order). Background work still runs whenever no turn is waiting. A PostgreSQL server
// serves both at once from its pool, so there the gate is not used.
import { AsyncLocalStorage } from 'node:async_hooks';

const interactiveWork = new AsyncLocalStorage<true>();

/** Runs `work` (and whatever it starts) as interactive: its store calls go ahead of background ones. */
export function interactive<T>(work: () => Promise<T>): Promise<T> {
  return interactiveWork.run(true, work);
}

export interface PriorityGate {
  /** Runs `call` when no other call is running: interactive calls before background ones, each kind in order. */
  run<T>(call: () => Promise<T>): Promise<T>;
}

export function createPriorityGate(): PriorityGate {
  const waiting = { interactive: [] as Array<() => void>, background: [] as Array<() => void> };
  let busy = false;

  function next(): void {
    const turn = waiting.interactive.shift() ?? waiting.background.shift();
    // Handed over in a later turn of the event loop, not as a microtask: PGlite runs a statement
    // synchronously, so a backlog handed from promise to promise kept the loop from reading new
    // requests (and writing answers) until it was gone: seconds, with a hundred clicks' work queued.
    if (turn) setImmediate(turn);
    else busy = false;
  }

  return {
    async run<T>(call: () => Promise<T>): Promise<T> {
      if (busy) await new Promise<void>((resolve) => (interactiveWork.getStore() ? waiting.interactive : waiting.background).push(resolve));
      busy = true;
      try {
        return await call();
      } finally {
        next();
      }
    },
  };
}
