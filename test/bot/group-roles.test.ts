// Roles by Entra group, end to end through real turns: ANALYSTS lists a group id, the bot asks the
// person's own tenant (the simulated Graph, through the real SDK and credential) which listed
// groups they are in, and edits or refuses. Members of the group and of a group nested in it edit;
// others are refused; when the lookup fails the refusal says why.
import { describe, test, expect, beforeAll, afterAll, beforeEach } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulators } from '../../src/simulators/index.ts';
import { createTenantDirectories } from '../../src/portals/index.ts';
import { candidateGroupIds, type AccessPolicy } from '../../src/bot/access.ts';
import { createGroupMembership } from '../../src/bot/group-membership.ts';
import { ALICE, TENANT, VICTOR, invokeActivity, messageActivity, type Person } from './support/activities.ts';
import { createHarness, invokeAnswerOf, textsOf } from './support/harness.ts';

type Sims = Awaited<ReturnType<typeof startSimulators>>;

const HOME_TENANT = '11111111-2222-4333-8444-555555555555';
const BRIDGE_APP = { clientId: 'bridge-app', clientSecret: 'bridge-secret', graphRoles: ['SecurityIncident.ReadWrite.All', 'User.Read.All', 'GroupMember.Read.All'], armAccess: true };
const APP_WITHOUT_GROUPS = { clientId: 'bridge-app-no-groups', clientSecret: 'other-secret', graphRoles: ['SecurityIncident.ReadWrite.All'], armAccess: true };

const NORA: Person = { id: '29:nora', name: 'Nora Nonmember', aadObjectId: 'cccccccc-0000-0000-0000-000000000003' };
const SOC_GROUP = 'dddddddd-0000-4000-8000-000000000001';
const TIER1_GROUP = 'dddddddd-0000-4000-8000-000000000002';
// Alice is in the SOC group; Victor only in Tier 1, which is nested in it; Nora in neither.
const DIRECTORY = {
  users: [ALICE, VICTOR, NORA].map((person) => ({ id: person.aadObjectId, userPrincipalName: `${person.id.slice(3)}@contoso.example`, displayName: person.name })),
  groups: [
    { id: SOC_GROUP, displayName: 'SOC Analysts', securityEnabled: true },
    { id: TIER1_GROUP, displayName: 'SOC Tier 1', securityEnabled: true },
  ],
  members: { [SOC_GROUP]: [ALICE.aadObjectId, TIER1_GROUP], [TIER1_GROUP]: [VICTOR.aadObjectId] },
};
const ACCESS: AccessPolicy = { analysts: [SOC_GROUP], approvers: [], localMode: false };

describe('roles by Entra group in Teams turns', () => {
  let sims: Sims;
  let dataDir: string;

  /** A bot whose app identity is `app`, reading the activities' tenant as a SOC tenant without a pair. */
  function harnessAs(app: { clientId: string; clientSecret: string }) {
    const directory = createTenantDirectories({
      sources: { pairs: [], app: { tenantId: HOME_TENANT, identity: { clientId: app.clientId, clientSecret: app.clientSecret } } },
      graphEndpoint: sims.url,
      authorityHost: sims.url,
      caCertPem: sims.caCertPem,
    });
    return createHarness({ access: ACCESS, groupsOf: createGroupMembership({ directory, groupIds: candidateGroupIds(ACCESS) }) });
  }
  const severity = (from: Person) => messageActivity('/severity 29 high', { from });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'group-roles-'));
    sims = await startSimulators({
      dataDir,
      port: 0,
      tenantId: HOME_TENANT,
      apps: [BRIDGE_APP, APP_WITHOUT_GROUPS],
      subscriptionId: 'd0cfe6b2-9ac0-4464-9919-dccaee2e48c0',
      resourceGroup: 'rg',
      workspace: 'ws',
      // The activities' tenant: people sign in to Teams there; it has no workspace.
      directoryTenants: [TENANT],
      onError: () => {},
    });
    sims.directoryFor(TENANT).replace(DIRECTORY);
  });
  afterAll(async () => {
    await sims?.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(() => sims.control.clearFaults());

  test('a member of a listed group edits', async () => {
    const h = harnessAs(BRIDGE_APP);
    await h.turn(severity(ALICE));
    expect(h.bridge.requests).toHaveLength(1);
    expect(h.bridge.requests[0]?.actor).toMatchObject({ objectId: ALICE.aadObjectId, tenantId: TENANT });
  });

  test('a member of a group nested in a listed group edits, from a command and from a card', async () => {
    const h = harnessAs(BRIDGE_APP);
    await h.turn(severity(VICTOR));
    await h.postedCard('link-1', 'card-1');
    const answer = invokeAnswerOf(await h.turn(invokeActivity('setSeverity', { linkId: 'link-1', nonce: 'n-1', severity: 'low' }, { from: VICTOR })));
    expect(answer.status).toBe(200);
    expect(h.bridge.requests.map((request) => request.changes)).toEqual([{ severity: 'high' }, { severity: 'low' }]);
  });

  test('a non-member is refused and nothing is submitted', async () => {
    const h = harnessAs(BRIDGE_APP);
    const [text] = textsOf(await h.turn(severity(NORA)));
    expect(text).toBe('Only analysts can change incidents. Ask an administrator to add you (or your group) to ANALYSTS.');
    expect(h.bridge.submitCalls).toHaveLength(0);
  });

  test('a lookup outage is refused with the reason, and the next turn after it recovers edits', async () => {
    const h = harnessAs(BRIDGE_APP);
    sims.control.addFault({ api: 'graph', method: 'POST', pathPattern: 'checkMemberGroups$', status: 503, count: 100 });
    const [text] = textsOf(await h.turn(severity(ALICE)));
    expect(text).toContain('Only analysts can change incidents.');
    expect(text).toContain('group membership could not be checked');
    expect(text).toContain('Microsoft Graph could not be reached');
    const clicked = await h.turn(invokeActivity('setSeverity', { linkId: 'link-1', nonce: 'n-2', severity: 'low' }, { from: ALICE }));
    expect(textsOf(clicked).join(' ')).toContain('Microsoft Graph could not be reached');
    expect(h.bridge.submitCalls).toHaveLength(0);
    // Not cached as "no groups": once Graph answers again, so does the role.
    sims.control.clearFaults();
    await h.turn(severity(ALICE));
    expect(h.bridge.requests).toHaveLength(1);
  });

  test('without GroupMember.Read.All the refusal names the permissions an administrator grants', async () => {
    const h = harnessAs(APP_WITHOUT_GROUPS);
    const [text] = textsOf(await h.turn(severity(ALICE)));
    expect(text).toContain('User.Read.All and GroupMember.Read.All');
    expect(h.bridge.submitCalls).toHaveLength(0);
  });

  test('someone listed directly is not affected by a lookup outage', async () => {
    const directory = createTenantDirectories({ sources: { pairs: [], app: undefined }, graphEndpoint: sims.url, authorityHost: sims.url });
    const access: AccessPolicy = { ...ACCESS, analysts: [SOC_GROUP, NORA.aadObjectId as string] };
    const h = createHarness({ access, groupsOf: createGroupMembership({ directory, groupIds: candidateGroupIds(access) }) });
    await h.turn(severity(NORA));
    expect(h.bridge.requests).toHaveLength(1);
  });
});
