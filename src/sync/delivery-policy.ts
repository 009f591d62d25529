// When the dispatcher gives up on one event for one consumer (pure; dispatcher.ts applies it).
//
// An event is parked only on evidence that the event, not the consumer, is the problem:
// - it failed DELIVERY_ATTEMPTS times, spaced by a doubling backoff (1, 2, 4, 8 s: about 15 s in
//   all), long enough to ride out a blip the consumer did not mark as transient, short enough that
//   one poison event holds its consumer's stream up for seconds, not hours;
// - and, in the same pass, right after one more failed try, a later event delivered. A consumer
//   that fails on every event (Teams down for everyone, a bug) parks nothing: no later event
//   succeeds, and once it recovers the held event is the first one it gets;
// - and the failure was not transient. A transient failure (the store unreachable, a portal
//   throttling: errors that say `transient: true`) is not counted at all: delivery stops there
//   and resumes next tick, as at-least-once delivery requires.
import { isRefusedRecord, StoreError } from '../store/errors.ts';

export const DELIVERY_ATTEMPTS = 5;
const DELIVERY_RETRY_FIRST_MS = 1000;

/**
 * Events in a row that may exhaust their attempts while the dispatcher looks further for one that
 * delivers. More than this and the consumer is failing across events, not on one of them.
 */
export const MAX_SUSPECT_EVENTS = 3;

/** Delay before the next try of an event that failed `attempts` times (the last delay repeats). */
export function deliveryRetryDelayMs(attempts: number): number {
  return DELIVERY_RETRY_FIRST_MS * 2 ** (Math.min(Math.max(attempts, 1), DELIVERY_ATTEMPTS - 1) - 1);
}

/**
 * Not the event's fault: the store failing for a reason other than refusing data (an outage, a
 * closed pool), or any error that says it is transient (PortalError does).
 */
export function isTransientDeliveryError(error: unknown): boolean {
  if (error instanceof StoreError) return !isRefusedRecord(error);
  return typeof error === 'object' && error !== null && (error as { transient?: unknown }).transient === true;
}

/**
 * What logs and the parked record say about a failure: its code, else its class name. Never the
 * message: an error raised while rendering a hostile incident may quote the incident's text.
 */
export function deliveryErrorCode(error: unknown): string {
  if (error instanceof StoreError) return error.sqlState ?? error.code;
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^[\w.:-]{1,64}$/.test(code)) return code;
  }
  return error instanceof Error ? error.name.slice(0, 64) : typeof error;
}
