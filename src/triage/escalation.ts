// Acknowledgement deadlines per conversation, end to end:
// - the triage recorder (a ChangeConsumer) keeps each incident's triage record current and, for
//   every conversation with a policy, its timer: scheduled while the incident is open, matches the
//   conversation and is not acknowledged; cancelled once it is acknowledged, assigned or resolved
//   in either portal, or no longer matches;
// - each pending timer has a durable job at its deadline (jobs.ts); the job fires the timer (a
//   compare-and-set in the store, so once across replicas and restarts) and, in the same
//   transaction, appends an 'escalated' change event;
// - the notifier, the one writer of card messages, shows the card as overdue and replies in its
//   thread, mentioning the escalation contacts (escalationNotices below).
import type { Activity } from 'botbuilder';
import type { ChangeConsumer } from '../sync/api.ts';
import { changeEvent, toIncidentView } from '../sync/events.ts';
import type { ChangeEvent, IncidentView } from '../domain/change-events.ts';
import { SEVERITY_WORDS, wordOf } from '../domain/display-words.ts';
import { formatDuration, isAcknowledged, isClosed } from '../domain/triage.ts';
import type { ConversationRecord, EscalationPolicy, NoticeLogRepository, Store, SubscriptionRecord, TriageRecord } from '../store/ports.ts';
import type { Logger } from '../observability/logger.ts';
import { escapeForTextBlock } from '../cards/escape.ts';
import { mentionOf } from '../bot/mentions.ts';
import type { PeopleResolver } from '../bot/people.ts';
import { canSee, type TenantPolicy } from '../bot/tenant-policy.ts';
import { deadlineOf } from './deadlines.ts';
import type { EscalationJob, TriageJobs } from './jobs.ts';
import { nextTriageRecord } from './records.ts';

export type TriageStore = Pick<Store, 'escalations' | 'triage' | 'links' | 'subscriptions' | 'conversations' | 'transaction'>;

export interface EscalationDeps {
  store: TriageStore;
  jobs: Pick<TriageJobs, 'sendEscalation'>;
  tenants: TenantPolicy;
  clock: () => Date;
  log: Logger;
}

/** Brings a conversation's timer of one incident in line with the deadline it has there now. */
async function applyDeadline(
  deps: EscalationDeps,
  policy: EscalationPolicy,
  conversation: ConversationRecord | null,
  subscriptions: readonly SubscriptionRecord[],
  record: TriageRecord,
): Promise<void> {
  const now = deps.clock().toISOString();
  const dueAt =
    conversation?.active === true
      ? deadlineOf(record, {
          policy,
          subscriptions: subscriptions.filter((subscription) => subscription.conversationId === policy.conversationId),
          canSee: canSee(deps.tenants.scopeOf(conversation.tenantId), record.pairId),
        })
      : null;
  if (dueAt === null) {
    await deps.store.escalations.cancelTimers(record.linkId, now, policy.conversationId);
    return;
  }
  const timer = await deps.store.escalations.scheduleTimer(policy.conversationId, record.linkId, dueAt, now);
  // Sent again on every change of the incident: the job id is fixed by the deadline, so a resend adds nothing.
  if (timer.state === 'pending') await deps.jobs.sendEscalation({ conversationId: policy.conversationId, linkId: record.linkId, dueAt: timer.dueAt });
}

/** The 'triage' consumer: triage records and acknowledgement timers, from the change events. */
export function createTriageRecorder(deps: EscalationDeps): ChangeConsumer {
  return {
    name: 'triage',
    async handle(event) {
      if (event.kind !== 'created' && event.kind !== 'updated' && event.kind !== 'merged') return;
      const previous = await deps.store.triage.get(event.linkId);
      const draft = nextTriageRecord(previous, event.pairId, event.incident, event.occurredAt);
      if (!draft) return;
      const record = await deps.store.triage.put(draft);
      if (!record.open || record.acknowledged) {
        await deps.store.escalations.cancelTimers(record.linkId, deps.clock().toISOString());
        return;
      }
      const policies = await deps.store.escalations.listPolicies();
      if (policies.length === 0) return;
      const subscriptions = await deps.store.subscriptions.listActive();
      for (const policy of policies) await applyDeadline(deps, policy, await deps.store.conversations.get(policy.conversationId), subscriptions, record);
    },
  };
}

/** Timers for the open, unacknowledged incidents a conversation's (new) policy covers; pending ones it no longer covers are cancelled. */
export async function applyPolicy(deps: EscalationDeps, policy: EscalationPolicy): Promise<void> {
  const subscriptions = await deps.store.subscriptions.listActive();
  const conversation = await deps.store.conversations.get(policy.conversationId);
  const records = await deps.store.triage.listActive(deps.clock().toISOString());
  for (const record of records) if (record.open) await applyDeadline(deps, policy, conversation, subscriptions, record);
}

/**
 * The job at a deadline: fires the timer when the incident is still not acknowledged and the
 * conversation still has a policy, appending the 'escalated' event in the same transaction. A timer
 * that moved, fired, or was cancelled since is not this job's: nothing happens.
 */
export async function fireEscalation(deps: Pick<EscalationDeps, 'store' | 'clock' | 'log'>, job: EscalationJob): Promise<boolean> {
  const now = deps.clock().toISOString();
  const link = await deps.store.links.get(job.linkId);
  const view = link ? toIncidentView(link) : null;
  if (!link || !view || link.mergedIntoLinkId || isAcknowledged([view.defender, view.sentinel]) || isClosed([view.defender, view.sentinel])) {
    await deps.store.escalations.cancelTimers(job.linkId, now, job.conversationId);
    return false;
  }
  if (!(await deps.store.escalations.getPolicy(job.conversationId))) return false;
  const fired = await deps.store.transaction(async (tx) => {
    if (!(await tx.escalations.fireTimer(job.conversationId, job.linkId, job.dueAt, now))) return false;
    await tx.changeEvents.append([changeEvent(link, { kind: 'escalated', changes: [], escalation: { conversationId: job.conversationId, dueAt: job.dueAt }, occurredAt: now })]);
    return true;
  });
  if (fired) deps.log.info({ conversationId: job.conversationId, linkId: job.linkId, dueAt: job.dueAt }, 'acknowledgement deadline passed; escalating');
  return fired;
}

export interface EscalationNoticesDeps {
  store: Pick<Store, 'escalations'>;
  notices: NoticeLogRepository;
  people: Pick<PeopleResolver, 'memberIn'>;
}

/** The notifier's view of deadlines (notifier.ts EscalationNotices). */
export function createEscalationNotices(deps: EscalationNoticesDeps) {
  return {
    notices: deps.notices,

    async overdueSince(conversationId: string, view: IncidentView): Promise<string | null> {
      if (isAcknowledged([view.defender, view.sentinel]) || isClosed([view.defender, view.sentinel])) return null;
      const timer = await deps.store.escalations.getTimer(conversationId, view.linkId);
      return timer?.state === 'fired' ? timer.dueAt : null;
    },

    async replyFor(conversation: ConversationRecord, event: ChangeEvent): Promise<Partial<Activity> | null> {
      const policy = await deps.store.escalations.getPolicy(conversation.id);
      if (!policy) return null;
      const incident = event.incident.defender ?? event.incident.sentinel;
      const severity = incident?.severity ?? 'unknown';
      const deadline = severity === 'unknown' ? undefined : policy.deadlines[severity];
      const ref = event.incident.defender?.id ?? String(event.incident.sentinel?.incidentNumber ?? '');
      const who: string[] = [];
      const entities: NonNullable<Activity['entities']> = [];
      for (const contact of policy.contacts) {
        const member = await deps.people.memberIn(conversation, { upn: contact.upn, ...(contact.objectId ? { objectId: contact.objectId } : {}) });
        if (member) {
          const mention = mentionOf(member);
          who.push(mention.text);
          entities.push(mention.entity);
        } else {
          who.push(escapeForTextBlock(contact.displayName || contact.upn, 80));
        }
      }
      const within = deadline !== undefined ? ` within ${formatDuration(deadline)}` : '';
      const head = `⏰ Incident ${escapeForTextBlock(ref, 40)} (${wordOf(SEVERITY_WORDS, severity) ?? SEVERITY_WORDS.unknown}) was not acknowledged${within}.`;
      const text = who.length > 0 ? `${head} ${who.join(', ')}: please take it, or acknowledge it from the card.` : `${head} Acknowledge it from the card.`;
      return { type: 'message', text, ...(entities.length > 0 ? { entities } : {}) };
    },
  };
}
