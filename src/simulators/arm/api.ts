// ARM Microsoft.SecurityInsights for one workspace: authentication and RBAC, api-version checks,
// token-bucket throttling with the x-ms-ratelimit headers, incidents, comments, data connectors,
// checkRequirements, alert rules and settings.
import { randomUUID } from 'node:crypto';
import { createRouter } from '../http/router.ts';
import { header, parseJsonBody } from '../http/types.ts';
import type { RouteParams, SimRequest, SimResponse } from '../http/types.ts';
import { ARM_ACCEPTED_AUDIENCES, verifyBearer } from '../entra/tokens.ts';
import type { AppTokenClaims } from '../entra/tokens.ts';
import type { SigningKey } from '../entra/signing-key.ts';
import type { TokenBucket } from '../throttle.ts';
import type { PortalEngine } from '../engine/engine.ts';
import { SimError } from '../engine/errors.ts';
import { ARM_SEVERITIES, ARM_STATUSES } from '../engine/catalog.ts';
import { newEtag } from '../engine/seed.ts';
import { matchesFilter, parseFilter, parseOrderBy, sortBy } from '../odata.ts';
import type { FilterSchema } from '../odata.ts';
import type { SimulatorApp } from '../options.ts';
import type { ArmRecord, SentinelIncident } from '../state/model.ts';
import { checkApiVersion } from './api-versions.ts';
import { armError } from './errors.ts';
import { parseCommentPut, parseIncidentPut } from './incident-input.ts';
import { parseAlertRulePut, parseDataConnectorPut, parseSettingPut } from './workspace-input.ts';
import type { ParsedResource } from './workspace-input.ts';
import { serializeComment, serializeIncident, serializeRecord } from './serialize.ts';
import type { ArmContext } from './serialize.ts';

export interface ArmDeps {
  baseUrl: () => string;
  tenantId: string;
  key: SigningKey;
  clock: () => Date;
  apps: () => SimulatorApp[];
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  engine: PortalEngine;
  reads: TokenBucket;
  writes: TokenBucket;
  onAuthenticated: (request: SimRequest, appId: string) => void;
}

const MAX_TOP = 1000; // Incidents_List $top maximum in the spec
const DEFAULT_PAGE_SIZE = 50;

const INCIDENT_FILTER: FilterSchema = {
  'properties/lastModifiedTimeUtc': { kind: 'datetime' },
  'properties/createdTimeUtc': { kind: 'datetime' },
  'properties/status': { kind: 'enum', members: ARM_STATUSES },
  'properties/severity': { kind: 'enum', members: ARM_SEVERITIES },
  'properties/providerIncidentId': { kind: 'string' },
  'properties/providerName': { kind: 'string' },
  'properties/title': { kind: 'string' },
};
const INCIDENT_ORDERBY = ['properties/createdTimeUtc', 'properties/lastModifiedTimeUtc', 'properties/incidentNumber'];

function readIncidentProperty(incident: SentinelIncident, property: string): string | null {
  const name = property.replace(/^properties\//, '') as keyof SentinelIncident;
  const value = incident[name];
  return value == null ? null : String(value);
}

function encodeSkipToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function decodeSkipToken(token: string): number | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
    return Number.isInteger(parsed.offset) && (parsed.offset as number) >= 0 ? (parsed.offset as number) : undefined;
  } catch {
    return undefined;
  }
}

interface PageQuery {
  top: number;
  offset: number;
}

function parsePage(request: SimRequest): PageQuery | SimResponse {
  const params = request.url.searchParams;
  let top = DEFAULT_PAGE_SIZE;
  const topText = params.get('$top');
  if (topText !== null) {
    if (!/^\d+$/.test(topText) || Number(topText) < 1) return armError(400, 'BadRequest', `'$top' must be a positive integer, not '${topText}'.`);
    top = Number(topText);
    if (top > MAX_TOP) return armError(400, 'BadRequest', `'$top' must be at most ${MAX_TOP}; the request asked for ${top}.`);
  }
  let offset = 0;
  const token = params.get('$skipToken');
  if (token !== null) {
    const decoded = decodeSkipToken(token);
    if (decoded === undefined) return armError(400, 'BadRequest', `'$skipToken' is not a token this API issued; follow nextLink verbatim.`);
    offset = decoded;
  }
  return { top, offset };
}

function nextLinkFor(deps: ArmDeps, request: SimRequest, offset: number): string {
  const params = new URLSearchParams(request.url.searchParams);
  params.set('$skipToken', encodeSkipToken(offset));
  return `${deps.baseUrl()}${request.path}?${params.toString().replaceAll('+', '%20')}`;
}

function paged<T>(deps: ArmDeps, request: SimRequest, all: readonly T[], page: PageQuery, serialize: (item: T) => unknown): SimResponse {
  const slice = all.slice(page.offset, page.offset + page.top);
  const body: Record<string, unknown> = { value: slice.map(serialize) };
  const next = page.offset + slice.length;
  if (slice.length > 0 && next < all.length) body.nextLink = nextLinkFor(deps, request, next);
  return { status: 200, json: body };
}

const PROVIDER_PREFIX =
  '/subscriptions/:subscriptionId/resourceGroups/:resourceGroup/providers/Microsoft.OperationalInsights/workspaces/:workspace/providers/Microsoft.SecurityInsights';

type Collection = 'dataConnectors' | 'alertRules' | 'settings';

export function createArmHandler(deps: ArmDeps): (request: SimRequest) => Promise<SimResponse> {
  const scope = `/subscriptions/${deps.subscriptionId}/resourceGroups/${deps.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${deps.workspace}/providers/Microsoft.SecurityInsights`;
  const callers = new WeakMap<SimRequest, { claims: AppTokenClaims; apiVersion: string }>();
  const context = (request: SimRequest): ArmContext => ({
    scope,
    apiVersion: callers.get(request)?.apiVersion ?? '2025-09-01',
    commentsCount: (name) => deps.engine.state().sentinel.comments[name]?.length ?? 0,
  });
  const state = () => deps.engine.state().sentinel;

  function findIncident(name: string): { incident: SentinelIncident } | { response: SimResponse } {
    const incident = state().incidents[name];
    return incident ? { incident } : { response: armError(404, 'NotFound', `Incident '${name}' was not found in workspace '${deps.workspace}'.`) };
  }

  function putRecord(collection: Collection, name: string, parsed: ParsedResource, armContext: ArmContext): SimResponse {
    const records = state()[collection];
    const existing = records[name];
    if (existing && parsed.etag !== undefined && parsed.etag !== existing.etag) {
      return armError(409, 'Conflict', `Newer version of resource '${name}' exists. Data was not saved`);
    }
    if (existing && existing.kind !== parsed.kind) {
      return armError(400, 'BadRequest', `The kind of '${name}' is '${existing.kind}' and cannot be changed to '${parsed.kind}'; delete it first.`);
    }
    const record: ArmRecord = { name, kind: parsed.kind, etag: newEtag(), properties: structuredClone(parsed.properties), lastModifiedTimeUtc: deps.clock().toISOString() };
    records[name] = record;
    // The engine reads connectors and rules live (flow, creation rules); it only needs to persist.
    deps.engine.markChanged();
    return { status: existing ? 200 : 201, json: serializeRecord(collection, record, armContext) };
  }

  function recordRoutes(collection: Collection, idParam: string, parse: (name: string, body: unknown) => ParsedResource | string) {
    const base = `${PROVIDER_PREFIX}/${collection}`;
    router
      .add('GET', base, (request) => ({
        status: 200,
        json: { value: Object.values(state()[collection]).map((record) => serializeRecord(collection, record, context(request))) },
      }))
      .add('GET', `${base}/:${idParam}`, (request, params) => {
        const record = state()[collection][params[idParam] as string];
        return record ? { status: 200, json: serializeRecord(collection, record, context(request)) } : armError(404, 'NotFound', `${collection} resource '${params[idParam]}' was not found.`);
      })
      .add('PUT', `${base}/:${idParam}`, (request, params) => {
        const body = parseJsonBody(request);
        if (!body.ok) return armError(400, 'BadRequest', body.message);
        const parsed = parse(params[idParam] as string, body.value);
        if (typeof parsed === 'string') return armError(400, 'BadRequest', parsed);
        return putRecord(collection, params[idParam] as string, parsed, context(request));
      })
      .add('DELETE', `${base}/:${idParam}`, (_request, params) => {
        const records = state()[collection];
        if (!records[params[idParam] as string]) return { status: 204 };
        delete records[params[idParam] as string];
        deps.engine.markChanged();
        return { status: 200 };
      });
  }

  const router = createRouter()
    .add('GET', `${PROVIDER_PREFIX}/incidents`, (request) => {
      const page = parsePage(request);
      if ('status' in page) return page;
      let incidents = Object.values(state().incidents);
      const filter = request.url.searchParams.get('$filter');
      if (filter !== null) {
        const comparisons = parseFilter(filter, INCIDENT_FILTER);
        if (typeof comparisons === 'string') return armError(400, 'BadRequest', `Invalid $filter: ${comparisons}`);
        incidents = incidents.filter((incident) => matchesFilter(comparisons, INCIDENT_FILTER, (property) => readIncidentProperty(incident, property)));
      }
      const orderby = request.url.searchParams.get('$orderby');
      const clauses = orderby !== null ? parseOrderBy(orderby, INCIDENT_ORDERBY) : [{ property: 'properties/createdTimeUtc', direction: 'desc' as const }];
      if (typeof clauses === 'string') return armError(400, 'BadRequest', `Invalid $orderby: ${clauses}`);
      incidents = sortBy(incidents, clauses, (incident, property) => {
        if (property === 'properties/incidentNumber') return incident.incidentNumber;
        const value = readIncidentProperty(incident, property);
        return value === null ? null : Date.parse(value);
      });
      return paged(deps, request, incidents, page, (incident) => serializeIncident(incident, context(request)));
    })
    .add('GET', `${PROVIDER_PREFIX}/incidents/:incidentId`, (request, params) => {
      const found = findIncident(params.incidentId as string);
      return 'response' in found ? found.response : { status: 200, json: serializeIncident(found.incident, context(request)) };
    })
    .add('PUT', `${PROVIDER_PREFIX}/incidents/:incidentId`, (request, params) => {
      const body = parseJsonBody(request);
      if (!body.ok) return armError(400, 'BadRequest', body.message);
      const write = parseIncidentPut(body.value);
      if (typeof write === 'string') return armError(400, 'BadRequest', write);
      const claims = (callers.get(request) as { claims: AppTokenClaims }).claims;
      const { incident, created } = deps.engine.putSentinelIncident(params.incidentId as string, write, { name: claims.appid, type: 'Application' });
      return { status: created ? 201 : 200, json: serializeIncident(incident, context(request)) };
    })
    .add('DELETE', `${PROVIDER_PREFIX}/incidents/:incidentId`, (_request, params) => ({ status: deps.engine.deleteSentinelIncident(params.incidentId as string) ? 200 : 204 }))
    .add('GET', `${PROVIDER_PREFIX}/incidents/:incidentId/comments`, (request, params) => {
      const found = findIncident(params.incidentId as string);
      if ('response' in found) return found.response;
      const incident = found.incident;
      const page = parsePage(request);
      if ('status' in page) return page;
      const comments = state().comments[incident.name] ?? [];
      return paged(deps, request, comments, page, (comment) => serializeComment(incident.name, comment, context(request)));
    })
    .add('GET', `${PROVIDER_PREFIX}/incidents/:incidentId/comments/:commentId`, (request, params) => {
      const found = findIncident(params.incidentId as string);
      if ('response' in found) return found.response;
      const incident = found.incident;
      const comment = (state().comments[incident.name] ?? []).find((candidate) => candidate.name === params.commentId);
      return comment ? { status: 200, json: serializeComment(incident.name, comment, context(request)) } : armError(404, 'NotFound', `Comment '${params.commentId}' was not found on incident '${incident.name}'.`);
    })
    .add('PUT', `${PROVIDER_PREFIX}/incidents/:incidentId/comments/:commentId`, (request, params) => {
      const found = findIncident(params.incidentId as string);
      if ('response' in found) return found.response;
      const incident = found.incident;
      const body = parseJsonBody(request);
      if (!body.ok) return armError(400, 'BadRequest', body.message);
      const parsed = parseCommentPut(body.value);
      if (typeof parsed === 'string') return armError(400, 'BadRequest', parsed);
      const claims = (callers.get(request) as { claims: AppTokenClaims }).claims;
      const { comment, created } = deps.engine.putSentinelComment(incident.name, params.commentId as string, parsed.message, { objectId: claims.oid, name: claims.appid });
      return { status: created ? 201 : 200, json: serializeComment(incident.name, comment, context(request)) };
    })
    .add('DELETE', `${PROVIDER_PREFIX}/incidents/:incidentId/comments/:commentId`, (_request, params) => {
      const found = findIncident(params.incidentId as string);
      if ('response' in found) return found.response;
      const incident = found.incident;
      return { status: deps.engine.deleteSentinelComment(incident.name, params.commentId as string) ? 200 : 204 };
    })
    .add('POST', `${PROVIDER_PREFIX}/dataConnectorsCheckRequirements`, (request) => {
      const body = parseJsonBody(request);
      if (!body.ok) return armError(400, 'BadRequest', body.message);
      const value = body.value as { kind?: unknown; properties?: { tenantId?: unknown } };
      if (typeof value?.kind !== 'string' || typeof value.properties?.tenantId !== 'string') {
        return armError(400, 'BadRequest', "The request body must be {\"kind\":\"MicrosoftThreatProtection\",\"properties\":{\"tenantId\":\"...\"}}.");
      }
      return { status: 200, json: { ...state().checkRequirements } };
    });
  recordRoutes('dataConnectors', 'dataConnectorId', (_name, body) => parseDataConnectorPut(body));
  recordRoutes('alertRules', 'ruleId', (_name, body) => parseAlertRulePut(body));
  recordRoutes('settings', 'settingsName', (name, body) => parseSettingPut(name, body));

  function resourceType(path: string): string {
    const after = path.split(/\/providers\/Microsoft\.SecurityInsights\//i)[1] ?? '';
    const segments = after.split('/').filter(Boolean);
    if (segments[0] === 'incidents' && segments[2] === 'comments') return 'incidents/comments';
    return segments[0] ?? '';
  }

  function actionFor(method: string): string {
    return method === 'GET' ? 'read' : method === 'DELETE' ? 'delete' : method === 'POST' ? 'action' : 'write';
  }

  async function authenticate(request: SimRequest): Promise<{ claims: AppTokenClaims } | SimResponse> {
    const now = deps.clock();
    const check = await verifyBearer({ authorization: header(request, 'authorization'), key: deps.key, tenantId: deps.tenantId, audiences: ARM_ACCEPTED_AUDIENCES, now });
    if (check.ok) return { claims: check.claims };
    const challenge = (description: string) => ({ 'www-authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/${deps.tenantId}", error="invalid_token", error_description="${description}"` });
    switch (check.reason) {
      case 'missing':
        return armError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", challenge('The authentication failed because of missing Authorization header.'));
      case 'malformed':
        return armError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is provided in an invalid format.", challenge('The access token is malformed.'));
      case 'expired':
        return armError(401, 'ExpiredAuthenticationToken', `The access token expiry UTC time is earlier than current UTC time '${now.toISOString()}'.`, challenge('The access token has expired.'));
      case 'wrong-audience':
        return armError(
          401,
          'InvalidAuthenticationTokenAudience',
          `The access token has been obtained for wrong audience or resource. It should exactly match with one of the allowed audiences '${ARM_ACCEPTED_AUDIENCES.join("','")}'.`,
          challenge('The access token audience is invalid.'),
        );
      default:
        return armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', challenge('The access token is invalid.'));
    }
  }

  function checkScope(params: RouteParams): SimResponse | undefined {
    if ((params.subscriptionId ?? '').toLowerCase() !== deps.subscriptionId.toLowerCase()) {
      return armError(404, 'SubscriptionNotFound', `The subscription '${params.subscriptionId}' could not be found.`);
    }
    if ((params.resourceGroup ?? '').toLowerCase() !== deps.resourceGroup.toLowerCase()) {
      return armError(404, 'ResourceGroupNotFound', `Resource group '${params.resourceGroup}' could not be found.`);
    }
    if ((params.workspace ?? '').toLowerCase() !== deps.workspace.toLowerCase()) {
      return armError(404, 'ResourceNotFound', `The Resource 'Microsoft.OperationalInsights/workspaces/${params.workspace}' under resource group '${params.resourceGroup}' was not found.`);
    }
    return undefined;
  }

  async function handle(request: SimRequest): Promise<SimResponse> {
    const auth = await authenticate(request);
    if ('status' in auth) return auth;
    deps.onAuthenticated(request, auth.claims.appid);
    const isRead = request.method === 'GET' || request.method === 'HEAD';
    const bucket = (isRead ? deps.reads : deps.writes).take(`${deps.subscriptionId}/${auth.claims.oid}`, deps.clock().getTime());
    const limitHeaders: Record<string, string> = {
      [isRead ? 'x-ms-ratelimit-remaining-subscription-reads' : 'x-ms-ratelimit-remaining-subscription-writes']: String(bucket.remaining),
    };
    if (!bucket.allowed) {
      return armError(
        429,
        'SubscriptionRequestsThrottled',
        `Number of '${isRead ? 'read' : 'write'}' requests for subscription '${deps.subscriptionId}' actor '${auth.claims.oid}' exceeded. Please try again after '${bucket.retryAfterSeconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
        { ...limitHeaders, 'retry-after': String(bucket.retryAfterSeconds) },
      );
    }
    const response = await route(request, auth.claims);
    return { ...response, headers: { ...limitHeaders, ...(response.headers ?? {}) } };
  }

  async function route(request: SimRequest, claims: AppTokenClaims): Promise<SimResponse> {
    const type = resourceType(request.path);
    const version = checkApiVersion(request.url.searchParams, type);
    if (!version.ok) return version.response;
    const match = router.match(request.method, request.path);
    if (match.kind === 'method-not-allowed') return armError(405, 'MethodNotAllowed', `The requested resource does not support http method '${request.method}'.`);
    if (match.kind === 'not-found') {
      return armError(404, 'InvalidResourceType', `The resource type '${type || request.path}' could not be found in the namespace 'Microsoft.SecurityInsights' for api version '${version.apiVersion}'.`);
    }
    const scopeProblem = checkScope(match.params);
    if (scopeProblem) return scopeProblem;
    const app = deps.apps().find((candidate) => candidate.clientId === claims.appid);
    if (!app?.armAccess) {
      return armError(
        403,
        'AuthorizationFailed',
        `The client '${claims.appid}' with object id '${claims.oid}' does not have authorization to perform action 'Microsoft.SecurityInsights/${type}/${actionFor(request.method)}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      );
    }
    callers.set(request, { claims, apiVersion: version.apiVersion });
    try {
      return await match.handler(request, match.params);
    } catch (error) {
      if (error instanceof SimError) {
        const status = error.code === 'not-found' ? 404 : error.code === 'conflict' ? 409 : 400;
        return armError(status, error.code === 'not-found' ? 'NotFound' : error.code === 'conflict' ? 'Conflict' : 'BadRequest', error.message);
      }
      throw error;
    }
  }

  return async (request) => {
    const response = await handle(request);
    const requestId = randomUUID();
    return { ...response, headers: { 'x-ms-request-id': requestId, 'x-ms-correlation-request-id': header(request, 'x-ms-correlation-request-id') ?? requestId, ...(response.headers ?? {}) } };
  };
}
