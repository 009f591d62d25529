// Posting digests: on request (/digest) and on a conversation's daily schedule. The figures come
// from the store (digest.ts); the schedule is a pg-boss schedule per conversation (jobs.ts), which
// fires once per occurrence across replicas and keeps its local time across daylight saving. A
// retried job never posts a day's digest twice: each is claimed in the notice log first.
import type { Logger } from '../observability/logger.ts';
import type { ConversationRecord, Store } from '../store/ports.ts';
import type { AdaptiveCard } from '../cards/render.ts';
import { renderDigestCard } from '../cards/digest-card.ts';
import { cardActivity } from '../bot/card-activity.ts';
import { commandText } from '../bot/replies.ts';
import { openIncidentCommand } from '../bot/incident-list-reply.ts';
import type { TeamsSender } from '../bot/ports.ts';
import { canSee, type TenantPolicy } from '../bot/tenant-policy.ts';
import { computeDigest, MEDIAN_WINDOW_MS } from './digest.ts';
import type { DigestJob, TriageJobs } from './jobs.ts';

export interface DigestDeps {
  store: Pick<Store, 'triage' | 'escalations' | 'subscriptions' | 'conversations' | 'notices'>;
  jobs: Pick<TriageJobs, 'digestSchedule' | 'unscheduleDigest'>;
  tenants: TenantPolicy;
  clock: () => Date;
  log: Logger;
}

/** The footer: when the digest comes by itself, and how to change that. */
export function scheduleText(schedule: Pick<DigestJob, 'time' | 'timeZone'> | null): string {
  return schedule
    ? `Posted daily at ${schedule.time} (${schedule.timeZone}). ${commandText('/digest off')} stops it.`
    : `${commandText('/digest daily 09:00 Europe/Amsterdam')} posts this here every day.`;
}

/** The conversation's digest card as of now. */
export async function digestCardFor(deps: DigestDeps, conversation: Pick<ConversationRecord, 'id' | 'tenantId'>): Promise<AdaptiveCard> {
  const now = deps.clock();
  const scope = deps.tenants.scopeOf(conversation.tenantId);
  const [records, subscriptions, fired, pending, schedule] = await Promise.all([
    deps.store.triage.listActive(new Date(now.getTime() - MEDIAN_WINDOW_MS).toISOString()),
    deps.store.subscriptions.listForConversation(conversation.id),
    deps.store.escalations.listTimers(conversation.id, 'fired'),
    deps.store.escalations.listTimers(conversation.id, 'pending'),
    deps.jobs.digestSchedule(conversation.id),
  ]);
  const digest = computeDigest({ records, subscriptions, canSee: (pairId) => canSee(scope, pairId), timers: [...fired, ...pending], now: now.toISOString() });
  return renderDigestCard(digest, { schedule: scheduleText(schedule), openCommand: (incident) => openIncidentCommand(incident.linkId, incident.ref) });
}

/** The day of `at` in `timeZone`, as YYYY-MM-DD. */
export function localDay(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/**
 * The local day of the latest daily `time` ("HH:MM") at or before `at` in `timeZone`: the
 * occurrence a digest job stands for. A job sent late (an occurrence missed while no replica ran,
 * sent once they run again) is yesterday's, not today's, so today's still gets posted.
 */
export function occurrenceDay(at: Date, time: string, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(at)
      .map((part) => [part.type, part.value]),
  );
  const today = `${parts['year']}-${parts['month']}-${parts['day']}`;
  if (`${parts['hour']}:${parts['minute']}` >= time) return today;
  const yesterday = new Date(Date.UTC(Number(parts['year']), Number(parts['month']) - 1, Number(parts['day']) - 1));
  return yesterday.toISOString().slice(0, 10);
}

/** The scheduled digest job: posts the card once for this occurrence; a conversation the bot left loses its schedule. */
export async function postScheduledDigest(deps: DigestDeps & { sender: TeamsSender }, job: DigestJob): Promise<boolean> {
  const conversation = await deps.store.conversations.get(job.conversationId);
  if (!conversation?.active) {
    await deps.jobs.unscheduleDigest(job.conversationId);
    return false;
  }
  const now = deps.clock();
  const key = `digest:${job.conversationId}:${occurrenceDay(now, job.time, job.timeZone)}:${job.time}`;
  if (!(await deps.store.notices.claim(key, now.toISOString()))) return false;
  try {
    await deps.sender.send(conversation.reference, cardActivity(await digestCardFor(deps, conversation)));
  } catch (error) {
    await deps.store.notices.release(key);
    throw error;
  }
  deps.log.info({ conversationId: job.conversationId }, 'posted the daily digest');
  return true;
}
