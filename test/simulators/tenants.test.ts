// Several tenants on one simulator (MSSP setups): each tenant has its own Defender incidents and
// Sentinel workspace; Graph is routed by the token's tid, ARM by the workspace in the path.
import { describe, test, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { startTestSims, RESOURCE_GROUP, SUBSCRIPTION_ID, TENANT_ID, WORKSPACE, WRITER, API_VERSION } from './helpers.ts';
import type { TestSims } from './helpers.ts';
import { startSimulators } from '../../src/simulators/index.ts';

const TENANT_B = { tenantId: '22222222-3333-4444-8555-666666666666', subscriptionId: 'b0cfe6b2-9ac0-4464-9919-dccaee2e48cb', resourceGroup: 'rgB', workspace: 'wsB' };
const SCOPE_B = `/subscriptions/${TENANT_B.subscriptionId}/resourceGroups/${TENANT_B.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${TENANT_B.workspace}/providers/Microsoft.SecurityInsights`;

describe('additional tenants', () => {
  let sims: TestSims;
  let dataDir: string;

  async function tokenFor(tenantId: string, scope: string): Promise<string> {
    const result = await sims.http('POST', `/${tenantId}/oauth2/v2.0/token`, {
      form: { grant_type: 'client_credentials', client_id: WRITER.clientId, client_secret: WRITER.clientSecret, scope },
    });
    expect(result.status).toBe(200);
    return result.json.access_token as string;
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sim-tenants-'));
    sims = await startTestSims({ additionalTenants: [TENANT_B] }, dataDir);
  });
  afterAll(async () => {
    await sims?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('Entra issues tokens carrying the tenant of the token endpoint', async () => {
    expect(decodeJwt(await tokenFor(TENANT_B.tenantId, 'https://graph.microsoft.com/.default')).tid).toBe(TENANT_B.tenantId);
    expect(decodeJwt(await tokenFor(TENANT_ID, 'https://graph.microsoft.com/.default')).tid).toBe(TENANT_ID);
    const config = await sims.http('GET', `/${TENANT_B.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(config.json.token_endpoint).toBe(`${sims.url}/${TENANT_B.tenantId}/oauth2/v2.0/token`);
    const unknown = await sims.http('POST', '/33333333-0000-4000-8000-000000000000/oauth2/v2.0/token', {
      form: { grant_type: 'client_credentials', client_id: WRITER.clientId, client_secret: WRITER.clientSecret, scope: 'https://graph.microsoft.com/.default' },
    });
    expect(unknown.json.error_codes).toEqual([90002]);
  });

  test('Graph serves each tenant its own incidents, chosen by the token', async () => {
    const a = sims.control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: 'only in A', severity: 'low' });
    const b = sims.controlFor(TENANT_B.tenantId).raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: 'only in B', severity: 'high' });
    const tokenB = await tokenFor(TENANT_B.tenantId, 'https://graph.microsoft.com/.default');
    const listB = await sims.http('GET', '/v1.0/security/incidents', { headers: { authorization: `Bearer ${tokenB}` } });
    expect(listB.status).toBe(200);
    expect(listB.json.value.map((incident: { displayName: string }) => incident.displayName)).toEqual(['only in B']);
    const listA = await sims.graph('GET', '/v1.0/security/incidents');
    expect(listA.json.value.map((incident: { displayName: string }) => incident.displayName)).toEqual(['only in A']);
    // Incident ids are per tenant, as in the real service: the same id can exist in both.
    expect(sims.controlFor(TENANT_B.tenantId).defenderIncidents().map((incident) => incident.id)).toEqual([b.incidentId]);
    expect(sims.control.defenderIncidents().map((incident) => incident.id)).toEqual([a.incidentId]);
  });

  test('ARM routes by workspace; a tenant A token cannot read tenant B', async () => {
    const tokenB = await tokenFor(TENANT_B.tenantId, 'https://management.azure.com/.default');
    const listB = await sims.http('GET', `${SCOPE_B}/incidents?api-version=${API_VERSION}`, { headers: { authorization: `Bearer ${tokenB}` } });
    expect(listB.status).toBe(200);
    expect(listB.json.value.map((incident: { properties: { title: string } }) => incident.properties.title)).toEqual(['only in B']);
    const listA = await sims.arm('GET', '/incidents');
    expect(listA.json.value.map((incident: { properties: { title: string } }) => incident.properties.title)).toEqual(['only in A']);

    const crossed = await sims.http('GET', `${SCOPE_B}/incidents?api-version=${API_VERSION}`, { headers: { authorization: `Bearer ${await sims.token('https://management.azure.com/.default')}` } });
    expect(crossed.status).toBe(401);

    const unknownWorkspace = SCOPE_B.replace('/workspaces/wsB/', '/workspaces/wsX/');
    const missing = await sims.http('GET', `${unknownWorkspace}/incidents?api-version=${API_VERSION}`, { headers: { authorization: `Bearer ${tokenB}` } });
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('ResourceNotFound');
    const otherRg = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}-x/providers/Microsoft.OperationalInsights/workspaces/${WORKSPACE}/providers/Microsoft.SecurityInsights`;
    const missingRg = await sims.arm('GET', `${sims.url}${otherRg}/incidents?api-version=${API_VERSION}`);
    expect(missingRg.json.error.code).toBe('ResourceGroupNotFound');
  });

  test('a fault limited to one tenant throttles that tenant only, in Graph and in ARM', async () => {
    const tokenB = await tokenFor(TENANT_B.tenantId, 'https://graph.microsoft.com/.default');
    const armTokenB = await tokenFor(TENANT_B.tenantId, 'https://management.azure.com/.default');
    sims.control.addFault({ api: 'graph', tenant: TENANT_B.tenantId, status: 429, retryAfterSeconds: 7, count: 1 });
    sims.control.addFault({ api: 'arm', tenant: TENANT_B.tenantId, status: 429, retryAfterSeconds: 7, count: 1 });
    // Tenant A is served as usual while B's faults stay armed.
    expect((await sims.graph('GET', '/v1.0/security/incidents')).status).toBe(200);
    expect((await sims.arm('GET', '/incidents')).status).toBe(200);
    expect(sims.control.faults()).toHaveLength(2);
    const graphB = await sims.http('GET', '/v1.0/security/incidents', { headers: { authorization: `Bearer ${tokenB}` } });
    expect(graphB.status).toBe(429);
    expect(graphB.headers['retry-after']).toBe('7');
    const armB = await sims.http('GET', `${SCOPE_B}/incidents?api-version=${API_VERSION}`, { headers: { authorization: `Bearer ${armTokenB}` } });
    expect(armB.status).toBe(429);
    expect(sims.control.faults()).toHaveLength(0);
  });

  test('the control HTTP API takes ?tenant=, and refuses unknown tenants', async () => {
    const stateB = await sims.http('GET', `/_sim/state?tenant=${TENANT_B.tenantId}`);
    expect(stateB.json.defenderIncidents.map((incident: { displayName: string }) => incident.displayName)).toEqual(['only in B']);
    const unknown = await sims.http('GET', '/_sim/state?tenant=nobody');
    expect(unknown.status).toBe(404);
    expect(() => sims.controlFor('nobody')).toThrow(/no tenant 'nobody'/);
  });

  test('each tenant persists separately and survives a restart', async () => {
    await sims.stop();
    const again = await startSimulators({
      dataDir,
      port: 0,
      tenantId: TENANT_ID,
      apps: [WRITER],
      subscriptionId: SUBSCRIPTION_ID,
      resourceGroup: RESOURCE_GROUP,
      workspace: WORKSPACE,
      additionalTenants: [TENANT_B],
      onError: () => {},
    });
    try {
      expect(again.controlFor(TENANT_B.tenantId).defenderIncidents().map((incident) => incident.displayName)).toEqual(['only in B']);
      expect(again.control.defenderIncidents().map((incident) => incident.displayName)).toEqual(['only in A']);
    } finally {
      await again.close();
    }
  });
});

describe('additional tenant options', () => {
  test('a tenant or workspace given twice is refused with a clear message', async () => {
    const base = { dataDir: 'unused', tenantId: TENANT_ID, apps: [WRITER], subscriptionId: SUBSCRIPTION_ID, resourceGroup: RESOURCE_GROUP, workspace: WORKSPACE };
    await expect(startSimulators({ ...base, additionalTenants: [{ ...TENANT_B, tenantId: TENANT_ID }] })).rejects.toThrow(/configured twice/);
    await expect(startSimulators({ ...base, additionalTenants: [{ ...TENANT_B, subscriptionId: SUBSCRIPTION_ID, resourceGroup: RESOURCE_GROUP, workspace: WORKSPACE }] })).rejects.toThrow(/already another tenant's/);
    await expect(startSimulators({ ...base, additionalTenants: [{ ...TENANT_B, tenantId: '../etc' }] })).rejects.toThrow(/GUID or domain/);
  });
});
