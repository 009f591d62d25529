import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { READER, WRITER, expectCoversShape, startTestSims } from './helpers.ts';
import type { TestSims } from './helpers.ts';
import { GRAPH_ALERT_EXAMPLE, GRAPH_COMMENTS_RESPONSE, GRAPH_COMMENT_REQUEST, GRAPH_INCIDENT_EXAMPLE, GRAPH_UPDATE_REQUEST } from './fixtures/documented-examples.ts';
import { GRAPH_CLASSIFICATIONS, GRAPH_DETERMINATIONS, GRAPH_INCIDENT_STATUSES, GRAPH_SEVERITIES } from '../../src/simulators/engine/catalog.ts';

let sims: TestSims;
beforeAll(async () => {
  sims = await startTestSims();
});
afterAll(async () => {
  await sims.stop();
});
beforeEach(() => {
  sims.control.reset();
});

function raise(title = 'Suspicious PowerShell command line', correlationKey?: string) {
  return sims.control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title, severity: 'medium', category: 'Execution', ...(correlationKey ? { correlationKey } : {}) });
}

describe('Graph security incidents: documented contract', () => {
  test('list returns the documented incident shape with camelCase enums and an absolute @odata.context', async () => {
    raise();
    await sims.graph('PATCH', '/v1.0/security/incidents/1', { assignedTo: 'KaiC@contoso.onmicrosoft.com', customTags: ['Demo'] });
    sims.control.analystCommentDefender('1', 'Demo incident', 'DavidS@contoso.onmicrosoft.com');
    const result = await sims.graph('GET', '/v1.0/security/incidents');
    expect(result.status).toBe(200);
    expect(result.json['@odata.context']).toBe(`${sims.url}/v1.0/$metadata#security/incidents`);
    const [incident] = result.json.value;
    expectCoversShape(incident, GRAPH_INCIDENT_EXAMPLE);
    expect(GRAPH_SEVERITIES).toContain(incident.severity);
    expect(GRAPH_INCIDENT_STATUSES).toContain(incident.status);
    expect(GRAPH_CLASSIFICATIONS).toContain(incident.classification);
    expect(GRAPH_DETERMINATIONS).toContain(incident.determination);
    expect(incident.comments[0]).toEqual({ comment: 'Demo incident', createdByDisplayName: 'DavidS@contoso.onmicrosoft.com', createdDateTime: expect.any(String) });
  });

  test('$expand=alerts embeds alerts in the documented alert shape', async () => {
    raise();
    const result = await sims.graph('GET', '/v1.0/security/incidents?$expand=alerts');
    expect(result.json['@odata.context']).toMatch(/#security\/incidents\(alerts\(\)\)$/);
    expectCoversShape(result.json.value[0].alerts[0], GRAPH_ALERT_EXAMPLE);
    expect(result.json.value[0].alerts[0].productName).toBe('Microsoft Defender for Endpoint');
  });

  test('get and alerts_v2 get/list', async () => {
    const { alertId, incidentId } = raise();
    const incident = await sims.graph('GET', `/v1.0/security/incidents/${incidentId}`);
    expect(incident.status).toBe(200);
    expect(incident.json.id).toBe(incidentId);
    const alert = await sims.graph('GET', `/v1.0/security/alerts_v2/${alertId}`);
    expectCoversShape(alert.json, GRAPH_ALERT_EXAMPLE);
    const alerts = await sims.graph('GET', `/v1.0/security/alerts_v2?$filter=serviceSource eq 'microsoftDefenderForEndpoint'`);
    expect(alerts.json.value.map((a: { id: string }) => a.id)).toEqual([alertId]);
    const missing = await sims.graph('GET', '/v1.0/security/incidents/999');
    expect(missing.status).toBe(404);
  });

  test('PATCH with the documented PascalCase request returns the full incident, camelCased, credited to the app', async () => {
    raise();
    const result = await sims.graph('PATCH', '/v1.0/security/incidents/1', GRAPH_UPDATE_REQUEST);
    expect(result.status).toBe(200);
    expectCoversShape(result.json, { ...GRAPH_INCIDENT_EXAMPLE, assignedTo: null });
    expect(result.json).toMatchObject({ classification: 'truePositive', determination: 'multiStagedAttack', customTags: ['Demo'], lastModifiedBy: `API-App:${WRITER.clientId}` });
    expect(Date.parse(result.json.lastUpdateDateTime)).toBeGreaterThanOrEqual(Date.parse(result.json.createdDateTime));
  });

  test('PATCH accepts the older determination names and stores the renamed members', async () => {
    raise();
    const result = await sims.graph('PATCH', '/v1.0/security/incidents/1', { determination: 'notMalicious' });
    expect(result.json.determination).toBe('clean');
  });

  test('PATCH of a field outside the capability profile (severity by default) is a 400 naming the field', async () => {
    raise();
    const result = await sims.graph('PATCH', '/v1.0/security/incidents/1', { severity: 'high' });
    expect(result.status).toBe(400);
    expect(result.json.error.code).toBe('BadRequest');
    expect(result.json.error.message).toContain("'severity'");
    sims.control.configure({ graphWritableFields: ['assignedTo', 'classification', 'determination', 'status', 'customTags'] });
    const older = await sims.graph('PATCH', '/v1.0/security/incidents/1', { displayName: 'renamed' });
    expect(older.status).toBe(400);
    expect(older.json.error.message).toContain("'displayName'");
    sims.control.configure({ graphWritableFields: ['assignedTo', 'classification', 'determination', 'status', 'customTags', 'displayName', 'description', 'summary'] });
  });

  test('PATCH refuses bad enum values, redirected and non-JSON bodies', async () => {
    raise();
    expect((await sims.graph('PATCH', '/v1.0/security/incidents/1', { classification: 'maybe' })).status).toBe(400);
    expect((await sims.graph('PATCH', '/v1.0/security/incidents/1', { status: 'redirected' })).status).toBe(400);
    expect((await sims.graph('PATCH', '/v1.0/security/incidents/1', '{not json')).status).toBe(400);
  });

  test('POST comments with the documented body returns 200 with the whole comment list', async () => {
    raise();
    sims.control.analystCommentDefender('1', 'test', 'secAdmin@contoso.com');
    const result = await sims.graph('POST', '/v1.0/security/incidents/1/comments', GRAPH_COMMENT_REQUEST);
    expect(result.status).toBe(200);
    expectCoversShape(result.json, { value: GRAPH_COMMENTS_RESPONSE.value });
    expect(result.json.value.map((c: { comment: string }) => c.comment)).toEqual(['test', 'Demo for docs']);
    expect(result.json.value[1].createdByDisplayName).toBe(`API-App:${WRITER.clientId}`);
    expect((await sims.graph('POST', '/v1.0/security/incidents/1/comments', { comment: '' })).status).toBe(400);
  });

  test('awaitingAction is returned only with Prefer: include-unknown-enum-members', async () => {
    raise();
    sims.control.analystUpdateDefenderIncident('1', { status: 'awaitingAction' }, 'expert@microsoft.example');
    expect((await sims.graph('GET', '/v1.0/security/incidents/1')).json.status).toBe('unknownFutureValue');
    const withPrefer = await sims.graph('GET', '/v1.0/security/incidents/1', undefined, { prefer: 'include-unknown-enum-members' });
    expect(withPrefer.json.status).toBe('awaitingAction');
  });
});

describe('Graph security incidents: listing', () => {
  test('$top above 50 gives the documented 400 message', async () => {
    const result = await sims.graph('GET', '/v1.0/security/incidents?$top=51');
    expect(result.status).toBe(400);
    expect(result.json.error.message).toBe("The limit of '50' for Top query has been exceeded. The value from the incoming request is '51'.");
    expect(result.json.error.innerError).toEqual({ date: expect.any(String), 'request-id': expect.any(String), 'client-request-id': expect.any(String) });
  });

  test('pages with an absolute @odata.nextLink that keeps the filter, and $count counts all matches', async () => {
    for (let i = 0; i < 5; i++) raise(`alert ${i}`);
    const since = new Date(Date.now() - 60_000).toISOString();
    const seen: string[] = [];
    let url: string | undefined = `/v1.0/security/incidents?$filter=lastUpdateDateTime ge ${since} and status eq 'active'&$top=2&$count=true&$orderby=createdDateTime asc`;
    let pages = 0;
    while (url) {
      const page = await sims.graph('GET', url);
      expect(page.status).toBe(200);
      expect(page.json['@odata.count']).toBe(5);
      seen.push(...page.json.value.map((incident: { id: string }) => incident.id));
      url = page.json['@odata.nextLink'];
      if (url) expect(url.startsWith(`${sims.url}/v1.0/security/incidents?`)).toBe(true);
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(['1', '2', '3', '4', '5']);
  });

  test('$filter on enums and dates, with gt/lt and and; bad filters are a 400', async () => {
    raise('a');
    raise('b');
    await sims.graph('PATCH', '/v1.0/security/incidents/2', { status: 'resolved', classification: 'falsePositive' });
    const resolved = await sims.graph('GET', "/v1.0/security/incidents?$filter=status eq 'resolved' and classification eq 'falsePositive'");
    expect(resolved.json.value.map((i: { id: string }) => i.id)).toEqual(['2']);
    const future = await sims.graph('GET', `/v1.0/security/incidents?$filter=createdDateTime gt ${new Date(Date.now() + 3_600_000).toISOString()}`);
    expect(future.json.value).toEqual([]);
    expect((await sims.graph('GET', "/v1.0/security/incidents?$filter=title eq 'x'")).status).toBe(400);
    expect((await sims.graph('GET', "/v1.0/security/incidents?$filter=status eq 'active' or status eq 'resolved'")).status).toBe(400);
  });
});

describe('Graph security incidents: authentication, authorisation and throttling', () => {
  test('no token, a garbage token, an ARM token and an expired token are 401 InvalidAuthenticationToken', async () => {
    const none = await sims.http('GET', '/v1.0/security/incidents');
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe('InvalidAuthenticationToken');
    const garbage = await sims.http('GET', '/v1.0/security/incidents', { headers: { authorization: 'Bearer not.a.jwt' } });
    expect(garbage.status).toBe(401);
    const armToken = await sims.token('https://management.azure.com/.default');
    const wrongAudience = await sims.http('GET', '/v1.0/security/incidents', { headers: { authorization: `Bearer ${armToken}` } });
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.json.error.message).toMatch(/audience/i);
    const token = await sims.token('https://graph.microsoft.com/.default');
    sims.advance(3600_000); // past exp (3599 s)
    try {
      const expired = await sims.http('GET', '/v1.0/security/incidents', { headers: { authorization: `Bearer ${token}` } });
      expect(expired.status).toBe(401);
      expect(expired.json.error.message).toMatch(/expired/);
    } finally {
      sims.advance(-3600_000);
    }
  });

  test('a valid token without the role is 403; a read-only app cannot PATCH', async () => {
    raise();
    const readerToken = await sims.token('https://graph.microsoft.com/.default', READER);
    const read = await sims.http('GET', '/v1.0/security/incidents', { headers: { authorization: `Bearer ${readerToken}` } });
    expect(read.status).toBe(200);
    const write = await sims.http('PATCH', '/v1.0/security/incidents/1', { headers: { authorization: `Bearer ${readerToken}` }, body: { assignedTo: 'x' } });
    expect(write.status).toBe(403);
    expect(write.json.error.message).toContain('SecurityIncident.ReadWrite.All');
    const alerts = await sims.http('GET', '/v1.0/security/alerts_v2', { headers: { authorization: `Bearer ${readerToken}` } });
    expect(alerts.status).toBe(403);
  });

  test('more requests than the per-app budget in a minute get 429 TooManyRequests with Retry-After', async () => {
    sims.control.configure({ graphRequestsPerMinute: 3 });
    try {
      for (let i = 0; i < 3; i++) expect((await sims.graph('GET', '/v1.0/security/incidents')).status).toBe(200);
      const throttled = await sims.graph('GET', '/v1.0/security/incidents');
      expect(throttled.status).toBe(429);
      expect(throttled.json.error.code).toBe('TooManyRequests');
      const retryAfter = Number(throttled.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // Another app has its own budget.
      const readerToken = await sims.token('https://graph.microsoft.com/.default', READER);
      expect((await sims.http('GET', '/v1.0/security/incidents', { headers: { authorization: `Bearer ${readerToken}` } })).status).toBe(200);
      sims.advance(61_000); // the sliding window moves on
      expect((await sims.graph('GET', '/v1.0/security/incidents')).status).toBe(200);
    } finally {
      sims.control.configure({ graphRequestsPerMinute: 150 });
      sims.advance(-61_000);
    }
  });
});
