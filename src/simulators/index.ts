// Starts the Entra ID token endpoint, Microsoft Graph security (Defender XDR) and ARM
// Microsoft.SecurityInsights (Sentinel) simulators on one HTTPS port. The only place that wires
// the simulator's parts together. Never imports product code: it is an independent reading of
// Microsoft's documented contract (see CONTRACT.md).
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { resolveOptions } from './options.ts';
import type { RuntimeConfig, SimulatorOptions } from './options.ts';
import { loadOrCreateTls } from './tls/certificates.ts';
import { simulatorDir } from './paths.ts';
import { loadOrCreateSigningKey } from './entra/signing-key.ts';
import { entraError, handleEntra } from './entra/routes.ts';
import { graphError } from './graph/errors.ts';
import { armError } from './arm/errors.ts';
import { createFaultInjector } from './http/faults.ts';
import { createRequestLog } from './http/request-log.ts';
import { createSimServer } from './http/server.ts';
import type { SimRequest } from './http/types.ts';
import type { SimulatorControl } from './control/control.ts';
import { createControlHandler } from './control/routes.ts';
import { createDirectoryTenant, createTenantPortal, tenantStateFile } from './tenant.ts';
import type { DirectoryTenant, TenantPortal, TenantWorkspace } from './tenant.ts';
import { createDirectory } from './directory/directory.ts';
import type { SimDirectory } from './directory/directory.ts';
import { sampleDirectory } from './directory/sample.ts';
import { createDirectoryControlHandler, isDirectoryControlPath } from './directory/control-routes.ts';
import { tenantForArm, tenantForEntra, tenantForGraph } from './tenant-routing.ts';
import { createIdentityRegistry, handleRegistryControl } from './entra/registry.ts';
import { createReplayGuard } from './entra/client-assertion.ts';
import { createTeamsService, type ConnectorCall, type DeliveredActivity, type SentMessage, type SimChannel, type SimChat } from './teams/service.ts';
import { startConnector } from './teams/connector.ts';
import { deliverInstall } from './teams/delivery.ts';
import { createTeamsControlHandler, isTeamsControlPath } from './teams/control-routes.ts';

export type { SimTeamsApp, SimChat, SimChannel, ChannelType, ConnectorCall, SentMessage, DeliveredActivity } from './teams/service.ts';
export { catalogIdFor } from './teams/service.ts';
export type { SimulatorOptions, SimulatorApp, RuntimeConfig, IntegrationMethod, ArmBucketOptions, AdditionalTenantOptions, FederatedIdentityCredential, FederationIssuer } from './options.ts';
export { MANAGED_IDENTITY_API_VERSION } from './entra/managed-identity.ts';
export type { SimulatorControl, RaiseAlertRequest, ConfigPatch, SentinelAnalystChanges } from './control/control.ts';
export type { FaultSpec } from './http/faults.ts';
export type { RequestLogEntry } from './http/request-log.ts';
export type { ScenarioEvent } from './scenario/planner.ts';
export type { DefenderIncident, SentinelIncident, SentinelComment } from './state/model.ts';
export type { DirectoryUser } from './engine/engine.ts';
export type { SimDirectory, DirectoryContents, DirectoryGroup, DirectoryUserEntry } from './directory/directory.ts';
export { PLAYGROUND_USER_PRINCIPAL_NAME, SAMPLE_GROUPS, sampleGroupId } from './directory/sample.ts';
export { CHECK_MEMBER_GROUPS_LIMIT } from './graph/directory-api.ts';
export { createScenarioPlanner } from './scenario/planner.ts';
export { GRAPH_INCIDENT_FIELDS_2025 } from './options.ts';

export interface RunningSimulators {
  /** https://localhost:PORT — Graph base, ARM endpoint, Entra authority host and SIM_URL alike. */
  url: string;
  port: number;
  caCertPem: string;
  caCertPath: string;
  /** The primary tenant's control (`options.tenantId`). */
  control: SimulatorControl;
  /** The control of any configured tenant (primary or additional); throws for an unknown tenant. */
  controlFor(tenantId: string): SimulatorControl;
  /** The directory of any tenant, with portals or directory-only; throws for an unknown tenant. */
  directoryFor(tenantId: string): SimDirectory;
  /** The simulated Teams: chats, the Bot Connector the bot sends to, and where the bot listens. */
  teams: SimulatedTeams;
  /** Stops listening and timers, then flushes state to disk. */
  close(): Promise<void>;
}

export interface SimulatedTeams {
  /** The simulated Bot Connector (plain HTTP on loopback): the serviceUrl of what Teams delivers. */
  connectorUrl: string;
  /** Where install events go (the bot's /api/messages); the bridge sets it once it listens. */
  setBotEndpoint(url: string): void;
  chats(tenantId?: string): SimChat[];
  /** Messages the bot sent through the simulated connector, oldest first. */
  messages(): SentMessage[];
  calls(): readonly ConnectorCall[];
  deliveries(): readonly DeliveredActivity[];
  /** Declares a team channel the connector serves: standard, private or shared, bot added or not. */
  declareChannel(channel: SimChannel): void;
  /** Resolves once every install event triggered so far reached the bot (or failed to). */
  idle(): Promise<void>;
}

export async function startSimulators(options: SimulatorOptions): Promise<RunningSimulators> {
  const resolved = resolveOptions(options);
  const { clock, onError } = resolved;
  const dir = simulatorDir(resolved.dataDir);
  const tls = await loadOrCreateTls(dir, clock());
  const key = await loadOrCreateSigningKey(dir);
  let baseUrl = '';

  // Shared by every tenant: one listener, so one fault list and one request log.
  const faults = createFaultInjector();
  const requestLog = createRequestLog();
  const appIds = new WeakMap<SimRequest, string>();
  const onAuthenticated = (request: SimRequest, appId: string) => appIds.set(request, appId);
  // App registrations, managed identities and federation issuers are the directory's, shared by all tenants.
  const registry = createIdentityRegistry(resolved.apps, resolved.federationIssuers);
  const replay = createReplayGuard();
  // Teams: one app catalog, one set of chats and one Bot Connector for every tenant.
  const teams = createTeamsService(resolved.teamsApps);
  const connector = await startConnector(teams, clock);
  let botEndpoint = resolved.botEndpoint;
  const deliveries = new Set<Promise<void>>();
  const onInstalled = (chat: SimChat) => {
    // After the 201 is on its way, as Teams notifies the bot asynchronously.
    const delivery = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
      deliverInstall(chat, { teams, botEndpoint: () => botEndpoint, connectorUrl: () => connector.url, clock, onError }),
    );
    deliveries.add(delivery);
    void delivery.finally(() => deliveries.delete(delivery));
  };

  const tenantFor = (workspace: TenantWorkspace, stateFile: string, runtime: RuntimeConfig): TenantPortal =>
    createTenantPortal({
      workspace,
      stateFile,
      baseUrl: () => baseUrl,
      // The same app registrations in every tenant: a multi-tenant app consented in each.
      apps: registry.apps,
      issuers: registry.issuers,
      replay,
      identityHeader: resolved.identityHeader,
      key,
      clock,
      runtime,
      armBucket: resolved.armBucket,
      tokenLifetimeSeconds: resolved.tokenLifetimeSeconds,
      scenario: resolved.scenario,
      faults,
      requestLog,
      onAuthenticated,
      onError,
      teams,
      onInstalled,
    });
  const primary = tenantFor(
    { tenantId: resolved.tenantId, subscriptionId: resolved.subscriptionId, resourceGroup: resolved.resourceGroup, workspace: resolved.workspace },
    // The primary keeps the original file name, so existing data directories load unchanged.
    join(dir, 'state.json'),
    resolved.runtime,
  );
  const tenants: TenantPortal[] = [
    primary,
    ...resolved.additionalTenants.map((extra) => tenantFor(extra, tenantStateFile(dir, extra.tenantId), structuredClone(resolved.runtime))),
  ];
  for (const tenant of tenants) await tenant.start();
  const directoryOnly = resolved.directoryTenants.map((tenantId) =>
    createDirectoryTenant(
      { tenantId, baseUrl: () => baseUrl, apps: registry.apps, issuers: registry.issuers, replay, identityHeader: resolved.identityHeader, key, clock, tokenLifetimeSeconds: resolved.tokenLifetimeSeconds, onAuthenticated, teams, onInstalled },
      createDirectory(sampleDirectory(tenantId)),
    ),
  );
  // Entra and Graph serve every tenant, with portals or not; ARM only those with a workspace.
  const identityTenants: Array<TenantPortal | DirectoryTenant> = [...tenants, ...directoryOnly];
  const directoryControls = new Map(identityTenants.map((tenant) => [tenant.tenantId.toLowerCase(), createDirectoryControlHandler(tenant.directory)]));
  const identityTenant = (tenantId: string) => identityTenants.find((candidate) => candidate.tenantId.toLowerCase() === tenantId.toLowerCase());

  const controlHandlers = new Map(tenants.map((tenant) => [tenant.tenantId.toLowerCase(), createControlHandler(tenant.control)]));
  const teamsControl = createTeamsControlHandler(teams, {
    get: () => botEndpoint,
    set: (url) => {
      botEndpoint = url;
    },
  });
  const server = createSimServer({
    key: tls.serverKeyPem,
    cert: tls.serverCertPem,
    faults,
    requestLog,
    clock,
    onError,
    appIdOf: (request) => appIds.get(request),
    tenantOf: (api, request) => {
      if (api === 'graph') return tenantForGraph(request, primary, identityTenants).tenantId;
      if (api === 'arm') return tenantForArm(request, primary, tenants).tenantId;
      return api === 'entra' ? tenantForEntra(request, primary, identityTenants).tenantId : undefined;
    },
    handlers: {
      entra: (request) => handleEntra(tenantForEntra(request, primary, identityTenants).entraRouter, request, clock),
      graph: (request) => tenantForGraph(request, primary, identityTenants).graph(request),
      arm: (request) => tenantForArm(request, primary, tenants).arm(request),
      ...(resolved.controlApi
        ? {
            control: async (request: SimRequest) => {
              const registration = handleRegistryControl(registry, request);
              if (registration) return registration;
              if (isTeamsControlPath(request.path)) return teamsControl(request);
              // `?tenant=<id>` picks another tenant's control; without it, the primary's.
              const tenant = request.url.searchParams.get('tenant');
              if (isDirectoryControlPath(request.path)) {
                const directory = directoryControls.get((tenant ?? primary.tenantId).toLowerCase());
                if (!directory) return { status: 404, json: { error: `no simulated tenant '${tenant}'; configured: ${identityTenants.map((t) => t.tenantId).join(', ')}` } };
                return directory(request);
              }
              const handler = tenant === null ? controlHandlers.get(primary.tenantId.toLowerCase()) : controlHandlers.get(tenant.toLowerCase());
              if (!handler) return { status: 404, json: { error: `no simulated tenant '${tenant}'; configured: ${tenants.map((t) => t.tenantId).join(', ')}` } };
              return handler(request);
            },
          }
        : {}),
    },
    faultBody: (api, request, status) => {
      const code = status === 429 ? 'TooManyRequests' : status === 503 ? 'ServiceUnavailable' : status >= 500 ? 'InternalServerError' : 'BadRequest';
      const message = `Injected fault: HTTP ${status}.`;
      if (api === 'graph') return graphError(request, clock(), status, code, message).json;
      if (api === 'arm') return armError(status, code, message).json;
      return entraError(clock(), status, 'temporarily_unavailable', 50000, message).json;
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await connector.close();
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `https://localhost:${port}`;
  if (resolved.scenario.enabled) primary.scenario.start(resolved.scenario.eventsPerMinute);

  let closed = false;
  return {
    url: baseUrl,
    port,
    caCertPem: tls.caCertPem,
    caCertPath: tls.caCertPath,
    control: primary.control,
    controlFor(tenantId) {
      const tenant = tenants.find((candidate) => candidate.tenantId.toLowerCase() === tenantId.toLowerCase());
      if (!tenant) throw new Error(`simulators: no tenant '${tenantId}'; configured tenants: ${tenants.map((t) => t.tenantId).join(', ')}`);
      return tenant.control;
    },
    teams: {
      connectorUrl: connector.url,
      setBotEndpoint(url) {
        botEndpoint = url;
      },
      chats: (tenantId) => teams.chats(tenantId),
      messages: () => [...teams.messages.values()],
      calls: () => teams.calls,
      deliveries: () => teams.deliveries,
      declareChannel: (channel) => teams.declareChannel(channel),
      async idle() {
        await Promise.all([...deliveries]);
      },
    },
    directoryFor(tenantId) {
      const tenant = identityTenant(tenantId);
      if (!tenant) throw new Error(`simulators: no tenant '${tenantId}'; configured tenants: ${identityTenants.map((t) => t.tenantId).join(', ')}`);
      return tenant.directory;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const tenant of tenants) tenant.scenario.stop();
      await connector.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      for (const tenant of tenants) await tenant.close();
    },
  };
}
