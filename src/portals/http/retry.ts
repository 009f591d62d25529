// When to retry a portal call and how long to wait. Pure: the Graph middleware and the ARM pipeline
// policy both ask `decideRetry` after each attempt, and sleep with an injected function.
//
// Figures: Graph and ARM answer 429 with Retry-After in seconds (Graph throttling guidance; ARM
// request limits). Both SDKs default to 3 retries; we keep that and add a bound on the total wait so
// a sync tick never hangs: past the bound the caller gets PortalError 'throttled'/'unavailable'
// (with retryAfterSeconds) and the durable job queue reschedules the work.

export interface RetryPolicyOptions {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Upper bound on the sum of all waits for one call. */
  maxTotalWaitMs: number;
  /** First backoff step for 5xx/timeouts without Retry-After; doubles each retry, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per-attempt timeout. */
  requestTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicyOptions = {
  maxRetries: 3,
  maxTotalWaitMs: 30_000,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  requestTimeoutMs: 30_000,
};

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Statuses worth another attempt: throttling, timeouts and transient server failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** Retry-After is delta-seconds or an HTTP-date (RFC 9110 §10.2.3). Returns seconds, or undefined. */
export function parseRetryAfterSeconds(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
}

export interface AttemptOutcome {
  /** Retries already made for this call (0 after the first attempt). */
  retriesSoFar: number;
  /** Sum of the waits so far. */
  waitedMs: number;
  /** HTTP status, or undefined when the request failed before a response (network error, timeout). */
  status?: number;
  retryAfterSeconds?: number;
  /**
   * false for POST: a create the portal may already have applied must not be repeated blindly, so
   * only 429 (documented as "not processed") is retried.
   */
  idempotent: boolean;
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; reason: 'success-or-final' | 'retries-exhausted' | 'wait-budget-exhausted' };

export function decideRetry(outcome: AttemptOutcome, options: RetryPolicyOptions, random: () => number): RetryDecision {
  const retryable =
    outcome.status === undefined
      ? outcome.idempotent
      : isRetryableStatus(outcome.status) && (outcome.idempotent || outcome.status === 429);
  if (!retryable) return { retry: false, reason: 'success-or-final' };
  if (outcome.retriesSoFar >= options.maxRetries) return { retry: false, reason: 'retries-exhausted' };

  let delayMs: number;
  if (outcome.retryAfterSeconds !== undefined) {
    // The portal said how long; waiting less would only earn another 429.
    delayMs = Math.ceil(outcome.retryAfterSeconds * 1000);
  } else {
    const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** outcome.retriesSoFar);
    // "Equal jitter": half fixed, half random, so parallel clients spread out without ever retrying instantly.
    delayMs = Math.round(step / 2 + random() * (step / 2));
  }
  if (outcome.waitedMs + delayMs > options.maxTotalWaitMs) return { retry: false, reason: 'wait-budget-exhausted' };
  return { retry: true, delayMs };
}

export function resolveRetryOptions(partial: Partial<RetryPolicyOptions> | undefined): RetryPolicyOptions {
  const merged = { ...DEFAULT_RETRY_POLICY, ...partial };
  for (const [key, value] of Object.entries(merged)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`retry option ${key} must be a non-negative number, got ${String(value)}`);
  }
  return merged;
}
