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
  RETRY_DELAYS_MS,
  TENANT_BUCKET,
  classifySendFailure,
  conversationBucketKey,
  conversationPauseKey,
  describeSendFailure,
  nextDelayMs,
  parseRetryAfterMs,
  tenantBucketKey,
  tenantPauseKey,
  type SendOperation,
} from './send-policy.ts';
import { baseConversationId } from './conversation-reference.ts';

export type SendErrorCode =
  /** The bot cannot post to this conversation any more; it was deactivated. */
  | 'conversation-gone'
  /** The message to update was deleted. */
  | 'message-gone'
  /** Still throttled after the retries, or asked to wait longer than maxWaitMs. */
  | 'throttled'
  | 'send-failed';

export class SendError extends CodedError<SendErrorCode> {
  readonly status?: number;
  constructor(code: SendErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options);
    if (options?.status !== undefined) this.status = options.status;
  }
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
  const iso = (ms: number) => new Date(ms).toISOString();

  /** Waits until the shared pauses are over and every bucket granted a token. */
  async function waitForTurn(conversationId: string, tenantId: string): Promise<void> {
    const deadline = now() + maxWaitMs;
    for (;;) {
      const nowMs = now();
      const pauses = await Promise.all([
        rateLimits.getRetryAfter(conversationPauseKey(conversationId), iso(nowMs)),
        rateLimits.getRetryAfter(tenantPauseKey(tenantId), iso(nowMs)),
      ]);
      const pauseUntil = Math.max(0, ...pauses.map((until) => (until ? Date.parse(until) : 0)));
      let waitMs = pauseUntil > nowMs ? pauseUntil - nowMs : 0;
      if (waitMs === 0) {
        // Conversation buckets first, the tenant's last: a conversation that is out of tokens does
        // not spend the tenant's. A denied take leaves earlier tokens spent; that errs on the safe side.
        const rules = [...CONVERSATION_BUCKETS.map((rule) => ({ key: conversationBucketKey(conversationId, rule), rule })), { key: tenantBucketKey(tenantId), rule: TENANT_BUCKET }];
        for (const { key, rule } of rules) {
          const take = await rateLimits.take(key, rule.capacity, rule.refillPerSecond, iso(now()));
          if (!take.granted) {
            waitMs = Math.max(1, take.retryAfterMs);
            break;
          }
        }
        if (waitMs === 0) return;
      }
      if (now() + waitMs > deadline) {
        throw new SendError('throttled', `Teams rate limit for conversation ${conversationId}: would wait ${waitMs} ms, more than the ${maxWaitMs} ms allowed; the next change retries.`);
      }
      await sleep(waitMs);
    }
  }

  async function guarded<T>(operation: SendOperation, reference: ProactiveReference, attempt: () => Promise<T>): Promise<T> {
    const conversationId = baseConversationId(reference.conversation?.id ?? '');
    if (!conversationId) throw new SendError('send-failed', 'The stored conversation reference has no conversation id; re-install the app in that conversation.');
    const tenantId = tenantOf(reference);
    for (let retry = 0; ; retry += 1) {
      await waitForTurn(conversationId, tenantId);
      try {
        return await attempt();
      } catch (error) {
        const failure = describeSendFailure(error);
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
          await sleep(delayMs);
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
