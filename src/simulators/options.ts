// The public option types of the simulators and their documented defaults, resolved in one place.
import type { SimTeamsApp } from './teams/service.ts';

export type { SimTeamsApp } from './teams/service.ts';

export const GRAPH_INCIDENT_FIELDS_2025 = [
  'assignedTo',
  'classification',
  'determination',
  'status',
  'customTags',
  'displayName',
  'description',
  'summary',
] as const;

export const INTEGRATION_METHODS = ['defenderPortal', 'azurePortal'] as const;
export type IntegrationMethod = (typeof INTEGRATION_METHODS)[number];

export interface SimulatorApp {
  clientId: string;
  /** The app's client secret; absent for apps that prove themselves with certificates or federation only. */
  clientSecret?: string;
  /** PEM certificates (public part) registered on the app: `client_assertion` JWTs they sign are accepted. */
  certificates?: string[];
  /** Federated identity credentials: external tokens (issuer, subject, audience) accepted as `client_assertion`. */
  federatedCredentials?: FederatedIdentityCredential[];
  /**
   * A managed identity rather than an app registration: it gets tokens from the identity endpoint
   * (`/msi/token`), never with a secret or certificate. At most one is system-assigned.
   */
  managedIdentity?: 'systemAssigned' | 'userAssigned';
  /** Graph application roles carried in the token's `roles` claim, e.g. SecurityIncident.ReadWrite.All. */
  graphRoles: string[];
  /** Whether the app holds an Azure RBAC role on the Sentinel workspace (403 AuthorizationFailed otherwise). */
  armAccess: boolean;
}

/** A federated identity credential on an app (Entra: issuer, subject and audiences must all match). */
export interface FederatedIdentityCredential {
  issuer: string;
  subject: string;
  /** Default ['api://AzureADTokenExchange'], the value Entra recommends. */
  audiences?: string[];
}

/**
 * An external identity provider whose signing keys the simulated Entra knows (a Kubernetes cluster's
 * service-account issuer, say). Real Entra fetches them from the issuer's OpenID discovery document.
 */
export interface FederationIssuer {
  issuer: string;
  /** Public JWKs (kty, n, e / crv, x, y, kid). */
  keys: Array<Record<string, unknown>>;
}

export interface ArmBucketOptions {
  readCapacity: number;
  readRefillPerSecond: number;
  writeCapacity: number;
  writeRefillPerSecond: number;
}

/** Another customer tenant of the same multi-tenant app registrations (MSSP setups). */
export interface AdditionalTenantOptions {
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
}

export interface SimulatorOptions {
  dataDir: string;
  port?: number;
  host?: string;
  tenantId: string;
  apps: SimulatorApp[];
  /** Issuers whose tokens federated credentials may name. */
  federationIssuers?: FederationIssuer[];
  /**
   * The secret the platform gives the app as IDENTITY_HEADER, to be sent back as X-IDENTITY-HEADER
   * on `GET /msi/token` (Container Apps / App Service). Without it the identity endpoint is off.
   */
  identityHeader?: string;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  /**
   * More tenants, each with its own Defender incidents and Sentinel workspace (own state and file),
   * served on the same URL. `tenantId`/`workspace` above stay the primary tenant (`control`).
   */
  additionalTenants?: AdditionalTenantOptions[];
  /**
   * Tenants with an Entra sign-in and a directory but no portals: where people sign in to Teams
   * without a workspace of their own (an MSSP's SOC tenant, the Agents Playground's tenant).
   */
  directoryTenants?: string[];
  graphRequestsPerMinute?: number;
  armBucket?: ArmBucketOptions;
  tokenLifetimeSeconds?: number;
  graphWritableFields?: string[];
  nativeSync?: boolean;
  integrationMethod?: IntegrationMethod;
  azurePortalDelayMs?: number;
  coalesceWindowMs?: number;
  controlApi?: boolean;
  scenario?: { enabled: boolean; eventsPerMinute?: number; seed?: number };
  /**
   * Teams apps in every tenant's organisation catalog (Graph appCatalogs/teamsApps): the bridge's,
   * so that war room chats can install it. Empty: the catalog is empty.
   */
  teamsApps?: SimTeamsApp[];
  /** The bot's messaging endpoint, where install events go; can be set later (teams.setBotEndpoint). */
  botEndpoint?: string;
  clock?: () => Date;
  /** Where loops report errors they survived (timers never throw). Defaults to console.error. */
  onError?: (error: unknown, context: string) => void;
}

/** The settings the control API can change while running. */
export interface RuntimeConfig {
  integrationMethod: IntegrationMethod;
  azurePortalDelayMs: number;
  coalesceWindowMs: number;
  graphWritableFields: string[];
  graphRequestsPerMinute: number;
  nativeSync: boolean;
}

export interface ResolvedOptions {
  dataDir: string;
  port: number;
  host: string;
  tenantId: string;
  apps: SimulatorApp[];
  federationIssuers: FederationIssuer[];
  identityHeader: string | undefined;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  additionalTenants: AdditionalTenantOptions[];
  directoryTenants: string[];
  armBucket: ArmBucketOptions;
  tokenLifetimeSeconds: number;
  controlApi: boolean;
  scenario: { enabled: boolean; eventsPerMinute: number; seed: number };
  teamsApps: SimTeamsApp[];
  botEndpoint: string | undefined;
  clock: () => Date;
  onError: (error: unknown, context: string) => void;
  runtime: RuntimeConfig;
}

// Graph security API budget: 150 requests/min per app per tenant (documented for alerts; the
// incidents figure is not published, so the same figure is used).
export const DEFAULT_GRAPH_REQUESTS_PER_MINUTE = 150;
// ARM token bucket per subscription: reads 250 refilled 25/s, writes 200 refilled 10/s (ARM throttling docs).
export const DEFAULT_ARM_BUCKET: ArmBucketOptions = {
  readCapacity: 250,
  readRefillPerSecond: 25,
  writeCapacity: 200,
  writeRefillPerSecond: 10,
};
// Entra issues app tokens for 60-90 minutes; MSAL examples show expires_in 3599.
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3599;
// "Typically within five minutes" with the Azure-portal method; 5 s locally keeps demos lively.
export const DEFAULT_AZURE_PORTAL_DELAY_MS = 5000;

function requireText(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`simulators: option '${name}' must be a non-empty string`);
  }
  return value;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new Error(`simulators: option '${name}' must be a number >= 0`);
  return value;
}

// Tenant ids name a state file, so only GUID/domain characters are accepted.
const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

function resolveAdditionalTenants(options: SimulatorOptions): AdditionalTenantOptions[] {
  const extra = options.additionalTenants ?? [];
  if (!Array.isArray(extra)) throw new Error(`simulators: option 'additionalTenants' must be an array`);
  const tenants = new Set([String(options.tenantId).toLowerCase()]);
  const scopes = new Set([`${options.subscriptionId}/${options.resourceGroup}/${options.workspace}`.toLowerCase()]);
  return extra.map((tenant, index) => {
    const name = `additionalTenants[${index}]`;
    const resolved: AdditionalTenantOptions = {
      tenantId: requireText(tenant?.tenantId, `${name}.tenantId`),
      subscriptionId: requireText(tenant?.subscriptionId, `${name}.subscriptionId`),
      resourceGroup: requireText(tenant?.resourceGroup, `${name}.resourceGroup`),
      workspace: requireText(tenant?.workspace, `${name}.workspace`),
    };
    if (!TENANT_ID.test(resolved.tenantId)) throw new Error(`simulators: option '${name}.tenantId' must be a GUID or domain name`);
    const tenantKey = resolved.tenantId.toLowerCase();
    if (tenants.has(tenantKey)) throw new Error(`simulators: tenant '${resolved.tenantId}' is configured twice; each tenant needs its own entry`);
    tenants.add(tenantKey);
    const scopeKey = `${resolved.subscriptionId}/${resolved.resourceGroup}/${resolved.workspace}`.toLowerCase();
    if (scopes.has(scopeKey)) throw new Error(`simulators: workspace '${scopeKey}' of '${name}' is already another tenant's; a workspace belongs to one tenant`);
    scopes.add(scopeKey);
    return resolved;
  });
}

function resolveDirectoryTenants(options: SimulatorOptions, portalTenants: readonly AdditionalTenantOptions[]): string[] {
  const extra = options.directoryTenants ?? [];
  if (!Array.isArray(extra)) throw new Error(`simulators: option 'directoryTenants' must be an array of tenant ids`);
  const seen = new Set([String(options.tenantId), ...portalTenants.map((tenant) => tenant.tenantId)].map((id) => id.toLowerCase()));
  return extra.map((tenantId, index) => {
    const name = `directoryTenants[${index}]`;
    if (!TENANT_ID.test(requireText(tenantId, name))) throw new Error(`simulators: option '${name}' must be a GUID or domain name`);
    if (seen.has(tenantId.toLowerCase())) throw new Error(`simulators: tenant '${tenantId}' is configured twice; each tenant needs one entry`);
    seen.add(tenantId.toLowerCase());
    return tenantId;
  });
}

function httpUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(requireText(value, name));
  } catch {
    throw new Error(`simulators: option '${name}' must be an http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`simulators: option '${name}' must be an http(s) URL`);
  return url.href;
}

function resolveTeamsApps(apps: readonly SimTeamsApp[]): SimTeamsApp[] {
  if (!Array.isArray(apps)) throw new Error(`simulators: option 'teamsApps' must be an array`);
  return apps.map((app, index) => ({
    externalId: requireText(app?.externalId, `teamsApps[${index}].externalId`),
    displayName: requireText(app.displayName, `teamsApps[${index}].displayName`),
    ...(app.botId === undefined ? {} : { botId: requireText(app.botId, `teamsApps[${index}].botId`) }),
  }));
}

/** Checks one app registration (options at start, or the control API while running). */
export function validateApp(app: SimulatorApp, name: string): void {
  requireText(app?.clientId, `${name}.clientId`);
  if (app.clientSecret !== undefined) requireText(app.clientSecret, `${name}.clientSecret`);
  if (!Array.isArray(app.graphRoles)) throw new Error(`simulators: option '${name}.graphRoles' must be an array`);
  if (app.managedIdentity !== undefined && !['systemAssigned', 'userAssigned'].includes(app.managedIdentity)) {
    throw new Error(`simulators: option '${name}.managedIdentity' must be systemAssigned or userAssigned`);
  }
  if (app.managedIdentity && (app.clientSecret !== undefined || (app.certificates ?? []).length > 0)) {
    throw new Error(`simulators: option '${name}' is a managed identity, which has no secret or certificate`);
  }
  for (const [index, pem] of (app.certificates ?? []).entries()) {
    if (typeof pem !== 'string' || !pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`simulators: option '${name}.certificates[${index}]' must be a PEM certificate`);
  }
  for (const [index, credential] of (app.federatedCredentials ?? []).entries()) {
    requireText(credential?.issuer, `${name}.federatedCredentials[${index}].issuer`);
    requireText(credential.subject, `${name}.federatedCredentials[${index}].subject`);
    if (credential.audiences !== undefined && (!Array.isArray(credential.audiences) || credential.audiences.length === 0)) {
      throw new Error(`simulators: option '${name}.federatedCredentials[${index}].audiences' must be a non-empty array`);
    }
  }
}

export function validateIssuer(issuer: FederationIssuer, name: string): void {
  requireText(issuer?.issuer, `${name}.issuer`);
  if (!Array.isArray(issuer.keys) || issuer.keys.length === 0) throw new Error(`simulators: option '${name}.keys' must be a non-empty array of public JWKs`);
  if (issuer.keys.some((key) => typeof key !== 'object' || key === null || 'd' in key)) throw new Error(`simulators: option '${name}.keys' must hold public JWKs only`);
}

export function resolveOptions(options: SimulatorOptions): ResolvedOptions {
  const apps = options.apps ?? [];
  for (const [index, app] of apps.entries()) validateApp(app, `apps[${index}]`);
  if (apps.filter((app) => app.managedIdentity === 'systemAssigned').length > 1) throw new Error(`simulators: at most one app may be the system-assigned managed identity`);
  const federationIssuers = options.federationIssuers ?? [];
  for (const [index, issuer] of federationIssuers.entries()) validateIssuer(issuer, `federationIssuers[${index}]`);
  const method = options.integrationMethod ?? 'defenderPortal';
  if (!INTEGRATION_METHODS.includes(method)) {
    throw new Error(`simulators: option 'integrationMethod' must be one of ${INTEGRATION_METHODS.join(', ')}`);
  }
  const additionalTenants = resolveAdditionalTenants(options);
  const graphRequestsPerMinute = nonNegative(
    options.graphRequestsPerMinute,
    DEFAULT_GRAPH_REQUESTS_PER_MINUTE,
    'graphRequestsPerMinute',
  );
  return {
    dataDir: requireText(options.dataDir, 'dataDir'),
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    tenantId: requireText(options.tenantId, 'tenantId'),
    apps,
    federationIssuers,
    identityHeader: options.identityHeader === undefined ? undefined : requireText(options.identityHeader, 'identityHeader'),
    subscriptionId: requireText(options.subscriptionId, 'subscriptionId'),
    resourceGroup: requireText(options.resourceGroup, 'resourceGroup'),
    workspace: requireText(options.workspace, 'workspace'),
    additionalTenants,
    directoryTenants: resolveDirectoryTenants(options, additionalTenants),
    armBucket: options.armBucket ?? DEFAULT_ARM_BUCKET,
    tokenLifetimeSeconds: nonNegative(options.tokenLifetimeSeconds, DEFAULT_TOKEN_LIFETIME_SECONDS, 'tokenLifetimeSeconds'),
    controlApi: options.controlApi ?? true,
    scenario: {
      enabled: options.scenario?.enabled ?? false,
      eventsPerMinute: options.scenario?.eventsPerMinute ?? 6,
      seed: options.scenario?.seed ?? 1,
    },
    teamsApps: resolveTeamsApps(options.teamsApps ?? []),
    botEndpoint: options.botEndpoint === undefined ? undefined : httpUrl(options.botEndpoint, 'botEndpoint'),
    clock: options.clock ?? (() => new Date()),
    onError: options.onError ?? ((error, context) => console.error(`[simulators] ${context}:`, error)),
    runtime: {
      integrationMethod: method,
      azurePortalDelayMs: nonNegative(options.azurePortalDelayMs, DEFAULT_AZURE_PORTAL_DELAY_MS, 'azurePortalDelayMs'),
      coalesceWindowMs: nonNegative(options.coalesceWindowMs, 0, 'coalesceWindowMs'),
      graphWritableFields: [...(options.graphWritableFields ?? GRAPH_INCIDENT_FIELDS_2025)],
      graphRequestsPerMinute,
      nativeSync: options.nativeSync ?? true,
    },
  };
}
