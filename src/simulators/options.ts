// The public option types of the simulators and their documented defaults, resolved in one place.

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
  clientSecret: string;
  /** Graph application roles carried in the token's `roles` claim, e.g. SecurityIncident.ReadWrite.All. */
  graphRoles: string[];
  /** Whether the app holds an Azure RBAC role on the Sentinel workspace (403 AuthorizationFailed otherwise). */
  armAccess: boolean;
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
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  /**
   * More tenants, each with its own Defender incidents and Sentinel workspace (own state and file),
   * served on the same URL. `tenantId`/`workspace` above stay the primary tenant (`control`).
   */
  additionalTenants?: AdditionalTenantOptions[];
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
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  additionalTenants: AdditionalTenantOptions[];
  armBucket: ArmBucketOptions;
  tokenLifetimeSeconds: number;
  controlApi: boolean;
  scenario: { enabled: boolean; eventsPerMinute: number; seed: number };
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

export function resolveOptions(options: SimulatorOptions): ResolvedOptions {
  const apps = options.apps ?? [];
  for (const [index, app] of apps.entries()) {
    requireText(app.clientId, `apps[${index}].clientId`);
    requireText(app.clientSecret, `apps[${index}].clientSecret`);
    if (!Array.isArray(app.graphRoles)) throw new Error(`simulators: option 'apps[${index}].graphRoles' must be an array`);
  }
  const method = options.integrationMethod ?? 'defenderPortal';
  if (!INTEGRATION_METHODS.includes(method)) {
    throw new Error(`simulators: option 'integrationMethod' must be one of ${INTEGRATION_METHODS.join(', ')}`);
  }
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
    subscriptionId: requireText(options.subscriptionId, 'subscriptionId'),
    resourceGroup: requireText(options.resourceGroup, 'resourceGroup'),
    workspace: requireText(options.workspace, 'workspace'),
    additionalTenants: resolveAdditionalTenants(options),
    armBucket: options.armBucket ?? DEFAULT_ARM_BUCKET,
    tokenLifetimeSeconds: nonNegative(options.tokenLifetimeSeconds, DEFAULT_TOKEN_LIFETIME_SECONDS, 'tokenLifetimeSeconds'),
    controlApi: options.controlApi ?? true,
    scenario: {
      enabled: options.scenario?.enabled ?? false,
      eventsPerMinute: options.scenario?.eventsPerMinute ?? 6,
      seed: options.scenario?.seed ?? 1,
    },
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
