// A person in one tenant's Entra directory, through Microsoft Graph's documented
// `GET /users/{id | userPrincipalName}`: who an owner or an escalation contact is, by object id and
// display name. Needs User.Read.All (or Directory.Read.All), which roles by group already ask for.
// Unknown people are null; other failures are coded PortalErrors with source 'directory'.
import type { Client } from '@microsoft/microsoft-graph-client';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { isEntraObjectId } from '../../domain/incident.ts';
import { storableText } from '../../domain/untrusted-text.ts';
import { resolveRetryOptions } from '../http/retry.ts';
import { isObject, str } from '../wire.ts';
import { connectGraph, graphFailureToPortalError } from '../defender/graph-pipeline.ts';
import { DIRECTORY_RETRY_POLICY, directoryKeyOf, type DirectoryUserKey, type GroupMembershipClientOptions } from './group-membership.ts';

/** A directory user, as far as naming and finding them goes. */
export interface DirectoryPerson {
  objectId: string;
  upn: string;
  displayName: string;
}

export interface DirectoryUsersClient {
  /** The user, or null when the directory has no such user (or the key names nobody). */
  findUser(user: DirectoryUserKey, signal?: AbortSignal): Promise<DirectoryPerson | null>;
}

export function createDirectoryUsersClient(options: GroupMembershipClientOptions): DirectoryUsersClient {
  const retry = resolveRetryOptions({ ...DIRECTORY_RETRY_POLICY, ...options.retry });
  const now = options.now ?? Date.now;
  const client: Client = connectGraph(options, retry);
  return {
    async findUser(user, signal) {
      const key = directoryKeyOf(user);
      if (key === null) return null;
      let request = client.api(`/users/${encodeURIComponent(key)}`);
      if (signal) request = request.option('signal', signal);
      let body: unknown;
      try {
        body = await request.get();
      } catch (error) {
        if (error instanceof GraphError && error.statusCode === 404) return null;
        throw graphFailureToPortalError('directory', `GET user ${key} in tenant ${options.tenantId}`, error, signal, now());
      }
      const objectId = isObject(body) ? str(body.id) : undefined;
      const upn = isObject(body) ? str(body.userPrincipalName) : undefined;
      if (!objectId || !isEntraObjectId(objectId) || !upn) return null;
      // Directory text is shown to people (names in notices): bounded like portal text.
      return { objectId, upn: storableText(upn, 256), displayName: storableText(str((body as Record<string, unknown>).displayName) ?? '', 256) };
    },
  };
}
