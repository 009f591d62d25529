// In-memory TriageJobs (src/triage/jobs.ts) for unit and bot tests: records the deadline jobs sent
// (one per conversation, incident and deadline, as pg-boss's fixed job ids make it) and the daily
// digest schedules. Nothing runs by itself: tests fire the jobs they want, when they want.
import type { DigestJob, EscalationJob, TriageJobs } from '../../src/triage/jobs.ts';

export interface FakeTriageJobs extends TriageJobs {
  /** Deadline jobs sent, oldest first, each once. */
  readonly escalations: EscalationJob[];
  /** Daily digests by conversation id. */
  readonly digests: Map<string, DigestJob>;
}

export function createFakeTriageJobs(): FakeTriageJobs {
  const escalations: EscalationJob[] = [];
  const digests = new Map<string, DigestJob>();
  return {
    escalations,
    digests,
    async sendEscalation(job) {
      if (!escalations.some((sent) => sent.conversationId === job.conversationId && sent.linkId === job.linkId && sent.dueAt === job.dueAt)) escalations.push({ ...job });
    },
    async scheduleDigest(conversationId, time, timeZone) {
      digests.set(conversationId, { conversationId, time, timeZone });
    },
    async unscheduleDigest(conversationId) {
      digests.delete(conversationId);
    },
    async digestSchedule(conversationId) {
      return digests.get(conversationId) ?? null;
    },
  };
}
