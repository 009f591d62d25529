// The triage features' durable jobs, over the pg-boss queue (src/store/boss-queue.ts): one job per
// acknowledgement deadline, and one recurring digest per conversation. Both survive restarts (they
// are rows in the database) and run once across replicas (a job is fetched by one worker; a
// schedule sends one job per occurrence).
import { createHash } from 'node:crypto';
import type { BossQueue } from '../store/boss-queue.ts';

export const TRIAGE_QUEUES = {
  /** A conversation's acknowledgement deadline of an incident came. Data: EscalationJob. */
  escalationDue: 'escalation-due',
  /** A conversation's daily digest is due. Data: DigestJob. */
  digestDue: 'digest-due',
} as const;

export interface EscalationJob {
  conversationId: string;
  linkId: string;
  /** The deadline this job is for; a timer moved since is not this job's (EscalationRepository.fireTimer). */
  dueAt: string;
}

export interface DigestJob {
  conversationId: string;
  /** "HH:MM" and the IANA time zone the digest is posted at. */
  time: string;
  timeZone: string;
}

export interface TriageJobs {
  /** A job that runs at `dueAt`; the same (conversation, incident, deadline) sent again adds nothing. */
  sendEscalation(job: EscalationJob): Promise<void>;
  /** The conversation's digest every day at `time` ("HH:MM") in `timeZone`; replaces an earlier one. */
  scheduleDigest(conversationId: string, time: string, timeZone: string): Promise<void>;
  unscheduleDigest(conversationId: string): Promise<void>;
  /** The conversation's daily digest, or null when it has none. */
  digestSchedule(conversationId: string): Promise<DigestJob | null>;
}

export interface TriageJobHandlers {
  escalationDue(job: EscalationJob): Promise<void>;
  digestDue(job: DigestJob): Promise<void>;
}

/** A UUID made from `key`: the same key, the same job id, so a resent job is refused by pg-boss. */
export function jobIdOf(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A schedule key per conversation: pg-boss keys allow only [\w.\-/], Teams conversation ids do not. */
export function digestKeyOf(conversationId: string): string {
  return createHash('sha256').update(conversationId).digest('hex').slice(0, 32);
}

/** "09:30" -> "30 9 * * *": every day at that minute, in the schedule's time zone. */
export function dailyCron(time: string): string {
  const match = /^(\d{2}):(\d{2})$/.exec(time);
  if (!match) throw new RangeError(`dailyCron: "${time}" is not HH:MM`);
  return `${Number(match[2])} ${Number(match[1])} * * *`;
}

export async function createTriageJobs(queue: BossQueue): Promise<TriageJobs> {
  // A deadline job that fails (Teams or the store unavailable) is retried; after that the timer stays
  // pending and the next change of the incident schedules it again.
  await queue.createQueue({ name: TRIAGE_QUEUES.escalationDue, retryLimit: 5, retryDelaySeconds: 10, deadLetter: `${TRIAGE_QUEUES.escalationDue}-dead` });
  await queue.createQueue({ name: TRIAGE_QUEUES.digestDue, retryLimit: 3, retryDelaySeconds: 30, deadLetter: `${TRIAGE_QUEUES.digestDue}-dead` });
  return {
    async sendEscalation(job) {
      await queue.send(TRIAGE_QUEUES.escalationDue, job, { startAfter: new Date(job.dueAt), id: jobIdOf(`${job.conversationId}\n${job.linkId}\n${job.dueAt}`) });
    },
    async scheduleDigest(conversationId, time, timeZone) {
      await queue.schedule<DigestJob>(TRIAGE_QUEUES.digestDue, { key: digestKeyOf(conversationId), cron: dailyCron(time), timeZone, data: { conversationId, time, timeZone } });
    },
    async unscheduleDigest(conversationId) {
      await queue.unschedule(TRIAGE_QUEUES.digestDue, digestKeyOf(conversationId));
    },
    async digestSchedule(conversationId) {
      const key = digestKeyOf(conversationId);
      return (await queue.schedules<DigestJob>(TRIAGE_QUEUES.digestDue)).find((schedule) => schedule.key === key)?.data ?? null;
    },
  };
}

/** Runs the given handlers for the triage queues on this replica. */
export async function workTriageJobs(queue: BossQueue, handlers: Partial<TriageJobHandlers>): Promise<void> {
  const { escalationDue, digestDue } = handlers;
  if (escalationDue) await queue.work<EscalationJob>(TRIAGE_QUEUES.escalationDue, (job) => escalationDue(job.data), { batchSize: 4, concurrency: 4 });
  if (digestDue) await queue.work<DigestJob>(TRIAGE_QUEUES.digestDue, (job) => digestDue(job.data));
}
