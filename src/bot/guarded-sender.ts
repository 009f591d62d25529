// Wraps a TeamsSender with what every proactive send needs: the shared rate limits (all replicas
// draw from the same buckets in the store), the shared Retry-After pause, retries with backoff,
// and deactivation of conversations the bot was removed from.
import type { Activity } from 'botbuilder';
import { CodedError } from '../domain/errors.ts';
import type { ConversationRepository, RateLimitRepository } from '../store/ports.ts';
import type { Logger } from '../observability/logger.ts';
import { createSilentLogger } from '../observability/logger.ts';
import type { ProactiveReference, TeamsSender } from './ports.ts';
import {
  CONVERSATION_BUCKETS,
  DEFAULT_TENANT_REQUESTS_PER_SECOND,
  RETRY_DELAYS_MS,
  classifySendFailure,
  conversationBucketKey,
  conversationPauseKey,
  describeSendFailure,
  nextDelayMs,
  parseRetryAfterMs,
  tenantBucketKey,
  tenantBucketRule,
  tenantPauseKey,
  type SendOperation,
} from './send-policy.ts';
import { baseConversationId } from './conversation-reference.ts';

export const SEND_ERROR_CODES = [
  /** The bot cannot post to this conversation any more; it was deactivated. */
  'conversation-gone',
  /** The message to update was deleted. */
  'message-gone',
  /** Still throttled after the retries, or asked to wait longer than maxWaitMs. */
  'throttled',
  'send-failed',
] as const;
export type SendErrorCode = (typeof SEND_ERROR_CODES)[number];

export class SendError extends CodedError<SendErrorCode> {
  readonly status?: number;
  constructor(code: SendErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options);
    if (options?.status !== undefined) this.status = options.status;
  }
}

/** How a send, update or reply ended, after its retries. */
export const SEND_RESULTS = ['ok', ...SEND_ERROR_CODES] as const;
export type SendResult = (typeof SEND_RESULTS)[number];

/**
 * Why a send waited before an attempt: for a token of the rate-limit buckets, for a Retry-After
 * pause that a replica shared, or for its own backoff after a failed attempt.
 */
export type TeamsWaitReason = 'rate-limit' | 'pause' | 'retry';

/** What the guarded sender reports to metrics (src/observability/metrics.ts implements it). */
export interface TeamsSendMetrics {
  recordSend(operation: SendOperation, result: SendResult): void;
  /** Teams answered 429: what is left after the Bot Connector client's own retries. */
  recordThrottled(operation: SendOperation): void;
  recordWait(reason: TeamsWaitReason, seconds: number): void;
}

export interface GuardedSenderOptions {
  sender: TeamsSender;
  rateLimits: RateLimitRepository;
  conversations: Pick<ConversationRepository, 'deactivate'>;
  log?: Logger;
  /** Epoch milliseconds. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /**
   * Longest a single send waits (for tokens, a shared pause, or a retry) before giving up with
   * 'throttled'; the caller tries again with the next change. A minute keeps a burst from holding
   * a notifier slot for long while still riding out Teams' 30-second window.
   */
  maxWaitMs?: number;
  /** Teams' per-app per-tenant limit (TEAMS_TENANT_REQUESTS_PER_SECOND; default 50, Microsoft's current figure). */
  tenantRequestsPerSecond?: number;
  metrics?: TeamsSendMetrics;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

function tenantOf(reference: ProactiveReference): string {
  return reference.conversation?.tenantId ?? 'unknown-tenant';
}

export function createGuardedSender(options: GuardedSenderOptions): TeamsSender {
  const { sender, rateLimits, conversations } = options;
  const log = options.log ?? createSilentLogger();
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const metrics = options.metrics;
  /** Sleeps, and reports why. */
  const wait = (reason: TeamsWaitReason, ms: number) => {
    metrics?.recordWait(reason, ms / 1000);
    return sleep(ms);
  };
  const tenantBucket = tenantBucketRule(options.tenantRequestsPerSecond ?? DEFAULT_TENANT_REQUESTS_PER_SECOND);
  const tenantQueues = new Map<string, Promise<void>>();
  const iso = (ms: number) => new Date(ms).toISOString();

  /** Milliseconds until the shared Retry-After pauses of the conversation and tenant are over. */
  async function pausedForMs(conversationId: string, tenantId: string): Promise<number> {
    const nowMs = now();
    const pauses = await Promise.all([
      rateLimits.getRetryAfter(conversationPauseKey(conversationId), iso(nowMs)),
      rateLimits.getRetryAfter(tenantPauseKey(tenantId), iso(nowMs)),
    ]);
    const pauseUntil = Math.max(0, ...pauses.map((until) => (until ? Date.parse(until) : 0)));
    return pauseUntil > nowMs ? pauseUntil - nowMs : 0;
  }

  function ensureWithin(deadline: number, waitMs: number, conversationId: string): void {
    if (now() + waitMs > deadline) {
      throw new SendError('throttled', `Teams rate limit for conversation ${conversationId}: would wait ${waitMs} ms, more than the ${maxWaitMs} ms allowed; the next change retries.`);
    }
  }

  /**
   * One tenant token. Only the head of this replica's queue for the tenant polls the shared
   * bucket; the others wait their turn here. Without the queue, a fan-out to hundreds of channels
   * had every pending send poll the store on each refill and nearly all be refused: a storm of
   * store calls for one token at a time. Replicas still share the bucket, so together they stay
   * under the tenant's rate.
   */
  function takeTenantToken(tenantId: string, conversationId: string): Promise<void> {
    return inTenantQueue(tenantId, async () => {
      // The deadline starts at the head of the queue: time spent behind this replica's own
      // earlier sends is backlog, not throttling by Teams, and giving up on it would drop updates.
      const deadline = now() + maxWaitMs;
      for (;;) {
        const paused = await rateLimits.getRetryAfter(tenantPauseKey(tenantId), iso(now()));
        const pauseMs = paused ? Math.max(0, Date.parse(paused) - now()) : 0;
        let waitMs = pauseMs;
        if (waitMs === 0) {
          const take = await rateLimits.take(tenantBucketKey(tenantId), tenantBucket.capacity, tenantBucket.refillPerSecond, iso(now()));
          if (take.granted) return;
          waitMs = Math.max(1, take.retryAfterMs);
        }
        ensureWithin(deadline, waitMs, conversationId);
        await wait(pauseMs > 0 ? 'pause' : 'rate-limit', waitMs);
      }
    });
  }

  /** Runs `task` after every earlier task queued for the same tenant in this replica. */
  function inTenantQueue<T>(tenantId: string, task: () => Promise<T>): Promise<T> {
    const previous = tenantQueues.get(tenantId) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    tenantQueues.set(tenantId, tail);
    void tail.then(() => {
      if (tenantQueues.get(tenantId) === tail) tenantQueues.delete(tenantId);
    });
    return run;
  }

  /**
   * Waits until the shared pauses are over and every bucket granted a token: the tenant's first,
   * then the conversation's, right before the call, so a token is never held long before the send
   * it pays for (a send made long after its token would let sends bunch up inside one window).
   * A conversation that is out of tokens has spent a tenant token for nothing; that errs on the
   * safe side and costs at most one tenant token per conversation refill.
   */
  async function waitForTurn(conversationId: string, tenantId: string): Promise<void> {
    const deadline = now() + maxWaitMs;
    for (;;) {
      const pauseMs = await pausedForMs(conversationId, tenantId);
      if (pauseMs > 0) {
        ensureWithin(deadline, pauseMs, conversationId);
        await wait('pause', pauseMs);
        continue;
      }
      await takeTenantToken(tenantId, conversationId);
      let waitMs = 0;
      for (const rule of CONVERSATION_BUCKETS) {
        const take = await rateLimits.take(conversationBucketKey(conversationId, rule), rule.capacity, rule.refillPerSecond, iso(now()));
        if (!take.granted) {
          waitMs = Math.max(1, take.retryAfterMs);
          break;
        }
      }
      if (waitMs === 0) return;
      ensureWithin(deadline, waitMs, conversationId);
      await wait('rate-limit', waitMs);
    }
  }

  /** One send, update or reply, counted by how it ended. */
  async function guarded<T>(operation: SendOperation, reference: ProactiveReference, attempt: () => Promise<T>): Promise<T> {
    try {
      const result = await guardedAttempts(operation, reference, attempt);
      metrics?.recordSend(operation, 'ok');
      return result;
    } catch (error) {
      metrics?.recordSend(operation, error instanceof SendError ? error.code : 'send-failed');
      throw error;
    }
  }

  async function guardedAttempts<T>(operation: SendOperation, reference: ProactiveReference, attempt: () => Promise<T>): Promise<T> {
    const conversationId = baseConversationId(reference.conversation?.id ?? '');
    if (!conversationId) throw new SendError('send-failed', 'The stored conversation reference has no conversation id; re-install the app in that conversation.');
    const tenantId = tenantOf(reference);
    for (let retry = 0; ; retry += 1) {
      await waitForTurn(conversationId, tenantId);
      try {
        return await attempt();
      } catch (error) {
        const failure = describeSendFailure(error);
        if (failure.status === 429) metrics?.recordThrottled(operation);
        const verdict = classifySendFailure(failure, operation);
        const context = { conversationId, operation, status: failure.status, errorCode: failure.errorCode, retry };
        if (verdict === 'conversationGone') {
          const reason = `Teams answered ${failure.status ?? '?'}${failure.errorCode ? ` ${failure.errorCode}` : ''} to a ${operation}; the bot was probably removed`;
          await conversations.deactivate(conversationId, reason);
          log.warn(context, 'conversation deactivated: the bot can no longer post there');
          throw new SendError('conversation-gone', `${reason}. Sends to ${conversationId} stopped; add the app again to resume.`, { cause: error, ...(failure.status !== undefined ? { status: failure.status } : {}) });
        }
        if (verdict === 'messageGone') {
          throw new SendError('message-gone', `The message to ${operation} in ${conversationId} no longer exists.`, { cause: error, ...(failure.status !== undefined ? { status: failure.status } : {}) });
        }
        if (verdict === 'retry' && retry < RETRY_DELAYS_MS.length) {
          const retryAfterMs = parseRetryAfterMs(failure.retryAfter, now());
          if (retryAfterMs !== undefined) {
            // Share the pause so every replica's sends to this conversation wait too.
            await rateLimits.setRetryAfter(conversationPauseKey(conversationId), iso(now() + retryAfterMs));
          }
          const delayMs = nextDelayMs(retry, retryAfterMs, random);
          if (delayMs > maxWaitMs) {
            throw new SendError('throttled', `Teams asked to wait ${delayMs} ms before the next ${operation} to ${conversationId}; giving up for now.`, { cause: error, ...(failure.status !== undefined ? { status: failure.status } : {}) });
          }
          log.info({ ...context, delayMs }, 'Teams send failed; retrying');
          await wait('retry', delayMs);
          continue;
        }
        const code: SendErrorCode = verdict === 'retry' ? 'throttled' : 'send-failed';
        throw new SendError(code, `The ${operation} to conversation ${conversationId} failed${failure.status ? ` with HTTP ${failure.status}` : ''} after ${retry + 1} attempt(s).`, { cause: error, ...(failure.status !== undefined ? { status: failure.status } : {}) });
      }
    }
  }

  return {
    send: (reference, activity: Partial<Activity>) => guarded('send', reference, () => sender.send(reference, activity)),
    update: (reference, activityId, activity) => guarded('update', reference, () => sender.update(reference, activityId, activity)),
    reply: (reference, threadId, activity) => guarded('reply', reference, () => sender.reply(reference, threadId, activity)),
  };
}
