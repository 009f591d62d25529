// Connector approvals with roles by Entra group, wired as the composition root wires them: APPROVERS
// and ANALYSTS list group ids, the approval service asks the simulated Graph (real SDK and
// credential) through the same resolver the bot uses. A member of the approvers' group approves a
// request filed by a member of a group nested in the analysts' group; an outage refuses with why.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { PLAYGROUND_USER_PRINCIPAL_NAME, SAMPLE_GROUPS, sampleGroupId, type DirectoryUserEntry } from '../../src/simulators/index.ts';
import { createTenantDirectories } from '../../src/portals/index.ts';
import { candidateGroupIds, type AccessPolicy } from '../../src/bot/access.ts';
import { createGroupMembership } from '../../src/bot/group-membership.ts';
import { approvalRoleChecks, createRoleResolver } from '../../src/bot/roles.ts';
import { ApprovalError } from '../../src/approvals/types.ts';
import type { Actor } from '../../src/domain/incident.ts';
import { APP, TENANT, outcomeOf, startIntegrationHarness, type IntegrationHarness } from './harness.ts';

const ACCESS: AccessPolicy = {
  analysts: [sampleGroupId(TENANT, SAMPLE_GROUPS.analysts)],
  approvers: [sampleGroupId(TENANT, SAMPLE_GROUPS.approvers)],
  localMode: false,
};

let h: IntegrationHarness;
let actorOf: (upn: string) => Actor;

beforeAll(async () => {
  h = await startIntegrationHarness({
    integrationMethod: 'azurePortal',
    name: 'group-approver',
    roles: (sims) => {
      const directory = createTenantDirectories({
        sources: { pairs: [{ tenantId: TENANT, identity: APP }], app: undefined },
        graphEndpoint: sims.url,
        authorityHost: sims.url,
        caCertPem: sims.caCertPem,
      });
      return approvalRoleChecks(createRoleResolver(ACCESS, createGroupMembership({ directory, groupIds: candidateGroupIds(ACCESS) })));
    },
  });
  // The sample directory: Megan Bowen is in Connector Approvers; Lee Gu in SOC Tier 1, nested in SOC Analysts.
  const users = h.sims.directoryFor(TENANT).contents().users;
  actorOf = (upn) => {
    const user = users.find((candidate) => candidate.userPrincipalName === upn) as DirectoryUserEntry;
    return { objectId: user.id, upn, displayName: user.displayName, tenantId: TENANT };
  };
});

afterAll(async () => {
  await h?.close();
});

async function requestChange(requester: Actor): Promise<string> {
  const live = await h.connector.read();
  const { request } = await h.service.request(requester, { ...live.config, entities: !live.config.entities }, 'Correlate entities for the hunt', { formVersion: live.version });
  return request.id;
}

describe('connector approvals by group', () => {
  test('a member of the approvers\' group approves what a nested analyst requested; the change is applied', async () => {
    const id = await requestChange(actorOf('lee.gu@contoso.example'));
    const applied = await h.service.approve(id, actorOf('megan.bowen@contoso.example'));
    expect(applied.state).toBe('applied');
    expect(outcomeOf(applied)).toMatchObject({ kind: 'applied' });
  });

  test('someone outside the approvers\' group cannot approve: unknown to the directory (saying so), or only an analyst', async () => {
    const id = await requestChange(actorOf('lee.gu@contoso.example'));
    const outsider: Actor = { objectId: '99999999-0000-4000-8000-000000000009', displayName: 'Outsider', tenantId: TENANT, upn: 'outsider@contoso.example' };
    // Not in this tenant's directory at all: the lookup says so, and nothing is granted.
    await expect(h.service.approve(id, outsider)).rejects.toMatchObject({ code: 'roles-unavailable' });
    const analystOnly = actorOf('alex.wilber@contoso.example');
    await expect(h.service.approve(id, analystOnly)).rejects.toMatchObject({ code: 'not-approver' });
    await h.service.reject(id, actorOf('megan.bowen@contoso.example'), 'test cleanup');
  });

  test('when Graph cannot be reached the approval is refused, saying why', async () => {
    const id = await requestChange(actorOf('lee.gu@contoso.example'));
    // A newly added approver, not yet looked up (nothing cached), while Graph fails.
    const newApprover = actorOf(PLAYGROUND_USER_PRINCIPAL_NAME);
    h.sims.directoryFor(TENANT).addMember(sampleGroupId(TENANT, SAMPLE_GROUPS.approvers), newApprover.objectId);
    h.sims.control.addFault({ api: 'graph', method: 'POST', pathPattern: 'checkMemberGroups$', status: 503, count: 100 });
    const refusal = await h.service.approve(id, newApprover).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ApprovalError);
    expect((refusal as ApprovalError).code).toBe('roles-unavailable');
    expect((refusal as ApprovalError).message).toContain('Microsoft Graph could not be reached');
    expect((await h.service.get(id))?.state).toBe('pending');
    h.sims.control.clearFaults();
    // Graph answers again: the same person's approval goes through.
    expect((await h.service.approve(id, newApprover)).state).toBe('applied');
  });
});
