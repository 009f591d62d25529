// What the triage commands change: a conversation's acknowledgement deadlines and who they escalate
// to. Contacts must be people the conversation's tenant directory knows (a typo would escalate to
// nobody); a directory that cannot answer refuses the change rather than guess.
import type { Actor } from '../domain/incident.ts';
import type { ConversationRecord, DeadlineSeverity, EscalationContact, EscalationPolicy } from '../store/ports.ts';
import type { PersonDirectory } from '../bot/ports.ts';
import type { AdaptiveCard } from '../cards/render.ts';
import { digestCardFor, type DigestDeps } from './digests.ts';
import { applyPolicy, type EscalationDeps } from './escalation.ts';
import type { DigestJob, TriageJobs } from './jobs.ts';

export type SetEscalationResult =
  | { kind: 'set'; policy: EscalationPolicy }
  /** These UPNs are not in the conversation's tenant directory. */
  | { kind: 'unknown-contacts'; upns: string[] }
  /** The directory could not be asked; nothing was changed. */
  | { kind: 'directory-unavailable' };

export interface TriageSettingsDeps extends Omit<EscalationDeps, 'store' | 'jobs'> {
  store: EscalationDeps['store'] & DigestDeps['store'];
  jobs: Pick<TriageJobs, 'sendEscalation' | 'scheduleDigest' | 'unscheduleDigest' | 'digestSchedule'>;
  directory: PersonDirectory | undefined;
}

export interface TriageSettings {
  escalationOf(conversationId: string): Promise<EscalationPolicy | null>;
  setEscalation(conversation: Pick<ConversationRecord, 'id' | 'tenantId'>, deadlines: Partial<Record<DeadlineSeverity, number>>, upns: readonly string[], actor: Actor): Promise<SetEscalationResult>;
  /** False when the conversation had no deadlines. */
  clearEscalation(conversationId: string): Promise<boolean>;
  /** The conversation's digest card as of now. */
  digestNow(conversation: Pick<ConversationRecord, 'id' | 'tenantId'>): Promise<AdaptiveCard>;
  /** Posts the digest every day at `time` ("HH:MM") in `timeZone`, replacing an earlier schedule. */
  scheduleDigest(conversationId: string, time: string, timeZone: string): Promise<void>;
  /** False when the conversation had no daily digest. */
  stopDigest(conversationId: string): Promise<boolean>;
  digestScheduleOf(conversationId: string): Promise<DigestJob | null>;
  /** The bot left the conversation: its deadlines, timers and digest go. */
  forgetConversation(conversationId: string): Promise<void>;
}

export function createTriageSettings(deps: TriageSettingsDeps): TriageSettings {
  async function contactsOf(tenantId: string, upns: readonly string[]): Promise<{ contacts: EscalationContact[]; unknown: string[] } | null> {
    const directory = deps.directory;
    if (!directory) return null;
    const contacts: EscalationContact[] = [];
    const unknown: string[] = [];
    for (const upn of upns) {
      let person;
      try {
        person = await directory.findUser(tenantId, { upn });
      } catch (error) {
        deps.log.warn({ err: error, tenantId }, 'could not check escalation contacts in the directory');
        return null;
      }
      if (person) contacts.push({ upn: person.upn, objectId: person.objectId, ...(person.displayName ? { displayName: person.displayName } : {}) });
      else unknown.push(upn);
    }
    return { contacts, unknown };
  }

  return {
    escalationOf: (conversationId) => deps.store.escalations.getPolicy(conversationId),

    async setEscalation(conversation, deadlines, upns, actor) {
      const checked = await contactsOf(conversation.tenantId, upns);
      if (!checked) return { kind: 'directory-unavailable' };
      if (checked.unknown.length > 0) return { kind: 'unknown-contacts', upns: checked.unknown };
      const policy = await deps.store.escalations.setPolicy({ conversationId: conversation.id, deadlines, contacts: checked.contacts, updatedBy: actor });
      await applyPolicy(deps, policy);
      return { kind: 'set', policy };
    },

    clearEscalation: (conversationId) => deps.store.escalations.deletePolicy(conversationId),

    digestNow: (conversation) => digestCardFor(deps, conversation),
    scheduleDigest: (conversationId, time, timeZone) => deps.jobs.scheduleDigest(conversationId, time, timeZone),
    async stopDigest(conversationId) {
      const had = (await deps.jobs.digestSchedule(conversationId)) !== null;
      await deps.jobs.unscheduleDigest(conversationId);
      return had;
    },
    digestScheduleOf: (conversationId) => deps.jobs.digestSchedule(conversationId),

    async forgetConversation(conversationId) {
      await deps.store.escalations.deletePolicy(conversationId);
      await deps.jobs.unscheduleDigest(conversationId);
    },
  };
}
