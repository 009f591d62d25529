// The Graph group-membership client through the real Microsoft Graph SDK and @azure/identity
// against the simulators: chunks of 20, nested groups, lookups by UPN when Teams' object id is no
// GUID, coded errors for a missing permission, an outage and throttling, and which identity reads
// which tenant.
import { describe, test, expect, beforeAll, afterAll, beforeEach } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulators } from '../../src/simulators/index.ts';
import { PortalError } from '../../src/domain/errors.ts';
import { CHECK_MEMBER_GROUPS_MAX_IDS, createGroupMembershipClient, createTenantDirectories } from '../../src/portals/index.ts';

type Sims = Awaited<ReturnType<typeof startSimulators>>;

const PAIR_TENANT = '11111111-2222-4333-8444-555555555555';
const SOC_TENANT = '33333333-2222-4333-8444-555555555555';
const READER = { clientId: 'app-directory', clientSecret: 'directory-secret', graphRoles: ['User.Read.All', 'GroupMember.Read.All'], armAccess: false };
const NO_GROUPS = { clientId: 'app-incidents-only', clientSecret: 'incidents-secret', graphRoles: ['SecurityIncident.ReadWrite.All'], armAccess: true };

const guid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ANN = { id: guid(1), userPrincipalName: 'ann@contoso.example', displayName: 'Ann' };
// 25 groups: more than one checkMemberGroups request can ask about. Ann is in group 3 directly and
// in group 22 through group 24, which is nested in it.
const GROUPS = Array.from({ length: 25 }, (_, i) => ({ id: guid(100 + i), displayName: `Group ${i}`, securityEnabled: true }));
const group = (i: number) => GROUPS[i]!.id;
const DIRECTORY = { users: [ANN], groups: GROUPS, members: { [group(3)]: [ANN.id], [group(24)]: [ANN.id], [group(22)]: [group(24)] } };

describe('group membership through Microsoft Graph', () => {
  let sims: Sims;
  let dataDir: string;
  const sleeps: number[] = [];

  const clientAs = (app: { clientId: string; clientSecret: string }, tenantId = PAIR_TENANT) =>
    createGroupMembershipClient({
      graphEndpoint: sims.url,
      authorityHost: sims.url,
      tenantId,
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      caCertPem: sims.caCertPem,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
  const checkCalls = () => sims.control.requests().recent.filter((entry) => entry.url.includes('/checkMemberGroups'));

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'group-membership-'));
    sims = await startSimulators({
      dataDir,
      port: 0,
      tenantId: PAIR_TENANT,
      apps: [READER, NO_GROUPS],
      subscriptionId: 'd0cfe6b2-9ac0-4464-9919-dccaee2e48c0',
      resourceGroup: 'rg',
      workspace: 'ws',
      directoryTenants: [SOC_TENANT],
      onError: () => {},
    });
    sims.directoryFor(PAIR_TENANT).replace(DIRECTORY);
  });
  afterAll(async () => {
    await sims?.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    sims.control.clearFaults();
    sleeps.length = 0;
  });

  test('asks about every listed group in chunks of 20 and finds direct and nested membership', async () => {
    // 22 is in the second chunk and holds Ann only through 24.
    const before = checkCalls().length;
    const found = await clientAs(READER).memberGroups({ objectId: ANN.id }, GROUPS.map((g) => g.id));
    expect(found.sort()).toEqual([group(3), group(22), group(24)].sort());
    const calls = checkCalls().slice(before);
    expect(calls).toHaveLength(Math.ceil(GROUPS.length / CHECK_MEMBER_GROUPS_MAX_IDS));
    expect(calls.every((call) => call.url === `/v1.0/users/${ANN.id}/checkMemberGroups` && call.status === 200)).toBe(true);
  });

  test('an object id that is no GUID (the Agents Playground\'s) is looked up by UPN instead', async () => {
    const found = await clientAs(READER).memberGroups({ objectId: '00000000-0000-0000-0000-0000000000020', upn: ANN.userPrincipalName }, [group(3), group(4)]);
    expect(found).toEqual([group(3)]);
    const refused = await clientAs(READER).memberGroups({ objectId: 'channel-user:29:1' }, [group(3)]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PortalError);
    expect((refused as PortalError).code).toBe('bad-request');
  });

  test('without GroupMember.Read.All: a coded error that names the permissions to grant', async () => {
    const error = await clientAs(NO_GROUPS).memberGroups({ objectId: ANN.id }, [group(3)]).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(PortalError);
    expect(error).toMatchObject({ portal: 'directory', code: 'forbidden', status: 403 });
    expect((error as PortalError).message).toContain('Authorization_RequestDenied');
    expect((error as PortalError).message).toContain('User.Read.All and GroupMember.Read.All');
  });

  test('an unknown user is not-found; Graph unavailable is unavailable', async () => {
    expect(await clientAs(READER).memberGroups({ objectId: guid(9) }, [group(3)]).catch((error: PortalError) => error.code)).toBe('not-found');
    sims.control.addFault({ api: 'graph', method: 'POST', pathPattern: 'checkMemberGroups$', status: 503, count: 5 });
    expect(await clientAs(READER).memberGroups({ objectId: ANN.id }, [group(3)]).catch((error: PortalError) => error.code)).toBe('unavailable');
  });

  test('429 is retried after Retry-After, within the interactive budget', async () => {
    sims.control.addFault({ api: 'graph', method: 'POST', pathPattern: 'checkMemberGroups$', status: 429, retryAfterSeconds: 1, count: 1 });
    expect(await clientAs(READER).memberGroups({ objectId: ANN.id }, [group(3)])).toEqual([group(3)]);
    expect(sleeps).toEqual([1000]);
    sims.control.addFault({ api: 'graph', method: 'POST', pathPattern: 'checkMemberGroups$', status: 429, retryAfterSeconds: 30, count: 1 });
    const throttled = await clientAs(READER).memberGroups({ objectId: ANN.id }, [group(3)]).catch((error: unknown) => error);
    expect(throttled).toMatchObject({ code: 'throttled', retryAfterSeconds: 30 });
  });

  test('each tenant is read with its identity; a tenant without one gets a coded refusal', async () => {
    const pair = { tenantId: PAIR_TENANT, identity: { clientId: READER.clientId, clientSecret: READER.clientSecret } };
    const common = { graphEndpoint: sims.url, authorityHost: sims.url, caCertPem: sims.caCertPem };
    // The SOC tenant has no pair: the AZURE_* app signs in to it (a multi-tenant app consented there).
    const directories = createTenantDirectories({ ...common, sources: { pairs: [pair], app: pair } });
    expect(await directories.memberGroups(PAIR_TENANT, { objectId: ANN.id }, [group(3)])).toEqual([group(3)]);
    expect((await directories.memberGroups(SOC_TENANT, { objectId: 'x', upn: 'alexw@example.com' }, [guid(999)]))).toEqual([]);
    const withManagedIdentity = createTenantDirectories({ ...common, sources: { pairs: [pair], app: { tenantId: PAIR_TENANT, identity: { credentialType: 'managedIdentity' } } } });
    const refused = await withManagedIdentity.memberGroups(SOC_TENANT, { objectId: ANN.id }, [group(3)]).catch((error: unknown) => error);
    expect(refused).toMatchObject({ portal: 'directory', code: 'unauthorized' });
    expect((refused as Error).message).toContain(SOC_TENANT);
  });

  test('a user is found by object id or UPN with their name; an unknown one is null; a missing permission is a coded error', async () => {
    const pair = { tenantId: PAIR_TENANT, identity: { clientId: READER.clientId, clientSecret: READER.clientSecret } };
    const directories = createTenantDirectories({ graphEndpoint: sims.url, authorityHost: sims.url, caCertPem: sims.caCertPem, sources: { pairs: [pair], app: pair } });
    const ann = { objectId: ANN.id, upn: ANN.userPrincipalName, displayName: 'Ann' };
    expect(await directories.findUser(PAIR_TENANT, { objectId: ANN.id })).toEqual(ann);
    expect(await directories.findUser(PAIR_TENANT, { upn: 'ANN@contoso.example' })).toEqual(ann);
    expect(await directories.findUser(PAIR_TENANT, { upn: 'nobody@contoso.example' })).toBeNull();
    expect(await directories.findUser(PAIR_TENANT, { upn: 'not a upn' })).toBeNull();
    const noUsers = createTenantDirectories({
      graphEndpoint: sims.url,
      authorityHost: sims.url,
      caCertPem: sims.caCertPem,
      sources: { pairs: [{ tenantId: PAIR_TENANT, identity: { clientId: NO_GROUPS.clientId, clientSecret: NO_GROUPS.clientSecret } }], app: undefined },
    });
    expect(await noUsers.findUser(PAIR_TENANT, { upn: ANN.userPrincipalName }).catch((error: unknown) => error)).toMatchObject({ portal: 'directory', code: 'forbidden' });
  });
});
