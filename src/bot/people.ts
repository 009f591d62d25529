// Who a person named by an incident (its owner) or by an analyst (an escalation contact) is, to
// Teams and to the directory: a conversation's roster member, to mention them; a directory user, to
// name them and to find their personal chat. Answers are cached: a person's membership and name
// rarely change, and every notice of a busy incident would otherwise ask Teams again.
//
// - Roster lookups try the Entra object id (when it is a GUID), then the UPN; Teams accepts both.
// - What Teams or the directory answered is cached for `ttlMs` (default 1 hour), "not a member" and
//   "no such user" included; a failed lookup is not cached, logged, and answered as unknown (null):
//   a notice then names the person instead of mentioning them.
// - At most `maxEntries` answers are kept; the oldest go first.
import { isEntraObjectId, type Owner } from '../domain/incident.ts';
import type { Logger } from '../observability/logger.ts';
import { createSilentLogger } from '../observability/logger.ts';
import type { ConversationRoster, DirectoryPerson, PersonDirectory, ProactiveReference, TeamsMember } from './ports.ts';

export interface PeopleResolver {
  /** `person` as a member of the conversation; null when not in it, or when Teams cannot say now. */
  memberIn(conversation: { id: string; reference: ProactiveReference }, person: Owner): Promise<TeamsMember | null>;
  /** `person` as `tenantId`'s directory knows them; null when unknown there, or when it cannot say now. */
  inDirectory(tenantId: string, person: Owner): Promise<DirectoryPerson | null>;
}

export interface PeopleResolverOptions {
  roster: ConversationRoster;
  /** Without one, people are known only from rosters. */
  directory?: PersonDirectory;
  log?: Logger;
  now?: () => number;
  ttlMs?: number;
  maxEntries?: number;
}

export const DEFAULT_PEOPLE_CACHE_TTL_MS = 60 * 60 * 1000;

/** Whether a change's value is an owner (a FieldChange carries it as plain JSON). */
export function isOwner(value: unknown): value is Owner {
  if (typeof value !== 'object' || value === null) return false;
  const { objectId, upn } = value as Record<string, unknown>;
  return (typeof objectId === 'string' && objectId !== '') || (typeof upn === 'string' && upn !== '');
}

/** The keys Teams and Graph find a person by, best first. */
function keysOf(person: Owner): string[] {
  const keys: string[] = [];
  if (person.objectId && isEntraObjectId(person.objectId)) keys.push(person.objectId.toLowerCase());
  if (person.upn && person.upn.includes('@')) keys.push(person.upn.trim().toLowerCase());
  return keys;
}

export function createPeopleResolver(options: PeopleResolverOptions): PeopleResolver {
  const log = options.log ?? createSilentLogger();
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? DEFAULT_PEOPLE_CACHE_TTL_MS;
  const maxEntries = options.maxEntries ?? 10_000;
  const cache = new Map<string, { value: unknown; expiresAt: number }>();

  /** The cached answer for `key`, or what `ask` answers (cached unless it failed). */
  async function cached<T>(key: string, ask: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit && hit.expiresAt > now()) return hit.value as T;
    const value = await ask();
    cache.delete(key);
    if (cache.size >= maxEntries) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(key, { value, expiresAt: now() + ttlMs });
    return value;
  }

  return {
    async memberIn(conversation, person) {
      for (const key of keysOf(person)) {
        try {
          const member = await cached(`roster\u0000${conversation.id}\u0000${key}`, () => options.roster.member(conversation.reference, key));
          if (member) return member;
        } catch (error) {
          log.warn({ err: error, conversationId: conversation.id }, 'could not look a person up in the conversation roster; naming them instead of mentioning');
          return null;
        }
      }
      return null;
    },
    async inDirectory(tenantId, person) {
      const directory = options.directory;
      if (!directory) return null;
      for (const key of keysOf(person)) {
        const user = isEntraObjectId(key) ? { objectId: key } : { upn: key };
        try {
          const found = await cached(`directory\u0000${tenantId.toLowerCase()}\u0000${key}`, () => directory.findUser(tenantId, user));
          if (found) return found;
        } catch (error) {
          log.warn({ err: error, tenantId }, 'could not look a person up in the directory');
          return null;
        }
      }
      return null;
    },
  };
}
