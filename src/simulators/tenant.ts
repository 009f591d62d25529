// One simulated tenant: its Defender XDR incidents and its Sentinel workspace (one portal engine and
// state file), its Entra token endpoint (tokens carry its `tid`), its Graph and ARM handlers, its
// throttles, its scenario and its control surface. index.ts starts one per configured tenant and
// routes each request to the right one (see tenant-routing.ts).
import { join } from 'node:path';
import type { FederationIssuer, RuntimeConfig, SimulatorApp } from './options.ts';
import type { ReplayGuard } from './entra/client-assertion.ts';
import type { SigningKey } from './entra/signing-key.ts';
import { createEntraRouter } from './entra/routes.ts';
import type { Router } from './http/router.ts';
import { createGraphHandler } from './graph/api.ts';
import { createDirectoryGraphHandler, isDirectoryPath } from './graph/directory-api.ts';
import { createTeamworkGraphHandler, isTeamworkPath } from './graph/teamwork-api.ts';
import type { SimChat, TeamsService } from './teams/service.ts';
import { createDirectory } from './directory/directory.ts';
import type { SimDirectory } from './directory/directory.ts';
import { sampleDirectory } from './directory/sample.ts';
import { createArmHandler } from './arm/api.ts';
import { createPortalEngine } from './engine/engine.ts';
import type { PortalEngine } from './engine/engine.ts';
import { createSnapshotStore } from './state/persistence.ts';
import type { SnapshotStore } from './state/persistence.ts';
import type { FaultInjector } from './http/faults.ts';
import type { RequestLog } from './http/request-log.ts';
import type { SimRequest, SimResponse } from './http/types.ts';
import { createSlidingWindowLimiter, createTokenBucket } from './throttle.ts';
import type { ArmBucketOptions } from './options.ts';
import { createControl } from './control/control.ts';
import type { SimulatorControl } from './control/control.ts';
import { createScenarioPlanner } from './scenario/planner.ts';
import type { ScenarioEvent } from './scenario/planner.ts';
import { createScenarioRunner } from './scenario/runner.ts';
import type { ScenarioRunner } from './scenario/runner.ts';

/** Where a tenant's Sentinel workspace lives in ARM. */
export interface TenantWorkspace {
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
}

export interface TenantPortal {
  tenantId: string;
  workspace: TenantWorkspace;
  engine: PortalEngine;
  control: SimulatorControl;
  scenario: ScenarioRunner;
  directory: SimDirectory;
  entraRouter: Router;
  graph: (request: SimRequest) => Promise<SimResponse>;
  arm: (request: SimRequest) => Promise<SimResponse>;
  /** Loads the persisted state (if any) and starts the engine's timers. */
  start(): Promise<void>;
  /** Stops timers and flushes the state file. */
  close(): Promise<void>;
}

export interface TenantPortalDeps {
  workspace: TenantWorkspace;
  /** The tenant's own state file: tenants never share state. */
  stateFile: string;
  baseUrl: () => string;
  apps: () => SimulatorApp[];
  issuers: () => FederationIssuer[];
  replay: ReplayGuard;
  identityHeader: string | undefined;
  key: SigningKey;
  clock: () => Date;
  /** This tenant's runtime settings (a copy per tenant, so one tenant's control API cannot change another). */
  runtime: RuntimeConfig;
  armBucket: ArmBucketOptions;
  tokenLifetimeSeconds: number;
  scenario: { eventsPerMinute: number; seed: number };
  /** Shared by all tenants: one HTTPS listener, one fault list, one request log. */
  faults: FaultInjector;
  requestLog: RequestLog;
  onAuthenticated: (request: SimRequest, appId: string) => void;
  onError: (error: unknown, context: string) => void;
  /** Shared by all tenants: chats, the app catalog, the bot's conversations. */
  teams: TeamsService;
  /** An app was installed in one of this tenant's chats: Teams tells the bot. */
  onInstalled: (chat: SimChat) => void;
}

/** What a tenant without a workspace still has: its Entra sign-in, its directory and Graph's directory API. */
export interface DirectoryTenant {
  tenantId: string;
  directory: SimDirectory;
  entraRouter: Router;
  graph: (request: SimRequest) => Promise<SimResponse>;
}

export type DirectoryTenantDeps = Pick<
  TenantPortalDeps,
  'baseUrl' | 'apps' | 'issuers' | 'replay' | 'identityHeader' | 'key' | 'clock' | 'tokenLifetimeSeconds' | 'onAuthenticated' | 'teams' | 'onInstalled'
> & { tenantId: string };

/**
 * A tenant's identity side: Entra's token endpoint for it, its directory and its Teams chats behind
 * Graph. `other` serves the remaining Graph paths (the security API, where the tenant has one).
 */
export function createDirectoryTenant(deps: DirectoryTenantDeps, directory: SimDirectory, other?: (request: SimRequest) => Promise<SimResponse>): DirectoryTenant {
  const { tenantId } = deps;
  const entraRouter = createEntraRouter({
    baseUrl: deps.baseUrl,
    tenantId,
    apps: deps.apps,
    issuers: deps.issuers,
    replay: deps.replay,
    identityHeader: deps.identityHeader,
    key: deps.key,
    clock: deps.clock,
    tokenLifetimeSeconds: deps.tokenLifetimeSeconds,
  });
  const directoryGraph = createDirectoryGraphHandler({ baseUrl: deps.baseUrl, tenantId, key: deps.key, clock: deps.clock, directory, onAuthenticated: deps.onAuthenticated });
  // Teams' limit is per app per tenant, per second: each tenant has its own window.
  const teamwork = createTeamworkGraphHandler({
    baseUrl: deps.baseUrl,
    tenantId,
    key: deps.key,
    clock: deps.clock,
    directory,
    teams: deps.teams,
    limiter: createSlidingWindowLimiter(1000),
    onInstalled: deps.onInstalled,
    onAuthenticated: deps.onAuthenticated,
  });
  return {
    tenantId,
    directory,
    entraRouter,
    graph: (request) => {
      if (isTeamworkPath(request.path)) return teamwork(request);
      return isDirectoryPath(request.path) || !other ? directoryGraph(request) : other(request);
    },
  };
}

export function securityInsightsScope(workspace: TenantWorkspace): string {
  return `/subscriptions/${workspace.subscriptionId}/resourceGroups/${workspace.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${workspace.workspace}/providers/Microsoft.SecurityInsights`;
}

export function createTenantPortal(deps: TenantPortalDeps): TenantPortal {
  const { workspace, clock, runtime, onError } = deps;
  const tenantId = workspace.tenantId;
  const tenantDirectory = createDirectory(sampleDirectory(tenantId));
  const directory = () => tenantDirectory.users();
  // The engine reports changes to the snapshot store, which in turn reads the engine's state.
  const snapshotRef: { store?: SnapshotStore } = {};
  const engine = createPortalEngine({
    tenantId,
    clock,
    runtime,
    securityInsightsScope: securityInsightsScope(workspace),
    directory,
    onChange: () => snapshotRef.store?.markDirty(),
    onError,
  });
  const snapshot = createSnapshotStore({ file: deps.stateFile, get: () => engine.state(), onError });
  snapshotRef.store = snapshot;

  // Graph's budget is per app per tenant and ARM's buckets are per subscription, so each tenant
  // has its own (the limiter keys also carry tid / subscription, which keeps them apart anyway).
  const graphLimiter = createSlidingWindowLimiter();
  const armReads = createTokenBucket(deps.armBucket.readCapacity, deps.armBucket.readRefillPerSecond);
  const armWrites = createTokenBucket(deps.armBucket.writeCapacity, deps.armBucket.writeRefillPerSecond);

  let scenarioSeed = deps.scenario.seed;
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
    faults: deps.faults,
    requestLog: deps.requestLog,
    resetThrottles: () => {
      graphLimiter.reset();
      armReads.reset();
      armWrites.reset();
    },
    scenario,
    startScenario: ({ eventsPerMinute, seed }) => {
      if (seed !== undefined) scenarioSeed = seed;
      scenario.start(eventsPerMinute ?? deps.scenario.eventsPerMinute);
    },
    flush: () => snapshot.flush(),
    directory,
  });

  const security = createGraphHandler({ baseUrl: deps.baseUrl, tenantId, key: deps.key, clock, runtime, engine, limiter: graphLimiter, onAuthenticated: deps.onAuthenticated });
  const identity = createDirectoryTenant({ ...deps, tenantId }, tenantDirectory, security);
  const arm = createArmHandler({
    baseUrl: deps.baseUrl,
    tenantId,
    key: deps.key,
    clock,
    apps: deps.apps,
    subscriptionId: workspace.subscriptionId,
    resourceGroup: workspace.resourceGroup,
    workspace: workspace.workspace,
    engine,
    reads: armReads,
    writes: armWrites,
    onAuthenticated: deps.onAuthenticated,
  });

  return {
    tenantId,
    workspace,
    engine,
    control,
    scenario,
    directory: identity.directory,
    entraRouter: identity.entraRouter,
    graph: identity.graph,
    arm,
    async start() {
      const loaded = await snapshot.load();
      if (loaded) engine.replaceState(loaded);
      engine.integrationMethodChanged();
      engine.resume();
    },
    async close() {
      scenario.stop();
      engine.stop();
      await snapshot.close();
    },
  };
}

/** Where an additional tenant's state lives, next to the primary tenant's `state.json`. */
export function tenantStateFile(simulatorDir: string, tenantId: string): string {
  return join(simulatorDir, 'tenants', `${tenantId.toLowerCase()}.json`);
}
