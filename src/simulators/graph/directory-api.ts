// Microsoft Graph v1.0 directory endpoints: users, groups, and the transitive membership questions
// (checkMemberGroups, transitiveMemberOf), with the application permissions their Learn pages list
// and the directory's own error codes (Authorization_RequestDenied, Request_ResourceNotFound,
// Request_BadRequest). See CONTRACT.md, "Microsoft Graph directory".
import { createRouter } from '../http/router.ts';
import { isPlainObject, parseJsonBody } from '../http/types.ts';
import type { SimRequest, SimResponse } from '../http/types.ts';
import type { AppTokenClaims } from '../entra/tokens.ts';
import type { SigningKey } from '../entra/signing-key.ts';
import type { DirectoryGroup, SimDirectory } from '../directory/directory.ts';
import { isGuid } from '../directory/directory.ts';
import type { DirectoryUser } from '../engine/engine.ts';
import { graphError } from './errors.ts';
import { authenticateGraph } from './authenticate.ts';

export interface DirectoryGraphDeps {
  baseUrl: () => string;
  tenantId: string;
  key: SigningKey;
  clock: () => Date;
  directory: SimDirectory;
  onAuthenticated: (request: SimRequest, appId: string) => void;
}

/** Paths this handler serves (the tenant's Graph entry point sends the rest to the security API). */
export function isDirectoryPath(path: string): boolean {
  return /^\/v1\.0\/(users|groups|directoryObjects)(\/|$)/i.test(path);
}

// Application permissions, from the Learn pages' tables (see CONTRACT.md). Each entry is one
// alternative; every role in it is needed.
type Requirement = readonly (readonly string[])[];
const READ_USERS: Requirement = [['User.Read.All'], ['User.ReadWrite.All'], ['Directory.Read.All'], ['Directory.ReadWrite.All']];
const READ_GROUPS: Requirement = [['GroupMember.Read.All'], ['Group.Read.All'], ['Group.ReadWrite.All'], ['Directory.Read.All'], ['Directory.ReadWrite.All']];
const CHECK_MEMBER_GROUPS: Requirement = [
  ['User.Read.All', 'GroupMember.Read.All'],
  ['User.Read.All', 'Group.Read.All'],
  ['User.ReadWrite.All', 'GroupMember.Read.All'],
  ['User.ReadWrite.All', 'Group.Read.All'],
  ['Directory.Read.All'],
  ['Directory.ReadWrite.All'],
];
const LIST_TRANSITIVE_MEMBER_OF: Requirement = [['User.Read.All'], ['Directory.Read.All'], ['Directory.ReadWrite.All'], ['Group.Read.All'], ['GroupMember.Read.All']];

/** Documented: checkMemberGroups checks up to 20 groups per request. */
export const CHECK_MEMBER_GROUPS_LIMIT = 20;
// Documented for transitiveMemberOf: default page size 100, maximum 999.
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 999;

function holds(claims: AppTokenClaims, requirement: Requirement): boolean {
  return requirement.some((roles) => roles.every((role) => claims.roles.includes(role)));
}

function serializeUser(user: DirectoryUser): Record<string, unknown> {
  return { '@odata.type': '#microsoft.graph.user', id: user.objectId, userPrincipalName: user.userPrincipalName, displayName: user.displayName };
}

function serializeGroup(group: DirectoryGroup, full: boolean): Record<string, unknown> {
  // Without a permission to read groups, Graph returns members of a directoryObject collection with
  // limited information: their type and id only (Learn: "limited information for inaccessible member objects").
  if (!full) return { '@odata.type': '#microsoft.graph.group', id: group.id };
  return { '@odata.type': '#microsoft.graph.group', id: group.id, displayName: group.displayName, securityEnabled: group.securityEnabled };
}

function skipTokenOf(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function offsetOf(token: string): number | undefined {
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

export function createDirectoryGraphHandler(deps: DirectoryGraphDeps): (request: SimRequest) => Promise<SimResponse> {
  const { directory } = deps;
  const error = (request: SimRequest, status: number, code: string, message: string) => graphError(request, deps.clock(), status, code, message);
  const notFound = (request: SimRequest, key: string) =>
    error(request, 404, 'Request_ResourceNotFound', `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`);
  const context = (fragment: string) => `${deps.baseUrl()}/v1.0/$metadata#${fragment}`;

  const checkMemberGroups = (request: SimRequest, memberId: string): SimResponse => {
    const parsed = parseJsonBody(request);
    if (!parsed.ok) return error(request, 400, 'Request_BadRequest', parsed.message);
    const groupIds = isPlainObject(parsed.value) ? parsed.value.groupIds : undefined;
    if (!Array.isArray(groupIds) || groupIds.length === 0) return error(request, 400, 'Request_BadRequest', "The request body must be {\"groupIds\": [<1 to 20 group ids>]}.");
    if (groupIds.length > CHECK_MEMBER_GROUPS_LIMIT) {
      return error(request, 400, 'Request_BadRequest', `Too many groupIds: ${groupIds.length}. Up to ${CHECK_MEMBER_GROUPS_LIMIT} groups can be checked per request.`);
    }
    // Documented: the groupIds are evaluated as one request; one malformed id fails all of it.
    const malformed = groupIds.find((id) => typeof id !== 'string' || !isGuid(id));
    if (malformed !== undefined) return error(request, 400, 'Request_BadRequest', `Invalid object identifier '${String(malformed)}'.`);
    const memberOf = new Set(directory.transitiveGroupsOf(memberId).map((group) => group.id.toLowerCase()));
    const value = (groupIds as string[]).filter((id) => memberOf.has(id.toLowerCase()));
    return { status: 200, json: { '@odata.context': context('Collection(Edm.String)'), value } };
  };

  const listTransitiveMemberOf = (request: SimRequest, claims: AppTokenClaims, user: DirectoryUser): SimResponse => {
    const params = request.url.searchParams;
    for (const key of params.keys()) {
      if (key.startsWith('$') && key !== '$top' && key !== '$skiptoken') return error(request, 400, 'Request_BadRequest', `Query option '${key}' is not supported by this simulator.`);
    }
    const topText = params.get('$top');
    const top = topText === null ? DEFAULT_PAGE_SIZE : Number(topText);
    if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE_SIZE) return error(request, 400, 'Request_BadRequest', `Invalid page size specified: '${topText}'. Must be between 1 and ${MAX_PAGE_SIZE} inclusive.`);
    const tokenText = params.get('$skiptoken');
    const offset = tokenText === null ? 0 : offsetOf(tokenText);
    if (offset === undefined) return error(request, 400, 'Request_BadRequest', 'The $skiptoken is not valid.');
    const groups = directory.transitiveGroupsOf(user.objectId);
    const page = groups.slice(offset, offset + top);
    const fullGroups = holds(claims, READ_GROUPS);
    const body: Record<string, unknown> = { '@odata.context': context('directoryObjects'), value: page.map((group) => serializeGroup(group, fullGroups)) };
    if (offset + page.length < groups.length) {
      const next = new URLSearchParams({ $top: String(top), $skiptoken: skipTokenOf(offset + page.length) });
      body['@odata.nextLink'] = `${deps.baseUrl()}${request.path}?${next.toString()}`;
    }
    return { status: 200, json: body };
  };

  type Route = (request: SimRequest, params: Record<string, string>, claims: AppTokenClaims) => SimResponse;
  const routes: Array<{ method: string; pattern: string; requirement: Requirement; run: Route }> = [
    {
      method: 'GET', pattern: '/v1.0/users/:key', requirement: READ_USERS,
      run: (request, params) => {
        const user = directory.findUser(params.key as string);
        return user ? { status: 200, json: { '@odata.context': context('users/$entity'), ...serializeUser(user) } } : notFound(request, params.key as string);
      },
    },
    {
      method: 'GET', pattern: '/v1.0/groups/:id', requirement: READ_GROUPS,
      run: (request, params) => {
        const group = directory.findGroup(params.id as string);
        return group ? { status: 200, json: { '@odata.context': context('groups/$entity'), ...serializeGroup(group, true) } } : notFound(request, params.id as string);
      },
    },
    {
      method: 'POST', pattern: '/v1.0/users/:key/checkMemberGroups', requirement: CHECK_MEMBER_GROUPS,
      run: (request, params) => {
        const user = directory.findUser(params.key as string);
        return user ? checkMemberGroups(request, user.objectId) : notFound(request, params.key as string);
      },
    },
    {
      method: 'POST', pattern: '/v1.0/directoryObjects/:id/checkMemberGroups', requirement: CHECK_MEMBER_GROUPS,
      run: (request, params) => {
        const id = params.id as string;
        if (!isGuid(id)) return error(request, 400, 'Request_BadRequest', `Invalid object identifier '${id}'.`);
        return directory.findObject(id) ? checkMemberGroups(request, id) : notFound(request, id);
      },
    },
    ...['/v1.0/users/:key/transitiveMemberOf', '/v1.0/users/:key/transitiveMemberOf/microsoft.graph.group'].map((pattern) => ({
      method: 'GET', pattern, requirement: LIST_TRANSITIVE_MEMBER_OF,
      run: ((request, params, claims) => {
        const user = directory.findUser(params.key as string);
        return user ? listTransitiveMemberOf(request, claims, user) : notFound(request, params.key as string);
      }) as Route,
    })),
  ];
  // Handlers run after authentication, which leaves the caller's claims here for them.
  const callers = new WeakMap<SimRequest, AppTokenClaims>();
  const router = createRouter();
  for (const route of routes) {
    router.add(route.method, route.pattern, (request, params) => {
      const claims = callers.get(request) as AppTokenClaims;
      if (!holds(claims, route.requirement)) return error(request, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
      return route.run(request, params, claims);
    });
  }

  return async (request) => {
    const match = router.match(request.method, request.path);
    if (match.kind === 'not-found') return error(request, 400, 'BadRequest', `Resource not found for the segment '${request.path}'.`);
    if (match.kind === 'method-not-allowed') return error(request, 405, 'Request_BadRequest', `Method ${request.method} is not allowed here; use ${match.allowed.join(', ')}.`);
    const auth = await authenticateGraph(request, { key: deps.key, tenantId: deps.tenantId, now: deps.clock() });
    if (!auth.ok) return auth.response;
    deps.onAuthenticated(request, auth.claims.appid);
    callers.set(request, auth.claims);
    return match.handler(request, match.params);
  };
}
