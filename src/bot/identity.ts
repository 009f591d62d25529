// Who is acting in a turn. The Entra object id and display name come with every Teams activity
// (activity.from.aadObjectId / name); the UPN needs a roster lookup (TeamsInfo.getMember), which
// only works inside Teams and costs a call, so it is cached per user and its failure is tolerated:
// the edit is still credited by object id and name. A client that puts the UPN on `from` itself
// (the Agents Playground does) saves the lookup.
import { TeamsInfo, type TurnContext } from 'botbuilder';
import { isEntraObjectId, type Actor, type Owner } from '../domain/incident.ts';
import type { EditChanges } from '../domain/edits.ts';
import type { Logger } from '../observability/logger.ts';
import { createSilentLogger } from '../observability/logger.ts';
import type { MemberInfo } from './ports.ts';
import { tenantOf } from './tenant-policy.ts';

export type MemberLookup = (context: TurnContext) => Promise<MemberInfo | null>;

/** Default lookup: the Teams roster. Throws outside Teams (no connector client, or not a member). */
export const teamsMemberLookup: MemberLookup = async (context) => {
  const member = await TeamsInfo.getMember(context, context.activity.from.id);
  const info: MemberInfo = {};
  if (member.userPrincipalName) info.userPrincipalName = member.userPrincipalName;
  if (member.email) info.email = member.email;
  if (member.name) info.name = member.name;
  return info;
};

export interface IdentityResolverOptions {
  lookupMember?: MemberLookup;
  log?: Logger;
  now?: () => number;
  /** UPNs rarely change; an hour bounds how long a rename shows the old one. */
  ttlMs?: number;
  /** Bounds memory in very large tenants; the oldest entry goes first. */
  maxEntries?: number;
}

export interface IdentityResolver {
  /** The actor of this turn, or null when the activity names no user. */
  actorOf(context: TurnContext): Promise<Actor | null>;
}

interface CacheEntry {
  upn: string | undefined;
  expiresAt: number;
}

/** Keeps sign-in names printable and bounded; they end up in portal comments and audit entries. */
function cleanName(value: string | undefined, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cleaned = value.replace(/[\u0000-\u001F\u007F-\u009F]/g, '').trim().slice(0, max);
  return cleaned.length > 0 ? cleaned : undefined;
}

export function createIdentityResolver(options: IdentityResolverOptions = {}): IdentityResolver {
  const lookup = options.lookupMember ?? teamsMemberLookup;
  const log = options.log ?? createSilentLogger();
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? 60 * 60 * 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  const cache = new Map<string, CacheEntry>();

  async function upnOf(context: TurnContext, key: string): Promise<string | undefined> {
    const cached = cache.get(key);
    if (cached && cached.expiresAt > now()) return cached.upn;
    let upn: string | undefined;
    try {
      const member = await lookup(context);
      upn = cleanName(member?.userPrincipalName ?? member?.email, 256);
    } catch (error) {
      // Outside Teams (Agents Playground without roster, tests) there is no roster: carry on.
      log.debug({ err: error, user: key }, 'member lookup failed; acting without a UPN');
    }
    cache.delete(key);
    if (cache.size >= maxEntries) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    // Failures are cached too (for the same time): a missing roster does not fix itself per message.
    cache.set(key, { upn, expiresAt: now() + ttlMs });
    return upn;
  }

  return {
    async actorOf(context) {
      const from = context.activity.from;
      if (!from?.id) return null;
      const objectId = cleanName(from.aadObjectId, 100);
      // Clients without Entra (the Bot Framework Emulator) have only a channel user id.
      const key = objectId ?? `channel-user:${from.id}`;
      const actor: Actor = { objectId: key, displayName: cleanName(from.name, 256) ?? 'Unknown user' };
      const tenantId = cleanName(tenantOf(context.activity), 100);
      if (tenantId) actor.tenantId = tenantId;
      const upn = cleanName((from as { userPrincipalName?: string }).userPrincipalName, 256) ?? (await upnOf(context, key));
      if (upn) actor.upn = upn;
      return actor;
    },
  };
}

/**
 * "Me" as an incident owner ("Assign to me", `/assign <id> me`): the acting person by UPN, and by
 * object id only where it is an Entra GUID. Actor.objectId is whatever the client sent (a channel
 * user id without Entra; the Agents Playground's 13-digit last group), and an owner with an id that
 * is not a GUID is refused as a whole by both portals' validation, though the UPN alone would carry
 * it. Null when neither identifies the person.
 */
export function ownerFromActor(actor: Actor): Owner | null {
  const objectId = isEntraObjectId(actor.objectId) ? actor.objectId : undefined;
  if (!objectId && !actor.upn) return null;
  return { ...(objectId ? { objectId } : {}), ...(actor.upn ? { upn: actor.upn } : {}), displayName: actor.displayName };
}

/**
 * Acknowledging: the acting person takes ownership and the incident goes in progress, as one edit
 * request (both portals, one outcome). Null when the person cannot be an owner (ownerFromActor).
 */
export function acknowledgeChanges(actor: Actor): EditChanges | null {
  const me = ownerFromActor(actor);
  return me ? { owner: me, status: 'inProgress' } : null;
}
