// The war room chat client through the real Microsoft Graph SDK and @azure/identity against the
// simulators: a group chat of owners by UPN or object id, the app found in the catalog and
// installed (then "already"), a missing permission named, an app missing from the catalog, a 429
// retried after its Retry-After, and which identity acts in which tenant.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulators } from '../../src/simulators/index.ts';
import { PortalError } from '../../src/domain/errors.ts';
import { createTenantChats } from '../../src/portals/index.ts';
import { createTeamsChatsClient } from '../../src/portals/teams/chats-client.ts';

type Sims = Awaited<ReturnType<typeof startSimulators>>;

const TENANT = '11111111-2222-4333-8444-555555555555';
const OTHER_TENANT = '33333333-2222-4333-8444-555555555555';
const TEAMS_APP_ID = '6f1e9b3c-2a4d-4c8e-9f10-1b2c3d4e5f60';
const CHATS = { clientId: 'app-chats', clientSecret: 'chats-secret', graphRoles: ['Chat.Create', 'AppCatalog.Read.All', 'TeamsAppInstallation.ReadWriteForChat.All'], armAccess: false };
const NO_INSTALL = { clientId: 'app-no-install', clientSecret: 'no-install-secret', graphRoles: ['Chat.Create', 'AppCatalog.Read.All'], armAccess: false };
const NO_CHATS = { clientId: 'app-incidents', clientSecret: 'incidents-secret', graphRoles: ['SecurityIncident.ReadWrite.All'], armAccess: true };
const ALEX = 'alex.wilber@contoso.example';
const MEGAN = 'megan.bowen@contoso.example';

describe('war room chats through Microsoft Graph', () => {
  let sims: Sims;
  let dataDir: string;
  const sleeps: number[] = [];

  const clientAs = (app: { clientId: string; clientSecret: string }, tenantId = TENANT) =>
    createTeamsChatsClient({
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

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'teams-chats-'));
    sims = await startSimulators({
      dataDir,
      port: 0,
      tenantId: TENANT,
      apps: [CHATS, NO_INSTALL, NO_CHATS],
      subscriptionId: 'd0cfe6b2-9ac0-4464-9919-dccaee2e48c0',
      resourceGroup: 'rg',
      workspace: 'ws',
      directoryTenants: [OTHER_TENANT],
      teamsApps: [{ externalId: TEAMS_APP_ID, displayName: 'Incident Bridge', botId: '00000000-0000-4000-8000-0000000000b0' }],
      onError: () => {},
    });
  });
  afterAll(async () => {
    await sims?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    sleeps.length = 0;
    sims.control.clearFaults();
  });

  test('creates a group chat whose members are all owners, then installs the app once', async () => {
    const client = clientAs(CHATS);
    const megan = sims.directoryFor(TENANT).findUser(MEGAN)?.objectId as string;
    const chat = await client.createGroupChat({ topic: "Incident 29: O'Brien's laptop", members: [ALEX, megan] });
    expect(chat.chatId).toMatch(/@thread\.v2$/);
    expect(chat.webUrl).toContain(encodeURIComponent(chat.chatId));
    const stored = sims.teams.chats(TENANT).find((candidate) => candidate.id === chat.chatId);
    expect(stored).toMatchObject({ topic: "Incident 29: O'Brien's laptop" });
    expect(stored?.members.map((member) => [member.userPrincipalName, member.roles])).toEqual([[ALEX, ['owner']], [MEGAN, ['owner']]]);
    expect(await client.installApp(chat.chatId, TEAMS_APP_ID)).toBe('installed');
    expect(await client.installApp(chat.chatId, TEAMS_APP_ID)).toBe('already');
    // The catalog is asked once per app, whatever the number of chats.
    expect(sims.control.requests().recent.filter((entry) => entry.url.includes('/appCatalogs/teamsApps')).length).toBe(1);
  });

  test('a UPN with a quote is sent as an OData literal', async () => {
    sims.directoryFor(TENANT).replace({
      ...sims.directoryFor(TENANT).contents(),
      users: [...sims.directoryFor(TENANT).contents().users, { id: '00000000-0000-4000-8000-00000000b71e', userPrincipalName: "o'brien@contoso.example", displayName: "Pat O'Brien" }],
    });
    const chat = await clientAs(CHATS).createGroupChat({ topic: 'Incident 30', members: [ALEX, "o'brien@contoso.example"] });
    expect(sims.teams.chats(TENANT).find((candidate) => candidate.id === chat.chatId)?.members.map((member) => member.displayName)).toContain("Pat O'Brien");
  });

  test('a missing permission is refused with a coded error that names it', async () => {
    const noChats = await clientAs(NO_CHATS).createGroupChat({ topic: 'x', members: [ALEX, MEGAN] }).catch((error: unknown) => error);
    expect(noChats).toBeInstanceOf(PortalError);
    expect(noChats).toMatchObject({ portal: 'teams', code: 'forbidden', status: 403 });
    expect((noChats as Error).message).toContain('application permission Chat.Create');
    const chat = await clientAs(NO_INSTALL).createGroupChat({ topic: 'x', members: [ALEX, MEGAN] });
    const noInstall = await clientAs(NO_INSTALL).installApp(chat.chatId, TEAMS_APP_ID).catch((error: unknown) => error);
    expect(noInstall).toMatchObject({ code: 'forbidden' });
    expect((noInstall as Error).message).toContain('TeamsAppInstallation.ReadWriteForChat.All');
  });

  test('an app that is not in the catalog is named, with what to do', async () => {
    const chat = await clientAs(CHATS).createGroupChat({ topic: 'x', members: [ALEX, MEGAN] });
    const missing = await clientAs(CHATS).installApp(chat.chatId, '00000000-0000-4000-8000-0000000000ff').catch((error: unknown) => error);
    expect(missing).toMatchObject({ portal: 'teams', code: 'not-found' });
    expect((missing as Error).message).toMatch(/not in the app catalog .*publish it/);
  });

  test('a throttled chat creation is retried after Retry-After; an unknown member fails at once', async () => {
    sims.control.addFault({ api: 'graph', method: 'POST', pathPattern: '/v1\\.0/chats$', status: 429, retryAfterSeconds: 1, count: 1 });
    const chat = await clientAs(CHATS).createGroupChat({ topic: 'x', members: [ALEX, MEGAN] });
    expect(chat.chatId).toBeTruthy();
    expect(sleeps).toEqual([1000]);
    const unknown = await clientAs(CHATS).createGroupChat({ topic: 'x', members: [ALEX, 'ghost@contoso.example'] }).catch((error: unknown) => error);
    expect(unknown).toMatchObject({ code: 'not-found', status: 404 });
    expect((unknown as Error).message).toContain('ghost@contoso.example');
  });

  test('each tenant is asked with the identity that acts there; a tenant without one is refused with why', async () => {
    const chats = createTenantChats({
      sources: { pairs: [{ tenantId: TENANT, identity: { clientId: CHATS.clientId, clientSecret: CHATS.clientSecret } }], app: undefined },
      graphEndpoint: sims.url,
      authorityHost: sims.url,
      caCertPem: sims.caCertPem,
    });
    const chat = await chats.createGroupChat(TENANT, { topic: 'x', members: [ALEX, MEGAN] });
    expect(sims.teams.chats(TENANT).map((candidate) => candidate.id)).toContain(chat.chatId);
    const elsewhere = await chats.createGroupChat(OTHER_TENANT, { topic: 'x', members: [ALEX, MEGAN] }).catch((error: unknown) => error);
    expect(elsewhere).toMatchObject({ portal: 'teams', code: 'unauthorized' });
    expect((elsewhere as Error).message).toContain(`no identity in tenant ${OTHER_TENANT} to create chats`);
  });
});
