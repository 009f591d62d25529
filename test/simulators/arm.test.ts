import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { ClientSecretCredential } from '@azure/identity';
import { SecurityInsights } from '@azure/arm-securityinsight';
import { RESOURCE_GROUP, SUBSCRIPTION_ID, TENANT_ID, WORKSPACE, WRITER, READER, expectCoversShape, startTestSims } from './helpers.ts';
import type { TestSims } from './helpers.ts';
import { createCaTrustingHttpClient } from './ca-http-client.ts';
import {
  ARM_CHECK_REQUIREMENTS_REQUEST,
  ARM_CHECK_REQUIREMENTS_RESPONSE,
  ARM_COMMENT_PUT_REQUEST,
  ARM_COMMENT_RESPONSE,
  ARM_CREATION_RULE_PUT_REQUEST,
  ARM_CREATION_RULE_RESPONSE_KEYS,
  ARM_INCIDENT_PUT_REQUEST,
  ARM_INCIDENT_RESPONSE,
  ARM_MTP_CONNECTOR_PUT_REQUEST,
  ARM_MTP_CONNECTOR_RESPONSE,
} from './fixtures/documented-examples.ts';

let sims: TestSims;
beforeAll(async () => {
  sims = await startTestSims({ apps: [WRITER, READER, { ...READER, clientId: 'arm-reader', clientSecret: 's', armAccess: true }] });
});
afterAll(async () => {
  await sims.stop();
});
beforeEach(() => {
  sims.control.reset();
});

const INCIDENT = '73e01a99-5cd7-4139-a149-9f2736ff2ab5';
const open = { properties: { title: 'Opened by API', severity: 'Medium', status: 'New' } };

describe('ARM Sentinel incidents: documented contract', () => {
  test('PUT with the documented example creates (201) and returns the documented shape, ids and URL included', async () => {
    // The example's owner objectId is a user of its tenant; use one of the simulated tenant's users.
    const [user] = sims.control.directory();
    const request = { ...ARM_INCIDENT_PUT_REQUEST, properties: { ...ARM_INCIDENT_PUT_REQUEST.properties, owner: { objectId: user!.objectId } } };
    const result = await sims.arm('PUT', `/incidents/${INCIDENT}`, request);
    expect(result.status).toBe(201);
    expect(result.json.properties.owner).toMatchObject({ objectId: user!.objectId, userPrincipalName: user!.userPrincipalName, ownerType: 'User' });
    expectCoversShape(result.json, ARM_INCIDENT_RESPONSE);
    expect(result.json.id).toBe(ARM_INCIDENT_RESPONSE.id);
    expect(result.json.properties.incidentUrl).toBe(ARM_INCIDENT_RESPONSE.properties.incidentUrl);
    expect(result.json.properties).toMatchObject({ providerName: 'Azure Sentinel', classification: 'FalsePositive', classificationReason: 'IncorrectAlertLogic', status: 'Closed' });
    expect(result.json.properties.providerIncidentId).toBe(String(result.json.properties.incidentNumber));
    // lastModifiedBy is not an ARM incident property; the writer is reported in systemData.
    expect(result.json.properties.lastModifiedBy).toBeUndefined();
    expect(result.json.systemData).toMatchObject({ lastModifiedBy: WRITER.clientId, lastModifiedByType: 'Application' });
    const again = await sims.arm('PUT', `/incidents/${INCIDENT}`, { properties: { ...request.properties, title: 'Renamed' } });
    expect(again.status).toBe(200);
    expect(again.json.etag).not.toBe(result.json.etag);
  });

  test('get and list return the same shape; list pages with an absolute nextLink carrying api-version and $skipToken', async () => {
    for (let i = 0; i < 3; i++) await sims.arm('PUT', `/incidents/00000000-0000-4000-8000-00000000000${i}`, open);
    const get = await sims.arm('GET', '/incidents/00000000-0000-4000-8000-000000000000');
    expectCoversShape(get.json, { ...ARM_INCIDENT_RESPONSE, properties: { ...ARM_INCIDENT_RESPONSE.properties, description: undefined, classification: undefined, classificationComment: undefined, classificationReason: undefined, firstActivityTimeUtc: undefined, lastActivityTimeUtc: undefined, owner: undefined } });
    expect(get.json.properties.owner).toEqual({ objectId: null, email: null, assignedTo: null, userPrincipalName: null, ownerType: null });
    const first = await sims.arm('GET', "/incidents?$top=2&$orderby=properties/createdTimeUtc asc&$filter=properties/status eq 'New'");
    expect(first.status).toBe(200);
    expect(first.json.value).toHaveLength(2);
    const next = new URL(first.json.nextLink);
    expect(next.origin).toBe(sims.url);
    expect(next.searchParams.get('api-version')).toBe('2025-09-01');
    expect(next.searchParams.get('$skipToken')).toBeTruthy();
    const second = await sims.arm('GET', first.json.nextLink, undefined, '');
    expect(second.json.value).toHaveLength(1);
    expect(second.json.nextLink).toBeUndefined();
  });

  test('$filter on lastModifiedTimeUtc and providerIncidentId; $top above 1000 is refused', async () => {
    sims.control.raiseAlert({ serviceSource: 'microsoftDefenderForIdentity', title: 'DCSync', severity: 'high' });
    const since = new Date(Date.now() - 60_000).toISOString();
    const byProvider = await sims.arm('GET', `/incidents?$filter=properties/lastModifiedTimeUtc ge ${since} and properties/providerIncidentId eq '1'`);
    expect(byProvider.json.value).toHaveLength(1);
    expect(byProvider.json.value[0].properties.providerName).toBe('Microsoft XDR');
    expect((await sims.arm('GET', '/incidents?$top=1001')).status).toBe(400);
    expect((await sims.arm('GET', "/incidents?$filter=properties/owner eq 'x'")).status).toBe(400);
  });

  test('comments: PUT with a client-chosen id (201, then 200), author from the token, list with the documented shape, DELETE', async () => {
    await sims.arm('PUT', `/incidents/${INCIDENT}`, open);
    const commentId = '4bb36b7b-26ff-4d1c-9cbe-0d8ab3da0014';
    const created = await sims.arm('PUT', `/incidents/${INCIDENT}/comments/${commentId}`, ARM_COMMENT_PUT_REQUEST);
    expect(created.status).toBe(201);
    expectCoversShape(created.json, { ...ARM_COMMENT_RESPONSE, properties: { ...ARM_COMMENT_RESPONSE.properties, author: { objectId: 'x', name: 'x' } } });
    expect(created.json.id).toBe(ARM_COMMENT_RESPONSE.id);
    expect(created.json.properties.author.name).toBe(WRITER.clientId);
    const edited = await sims.arm('PUT', `/incidents/${INCIDENT}/comments/${commentId}`, { properties: { message: 'edited' } });
    expect(edited.status).toBe(200);
    const list = await sims.arm('GET', `/incidents/${INCIDENT}/comments`);
    expect(list.json.value.map((c: { properties: { message: string } }) => c.properties.message)).toEqual(['edited']);
    const incident = await sims.arm('GET', `/incidents/${INCIDENT}`);
    expect(incident.json.properties.additionalData.commentsCount).toBe(1);
    expect((await sims.arm('DELETE', `/incidents/${INCIDENT}/comments/${commentId}`)).status).toBe(200);
    expect((await sims.arm('DELETE', `/incidents/${INCIDENT}/comments/${commentId}`)).status).toBe(204);
    expect((await sims.arm('PUT', `/incidents/${INCIDENT}/comments/x`, { properties: {} })).status).toBe(400);
    expect((await sims.arm('PUT', `/incidents/missing/comments/x`, ARM_COMMENT_PUT_REQUEST)).status).toBe(404);
  });

  test('DELETE incident: 200 then 204; GET afterwards 404', async () => {
    await sims.arm('PUT', `/incidents/${INCIDENT}`, open);
    expect((await sims.arm('DELETE', `/incidents/${INCIDENT}`)).status).toBe(200);
    expect((await sims.arm('DELETE', `/incidents/${INCIDENT}`)).status).toBe(204);
    const gone = await sims.arm('GET', `/incidents/${INCIDENT}`);
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ error: { code: 'NotFound', message: expect.any(String) } });
  });
});

describe('ARM Sentinel incidents: refusals', () => {
  test('a stale etag in the body is 409 Conflict "Newer version ... Data was not saved"; a missing etag is accepted', async () => {
    const created = await sims.arm('PUT', `/incidents/${INCIDENT}`, open);
    const updated = await sims.arm('PUT', `/incidents/${INCIDENT}`, { etag: created.json.etag, properties: { ...open.properties, status: 'Active' } });
    expect(updated.status).toBe(200);
    const stale = await sims.arm('PUT', `/incidents/${INCIDENT}`, { etag: created.json.etag, properties: open.properties });
    expect(stale.status).toBe(409);
    expect(stale.json.error).toEqual({ code: 'Conflict', message: `Newer version of resource '${INCIDENT}' exists. Data was not saved` });
    expect((await sims.arm('PUT', `/incidents/${INCIDENT}`, open)).status).toBe(200);
  });

  test('closing without a classification, and BenignPositive without a reason, are 400', async () => {
    await sims.arm('PUT', `/incidents/${INCIDENT}`, open);
    const noClassification = await sims.arm('PUT', `/incidents/${INCIDENT}`, { properties: { ...open.properties, status: 'Closed' } });
    expect(noClassification.status).toBe(400);
    expect(noClassification.json.error.code).toBe('BadRequest');
    expect(noClassification.json.error.message).toMatch(/classification/);
    const benign = await sims.arm('PUT', `/incidents/${INCIDENT}`, { properties: { ...open.properties, status: 'Closed', classification: 'BenignPositive' } });
    expect(benign.status).toBe(400);
    expect(benign.json.error.message).toMatch(/classificationReason/);
    const ok = await sims.arm('PUT', `/incidents/${INCIDENT}`, { properties: { ...open.properties, status: 'Closed', classification: 'BenignPositive', classificationReason: 'SuspiciousButExpected' } });
    expect(ok.status).toBe(200);
  });

  test('missing fields, bad enums and a non-GUID owner are 400', async () => {
    expect((await sims.arm('PUT', `/incidents/${INCIDENT}`, { properties: { title: 'x', severity: 'Critical', status: 'New' } })).status).toBe(400);
    expect((await sims.arm('PUT', `/incidents/${INCIDENT}`, { properties: { severity: 'High', status: 'New' } })).status).toBe(400);
    expect((await sims.arm('PUT', `/incidents/${INCIDENT}`, { properties: { ...open.properties, owner: { objectId: '<script>' } } })).status).toBe(400);
  });

  test('api-version is checked as ARM does', async () => {
    const missing = await sims.arm('GET', '/incidents', undefined, '');
    expect(missing.status).toBe(400);
    expect(missing.json.error.code).toBe('MissingApiVersionParameter');
    const unsupported = await sims.arm('GET', '/incidents', undefined, '2019-01-01');
    expect(unsupported.status).toBe(400);
    expect(unsupported.json.error.code).toBe('InvalidApiVersionParameter');
    expect(unsupported.json.error.message).toContain('2025-09-01');
    for (const version of ['2025-09-01', '2024-03-01', '2022-09-01-preview', '2025-10-01-preview']) {
      expect((await sims.arm('GET', '/incidents', undefined, version)).status).toBe(200);
    }
    expect((await sims.arm('GET', '/settings', undefined, '2025-09-01')).json.error.code).toBe('NoRegisteredProviderFound');
  });

  test('401 without a valid ARM token, 403 AuthorizationFailed without workspace access, 404 for another workspace', async () => {
    const none = await sims.http('GET', `${sims.scope}/incidents?api-version=2025-09-01`);
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe('AuthenticationFailed');
    const graphToken = await sims.token('https://graph.microsoft.com/.default');
    const wrong = await sims.http('GET', `${sims.scope}/incidents?api-version=2025-09-01`, { headers: { authorization: `Bearer ${graphToken}` } });
    expect(wrong.json.error.code).toBe('InvalidAuthenticationTokenAudience');
    const readerToken = await sims.token('https://management.azure.com/.default', READER);
    const forbidden = await sims.http('GET', `${sims.scope}/incidents?api-version=2025-09-01`, { headers: { authorization: `Bearer ${readerToken}` } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.error.code).toBe('AuthorizationFailed');
    const armToken = await sims.token('https://management.azure.com/.default');
    const other = await sims.http('GET', `${sims.scope.replace(WORKSPACE, 'otherWs')}/incidents?api-version=2025-09-01`, { headers: { authorization: `Bearer ${armToken}` } });
    expect(other.status).toBe(404);
    sims.advance(3600_000);
    try {
      const expired = await sims.http('GET', `${sims.scope}/incidents?api-version=2025-09-01`, { headers: { authorization: `Bearer ${armToken}` } });
      expect(expired.status).toBe(401);
      expect(expired.json.error.code).toBe('ExpiredAuthenticationToken');
    } finally {
      sims.advance(-3600_000);
    }
  });
});

describe('ARM workspace configuration', () => {
  test('MicrosoftThreatProtection connector: the documented PUT, list/get, stale etag, DELETE', async () => {
    const name = '595c870a-5b74-4a23-984c-9ddba29cefe3';
    const created = await sims.arm('PUT', `/dataConnectors/${name}`, ARM_MTP_CONNECTOR_PUT_REQUEST, '2025-10-01-preview');
    expect(created.status).toBe(201);
    expectCoversShape(created.json, ARM_MTP_CONNECTOR_RESPONSE);
    expect(created.json.properties).toEqual(ARM_MTP_CONNECTOR_PUT_REQUEST.properties);
    const list = await sims.arm('GET', '/dataConnectors');
    expect(list.json.value.filter((c: { kind: string }) => c.kind === 'MicrosoftThreatProtection')).toHaveLength(2); // seeded + new
    const stale = await sims.arm('PUT', `/dataConnectors/${name}`, { ...ARM_MTP_CONNECTOR_PUT_REQUEST, etag: '"old"' });
    expect(stale.status).toBe(409);
    const events = await sims.arm('PUT', `/dataConnectors/${name}`, {
      kind: 'MicrosoftThreatProtection',
      properties: { tenantId: TENANT_ID, dataTypes: { incidents: { state: 'Enabled' }, DeviceProcessEvents: { state: 'Enabled' } } },
    });
    expect(events.status).toBe(200);
    const bad = await sims.arm('PUT', `/dataConnectors/${name}`, { kind: 'MicrosoftThreatProtection', properties: { tenantId: TENANT_ID, dataTypes: { incidents: { state: 'On' } } } });
    expect(bad.status).toBe(400);
    expect((await sims.arm('DELETE', `/dataConnectors/${name}`)).status).toBe(200);
  });

  test('dataConnectorsCheckRequirements answers from configurable state', async () => {
    const ok = await sims.arm('POST', '/dataConnectorsCheckRequirements', ARM_CHECK_REQUIREMENTS_REQUEST, '2025-10-01-preview');
    expect(ok.json).toEqual(ARM_CHECK_REQUIREMENTS_RESPONSE);
    sims.control.setCheckRequirements({ licenseState: 'Invalid' });
    const unlicensed = await sims.arm('POST', '/dataConnectorsCheckRequirements', ARM_CHECK_REQUIREMENTS_REQUEST, '2025-10-01-preview');
    expect(unlicensed.json).toEqual({ authorizationState: 'Valid', licenseState: 'Invalid' });
    sims.control.setCheckRequirements({ licenseState: 'Valid' });
  });

  test('incident creation rules: the documented PUT; seeded rules are all turned off', async () => {
    const seeded = await sims.arm('GET', '/alertRules');
    const creationRules = seeded.json.value.filter((r: { kind: string }) => r.kind === 'MicrosoftSecurityIncidentCreation');
    expect(creationRules.length).toBe(7);
    expect(creationRules.every((r: { properties: { enabled: boolean } }) => r.properties.enabled === false)).toBe(true);
    const created = await sims.arm('PUT', '/alertRules/microsoftSecurityIncidentCreationRuleExample', ARM_CREATION_RULE_PUT_REQUEST, '2025-10-01-preview');
    expect(created.status).toBe(201);
    expect(Object.keys(created.json.properties)).toEqual(expect.arrayContaining(ARM_CREATION_RULE_RESPONSE_KEYS));
    expect((await sims.arm('PUT', '/alertRules/x', { ...ARM_CREATION_RULE_PUT_REQUEST, properties: { ...ARM_CREATION_RULE_PUT_REQUEST.properties, productFilter: 'Nope' } })).status).toBe(400);
  });

  test('settings: Ueba and EntityAnalytics (connect entities) round-trip; wrong values are 400', async () => {
    const preview = '2025-10-01-preview';
    const entity = await sims.arm('PUT', '/settings/EntityAnalytics', { kind: 'EntityAnalytics', properties: { entityProviders: ['AzureActiveDirectory'] } }, preview);
    expect(entity.status).toBe(201);
    const ueba = await sims.arm('PUT', '/settings/Ueba', { kind: 'Ueba', properties: { dataSources: ['SigninLogs', 'AuditLogs'] } }, preview);
    expect(ueba.json.properties.dataSources).toEqual(['SigninLogs', 'AuditLogs']);
    expect((await sims.arm('GET', '/settings/Ueba', undefined, preview)).json.kind).toBe('Ueba');
    expect((await sims.arm('PUT', '/settings/Ueba', { kind: 'Ueba', properties: { dataSources: ['Everything'] } }, preview)).status).toBe(400);
    expect((await sims.arm('PUT', '/settings/Ueba', { kind: 'EntityAnalytics', properties: {} }, preview)).status).toBe(400);
  });
});

describe('ARM throttling', () => {
  test('every response carries the remaining-reads/-writes header; an empty bucket is 429 with Retry-After', async () => {
    const small = await (await import('./helpers.ts')).startTestSims({ armBucket: { readCapacity: 3, readRefillPerSecond: 0.5, writeCapacity: 2, writeRefillPerSecond: 0.5 } });
    try {
      const remaining: string[] = [];
      for (let i = 0; i < 3; i++) {
        const ok = await small.arm('GET', '/incidents');
        expect(ok.status).toBe(200);
        remaining.push(String(ok.headers['x-ms-ratelimit-remaining-subscription-reads']));
      }
      expect(remaining).toEqual(['2', '1', '0']);
      const throttled = await small.arm('GET', '/incidents');
      expect(throttled.status).toBe(429);
      expect(throttled.json.error.code).toBe('SubscriptionRequestsThrottled');
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      const write = await small.arm('PUT', `/incidents/${INCIDENT}`, open);
      expect(write.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('1');
      small.advance(10_000); // the bucket refills
      expect((await small.arm('GET', '/incidents')).status).toBe(200);
    } finally {
      await small.stop();
    }
  });
});

describe('@azure/arm-securityinsight against the simulator', () => {
  test('the SDK lists, gets, updates and comments through the simulator (its default api-version 2022-09-01-preview)', async () => {
    sims.control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: 'Possible ransomware activity', severity: 'high' });
    const httpClient = createCaTrustingHttpClient(sims.caCertPem);
    const credential = new ClientSecretCredential(TENANT_ID, WRITER.clientId, WRITER.clientSecret, { authorityHost: sims.url, disableInstanceDiscovery: true, httpClient });
    const client = new SecurityInsights(credential, SUBSCRIPTION_ID, { endpoint: sims.url, httpClient, credentialScopes: ['https://management.azure.com/.default'] });
    const incidents = [];
    for await (const incident of client.incidents.list(RESOURCE_GROUP, WORKSPACE, { top: 1 })) incidents.push(incident);
    expect(incidents).toHaveLength(1);
    const [incident] = incidents;
    expect(incident).toMatchObject({ providerName: 'Microsoft XDR', providerIncidentId: '1', severity: 'High', status: 'New' });
    const updated = await client.incidents.createOrUpdate(RESOURCE_GROUP, WORKSPACE, incident!.name!, { ...incident!, status: 'Active' });
    expect(updated.status).toBe('Active');
    await expect(client.incidents.createOrUpdate(RESOURCE_GROUP, WORKSPACE, incident!.name!, { ...incident!, status: 'New' })).rejects.toMatchObject({ statusCode: 409 });
    const comment = await client.incidentComments.createOrUpdate(RESOURCE_GROUP, WORKSPACE, incident!.name!, 'bridge-1', { message: 'hello from the SDK' });
    expect(comment.message).toBe('hello from the SDK');
  });
});
