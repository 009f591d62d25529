// Microsoft Graph security v1.0 (Defender XDR incidents and alerts_v2): authentication with
// application roles, per-app throttling, OData listing, PATCH against a capability profile, comments.
import { createRouter } from '../http/router.ts';
import { header, isPlainObject, parseJsonBody } from '../http/types.ts';
import type { SimRequest, SimResponse } from '../http/types.ts';
import type { AppTokenClaims } from '../entra/tokens.ts';
import type { SigningKey } from '../entra/signing-key.ts';
import type { SlidingWindowLimiter } from '../throttle.ts';
import type { PortalEngine, DefenderChanges } from '../engine/engine.ts';
import { SimError } from '../engine/errors.ts';
import {
  GRAPH_CLASSIFICATIONS,
  GRAPH_DETERMINATIONS,
  GRAPH_DETERMINATION_ALIASES,
  GRAPH_INCIDENT_STATUSES,
  GRAPH_SEVERITIES,
  GRAPH_ALERT_STATUSES,
  canonicalMember,
} from '../engine/catalog.ts';
import { matchesFilter, parseFilter, parseOrderBy, sortBy } from '../odata.ts';
import type { FilterSchema } from '../odata.ts';
import type { RuntimeConfig } from '../options.ts';
import type { DefenderAlert, DefenderIncident } from '../state/model.ts';
import { graphError } from './errors.ts';
import { authenticateGraph } from './authenticate.ts';
import { serializeAlert, serializeIncident } from './serialize.ts';
import type { SerializeContext } from './serialize.ts';

export interface GraphDeps {
  baseUrl: () => string;
  tenantId: string;
  key: SigningKey;
  clock: () => Date;
  runtime: RuntimeConfig;
  engine: PortalEngine;
  limiter: SlidingWindowLimiter;
  /** Tells the request log which app made an authenticated request. */
  onAuthenticated: (request: SimRequest, appId: string) => void;
}

const READ_INCIDENT_ROLES = ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'];
const WRITE_INCIDENT_ROLES = ['SecurityIncident.ReadWrite.All'];
const READ_ALERT_ROLES = ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All'];
// Documented list maximum for incidents (and observed error text, see CONTRACT.md).
const INCIDENT_TOP_LIMIT = 50;
const ALERT_TOP_LIMIT = 2000;
const DEFAULT_PAGE_SIZE = 50;

const INCIDENT_FILTER: FilterSchema = {
  assignedTo: { kind: 'string' },
  classification: { kind: 'enum', members: GRAPH_CLASSIFICATIONS },
  createdDateTime: { kind: 'datetime' },
  determination: { kind: 'enum', members: GRAPH_DETERMINATIONS },
  lastUpdateDateTime: { kind: 'datetime' },
  severity: { kind: 'enum', members: GRAPH_SEVERITIES },
  status: { kind: 'enum', members: GRAPH_INCIDENT_STATUSES },
};
const INCIDENT_ORDERBY = ['lastUpdateDateTime', 'createdDateTime'];
const ALERT_FILTER: FilterSchema = {
  createdDateTime: { kind: 'datetime' },
  lastUpdateDateTime: { kind: 'datetime' },
  severity: { kind: 'enum', members: GRAPH_SEVERITIES },
  status: { kind: 'enum', members: GRAPH_ALERT_STATUSES },
  serviceSource: { kind: 'string' },
  incidentId: { kind: 'string' },
  classification: { kind: 'enum', members: GRAPH_CLASSIFICATIONS },
  determination: { kind: 'enum', members: GRAPH_DETERMINATIONS },
  assignedTo: { kind: 'string' },
};
const ALERT_ORDERBY = ['lastUpdateDateTime', 'createdDateTime'];

interface Caller {
  claims: AppTokenClaims;
}

function serializeContext(request: SimRequest): SerializeContext {
  return { includeUnknownEnumMembers: /include-unknown-enum-members/i.test(header(request, 'prefer') ?? '') };
}

function apiAppActor(claims: AppTokenClaims): string {
  return `API-App:${claims.appid}`;
}

interface ListQuery {
  filter?: string;
  orderby?: string;
  top: number;
  skip: number;
  count: boolean;
  expandAlerts: boolean;
}

function parseListQuery(request: SimRequest, topLimit: number, allowExpand: boolean): ListQuery | string {
  const params = request.url.searchParams;
  const known = new Set(['$filter', '$orderby', '$top', '$skip', '$count', '$expand']);
  for (const key of params.keys()) {
    if (key.startsWith('$') && !known.has(key)) return `Query option '${key}' is not supported.`;
  }
  const query: ListQuery = { top: DEFAULT_PAGE_SIZE, skip: 0, count: false, expandAlerts: false };
  const top = params.get('$top');
  if (top !== null) {
    if (!/^\d+$/.test(top)) return `Invalid value '${top}' for $top query option found. $top must be a non-negative integer.`;
    const value = Number(top);
    if (value > topLimit) {
      return `The limit of '${topLimit}' for Top query has been exceeded. The value from the incoming request is '${top}'.`;
    }
    query.top = value;
  }
  const skip = params.get('$skip');
  if (skip !== null) {
    if (!/^\d+$/.test(skip)) return `Invalid value '${skip}' for $skip query option found. $skip must be a non-negative integer.`;
    query.skip = Number(skip);
  }
  const count = params.get('$count');
  if (count !== null) {
    if (count !== 'true' && count !== 'false') return `Invalid value '${count}' for $count query option found. Use true or false.`;
    query.count = count === 'true';
  }
  const expand = params.get('$expand');
  if (expand !== null) {
    if (!allowExpand || expand.trim() !== 'alerts') return `Could not find a property named '${expand}' to expand; only 'alerts' is expandable.`;
    query.expandAlerts = true;
  }
  const filter = params.get('$filter');
  if (filter !== null) query.filter = filter;
  const orderby = params.get('$orderby');
  if (orderby !== null) query.orderby = orderby;
  return query;
}

function nextLink(baseUrl: string, request: SimRequest, query: ListQuery, nextSkip: number): string {
  const params = new URLSearchParams();
  if (query.filter !== undefined) params.set('$filter', query.filter);
  if (query.orderby !== undefined) params.set('$orderby', query.orderby);
  if (query.expandAlerts) params.set('$expand', 'alerts');
  if (query.count) params.set('$count', 'true');
  params.set('$top', String(query.top));
  params.set('$skip', String(nextSkip));
  return `${baseUrl}${request.path}?${params.toString().replaceAll('+', '%20')}`;
}

function listRecords<T>(
  deps: GraphDeps,
  request: SimRequest,
  records: readonly T[],
  options: { schema: FilterSchema; orderable: string[]; topLimit: number; allowExpand: boolean; context: string; read: (record: T, property: string) => string | null; serialize: (record: T, query: ListQuery) => unknown },
): SimResponse {
  const now = deps.clock();
  const query = parseListQuery(request, options.topLimit, options.allowExpand);
  if (typeof query === 'string') return graphError(request, now, 400, 'BadRequest', query);
  let matching = [...records];
  if (query.filter !== undefined) {
    const comparisons = parseFilter(query.filter, options.schema);
    if (typeof comparisons === 'string') return graphError(request, now, 400, 'BadRequest', `Invalid filter clause: ${comparisons}`);
    matching = matching.filter((record) => matchesFilter(comparisons, options.schema, (property) => options.read(record, property)));
  }
  // Documented: the most recent incidents are at the top unless $orderby says otherwise.
  const clauses = query.orderby !== undefined ? parseOrderBy(query.orderby, options.orderable) : [{ property: 'createdDateTime', direction: 'desc' as const }];
  if (typeof clauses === 'string') return graphError(request, now, 400, 'BadRequest', `Invalid $orderby: ${clauses}`);
  matching = sortBy(matching, clauses, (record, property) => {
    const value = options.read(record, property);
    return value === null ? null : Date.parse(value);
  });
  const page = matching.slice(query.skip, query.skip + query.top);
  const body: Record<string, unknown> = { '@odata.context': `${deps.baseUrl()}/v1.0/$metadata#${options.context}${query.expandAlerts ? '(alerts())' : ''}` };
  if (query.count) body['@odata.count'] = matching.length;
  const nextSkip = query.skip + page.length;
  if (page.length > 0 && nextSkip < matching.length) body['@odata.nextLink'] = nextLink(deps.baseUrl(), request, query, nextSkip);
  body.value = page.map((record) => options.serialize(record, query));
  return { status: 200, json: body };
}

function readIncident(incident: DefenderIncident, property: string): string | null {
  const value = (incident as unknown as Record<string, unknown>)[property];
  return value == null ? null : String(value);
}

function readAlert(alert: DefenderAlert, property: string): string | null {
  const value = (alert as unknown as Record<string, unknown>)[property];
  return value == null ? null : String(value);
}

/** Validates a PATCH body against the capability profile and the enum lists. */
export function parseIncidentPatch(body: unknown, writable: readonly string[]): DefenderChanges | string {
  if (!isPlainObject(body)) return 'The request body must be a JSON object.';
  const changes: DefenderChanges = {};
  for (const [field, value] of Object.entries(body)) {
    if (field === '@odata.type') continue;
    if (!writable.includes(field)) {
      return `The property '${field}' cannot be updated through this API. Updatable properties: ${writable.join(', ')}.`;
    }
    switch (field) {
      case 'assignedTo':
        if (value !== null && typeof value !== 'string') return "'assignedTo' must be a string or null.";
        changes.assignedTo = value;
        break;
      case 'displayName':
      case 'description':
        if (typeof value !== 'string') return `'${field}' must be a string.`;
        changes[field] = value;
        break;
      case 'summary':
        if (value !== null && typeof value !== 'string') return "'summary' must be a string or null.";
        changes.summary = value;
        break;
      case 'customTags':
        if (!Array.isArray(value) || !value.every((tag) => typeof tag === 'string')) return "'customTags' must be an array of strings.";
        changes.customTags = value as string[];
        break;
      case 'classification': {
        const member = canonicalMember(GRAPH_CLASSIFICATIONS, value);
        if (!member || member === 'unknownFutureValue') return `'${String(value)}' is not a valid classification (${GRAPH_CLASSIFICATIONS.slice(0, -1).join(', ')}).`;
        changes.classification = member;
        break;
      }
      case 'determination': {
        const alias = typeof value === 'string' ? Object.keys(GRAPH_DETERMINATION_ALIASES).find((k) => k.toLowerCase() === value.toLowerCase()) : undefined;
        const member = alias ? GRAPH_DETERMINATION_ALIASES[alias] : canonicalMember(GRAPH_DETERMINATIONS, value);
        if (!member || member === 'unknownFutureValue') return `'${String(value)}' is not a valid determination (${GRAPH_DETERMINATIONS.slice(0, -1).join(', ')}).`;
        changes.determination = member;
        break;
      }
      case 'status': {
        const member = canonicalMember(GRAPH_INCIDENT_STATUSES, value);
        if (!member || !['active', 'resolved', 'inProgress'].includes(member)) {
          return `'${String(value)}' is not a status this API can set (active, resolved, inProgress); 'redirected' comes from merging and 'awaitingAction' only from Defender Experts.`;
        }
        changes.status = member;
        break;
      }
      case 'severity': {
        const member = canonicalMember(GRAPH_SEVERITIES, value);
        if (!member || member === 'unknownFutureValue') return `'${String(value)}' is not a valid severity.`;
        changes.severity = member;
        break;
      }
      default:
        return `The property '${field}' cannot be updated through this simulator.`;
    }
  }
  return changes;
}

export function createGraphHandler(deps: GraphDeps): (request: SimRequest) => Promise<SimResponse> {
  const missingRole = (request: SimRequest, caller: Caller, roles: string[]): SimResponse | undefined => {
    if (roles.some((role) => caller.claims.roles.includes(role))) return undefined;
    return graphError(
      request,
      deps.clock(),
      403,
      'Forbidden',
      `Missing application roles. API required roles: ${roles.join(', ')}. Application roles: ${caller.claims.roles.join(', ') || '(none)'}.`,
    );
  };

  const notFound = (request: SimRequest, what: string): SimResponse => graphError(request, deps.clock(), 404, 'NotFound', `${what} was not found.`);

  const router = createRouter()
    .add('GET', '/v1.0/security/incidents', (request) => {
      const context = serializeContext(request);
      const incidents = Object.values(deps.engine.state().defender.incidents);
      return listRecords(deps, request, incidents, {
        schema: INCIDENT_FILTER,
        orderable: INCIDENT_ORDERBY,
        topLimit: INCIDENT_TOP_LIMIT,
        allowExpand: true,
        context: 'security/incidents',
        read: readIncident,
        serialize: (incident, query) => serializeIncident(incident, context, query.expandAlerts ? deps.engine.alertsOf(incident) : undefined),
      });
    })
    .add('GET', '/v1.0/security/incidents/:id', (request, params) => {
      const incident = deps.engine.state().defender.incidents[params.id as string];
      if (!incident) return notFound(request, `Incident ${params.id}`);
      const expand = request.url.searchParams.get('$expand');
      if (expand !== null && expand.trim() !== 'alerts') return graphError(request, deps.clock(), 400, 'BadRequest', `Could not find a property named '${expand}' to expand.`);
      const body = serializeIncident(incident, serializeContext(request), expand ? deps.engine.alertsOf(incident) : undefined);
      return { status: 200, json: { '@odata.context': `${deps.baseUrl()}/v1.0/$metadata#security/incidents/$entity`, ...body } };
    })
    .add('GET', '/v1.0/security/incidents/:id/alerts', (request, params) => {
      const incident = deps.engine.state().defender.incidents[params.id as string];
      if (!incident) return notFound(request, `Incident ${params.id}`);
      const context = serializeContext(request);
      return { status: 200, json: { '@odata.context': `${deps.baseUrl()}/v1.0/$metadata#security/incidents('${incident.id}')/alerts`, value: deps.engine.alertsOf(incident).map((alert) => serializeAlert(alert, context)) } };
    })
    .add('GET', '/v1.0/security/alerts_v2', (request) => {
      const context = serializeContext(request);
      return listRecords(deps, request, Object.values(deps.engine.state().defender.alerts), {
        schema: ALERT_FILTER,
        orderable: ALERT_ORDERBY,
        topLimit: ALERT_TOP_LIMIT,
        allowExpand: false,
        context: 'security/alerts_v2',
        read: readAlert,
        serialize: (alert) => serializeAlert(alert, context),
      });
    })
    .add('GET', '/v1.0/security/alerts_v2/:id', (request, params) => {
      const alert = deps.engine.state().defender.alerts[params.id as string];
      if (!alert) return notFound(request, `Alert ${params.id}`);
      return { status: 200, json: { '@odata.context': `${deps.baseUrl()}/v1.0/$metadata#security/alerts_v2/$entity`, ...serializeAlert(alert, serializeContext(request)) } };
    });

  const writeRouter = createRouter()
    .add('PATCH', '/v1.0/security/incidents/:id', (request, params) => {
      const now = deps.clock();
      const incident = deps.engine.state().defender.incidents[params.id as string];
      if (!incident) return notFound(request, `Incident ${params.id}`);
      const parsed = parseJsonBody(request);
      if (!parsed.ok) return graphError(request, now, 400, 'BadRequest', parsed.message);
      const changes = parseIncidentPatch(parsed.value, deps.runtime.graphWritableFields);
      if (typeof changes === 'string') return graphError(request, now, 400, 'BadRequest', changes);
      const caller = callerOf(request);
      const updated = deps.engine.updateDefenderIncident(incident.id, changes, apiAppActor(caller.claims));
      return { status: 200, json: { '@odata.context': `${deps.baseUrl()}/v1.0/$metadata#security/incidents/$entity`, ...serializeIncident(updated, serializeContext(request)) } };
    })
    .add('POST', '/v1.0/security/incidents/:id/comments', (request, params) => {
      const now = deps.clock();
      const incident = deps.engine.state().defender.incidents[params.id as string];
      if (!incident) return notFound(request, `Incident ${params.id}`);
      const parsed = parseJsonBody(request);
      if (!parsed.ok) return graphError(request, now, 400, 'BadRequest', parsed.message);
      const body = parsed.value;
      if (!isPlainObject(body) || typeof body.comment !== 'string' || body.comment.trim() === '') {
        return graphError(request, now, 400, 'BadRequest', "The request body must be {\"@odata.type\":\"microsoft.graph.security.alertComment\",\"comment\":\"<non-empty text>\"}.");
      }
      const odataType = body['@odata.type'];
      if (odataType !== undefined && String(odataType).replace(/^#/, '') !== 'microsoft.graph.security.alertComment') {
        return graphError(request, now, 400, 'BadRequest', `'@odata.type' must be microsoft.graph.security.alertComment, not '${String(odataType)}'.`);
      }
      const comments = deps.engine.addDefenderComment(incident.id, body.comment, apiAppActor(callerOf(request).claims));
      return {
        status: 200,
        json: { '@odata.context': `${deps.baseUrl()}/v1.0/$metadata#Collection(microsoft.graph.security.alertComment)`, value: comments.map((c) => ({ '@odata.type': '#microsoft.graph.security.alertComment', ...c })) },
      };
    });

  const callers = new WeakMap<SimRequest, Caller>();
  const callerOf = (request: SimRequest): Caller => callers.get(request) as Caller;

  return async (request) => {
    const now = deps.clock();
    const readMatch = router.match(request.method, request.path);
    const writeMatch = writeRouter.match(request.method, request.path);
    const match = readMatch.kind === 'found' ? readMatch : writeMatch.kind === 'found' ? writeMatch : readMatch.kind === 'method-not-allowed' ? readMatch : writeMatch;
    if (match.kind === 'not-found') return graphError(request, now, 400, 'BadRequest', `Resource not found for the segment '${request.path}'.`);
    if (match.kind === 'method-not-allowed') return graphError(request, now, 405, 'Request_BadRequest', `Method ${request.method} is not allowed here; use ${match.allowed.join(', ')}.`);
    const auth = await authenticateGraph(request, { key: deps.key, tenantId: deps.tenantId, now });
    if (!auth.ok) return auth.response;
    const caller: Caller = { claims: auth.claims };
    deps.onAuthenticated(request, caller.claims.appid);
    const throttle = deps.limiter.take(`${caller.claims.tid}/${caller.claims.appid}`, now.getTime(), deps.runtime.graphRequestsPerMinute);
    if (!throttle.allowed) {
      return graphError(request, now, 429, 'TooManyRequests', 'Too many requests: the application exceeded its request budget for the security API. Retry after the number of seconds in Retry-After.', {
        'retry-after': String(throttle.retryAfterSeconds),
      });
    }
    const isIncident = request.path.toLowerCase().startsWith('/v1.0/security/incidents');
    const roles = readMatch.kind === 'found' ? (isIncident ? READ_INCIDENT_ROLES : READ_ALERT_ROLES) : WRITE_INCIDENT_ROLES;
    const forbidden = missingRole(request, caller, roles);
    if (forbidden) return forbidden;
    callers.set(request, caller);
    try {
      return await match.handler(request, match.params);
    } catch (error) {
      if (error instanceof SimError) {
        const status = error.code === 'not-found' ? 404 : error.code === 'conflict' ? 409 : 400;
        return graphError(request, now, status, error.code === 'not-found' ? 'NotFound' : 'BadRequest', error.message);
      }
      throw error;
    }
  };
}
