// The managed-identity endpoint as Container Apps and App Service expose it to the app:
// IDENTITY_ENDPOINT (here `/msi/token` on the simulator's URL) and IDENTITY_HEADER, a per-app
// secret sent back as X-IDENTITY-HEADER. `GET ?resource=<uri>&api-version=2019-08-01[&client_id=]`;
// without client_id the system-assigned identity answers. Tokens are ordinary app tokens of the
// identity (appid = its client id), so the simulated Graph and ARM authorise them like any app.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { SimRequest, SimResponse } from '../http/types.ts';
import { header } from '../http/types.ts';
import type { EntraDeps } from './routes.ts';
import { GRAPH_AUDIENCE, RESOURCE_AUDIENCES, issueAppToken } from './tokens.ts';

export const MANAGED_IDENTITY_API_VERSION = '2019-08-01';

/** The platform's error body **(chosen: {statusCode, message, correlationId}, which MSAL reads)**. */
function refuse(status: number, message: string): SimResponse {
  return { status, json: { statusCode: status, message, correlationId: randomUUID() } };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function managedIdentityToken(deps: EntraDeps, request: SimRequest): Promise<SimResponse> {
  if (deps.identityHeader === undefined) return refuse(404, 'No managed identity endpoint is configured on this simulator (identityHeader option).');
  const given = header(request, 'x-identity-header');
  if (given === undefined || given === '') return refuse(400, 'The X-IDENTITY-HEADER header is missing. Send the value of IDENTITY_HEADER.');
  if (!sameSecret(given, deps.identityHeader)) return refuse(401, 'The X-IDENTITY-HEADER header does not match IDENTITY_HEADER.');
  const query = request.url.searchParams;
  const apiVersion = query.get('api-version');
  if (apiVersion !== MANAGED_IDENTITY_API_VERSION) return refuse(400, `api-version '${apiVersion ?? ''}' is not supported; use ${MANAGED_IDENTITY_API_VERSION}.`);
  const resource = (query.get('resource') ?? '').replace(/\/$/, '');
  const audience = RESOURCE_AUDIENCES[resource];
  if (!audience) return refuse(400, `The resource '${resource}' is not one the simulator issues tokens for (${Object.keys(RESOURCE_AUDIENCES).join(', ')}).`);
  for (const unsupported of ['principal_id', 'mi_res_id', 'object_id']) {
    if (query.has(unsupported)) return refuse(400, `Selecting the identity by ${unsupported} is not simulated; use client_id.`);
  }
  const clientId = query.get('client_id');
  const identities = deps.apps().filter((app) => app.managedIdentity !== undefined);
  const identity = clientId
    ? identities.find((app) => app.managedIdentity === 'userAssigned' && app.clientId === clientId)
    : identities.find((app) => app.managedIdentity === 'systemAssigned');
  if (!identity) {
    return refuse(400, clientId ? `No user-assigned managed identity with client id '${clientId}' is assigned to this app.` : 'No system-assigned managed identity is enabled for this app.');
  }
  const now = deps.clock();
  const issued = await issueAppToken({
    key: deps.key,
    tenantId: deps.tenantId,
    clientId: identity.clientId,
    audience,
    roles: audience === GRAPH_AUDIENCE ? identity.graphRoles : [],
    now,
    lifetimeSeconds: deps.tokenLifetimeSeconds,
  });
  return {
    status: 200,
    json: {
      access_token: issued.token,
      expires_on: String(Math.floor(now.getTime() / 1000) + issued.expiresIn),
      resource,
      token_type: 'Bearer',
      client_id: identity.clientId,
    },
  };
}
