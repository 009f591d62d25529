// Which of the group ids named in ANALYSTS and APPROVERS an actor is a member of, asked of their own
// tenant's directory (the GroupDirectory port; Microsoft Graph in production) and cached.
//
// - Nothing is asked when the lists name no GUID: roles then never depend on groups.
// - Only the listed ids are asked about (checkMemberGroups), never "all my groups".
// - Answers are cached per (tenant, person) for `ttlMs` (default 5 minutes: someone removed from a
//   group loses the role within that time, and a busy channel costs one Graph call per person per
//   5 minutes), at most `maxEntries` people (the oldest go first).
// - A failed lookup is never cached as "no groups": the next turn asks again. Concurrent turns of
//   one person share one request.
// - It never throws: a failure becomes { ok: false, problem } with a sentence the person can pass
//   to an administrator.
import { CodedError } from '../domain/errors.ts';
import type { Actor } from '../domain/incident.ts';
import type { Logger } from '../observability/logger.ts';
import { createSilentLogger } from '../observability/logger.ts';
import type { GroupLookup, GroupsOf } from './access.ts';

/** One tenant's directory, as far as roles need it (implemented over Graph in src/portals/directory). */
export interface GroupDirectory {
  /** Of `groupIds`, those the user belongs to in `tenantId`'s directory (nested groups included). */
  memberGroups(tenantId: string, user: { objectId: string; upn?: string | undefined }, groupIds: readonly string[]): Promise<string[]>;
}

export interface GroupMembershipOptions {
  directory: GroupDirectory;
  /** The GUID entries of ANALYSTS and APPROVERS (candidateGroupIds). */
  groupIds: readonly string[];
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
  log?: Logger;
}

export const DEFAULT_GROUP_CACHE_TTL_MS = 5 * 60 * 1000;
export const DEFAULT_GROUP_CACHE_MAX_ENTRIES = 10_000;

const PREFIX = 'Your group membership could not be checked, so only what you are listed for directly counts';

/** What to tell the person, by the failure's code (PortalError codes from the Graph client). */
export function groupLookupProblem(error: unknown, tenantId: string): string {
  const code = error instanceof CodedError ? error.code : undefined;
  switch (code) {
    case 'forbidden':
      return `${PREFIX}: the bridge may not read group membership in your tenant (${tenantId}). An administrator grants its app the Microsoft Graph application permissions User.Read.All and GroupMember.Read.All (or Directory.Read.All), with admin consent.`;
    case 'unauthorized':
      return `${PREFIX}: the bridge could not sign in to your tenant's directory (${tenantId}). An administrator checks that the bridge's app is consented in this tenant and that its credential is valid.`;
    case 'not-found':
      return `${PREFIX}: your account was not found in your tenant's directory (${tenantId}).`;
    case 'bad-request':
      return `${PREFIX}: ${error instanceof Error ? error.message : 'Microsoft Graph refused the question.'}`;
    case 'throttled':
    case 'unavailable':
      return `${PREFIX}: Microsoft Graph could not be reached or is busy. Try again in a minute.`;
    default:
      return `${PREFIX}: the directory lookup failed. Try again in a minute; if it persists, an administrator finds the cause in the bridge's log.`;
  }
}

interface Entry {
  groupIds: readonly string[];
  expiresAt: number;
}

export function createGroupMembership(options: GroupMembershipOptions): GroupsOf {
  const ttlMs = options.ttlMs ?? DEFAULT_GROUP_CACHE_TTL_MS;
  const maxEntries = options.maxEntries ?? DEFAULT_GROUP_CACHE_MAX_ENTRIES;
  const now = options.now ?? Date.now;
  const log = options.log ?? createSilentLogger();
  const groupIds = [...options.groupIds];
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<GroupLookup>>();

  function remember(key: string, found: readonly string[]): void {
    cache.delete(key);
    while (cache.size >= maxEntries) {
      const oldest = cache.keys().next();
      if (oldest.done) break;
      cache.delete(oldest.value);
    }
    cache.set(key, { groupIds: found, expiresAt: now() + ttlMs });
  }

  async function lookUp(key: string, tenantId: string, actor: Actor): Promise<GroupLookup> {
    try {
      const found = await options.directory.memberGroups(tenantId, { objectId: actor.objectId, upn: actor.upn }, groupIds);
      remember(key, found);
      return { ok: true, groupIds: found };
    } catch (error) {
      log.warn({ err: error, tenantId, actor: actor.objectId }, 'group membership lookup failed; the person keeps only their direct roles');
      return { ok: false, problem: groupLookupProblem(error, tenantId) };
    }
  }

  return async (actor) => {
    if (groupIds.length === 0) return { ok: true, groupIds: [] };
    const tenantId = actor.tenantId;
    if (!tenantId) return { ok: false, problem: `${PREFIX}: Teams did not say which tenant you are in.` };
    const key = `${tenantId.toLowerCase()}|${actor.objectId.toLowerCase()}`;
    const cached = cache.get(key);
    if (cached && cached.expiresAt > now()) return { ok: true, groupIds: cached.groupIds };
    const pending = inFlight.get(key);
    if (pending) return pending;
    const lookup = lookUp(key, tenantId, actor).finally(() => inFlight.delete(key));
    inFlight.set(key, lookup);
    return lookup;
  };
}
