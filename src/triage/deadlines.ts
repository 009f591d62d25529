// Which acknowledgement deadline an incident has in a conversation. Pure.
//
// A deadline applies to an incident that matches one of the conversation's subscriptions, in a
// conversation whose tenant may see the incident's pair, while it is open and not acknowledged. It
// runs from the incident's creation, or from when the conversation's policy was set if that is
// later: setting "high=15m" does not escalate a backlog of old incidents at once, each gets the
// full 15 minutes from then.
import type { EscalationPolicy, SubscriptionRecord, TriageRecord } from '../store/ports.ts';
import { matchesSubject, type FilterSubject } from '../bot/subscription-filter.ts';

export interface DeadlineContext {
  policy: EscalationPolicy;
  /** The conversation's subscriptions. */
  subscriptions: readonly SubscriptionRecord[];
  /** Whether the conversation's tenant may see the record's pair (tenant-policy.ts). */
  canSee: boolean;
}

/** The ISO instant the incident must be acknowledged by in the conversation; null when it has none. */
export function deadlineOf(record: Pick<TriageRecord, 'open' | 'acknowledged' | 'severity' | 'createdAt' | 'subject'>, context: DeadlineContext): string | null {
  if (!record.open || record.acknowledged || !context.canSee) return null;
  if (record.severity === 'unknown') return null;
  const seconds = context.policy.deadlines[record.severity];
  if (seconds === undefined) return null;
  const subject = record.subject as unknown as FilterSubject;
  if (!context.subscriptions.some((subscription) => matchesSubject(subscription.filters, subject))) return null;
  const start = Math.max(Date.parse(record.createdAt), Date.parse(context.policy.updatedAt));
  if (!Number.isFinite(start)) return null;
  return new Date(start + seconds * 1000).toISOString();
}
