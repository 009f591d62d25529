// A pair's portal answered 429 and said how long to wait: until then, every call of that pair to
// that portal fails at once with the same 'throttled' error, without a request. Graph's budget is
// per app per tenant and ARM's per subscription, so the wait belongs to that pair alone: its jobs
// give the workers every pair shares back at once (the job queue retries them with backoff) rather
// than sleeping in them, and its polls do not prolong the storm. Other pairs' calls never pass here.
import { PortalError } from '../domain/errors.ts';
import type { PortalClient, SentinelPortalClient } from './ports.ts';

/**
 * The longest a pair's portal call waits in process for its own retries. A longer Retry-After
 * fails the call ('throttled') and opens the circuit for that long: sleeping it out would hold a
 * shared job worker while other pairs wait.
 */
export const PAIR_CALL_MAX_WAIT_MS = 5_000;

export interface ThrottleCircuit {
  /** Throws the portal's 'throttled' error while its Retry-After runs. */
  check(): void;
  /** Notes a failure: a 'throttled' one with a Retry-After opens the circuit that long. */
  observe(error: unknown): void;
}

export function createThrottleCircuit(portal: PortalClient['portal'], now: () => number): ThrottleCircuit {
  let until = 0;
  return {
    check() {
      const waitMs = until - now();
      if (waitMs <= 0) return;
      const retryAfterSeconds = Math.ceil(waitMs / 1000);
      throw new PortalError(portal, 'throttled', `the ${portal} portal throttled this pair; not calling it for another ${retryAfterSeconds} s`, { status: 429, retryAfterSeconds });
    },
    observe(error) {
      if (!(error instanceof PortalError) || error.code !== 'throttled' || error.retryAfterSeconds === undefined) return;
      until = Math.max(until, now() + error.retryAfterSeconds * 1000);
    },
  };
}

function guarded<A extends unknown[], R>(circuit: ThrottleCircuit, call: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    circuit.check();
    try {
      return await call(...args);
    } catch (error) {
      circuit.observe(error);
      throw error;
    }
  };
}

async function* guardedPages<T>(circuit: ThrottleCircuit, pages: AsyncIterable<T>): AsyncIterable<T> {
  circuit.check();
  try {
    for await (const page of pages) {
      yield page;
      circuit.check();
    }
  } catch (error) {
    circuit.observe(error);
    throw error;
  }
}

function guardPortal(client: PortalClient, circuit: ThrottleCircuit): PortalClient {
  return {
    portal: client.portal,
    listChangedSince: (since, options) => guardedPages(circuit, client.listChangedSince(since, options)),
    get: guarded(circuit, (id: string) => client.get(id)),
    update: guarded(circuit, (id: string, edit: Parameters<PortalClient['update']>[1], base?: Parameters<PortalClient['update']>[2]) => client.update(id, edit, base)),
    addComment: guarded(circuit, (id: string, comment: Parameters<PortalClient['addComment']>[1], key: string) => client.addComment(id, comment, key)),
    listComments: guarded(circuit, (id: string) => client.listComments(id)),
    writableFields: () => client.writableFields(),
  };
}

/** A Defender client whose calls stop while Graph throttles this pair. */
export function withThrottleCircuit(client: PortalClient, now: () => number = Date.now): PortalClient {
  return guardPortal(client, createThrottleCircuit(client.portal, now));
}

/** A Sentinel client whose calls stop while ARM throttles this pair. */
export function withSentinelThrottleCircuit(client: SentinelPortalClient, now: () => number = Date.now): SentinelPortalClient {
  const circuit = createThrottleCircuit(client.portal, now);
  return { ...guardPortal(client, circuit), findByProviderIncidentId: guarded(circuit, (graphId: string) => client.findByProviderIncidentId(graphId)) };
}
