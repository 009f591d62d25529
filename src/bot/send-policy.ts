// Pure rules for sending to Teams: which failures to retry, how long to wait, and the rate limits
// to stay under. Source for the figures: MicrosoftDocs/msteams-docs,
// msteams-platform/bots/how-to/rate-limit.md (summarised in the project's reference/teams.md).

/** A token bucket: `capacity` tokens, refilled at `refillPerSecond`. */
export interface BucketRule {
  name: string;
  capacity: number;
  refillPerSecond: number;
}

/**
 * Per bot per conversation: 7 sends / 1 s, 8 / 2 s, 60 / 30 s, 1,800 / hour.
 * A token bucket of capacity C refilling r tokens/s lets through at most C + r·W sends in any
 * window of W seconds (a full bucket plus what refills meanwhile). Each rule below keeps
 * C + r·W within its window's limit, so together they never exceed any of them:
 *   1 s:  5 + 2 × 1      = 7      2 s: 4 + 2 × 2 = 8
 *   30 s: 6 + 1.8 × 30   = 60     1 h: 60 + 0.48 × 3600 = 1,788 ≤ 1,800
 * A send must get a token from every bucket: bursts of 4, then about 2 per second.
 */
export const CONVERSATION_BUCKETS: readonly BucketRule[] = [
  { name: '1s', capacity: 5, refillPerSecond: 2 },
  { name: '2s', capacity: 4, refillPerSecond: 2 },
  { name: '30s', capacity: 6, refillPerSecond: 1.8 },
  { name: '1h', capacity: 60, refillPerSecond: 0.48 },
];

/**
 * Per app per tenant: Microsoft's rate-limit page now gives 50 requests per second (it once said
 * "about 30–50"), and says the values may change: TEAMS_TENANT_REQUESTS_PER_SECOND sets it.
 *
 * Teams counts the calls that reach it in a sliding second. A bucket of capacity C refilled at r
 * grants at most C + r·W in any W seconds, and sustains r: the refill is what a 500-channel fan-out
 * runs at, so it is kept as close to the limit as two margins allow:
 * - network jitter: calls reach Teams a few ms after their grant, not all equally late, so one
 *   request of the second is kept free: C + r = rps − 1;
 * - timer lag: the head of the tenant queue sleeps until the next token and wakes a little late
 *   (the event loop is busy rendering and sending). With C = 1 each late wake-up is lost for good
 *   (a full bucket holds no more); a quarter token of headroom carries up to 1/(4r) of lag per
 *   token (5 ms at 50 RPS) into the next grant instead.
 * So C = 1.25, r = rps − 2.25 (47.75 at 50 RPS; C = 2, r = rps − 3 gave 47, less the lag).
 */
export function tenantBucketRule(requestsPerSecond: number): BucketRule {
  if (!(Number.isInteger(requestsPerSecond) && requestsPerSecond >= TENANT_REQUESTS_PER_SECOND_RANGE.min && requestsPerSecond <= TENANT_REQUESTS_PER_SECOND_RANGE.max)) {
    throw new RangeError(
      `The Teams per-tenant rate must be a whole number of requests per second from ${TENANT_REQUESTS_PER_SECOND_RANGE.min} to ${TENANT_REQUESTS_PER_SECOND_RANGE.max}, got ${requestsPerSecond}.`,
    );
  }
  const capacity = 1 + TENANT_LAG_HEADROOM_TOKENS;
  return { name: 'tenant', capacity, refillPerSecond: requestsPerSecond - 1 - capacity };
}

const TENANT_LAG_HEADROOM_TOKENS = 0.25;

/** Microsoft's rate-limit page (msteams-platform/bots/how-to/rate-limit.md): 50 RPS per app per tenant. */
export const DEFAULT_TENANT_REQUESTS_PER_SECOND = 50;
/** At least 3 (the refill must stay above zero after both margins); at most what any bot could be granted. */
export const TENANT_REQUESTS_PER_SECOND_RANGE = { min: 3, max: 1000 } as const;

export function conversationBucketKey(conversationId: string, rule: BucketRule): string {
  return `teams:conversation:${conversationId}:${rule.name}`;
}

export function tenantBucketKey(tenantId: string): string {
  return `teams:tenant:${tenantId}`;
}

/** The key of the shared "retry after" pause for a conversation (Company Communicator's pattern). */
export function conversationPauseKey(conversationId: string): string {
  return `teams:pause:conversation:${conversationId}`;
}

export function tenantPauseKey(tenantId: string): string {
  return `teams:pause:tenant:${tenantId}`;
}

/**
 * Retries: Microsoft's guidance is to retry 429, 412, 502 and 504 with exponential backoff plus
 * jitter; its proactive-messaging sample waits 2, 4 and 8 s (3 retries).
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([412, 429, 502, 504]);
export const RETRY_DELAYS_MS: readonly number[] = [2000, 4000, 8000];
/** Jitter spreads replicas that were throttled together; up to half the step. */
export const JITTER_FRACTION = 0.5;

/** Network failures without an HTTP status that are worth another try. */
const RETRYABLE_NETWORK_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

export type SendOperation = 'send' | 'update' | 'reply';

export type FailureVerdict =
  /** Try again after the backoff (and after Retry-After when given). */
  | 'retry'
  /**
   * The bot can no longer post here (removed from the team or chat, conversation deleted):
   * deactivate the conversation, never retry.
   */
  | 'conversationGone'
  /** The message to update no longer exists (deleted by a user): post a new one instead. */
  | 'messageGone'
  | 'fail';

export interface SendFailure {
  status?: number;
  /** Raw Retry-After header value, when the response had one. */
  retryAfter?: string;
  /** Bot Connector error code from the body (e.g. 'BotNotInConversationRoster'), when present. */
  errorCode?: string;
  networkCode?: string;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function headerOf(headers: unknown, name: string): string | undefined {
  const record = asRecord(headers);
  if (!record) return undefined;
  const get = record['get'];
  if (typeof get === 'function') {
    const value = (get as (key: string) => unknown).call(headers, name);
    if (typeof value === 'string') return value;
  }
  for (const [key, value] of Object.entries(record)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
}

/**
 * Reads status, Retry-After and the connector's error code from whatever a send threw: botbuilder's
 * RestError (statusCode, response.headers), fetch-style errors (status), or our own fakes.
 */
export function describeSendFailure(error: unknown): SendFailure {
  const record = asRecord(error);
  if (!record) return {};
  const response = asRecord(record['response']);
  const statusCandidates = [record['statusCode'], record['status'], response?.['status'], response?.['statusCode']];
  const status = statusCandidates.find((value): value is number => typeof value === 'number');
  const retryAfter =
    (typeof record['retryAfter'] === 'string' ? record['retryAfter'] : undefined) ??
    headerOf(response?.['headers'], 'retry-after') ??
    headerOf(record['headers'], 'retry-after');
  const body = asRecord(record['body']) ?? asRecord(response?.['parsedBody']);
  const bodyError = asRecord(body?.['error']);
  const errorCode = typeof record['errorCode'] === 'string' ? record['errorCode'] : typeof bodyError?.['code'] === 'string' ? bodyError['code'] : undefined;
  const networkCode = typeof record['code'] === 'string' ? record['code'] : undefined;
  const failure: SendFailure = {};
  if (status !== undefined) failure.status = status;
  if (retryAfter !== undefined) failure.retryAfter = retryAfter;
  if (errorCode !== undefined) failure.errorCode = errorCode;
  if (networkCode !== undefined) failure.networkCode = networkCode;
  return failure;
}

export function classifySendFailure(failure: SendFailure, operation: SendOperation): FailureVerdict {
  const { status } = failure;
  if (status === undefined) return failure.networkCode && RETRYABLE_NETWORK_CODES.has(failure.networkCode) ? 'retry' : 'fail';
  if (RETRYABLE_STATUSES.has(status)) return 'retry';
  // 403: the bot is not in the conversation roster any more (removed, or the app uninstalled).
  if (status === 403) return 'conversationGone';
  if (status === 404) {
    // Updating a message a user deleted is a 404 about that message, not about the conversation.
    if (operation === 'update' && failure.errorCode !== 'ConversationNotFound') return 'messageGone';
    return 'conversationGone';
  }
  return 'fail';
}

/**
 * Milliseconds a Retry-After header asks for: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * undefined when absent or unreadable; never negative.
 */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Delay before retry number `retry` (0-based): the documented step plus up to 50% jitter. */
export function backoffDelayMs(retry: number, random: () => number): number {
  const step = RETRY_DELAYS_MS[Math.min(retry, RETRY_DELAYS_MS.length - 1)] ?? 8000;
  return Math.round(step + step * JITTER_FRACTION * Math.min(Math.max(random(), 0), 1));
}

/** The wait before the next attempt: the backoff, or longer when Teams asked for it. */
export function nextDelayMs(retry: number, retryAfterMs: number | undefined, random: () => number): number {
  return Math.max(backoffDelayMs(retry, random), retryAfterMs ?? 0);
}
