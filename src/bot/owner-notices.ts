// The personal notice to an incident's new owner: when an owner change (from Teams or either
// portal) names a person who has the bot installed for them (a personal chat the bridge knows), they
// get one message there. A ChangeConsumer: the dispatcher delivers each event to it once at a time,
// on one replica, at least once; the notice log makes it at most once (claimed before sending,
// released when the send fails so the redelivery tries again).
//
// - Owners who assigned themselves from Teams are not told what they just did.
// - The owner's personal chat is found by Entra object id (Sentinel's owner has it; a UPN-only
//   Defender owner is looked up in the incident's tenant directory), else by UPN.
// - The chat's tenant must be allowed to see the incident's pair (tenant-policy.ts): an MSSP
//   customer never hears of another customer's incidents.
// - Only fresh news: a change older than MAX_NOTICE_AGE_MS is not told. A consumer new to a
//   deployment is delivered the outbox from its start, and years of assignments must not arrive
//   in people's chats at once; nor, after an outage, hours-old ones.
import type { ChangeConsumer } from '../sync/api.ts';
import type { ChangeEvent } from '../domain/change-events.ts';
import { PORTAL_NAMES, SEVERITY_WORDS, wordOf } from '../domain/display-words.ts';
import { isEntraObjectId, type Actor, type Owner } from '../domain/incident.ts';
import type { ConversationRepository, NoticeLogRepository } from '../store/ports.ts';
import type { Logger } from '../observability/logger.ts';
import { createSilentLogger } from '../observability/logger.ts';
import { textActivity } from './card-activity.ts';
import { isOwner, type PeopleResolver } from './people.ts';
import type { TeamsSender } from './ports.ts';
import { ownerNoticeText } from './replies.ts';
import { canSee, type TenantPolicy } from './tenant-policy.ts';

export interface OwnerNoticesOptions {
  conversations: Pick<ConversationRepository, 'findPersonal'>;
  notices: NoticeLogRepository;
  people: Pick<PeopleResolver, 'inDirectory'>;
  /** Should be the guarded sender (rate limits, retries). */
  sender: TeamsSender;
  tenants: TenantPolicy;
  log?: Logger;
  now?: () => Date;
}

/** How old an owner change may be and still be told to its owner. */
export const MAX_NOTICE_AGE_MS = 30 * 60_000;

function samePerson(actor: Actor, owner: Owner): boolean {
  const equal = (a: string | undefined, b: string | undefined) => !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();
  return equal(actor.upn, owner.upn) || equal(actor.objectId, owner.objectId);
}

export function createOwnerNotices(options: OwnerNoticesOptions): ChangeConsumer {
  const log = options.log ?? createSilentLogger();
  const now = options.now ?? (() => new Date());

  async function personalChatOf(event: ChangeEvent, owner: Owner) {
    let person = { objectId: owner.objectId, upn: owner.upn };
    const tenantId = event.incident.defender?.tenantId ?? event.incident.sentinel?.tenantId;
    if (!(owner.objectId && isEntraObjectId(owner.objectId)) && tenantId) {
      const known = await options.people.inDirectory(tenantId, owner);
      if (known) person = { objectId: known.objectId, upn: known.upn };
    }
    return options.conversations.findPersonal(person);
  }

  return {
    name: 'owner-notices',
    async handle(event) {
      if (event.kind !== 'updated' || !(now().getTime() - Date.parse(event.occurredAt) <= MAX_NOTICE_AGE_MS)) return;
      const change = event.changes.find((candidate) => candidate.field === 'owner');
      if (!change || !isOwner(change.to)) return;
      const owner = change.to;
      if (change.fromTeams && event.actor && samePerson(event.actor, owner)) return;
      const chat = await personalChatOf(event, owner);
      if (!chat || !canSee(options.tenants.scopeOf(chat.tenantId), event.pairId)) return;
      const key = `owner:${event.id}`;
      if (!(await options.notices.claim(key, now().toISOString()))) return;
      const incident = event.incident.defender ?? event.incident.sentinel;
      const ref = event.incident.defender?.id ?? String(event.incident.sentinel?.incidentNumber ?? incident?.id ?? '');
      const text = ownerNoticeText(
        { ref, title: incident?.title ?? '', severity: wordOf(SEVERITY_WORDS, incident?.severity) ?? SEVERITY_WORDS.unknown },
        change.by,
        change.fromTeams ? 'from Teams' : `in ${PORTAL_NAMES[change.portal]}`,
      );
      try {
        await options.sender.send(chat.reference, textActivity(text));
        log.info({ linkId: event.linkId, conversationId: chat.id }, 'told the new owner in their personal chat');
      } catch (error) {
        await options.notices.release(key);
        throw error;
      }
    },
  };
}
