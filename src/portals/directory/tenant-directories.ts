// Which identity reads which tenant's directory, and one Graph group-membership client per tenant.
//
// A person's groups live in the directory of the tenant they act from (the Teams activity's
// tenant), so that directory is the one asked, with:
// - the identity of the pair (SYNC_PAIRS, or the single AZURE_* pair) in that tenant: an MSSP
//   customer's analysts are read with the app consented in the customer's tenant;
// - otherwise the AZURE_* identity signing in to that tenant: the SOC's own tenant (BOT_TENANT_ID,
//   ALLOWED_TENANTS). Outside AZURE_TENANT_ID that takes a multi-tenant app registration with admin
//   consent there; a managed identity signs in to its own tenant only, so it reads no other.
// A tenant with no such identity gets a coded error saying so; the caller fails closed.
import { PortalError, type PortalErrorSource } from '../../domain/errors.ts';
import type { PortalIdentity } from '../../domain/portal-identity.ts';
import { createGroupMembershipClient, type DirectoryUserKey, type GroupMembershipClient, type GroupMembershipClientOptions } from './group-membership.ts';
import { createDirectoryUsersClient, type DirectoryPerson, type DirectoryUsersClient } from './users.ts';

export interface TenantIdentity {
  tenantId: string;
  identity: PortalIdentity;
}

export interface DirectoryIdentitySources {
  /** The pairs' tenants and identities, in configuration order (the first pair of a tenant wins). */
  pairs: readonly TenantIdentity[];
  /** The AZURE_* identity in AZURE_TENANT_ID, when it is complete. */
  app: TenantIdentity | undefined;
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** The identity that reads `tenantId`'s directory, or null when the bridge has none there. Pure. */
export function directoryIdentityFor(tenantId: string, sources: DirectoryIdentitySources): TenantIdentity | null {
  const pair = sources.pairs.find((candidate) => same(candidate.tenantId, tenantId));
  if (pair) return { tenantId: pair.tenantId, identity: pair.identity };
  const app = sources.app;
  if (!app) return null;
  if (same(app.tenantId, tenantId)) return app;
  if (app.identity.credentialType === 'managedIdentity') return null;
  return { tenantId, identity: app.identity };
}

/**
 * One client per tenant (credential, token cache, connection pool), made on first use with the
 * identity that acts in that tenant (directoryIdentityFor). Served tenants are few. `needed` says
 * what the identity is for, for the error when the bridge has none there.
 */
export function createPerTenantClients<T>(
  sources: DirectoryIdentitySources,
  create: (reader: TenantIdentity) => T,
  needed: { source: PortalErrorSource; what: string },
): (tenantId: string) => T {
  const clients = new Map<string, T>();
  return (tenantId) => {
    const key = tenantId.trim().toLowerCase();
    let client = clients.get(key);
    if (!client) {
      const reader = directoryIdentityFor(tenantId, sources);
      if (!reader) {
        throw new PortalError(
          needed.source,
          'unauthorized',
          `the bridge has no identity in tenant ${tenantId} to ${needed.what}: add a SYNC_PAIRS pair in that tenant, or use an AZURE_* app registration that is consented there (a managed identity reads its own tenant only).`,
        );
      }
      client = create(reader);
      clients.set(key, client);
    }
    return client;
  };
}

export type TenantDirectoriesOptions = Omit<GroupMembershipClientOptions, 'tenantId' | keyof PortalIdentity> & {
  sources: DirectoryIdentitySources;
  /** Test seams: how a tenant's clients are made. */
  createClient?: (options: GroupMembershipClientOptions) => GroupMembershipClient;
  createUsersClient?: (options: GroupMembershipClientOptions) => DirectoryUsersClient;
};

export interface TenantDirectories {
  memberGroups(tenantId: string, user: DirectoryUserKey, groupIds: readonly string[]): Promise<string[]>;
  /** The user in `tenantId`'s directory, or null when there is none. */
  findUser(tenantId: string, user: DirectoryUserKey): Promise<DirectoryPerson | null>;
}

export function createTenantDirectories(options: TenantDirectoriesOptions): TenantDirectories {
  const { sources, createClient = createGroupMembershipClient, createUsersClient = createDirectoryUsersClient, ...common } = options;
  const clientsOf = createPerTenantClients(
    sources,
    (reader) => {
      const clientOptions = { ...common, tenantId: reader.tenantId, ...reader.identity };
      return { groups: createClient(clientOptions), users: createUsersClient(clientOptions) };
    },
    { source: 'directory', what: 'read its directory' },
  );
  return {
    // Async: a tenant without an identity rejects, as a failed lookup does.
    memberGroups: async (tenantId, user, groupIds) => clientsOf(tenantId).groups.memberGroups(user, groupIds),
    findUser: async (tenantId, user) => clientsOf(tenantId).users.findUser(user),
  };
}
