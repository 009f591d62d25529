// Group membership in one tenant's Entra directory, through Microsoft Graph's documented
// `POST /users/{id | userPrincipalName}/checkMemberGroups`: of the group ids asked, those the user
// belongs to, directly or through nested groups. Up to 20 ids per request (documented), so longer
// lists go in chunks. Needs the application permissions User.Read.All and GroupMember.Read.All (or
// Directory.Read.All); failures are coded PortalErrors with source 'directory' whose message says
// what an administrator can fix.
import type { Client } from '@microsoft/microsoft-graph-client';
import { PortalError } from '../../domain/errors.ts';
import { isEntraObjectId } from '../../domain/incident.ts';
import { invalidResponse } from '../http/errors.ts';
import { resolveRetryOptions, type RetryPolicyOptions } from '../http/retry.ts';
import { isObject } from '../wire.ts';
import { connectGraph, graphFailureToPortalError, type GraphConnectionOptions } from '../defender/graph-pipeline.ts';

/** Documented limit of checkMemberGroups: "up to a maximum of 20 groups per request". */
export const CHECK_MEMBER_GROUPS_MAX_IDS = 20;

/**
 * A role check runs inside a Teams turn, and Teams wants card actions answered within about 5 s:
 * one retry after a short wait, never the portals' 30 s budget. A lookup that still fails is
 * refused with its reason, and the person asks again.
 */
export const DIRECTORY_RETRY_POLICY: RetryPolicyOptions = {
  maxRetries: 1,
  maxTotalWaitMs: 1_000,
  baseDelayMs: 200,
  maxDelayMs: 1_000,
  requestTimeoutMs: 2_500,
};

/** Who to ask about: Graph finds a user by object id (a GUID) or by userPrincipalName. */
export interface DirectoryUserKey {
  objectId?: string | undefined;
  upn?: string | undefined;
}

export interface GroupMembershipClient {
  /** Of `groupIds`, the ones the user is a member of (nested groups included), as spelt in `groupIds`. */
  memberGroups(user: DirectoryUserKey, groupIds: readonly string[], signal?: AbortSignal): Promise<string[]>;
}

/** Where and as whom (graphEndpoint, tenant, identity, the extra CA), and the test seams. */
export type GroupMembershipClientOptions = GraphConnectionOptions & { retry?: Partial<RetryPolicyOptions> };

/**
 * The path key for a user. The object id when it is an Entra GUID, else the UPN: the Agents
 * Playground sends an object id that is no GUID, which Graph would read as a UPN and not find.
 */
export function directoryKeyOf(user: DirectoryUserKey): string | null {
  if (user.objectId && isEntraObjectId(user.objectId)) return user.objectId;
  if (user.upn && user.upn.includes('@')) return user.upn;
  return null;
}

export function createGroupMembershipClient(options: GroupMembershipClientOptions): GroupMembershipClient {
  const retry = resolveRetryOptions({ ...DIRECTORY_RETRY_POLICY, ...options.retry });
  const now = options.now ?? Date.now;
  const client: Client = connectGraph(options, retry);

  async function checkChunk(key: string, chunk: readonly string[], signal: AbortSignal | undefined): Promise<string[]> {
    const what = `checkMemberGroups for ${key} in tenant ${options.tenantId}`;
    let request = client.api(`/users/${encodeURIComponent(key)}/checkMemberGroups`);
    if (signal) request = request.option('signal', signal);
    let body: unknown;
    try {
      body = await request.post({ groupIds: chunk });
    } catch (error) {
      throw graphFailureToPortalError('directory', what, error, signal, now());
    }
    if (!isObject(body) || !Array.isArray(body.value) || !body.value.every((id) => typeof id === 'string')) {
      throw invalidResponse('directory', what, 'the answer has no value array of group ids');
    }
    // Only ids that were asked count: an answer naming anything else grants nothing.
    const answered = new Set((body.value as string[]).map((id) => id.toLowerCase()));
    return chunk.filter((id) => answered.has(id.toLowerCase()));
  }

  return {
    async memberGroups(user, groupIds, signal) {
      const key = directoryKeyOf(user);
      if (key === null) {
        throw new PortalError('directory', 'bad-request', 'Teams sent neither an Entra object id nor a sign-in name for this person, so their groups cannot be looked up.');
      }
      const unique = [...new Map(groupIds.map((id) => [id.toLowerCase(), id])).values()];
      const member: string[] = [];
      for (let start = 0; start < unique.length; start += CHECK_MEMBER_GROUPS_MAX_IDS) {
        member.push(...(await checkChunk(key, unique.slice(start, start + CHECK_MEMBER_GROUPS_MAX_IDS), signal)));
      }
      return member;
    },
  };
}
