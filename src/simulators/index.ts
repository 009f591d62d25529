// Starts the Entra ID token endpoint, Microsoft Graph security (Defender XDR) and ARM
// Microsoft.SecurityInsights (Sentinel) simulators on one HTTPS port. The only place that wires
// the simulator's parts together. Never imports product code: it is an independent reading of
// Microsoft's documented contract (see CONTRACT.md).
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { resolveOptions } from './options.ts';
import type { RuntimeConfig, SimulatorOptions } from './options.ts';
import { loadOrCreateTls } from './tls/certificates.ts';
import { loadOrCreateSigningKey } from './entra/signing-key.ts';
import { createEntraRouter, entraError, handleEntra } from './entra/routes.ts';
import { createGraphHandler } from './graph/api.ts';
import { graphError } from './graph/errors.ts';
import { createArmHandler } from './arm/api.ts';
import { armError } from './arm/errors.ts';
import { createPortalEngine } from './engine/engine.ts';
import type { DirectoryUser } from './engine/engine.ts';
import { stableGuid } from './engine/seed.ts';
import { createSnapshotStore } from './state/persistence.ts';
import { createFaultInjector } from './http/faults.ts';
import { createRequestLog } from './http/request-log.ts';
import { createSimServer } from './http/server.ts';
import type { SimRequest } from './http/types.ts';
import { createSlidingWindowLimiter, createTokenBucket } from './throttle.ts';
import { createControl } from './control/control.ts';
import type { SimulatorControl } from './control/control.ts';
import { createControlHandler } from './control/routes.ts';
import { createScenarioPlanner, SCENARIO_ANALYSTS } from './scenario/planner.ts';
import type { ScenarioEvent } from './scenario/planner.ts';
import { createScenarioRunner } from './scenario/runner.ts';

export type { SimulatorOptions, SimulatorApp, RuntimeConfig, IntegrationMethod, ArmBucketOptions } from './options.ts';
export type { SimulatorControl, RaiseAlertRequest, ConfigPatch, SentinelAnalystChanges } from './control/control.ts';
export type { FaultSpec } from './http/faults.ts';
export type { RequestLogEntry } from './http/request-log.ts';
export type { ScenarioEvent } from './scenario/planner.ts';
export type { DefenderIncident, SentinelIncident, SentinelComment } from './state/model.ts';
export type { DirectoryUser } from './engine/engine.ts';
export { createScenarioPlanner } from './scenario/planner.ts';
export { GRAPH_INCIDENT_FIELDS_2025 } from './options.ts';

export interface RunningSimulators {
  /** https://localhost:PORT — Graph base, ARM endpoint, Entra authority host and SIM_URL alike. */
  url: string;
  port: number;
  caCertPem: string;
  caCertPath: string;
  control: SimulatorControl;
  /** Stops listening and timers, then flushes state to disk. */
  close(): Promise<void>;
}

/** Analysts of the simulated tenant (owners and comment authors the portals know). */
function directoryFor(tenantId: string): DirectoryUser[] {
  return SCENARIO_ANALYSTS.map((upn) => ({
    objectId: stableGuid(`${tenantId}/user/${upn}`),
    userPrincipalName: upn,
    displayName: upn.split('@')[0]?.split('.').map((part) => part[0]?.toUpperCase() + part.slice(1)).join(' ') ?? upn,
  }));
}

export async function startSimulators(options: SimulatorOptions): Promise<RunningSimulators> {
  const resolved = resolveOptions(options);
  const { clock, onError } = resolved;
  const runtime: RuntimeConfig = resolved.runtime;
  const dir = join(resolved.dataDir, 'simulators');
  const tls = await loadOrCreateTls(dir, clock());
  const key = await loadOrCreateSigningKey(dir);
  let baseUrl = '';
  const scope = `/subscriptions/${resolved.subscriptionId}/resourceGroups/${resolved.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${resolved.workspace}/providers/Microsoft.SecurityInsights`;

  const directory = directoryFor(resolved.tenantId);
  // The engine reports changes to the snapshot store, which in turn reads the engine's state.
  const snapshotRef: { store?: ReturnType<typeof createSnapshotStore> } = {};
  const engine = createPortalEngine({
    tenantId: resolved.tenantId,
    clock,
    runtime,
    securityInsightsScope: scope,
    directory,
    onChange: () => snapshotRef.store?.markDirty(),
    onError,
  });
  const snapshot = createSnapshotStore({ file: join(dir, 'state.json'), get: () => engine.state(), onError });
  snapshotRef.store = snapshot;
  const loaded = await snapshot.load();
  if (loaded) engine.replaceState(loaded);
  engine.integrationMethodChanged();
  engine.resume();

  const faults = createFaultInjector();
  const requestLog = createRequestLog();
  const graphLimiter = createSlidingWindowLimiter();
  const armReads = createTokenBucket(resolved.armBucket.readCapacity, resolved.armBucket.readRefillPerSecond);
  const armWrites = createTokenBucket(resolved.armBucket.writeCapacity, resolved.armBucket.writeRefillPerSecond);
  const appIds = new WeakMap<SimRequest, string>();
  const onAuthenticated = (request: SimRequest, appId: string) => appIds.set(request, appId);

  let scenarioSeed = resolved.scenario.seed;
  const scenario = createScenarioRunner({
    planner: () => createScenarioPlanner(scenarioSeed),
    openIncidents: () =>
      Object.values(engine.state().defender.incidents)
        .filter((incident) => incident.status !== 'redirected' && incident.status !== 'resolved')
        .map((incident) => ({ id: incident.id, severity: incident.severity, correlationKey: incident.correlationKey })),
    apply: (event: ScenarioEvent) => {
      if (event.kind === 'alert') control.raiseAlert(event.alert);
      else if (event.kind === 'comment') engine.addDefenderComment(event.incidentId, event.text, event.author);
      else engine.mergeDefenderIncidents(event.sourceId, event.intoId);
    },
    onError,
  });

  const control = createControl({
    engine,
    runtime,
    faults,
    requestLog,
    resetThrottles: () => {
      graphLimiter.reset();
      armReads.reset();
      armWrites.reset();
    },
    scenario,
    startScenario: ({ eventsPerMinute, seed }) => {
      if (seed !== undefined) scenarioSeed = seed;
      scenario.start(eventsPerMinute ?? resolved.scenario.eventsPerMinute);
    },
    flush: () => snapshot.flush(),
    directory,
  });

  const entraRouter = createEntraRouter({ baseUrl: () => baseUrl, tenantId: resolved.tenantId, apps: () => resolved.apps, key, clock, tokenLifetimeSeconds: resolved.tokenLifetimeSeconds });
  const server = createSimServer({
    key: tls.serverKeyPem,
    cert: tls.serverCertPem,
    faults,
    requestLog,
    clock,
    onError,
    appIdOf: (request) => appIds.get(request),
    handlers: {
      entra: (request) => handleEntra(entraRouter, request, clock),
      graph: createGraphHandler({ baseUrl: () => baseUrl, tenantId: resolved.tenantId, key, clock, runtime, engine, limiter: graphLimiter, onAuthenticated }),
      arm: createArmHandler({
        baseUrl: () => baseUrl,
        tenantId: resolved.tenantId,
        key,
        clock,
        apps: () => resolved.apps,
        subscriptionId: resolved.subscriptionId,
        resourceGroup: resolved.resourceGroup,
        workspace: resolved.workspace,
        engine,
        reads: armReads,
        writes: armWrites,
        onAuthenticated,
      }),
      ...(resolved.controlApi ? { control: createControlHandler(control) } : {}),
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
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `https://localhost:${port}`;
  if (resolved.scenario.enabled) scenario.start(resolved.scenario.eventsPerMinute);

  let closed = false;
  return {
    url: baseUrl,
    port,
    caCertPem: tls.caCertPem,
    caCertPath: tls.caCertPath,
    control,
    async close() {
      if (closed) return;
      closed = true;
      scenario.stop();
      engine.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await snapshot.close();
    },
  };
}
