// A TeamsSender that records what it was asked to send and can fail on demand, shaped like
// botbuilder's RestError (statusCode, response.headers) so guarded-sender classifies it as in
// production.
import type { Activity } from 'botbuilder';
import type { ProactiveReference, TeamsSender } from '../../../src/bot/ports.ts';

export type SendOp = 'send' | 'update' | 'reply';

export interface SentRecord {
  op: SendOp;
  conversationId: string;
  /** The message updated (update) or the thread root (reply). */
  targetId?: string;
  /** The id the fake gave the new message (send, reply). */
  id?: string;
  activity: Partial<Activity>;
}

export interface InjectedFailure {
  op?: SendOp;
  status: number;
  retryAfter?: string;
  errorCode?: string;
}

export interface FakeSender extends TeamsSender {
  readonly records: SentRecord[];
  /** Failures consumed in order by the next matching calls. */
  readonly failures: InjectedFailure[];
  /** Calls that failed (attempts included). */
  readonly failedAttempts: { op: SendOp; status: number }[];
  of(op: SendOp): SentRecord[];
}

export function restError(failure: InjectedFailure): Error {
  const error = new Error(`Teams answered ${failure.status}`) as Error & Record<string, unknown>;
  error['statusCode'] = failure.status;
  const headers = new Map<string, string>();
  if (failure.retryAfter !== undefined) headers.set('retry-after', failure.retryAfter);
  error['response'] = { status: failure.status, headers: { get: (name: string) => headers.get(name.toLowerCase()) } };
  if (failure.errorCode) error['body'] = { error: { code: failure.errorCode, message: 'simulated' } };
  return error;
}

export function createFakeSender(): FakeSender {
  const records: SentRecord[] = [];
  const failures: InjectedFailure[] = [];
  const failedAttempts: { op: SendOp; status: number }[] = [];
  let nextId = 1;

  function maybeFail(op: SendOp): void {
    const index = failures.findIndex((failure) => failure.op === undefined || failure.op === op);
    if (index === -1) return;
    const [failure] = failures.splice(index, 1);
    if (!failure) return;
    failedAttempts.push({ op, status: failure.status });
    throw restError(failure);
  }

  const conversationOf = (reference: ProactiveReference) => reference.conversation?.id ?? '';

  return {
    records,
    failures,
    failedAttempts,
    of: (op) => records.filter((record) => record.op === op),
    async send(reference, activity) {
      maybeFail('send');
      const id = `msg-${nextId++}`;
      records.push({ op: 'send', conversationId: conversationOf(reference), id, activity });
      return { id };
    },
    async update(reference, activityId, activity) {
      maybeFail('update');
      records.push({ op: 'update', conversationId: conversationOf(reference), targetId: activityId, activity });
    },
    async reply(reference, threadId, activity) {
      maybeFail('reply');
      const id = `msg-${nextId++}`;
      records.push({ op: 'reply', conversationId: conversationOf(reference), targetId: threadId, id, activity });
      return { id };
    },
  };
}
