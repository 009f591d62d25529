// War room chats in the tenant of the conversation that asks for one, with the identity that acts
// in that tenant: the same rule as group membership (directory/tenant-directories.ts), since a chat
// and its members live in that tenant's directory.
import type { PortalIdentity } from '../../domain/portal-identity.ts';
import { createPerTenantClients, type DirectoryIdentitySources } from '../directory/tenant-directories.ts';
import { createTeamsChatsClient, type CreatedChat, type GroupChatRequest, type TeamsChatsClient, type TeamsChatsClientOptions } from './chats-client.ts';

export type TenantChatsOptions = Omit<TeamsChatsClientOptions, 'tenantId' | keyof PortalIdentity> & {
  sources: DirectoryIdentitySources;
  /** Test seam: how a tenant's client is made. */
  createClient?: (options: TeamsChatsClientOptions) => TeamsChatsClient;
};

export interface TenantChats {
  createGroupChat(tenantId: string, request: GroupChatRequest): Promise<CreatedChat>;
  installApp(tenantId: string, chatId: string, teamsAppId: string): Promise<'installed' | 'already'>;
}

export function createTenantChats(options: TenantChatsOptions): TenantChats {
  const { sources, createClient = createTeamsChatsClient, ...common } = options;
  const clientFor = createPerTenantClients(sources, (actor) => createClient({ ...common, tenantId: actor.tenantId, ...actor.identity }), {
    source: 'teams',
    what: 'create chats',
  });
  return {
    // clientFor throws synchronously for a tenant without an identity: inside async, so it rejects.
    createGroupChat: async (tenantId, request) => clientFor(tenantId).createGroupChat(request),
    installApp: async (tenantId, chatId, teamsAppId) => clientFor(tenantId).installApp(chatId, teamsAppId),
  };
}
