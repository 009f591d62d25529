// Graph's directory endpoints on the simulators: users, groups and nested membership
// (checkMemberGroups, transitiveMemberOf), the permissions each needs, paging and error shapes,
// a directory-only tenant, and the control API that sets a directory up.
import { describe, test, expect, beforeAll, afterAll } from '@jest/globals';
import { PLAYGROUND_USER_PRINCIPAL_NAME, SAMPLE_GROUPS, sampleGroupId } from '../../src/simulators/index.ts';
import { READER, TENANT_ID, WRITER, startTestSims } from './helpers.ts';
import type { HttpResult, TestSims } from './helpers.ts';

const DIRECTORY_READER = { clientId: 'app-directory', clientSecret: 'directory-secret', graphRoles: ['User.Read.All', 'GroupMember.Read.All'], armAccess: false };
const GROUPS_ONLY = { clientId: 'app-groups-only', clientSecret: 'groups-secret', graphRoles: ['GroupMember.Read.All'], armAccess: false };
const USERS_ONLY = { clientId: 'app-users-only', clientSecret: 'users-secret', graphRoles: ['User.Read.All'], armAccess: false };
const DIRECTORY_ONLY_TENANT = '00000000-0000-0000-0000-0000000000001';

const guid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
// A small directory: ann in "inner", "inner" nested in "outer"; bob in nothing.
const ANN = { id: guid(1), userPrincipalName: 'ann@contoso.example', displayName: 'Ann' };
const BOB = { id: guid(2), userPrincipalName: 'bob@contoso.example', displayName: 'Bob' };
const INNER = { id: guid(11), displayName: 'Inner', securityEnabled: true };
const OUTER = { id: guid(12), displayName: 'Outer', securityEnabled: true };
const OTHER = { id: guid(13), displayName: 'Other', securityEnabled: true };
const DIRECTORY = { users: [ANN, BOB], groups: [INNER, OUTER, OTHER], members: { [INNER.id]: [ANN.id], [OUTER.id]: [INNER.id] } };

describe('Graph directory endpoints', () => {
  let sims: TestSims;

  async function tokenOf(app: { clientId: string; clientSecret: string }, tenantId = TENANT_ID): Promise<string> {
    const result = await sims.http('POST', `/${tenantId}/oauth2/v2.0/token`, {
      form: { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret, scope: 'https://graph.microsoft.com/.default' },
    });
    expect(result.status).toBe(200);
    return result.json.access_token as string;
  }

  async function graphAs(app: { clientId: string; clientSecret: string }, method: string, path: string, body?: unknown, tenantId?: string): Promise<HttpResult> {
    return sims.http(method, path, { headers: { authorization: `Bearer ${await tokenOf(app, tenantId)}` }, body });
  }

  const check = (key: string, groupIds: unknown[], app = DIRECTORY_READER) => graphAs(app, 'POST', `/v1.0/users/${encodeURIComponent(key)}/checkMemberGroups`, { groupIds });

  beforeAll(async () => {
    sims = await startTestSims({ apps: [WRITER, READER, DIRECTORY_READER, GROUPS_ONLY, USERS_ONLY], directoryTenants: [DIRECTORY_ONLY_TENANT] });
    const replaced = await sims.http('PUT', '/_sim/directory', { body: DIRECTORY });
    expect(replaced.status).toBe(200);
  });
  afterAll(async () => {
    await sims?.stop();
  });

  test('checkMemberGroups returns, in the order asked, the listed groups the user belongs to, nesting included', async () => {
    const result = await check(ANN.id, [OTHER.id, OUTER.id, INNER.id.toUpperCase()]);
    expect(result.status).toBe(200);
    expect(result.json.value).toEqual([OUTER.id, INNER.id.toUpperCase()]);
    expect(result.json['@odata.context']).toBe(`${sims.url}/v1.0/$metadata#Collection(Edm.String)`);
    expect((await check(BOB.id, [INNER.id, OUTER.id])).json.value).toEqual([]);
  });

  test('a user is found by UPN, and directoryObjects answers for users and groups alike', async () => {
    expect((await check('ANN@contoso.example', [OUTER.id])).json.value).toEqual([OUTER.id]);
    const byObject = await graphAs(DIRECTORY_READER, 'POST', `/v1.0/directoryObjects/${INNER.id}/checkMemberGroups`, { groupIds: [OUTER.id, OTHER.id] });
    expect(byObject.status).toBe(200);
    expect(byObject.json.value).toEqual([OUTER.id]);
  });

  test('unknown users are 404 Request_ResourceNotFound; a key that is no GUID is read as a UPN', async () => {
    for (const key of [guid(99), '00000000-0000-0000-0000-0000000000020', 'nobody@contoso.example']) {
      const result = await check(key, [OUTER.id]);
      expect(result.status).toBe(404);
      expect(result.json.error.code).toBe('Request_ResourceNotFound');
      expect(result.json.error.message).toBe(`Resource '${key}' does not exist or one of its queried reference-property objects are not present.`);
      expect(result.json.error.innerError['request-id']).toEqual(expect.any(String));
    }
    const badObject = await graphAs(DIRECTORY_READER, 'POST', '/v1.0/directoryObjects/not-a-guid/checkMemberGroups', { groupIds: [OUTER.id] });
    expect(badObject.status).toBe(400);
    expect(badObject.json.error.code).toBe('Request_BadRequest');
  });

  test('groupIds: 1 to 20 GUIDs, and one malformed id fails the whole request', async () => {
    const ids = Array.from({ length: 21 }, (_, i) => guid(100 + i));
    expect((await check(ANN.id, ids.slice(0, 20))).status).toBe(200);
    for (const groupIds of [ids, [], [OUTER.id, 'not-a-guid']]) {
      const result = await check(ANN.id, groupIds);
      expect(result.status).toBe(400);
      expect(result.json.error.code).toBe('Request_BadRequest');
    }
  });

  test('without the documented application permissions Graph answers 403 Authorization_RequestDenied', async () => {
    // checkMemberGroups needs User.Read.All and GroupMember.Read.All (or Directory.Read.All).
    for (const app of [READER, GROUPS_ONLY, USERS_ONLY]) {
      const result = await check(ANN.id, [OUTER.id], app);
      expect(result.status).toBe(403);
      expect(result.json.error).toMatchObject({ code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' });
    }
    expect((await sims.http('POST', `/v1.0/users/${ANN.id}/checkMemberGroups`, { body: { groupIds: [OUTER.id] } })).json.error.code).toBe('InvalidAuthenticationToken');
  });

  test('transitiveMemberOf pages with @odata.nextLink; without a group permission groups carry only type and id', async () => {
    const seen: unknown[] = [];
    let next: string | undefined = `/v1.0/users/${ANN.id}/transitiveMemberOf?$top=1`;
    while (next) {
      const page = await graphAs(DIRECTORY_READER, 'GET', next);
      expect(page.status).toBe(200);
      expect(page.json.value).toHaveLength(1);
      seen.push(...page.json.value);
      next = page.json['@odata.nextLink'];
      if (next) expect(next.startsWith(`${sims.url}/v1.0/users/${ANN.id}/transitiveMemberOf?`)).toBe(true);
    }
    expect(seen).toEqual(expect.arrayContaining([
      { '@odata.type': '#microsoft.graph.group', id: INNER.id, displayName: 'Inner', securityEnabled: true },
      { '@odata.type': '#microsoft.graph.group', id: OUTER.id, displayName: 'Outer', securityEnabled: true },
    ]));
    expect(seen).toHaveLength(2);
    const limited = await graphAs(USERS_ONLY, 'GET', `/v1.0/users/${ANN.id}/transitiveMemberOf/microsoft.graph.group`);
    expect(limited.json.value).toEqual(expect.arrayContaining([{ '@odata.type': '#microsoft.graph.group', id: OUTER.id }]));
    expect((await graphAs(DIRECTORY_READER, 'GET', `/v1.0/users/${ANN.id}/transitiveMemberOf?$top=1000`)).status).toBe(400);
  });

  test('GET users and groups', async () => {
    const user = await graphAs(DIRECTORY_READER, 'GET', `/v1.0/users/${ANN.userPrincipalName}`);
    expect(user.json).toMatchObject({ id: ANN.id, userPrincipalName: ANN.userPrincipalName, displayName: 'Ann' });
    expect((await graphAs(DIRECTORY_READER, 'GET', `/v1.0/groups/${OUTER.id}`)).json).toMatchObject({ id: OUTER.id, displayName: 'Outer' });
    expect((await graphAs(USERS_ONLY, 'GET', `/v1.0/groups/${OUTER.id}`)).status).toBe(403);
  });

  test('throttling injected on a directory path answers 429 with Retry-After, in Graph\'s shape', async () => {
    sims.control.addFault({ api: 'graph', method: 'POST', pathPattern: 'checkMemberGroups$', status: 429, retryAfterSeconds: 7, count: 1 });
    const throttled = await check(ANN.id, [OUTER.id]);
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('7');
    expect(throttled.json.error.code).toBe('TooManyRequests');
    expect((await check(ANN.id, [OUTER.id])).status).toBe(200);
  });

  test('a directory-only tenant signs in, answers from its own sample directory, and has no security API', async () => {
    const analysts = sampleGroupId(DIRECTORY_ONLY_TENANT, SAMPLE_GROUPS.analysts);
    const approvers = sampleGroupId(DIRECTORY_ONLY_TENANT, SAMPLE_GROUPS.approvers);
    // The Playground's user is a member of SOC Analysts through SOC Tier 1 only.
    const result = await graphAs(DIRECTORY_READER, 'POST', `/v1.0/users/${PLAYGROUND_USER_PRINCIPAL_NAME}/checkMemberGroups`, { groupIds: [analysts, approvers] }, DIRECTORY_ONLY_TENANT);
    expect(result.status).toBe(200);
    expect(result.json.value).toEqual([analysts]);
    expect((await graphAs(DIRECTORY_READER, 'GET', '/v1.0/security/incidents', undefined, DIRECTORY_ONLY_TENANT)).status).toBe(400);
    // The primary's directory was replaced above; the other tenant's was not.
    expect((await sims.http('GET', `/_sim/directory?tenant=${DIRECTORY_ONLY_TENANT}`)).json.groups.map((g: { displayName: string }) => g.displayName)).toEqual(Object.values(SAMPLE_GROUPS));
  });

  test('control API: invalid directories are refused with the reason; members can be added', async () => {
    for (const [body, reason] of [
      [{ users: [{ ...ANN, id: 'x' }], groups: [] }, 'is not a GUID'],
      [{ users: [ANN, { ...BOB, id: ANN.id }], groups: [] }, 'used twice'],
      [{ users: [ANN], groups: [INNER], members: { [INNER.id]: [guid(77)] } }, 'neither a user nor a group'],
      [{ users: [ANN], groups: [INNER], members: { [INNER.id]: [INNER.id] } }, 'member of itself'],
    ] as const) {
      const refused = await sims.http('PUT', '/_sim/directory', { body });
      expect(refused.status).toBe(400);
      expect(refused.json.error).toContain(reason);
    }
    expect((await sims.http('POST', `/_sim/directory/groups/${OTHER.id}/members`, { body: { id: BOB.id } })).status).toBe(201);
    expect((await check(BOB.id, [OTHER.id])).json.value).toEqual([OTHER.id]);
    expect((await sims.http('POST', `/_sim/directory/groups/${guid(404)}/members`, { body: { id: BOB.id } })).status).toBe(404);
    expect((await sims.http('GET', '/_sim/directory?tenant=unknown-tenant')).status).toBe(404);
  });
});
