// The simulated Entra ID endpoints: v2.0 OpenID configuration, JWKS, and the client-credentials
// token endpoint, with AADSTS error bodies shaped as Entra returns them.
import { randomUUID } from 'node:crypto';
import { createRouter } from '../http/router.ts';
import type { Router } from '../http/router.ts';
import type { SimRequest, SimResponse } from '../http/types.ts';
import type { FederationIssuer, SimulatorApp } from '../options.ts';
import { GRAPH_AUDIENCE, RESOURCE_AUDIENCES, issueAppToken } from './tokens.ts';
import type { SigningKey } from './signing-key.ts';
import { JWT_BEARER, assertionKind, verifyCertificateAssertion, verifyFederatedAssertion } from './client-assertion.ts';
import type { ReplayGuard } from './client-assertion.ts';
import { managedIdentityToken } from './managed-identity.ts';

export interface EntraDeps {
  baseUrl: () => string;
  tenantId: string;
  apps: () => SimulatorApp[];
  issuers: () => FederationIssuer[];
  /** Shared by all tenants: a certificate assertion's jti is accepted once. */
  replay: ReplayGuard;
  /** The IDENTITY_HEADER secret of the managed-identity endpoint; undefined: the endpoint is off. */
  identityHeader: string | undefined;
  key: SigningKey;
  clock: () => Date;
  tokenLifetimeSeconds: number;
}

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access']);

function entraTimestamp(now: Date): string {
  return now.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Entra's OAuth error body: error, error_description (with trace lines), error_codes, ids, error_uri. */
export function entraError(
  now: Date,
  status: number,
  error: string,
  code: number,
  description: string,
): SimResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = entraTimestamp(now);
  return {
    status,
    json: {
      error,
      error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}

function tenantMatches(deps: EntraDeps, tenant: string): boolean {
  return tenant.toLowerCase() === deps.tenantId.toLowerCase();
}

function tenantNotFound(deps: EntraDeps, tenant: string): SimResponse {
  return entraError(
    deps.clock(),
    400,
    'invalid_request',
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
  );
}

function openIdConfiguration(deps: EntraDeps, tenant: string): SimResponse {
  if (!tenantMatches(deps, tenant)) return tenantNotFound(deps, tenant);
  const root = `${deps.baseUrl()}/${deps.tenantId}`;
  return {
    status: 200,
    json: {
      token_endpoint: `${root}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${root}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${root}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${deps.baseUrl()}/oidc/userinfo`,
      authorization_endpoint: `${root}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${root}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${root}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid', 'oid'],
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    },
  };
}

function keys(deps: EntraDeps, tenant: string): SimResponse {
  if (!tenantMatches(deps, tenant)) return tenantNotFound(deps, tenant);
  return { status: 200, json: { keys: [deps.key.publicJwk] } };
}

function instanceDiscovery(deps: EntraDeps): SimResponse {
  const host = new URL(deps.baseUrl()).host;
  return {
    status: 200,
    json: {
      tenant_discovery_endpoint: `${deps.baseUrl()}/${deps.tenantId}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    },
  };
}

/** Reads client credentials from the form body or an HTTP Basic header (both are allowed by OAuth 2.0). */
function clientCredentials(request: SimRequest, form: URLSearchParams): { id?: string; secret?: string } {
  const basic = /^Basic\s+(\S+)$/i.exec(String(request.headers.authorization ?? ''));
  if (basic) {
    const [id, secret] = Buffer.from(basic[1] as string, 'base64').toString('utf8').split(':');
    return { id: id ? decodeURIComponent(id) : undefined, secret: secret ? decodeURIComponent(secret) : undefined };
  }
  return { id: form.get('client_id') ?? undefined, secret: form.get('client_secret') ?? undefined };
}

async function token(deps: EntraDeps, request: SimRequest, tenant: string): Promise<SimResponse> {
  const now = deps.clock();
  if (!tenantMatches(deps, tenant)) return tenantNotFound(deps, tenant);
  const contentType = String(request.headers['content-type'] ?? '');
  if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return entraError(now, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
  }
  const form = new URLSearchParams(request.rawBody.toString('utf8'));
  const grantType = form.get('grant_type');
  if (!grantType) {
    return entraError(now, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
  }
  if (grantType !== 'client_credentials') {
    return entraError(now, 400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'. The simulator supports client_credentials only.`);
  }
  const credentials = clientCredentials(request, form);
  if (!credentials.id) {
    return entraError(now, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
  }
  const app = deps.apps().find((candidate) => candidate.clientId === credentials.id);
  if (!app) {
    return entraError(
      now,
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${credentials.id}' was not found in the directory '${deps.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  const assertion = form.get('client_assertion');
  if (assertion !== null) {
    const failure = await checkAssertion(deps, app, form.get('client_assertion_type'), assertion, now);
    if (failure) return failure;
  } else if (!credentials.secret) {
    return entraError(now, 401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  } else if (credentials.secret !== app.clientSecret) {
    return entraError(
      now,
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
    );
  }
  const scopes = (form.get('scope') ?? '').split(/\s+/).filter((scope) => scope !== '' && !OIDC_SCOPES.has(scope));
  if (scopes.length === 0) {
    return entraError(now, 400, 'invalid_request', 90014, "The required field 'scope' is missing from the credential. Ensure that you have all the necessary parameters for the login request.");
  }
  const [scope] = scopes;
  const resource = scopes.length === 1 && scope?.endsWith('/.default') ? scope.slice(0, -'/.default'.length).replace(/\/$/, '') : undefined;
  const audience = resource ? RESOURCE_AUDIENCES[resource] : undefined;
  if (!audience) {
    return entraError(
      now,
      400,
      'invalid_scope',
      70011,
      `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scopes.join(' ')} is not valid. Client credential flows must request exactly one '<resource>/.default' scope for https://graph.microsoft.com or https://management.azure.com.`,
    );
  }
  const issued = await issueAppToken({
    key: deps.key,
    tenantId: deps.tenantId,
    clientId: app.clientId,
    audience,
    // Graph carries application roles; ARM authorises through Azure RBAC, not token roles.
    roles: audience === GRAPH_AUDIENCE ? app.graphRoles : [],
    now,
    lifetimeSeconds: deps.tokenLifetimeSeconds,
  });
  return {
    status: 200,
    headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
    json: { token_type: 'Bearer', expires_in: issued.expiresIn, ext_expires_in: issued.expiresIn, access_token: issued.token },
  };
}

/** A client_assertion instead of a secret: the app's certificate-signed JWT, or a federated external token. */
async function checkAssertion(deps: EntraDeps, app: SimulatorApp, type: string | null, assertion: string, now: Date): Promise<SimResponse | undefined> {
  if (type !== JWT_BEARER) {
    return entraError(now, 400, 'invalid_request', 50027, `Invalid client_assertion_type '${type ?? ''}'. Expected '${JWT_BEARER}'.`);
  }
  const kind = assertionKind(assertion);
  if (!kind) return entraError(now, 400, 'invalid_request', 50027, 'Invalid JWT token. The client_assertion is not a well-formed JWT.');
  const result =
    kind === 'certificate'
      ? await verifyCertificateAssertion({ assertion, app, tokenEndpoint: `${deps.baseUrl()}/${deps.tenantId}/oauth2/v2.0/token`, now, replay: deps.replay })
      : await verifyFederatedAssertion({ assertion, app, issuers: deps.issuers(), now });
  return result.ok ? undefined : entraError(now, result.status, result.error, result.code, result.description);
}

export function createEntraRouter(deps: EntraDeps): Router {
  return createRouter()
    .add('GET', '/common/discovery/instance', () => instanceDiscovery(deps))
    .add('GET', '/:tenant/v2.0/.well-known/openid-configuration', (_request, params) => openIdConfiguration(deps, params.tenant as string))
    .add('GET', '/:tenant/discovery/v2.0/keys', (_request, params) => keys(deps, params.tenant as string))
    .add('POST', '/:tenant/oauth2/v2.0/token', (request, params) => token(deps, request, params.tenant as string))
    .add('GET', '/msi/token', (request) => managedIdentityToken(deps, request));
}

export async function handleEntra(router: Router, request: SimRequest, clock: () => Date): Promise<SimResponse> {
  const match = router.match(request.method, request.path);
  if (match.kind === 'found') return match.handler(request, match.params);
  return entraError(clock(), match.kind === 'method-not-allowed' ? 405 : 404, 'invalid_request', 900561, `The endpoint ${request.method} ${request.path} does not exist on the simulated Entra ID.`);
}
