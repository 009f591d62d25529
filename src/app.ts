// Composition root: config -> simulators (local mode) -> store -> portals -> sync -> bot -> HTTP.
// The only place that wires concrete classes. main.ts runs it as a process; tests and benchmarks
// start it in process with their own configuration.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Config, PairConfig } from './config/config.ts';
import type { PortalIdentity } from './domain/portal-identity.ts';
import type { Logger } from './observability/logger.ts';
import { createMetrics } from './observability/metrics.ts';
import { startSimulators, type RunningSimulators, type SimulatorApp, type SimulatorOptions } from './simulators/index.ts';
import { openStore } from './store/store.ts';
import { createJobQueue } from './store/queue.ts';
import { createSyncJobQueue } from './store/sync-job-queue.ts';
import { createConnectorSettingsClient, createDefenderClient, createSentinelClient, createTenantDirectories } from './portals/index.ts';
import { createSyncEngine } from './sync/engine.ts';
import type { PairPortals, SyncContext } from './sync/sync-context.ts';
import { createBotAdapter } from './bot/adapter.ts';
import { createBotApplication } from './bot/app.ts';
import { createBackgroundTasks } from './bot/background.ts';
import { createCloudAdapterSender, createProactiveTurns } from './bot/teams-sender.ts';
import { createTeamsRoster } from './bot/teams-roster.ts';
import { createPeopleResolver } from './bot/people.ts';
import { createOwnerNotices } from './bot/owner-notices.ts';
import { createTriageJobs, workTriageJobs } from './triage/jobs.ts';
import { createEscalationNotices, createTriageRecorder, fireEscalation } from './triage/escalation.ts';
import { createTriageSettings } from './triage/settings.ts';
import { postScheduledDigest } from './triage/digests.ts';
import { createGuardedSender } from './bot/guarded-sender.ts';
import { createNotifier } from './bot/notifier.ts';
import { createIdentityResolver } from './bot/identity.ts';
import { candidateGroupIds } from './bot/access.ts';
import { createGroupMembership } from './bot/group-membership.ts';
import { approvalRoleChecks, createRoleResolver } from './bot/roles.ts';
import { registerApproverPresence } from './bot/approver-presence.ts';
import { canSee, createTenantPolicy, scopeOfActivity } from './bot/tenant-policy.ts';
import { registerConnectorRoutes, type ConnectorCardPublisher } from './bot/routes/connector.ts';
import { renderIncidentCard } from './cards/incident-card.ts';
import { buildChangeNoticeText } from './cards/change-notice.ts';
import { createApprovalService } from './approvals/service.ts';
import { createApproverDirectory } from './approvals/approver-directory.ts';
import { requirementChecksFrom } from './approvals/requirements.ts';
import { createApprovalScheduler, DEFAULT_APPROVAL_SCHEDULER_INTERVAL_MS } from './approvals/scheduler.ts';
import { createHttpServer, type HealthCheck } from './server/http.ts';

const PORTAL_CHECK_TTL_MS = 30_000;

export interface StartOptions {
  log: Logger;
  /** Distinguishes replicas in leases and card claims. */
  replicaId?: string;
  /** Overrides for embedded simulators (tests: port 0, no scenario, fast delays). */
  simulatorOverrides?: Partial<SimulatorOptions>;
  /** Bot HTTP port; 0 picks a free one (tests). Defaults to config.port. */
  port?: number;
  /** Start the sync engine's loops and workers, and the approvals scheduler (default true). */
  startSync?: boolean;
  /** How often one replica expires overdue connector requests and checks for drift (default 60 s). */
  approvalCheckIntervalMs?: number;
}

export interface RunningBridge {
  url: string;
  port: number;
  simulators: RunningSimulators | null;
  engine: ReturnType<typeof createSyncEngine>;
  context: SyncContext;
  health(): Promise<Record<string, HealthCheck>>;
  close(): Promise<void>;
}

function simulatorOptionsFor(config: Config, overrides: Partial<SimulatorOptions>): SimulatorOptions {
  const pair = config.pairs[0]!;
  return {
    dataDir: config.dataDir,
    port: config.simulators.port,
    tenantId: pair.tenantId,
    apps: config.pairs
      .map((p) => simulatedAppFor(p.identity))
      .filter((app, index, all): app is SimulatorApp => app !== undefined && all.findIndex((other) => other?.clientId === app.clientId) === index),
    subscriptionId: pair.subscriptionId,
    resourceGroup: pair.resourceGroup,
    workspace: pair.workspace,
    // Each further pair is a tenant of its own in the simulators (an MSSP's customers).
    additionalTenants: config.pairs
      .slice(1)
      .filter((p, index, rest) => p.tenantId !== pair.tenantId && rest.findIndex((other) => other.tenantId === p.tenantId) === index)
      .map((p) => ({ tenantId: p.tenantId, subscriptionId: p.subscriptionId, resourceGroup: p.resourceGroup, workspace: p.workspace })),
    // Served tenants without a pair (the SOC's, the Agents Playground's) sign people in: their directories.
    directoryTenants: [config.bot.tenantId, ...config.allowedTenants]
      .filter((tenantId): tenantId is string => tenantId !== undefined && !config.pairs.some((p) => p.tenantId.toLowerCase() === tenantId.toLowerCase()))
      .filter((tenantId, index, all) => all.findIndex((other) => other.toLowerCase() === tenantId.toLowerCase()) === index),
    scenario: { enabled: config.simulators.eventsPerMinute > 0, eventsPerMinute: config.simulators.eventsPerMinute },
    ...overrides,
  };
}

/**
 * The app registration the local simulators need for a pair's identity: its secret, or the
 * certificate in its PEM file. Managed and workload identities need the platform's endpoints (the
 * simulators serve them, but the SDK finds them through the platform's variables), so none here.
 */
function simulatedAppFor(identity: PortalIdentity): SimulatorApp | undefined {
  // User.Read.All + GroupMember.Read.All: what roles by group need (README, "Roles by group").
  const grants = { graphRoles: ['SecurityIncident.ReadWrite.All', 'User.Read.All', 'GroupMember.Read.All'], armAccess: true };
  if (identity.credentialType === undefined || identity.credentialType === 'secret') return { clientId: identity.clientId, clientSecret: identity.clientSecret, ...grants };
  if (identity.credentialType !== 'certificate') return undefined;
  const certificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(readFileSync(identity.certificatePath, 'utf8'))?.[0];
  if (!certificate) throw new Error(`AZURE_CLIENT_CERTIFICATE_PATH '${identity.certificatePath}' holds no PEM certificate; it needs the certificate and its private key.`);
  return { clientId: identity.clientId, certificates: [certificate], ...grants };
}

function readCa(config: Config, simulators: RunningSimulators | null): string | undefined {
  if (simulators) return simulators.caCertPem;
  if (!config.portalCaFile) return undefined;
  if (!existsSync(config.portalCaFile)) {
    throw new Error(`PORTAL_CA_FILE '${config.portalCaFile}' does not exist. With SIMULATORS=external, start the simulators first (npm run simulators) so they write their CA, or unset PORTAL_CA_FILE for Microsoft's clouds.`);
  }
  return readFileSync(config.portalCaFile, 'utf8');
}

function portalOptions(config: Config, pair: PairConfig, caCertPem: string | undefined, log: Logger) {
  return {
    tenantId: pair.tenantId,
    ...pair.identity,
    authorityHost: config.endpoints.authorityHost,
    ...(caCertPem ? { caCertPem } : {}),
    logger: log.child({ pairId: pair.id }),
  };
}

export async function startBridge(config: Config, options: StartOptions): Promise<RunningBridge> {
  const log = options.log;
  const replicaId = options.replicaId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((error: unknown) => log.warn({ err: error }, 'error while shutting down'));
  };

  try {
    let simulators: RunningSimulators | null = null;
    if (config.simulators.mode === 'embedded') {
      simulators = await startSimulators(simulatorOptionsFor(config, options.simulatorOverrides ?? {}));
      closers.push(() => simulators!.close());
    }
    // In embedded mode the simulators may listen on an ephemeral port: follow them.
    const endpoints = simulators ? { graph: simulators.url, arm: simulators.url, authorityHost: simulators.url } : config.endpoints;
    const effective: Config = { ...config, endpoints };
    const caCertPem = readCa(config, simulators);

    const { store, db } = await openStore({ dataDir: config.dataDir, ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}) });
    closers.push(() => store.close());
    // Supervise every 5 s (pg-boss default 60): a job whose replica died (kill -9) is failed by its
    // missed heartbeat and retried within ~15 s instead of a minute or more.
    const jobs = await createJobQueue({ db, superviseIntervalSeconds: 5, onError: (error) => log.warn({ err: error }, 'job queue error') });
    closers.push(() => jobs.stop({ graceful: true, timeoutMs: 10_000 }));

    const pairs = new Map<string, PairPortals>();
    for (const pair of config.pairs) {
      const common = portalOptions(effective, pair, caCertPem, log);
      const workspace = { armEndpoint: endpoints.arm, subscriptionId: pair.subscriptionId, resourceGroup: pair.resourceGroup, workspace: pair.workspace };
      pairs.set(pair.id, {
        pairId: pair.id,
        defender: createDefenderClient({ ...common, graphEndpoint: endpoints.graph, writableFields: config.sync.defenderWritableFields }),
        sentinel: createSentinelClient({ ...common, ...workspace, apiVersion: config.sync.sentinelApiVersion }),
      });
    }

    const metrics = createMetrics({
      quarantineCounts: () => store.quarantine.counts(),
      parkedEventCounts: () => store.parkedEvents.counts(),
      onCollectError: (error) => log.warn({ err: error }, 'could not count quarantined records or parked events for /metrics'),
    });
    const context: SyncContext = {
      store,
      queue: createSyncJobQueue(jobs),
      pairs,
      clock: () => new Date(),
      newId: randomUUID,
      log: log.child({ component: 'sync' }),
      metrics,
      changeNotes: config.sync.changeNotes,
    };
    const engine = createSyncEngine(context, { replicaId, pollIntervalMs: config.sync.pollIntervalSeconds * 1000 });

    // Teams side.
    const adapter = createBotAdapter({ botId: config.bot.id, botPassword: config.bot.password, botTenantId: config.bot.tenantId, botType: config.bot.type, log: log.child({ component: 'bot' }) });
    const sender = createGuardedSender({ sender: createCloudAdapterSender(adapter, config.bot.id), rateLimits: store.rateLimits, conversations: store.conversations, log });
    const roster = createTeamsRoster(createProactiveTurns(adapter, config.bot.id));
    const builders = { renderIncidentCard, buildChangeNoticeText };
    const access = { analysts: config.access.analysts, approvers: config.access.approvers, localMode: config.localMode };
    const tenants = createTenantPolicy({ botTenantId: config.bot.tenantId, allowedTenants: config.allowedTenants, pairs: config.pairs });
    const tasks = createBackgroundTasks(log);
    const allowedLinkHosts = config.extraLinkHosts;

    // Connector approvals go through the first pair's workspace (one connector per workspace).
    const firstPair = config.pairs[0]!;
    const connector = createConnectorSettingsClient({
      ...portalOptions(effective, firstPair, caCertPem, log),
      armEndpoint: endpoints.arm,
      subscriptionId: firstPair.subscriptionId,
      resourceGroup: firstPair.resourceGroup,
      workspace: firstPair.workspace,
      // Defender-portal onboarding is not an ARM property; locally the simulators say which they model.
      integrationMethod: simulators?.control.config().integrationMethod ?? config.approvals.integrationMethod,
    });
    // Roles by group: the person's groups are read in their own tenant's directory (Graph).
    const directories = createTenantDirectories({
      sources: { pairs: config.pairs, app: config.appIdentity },
      graphEndpoint: endpoints.graph,
      authorityHost: endpoints.authorityHost,
      ...(caCertPem ? { caCertPem } : {}),
    });
    const groupsOf = createGroupMembership({
      directory: directories,
      groupIds: candidateGroupIds(access),
      log: log.child({ component: 'roles' }),
    });
    const roles = createRoleResolver(access, groupsOf);
    // Owners and escalation contacts: conversation rosters to mention them, directories to name and find them.
    const people = createPeopleResolver({ roster, directory: directories, log: log.child({ component: 'people' }) });
    const approvals = createApprovalService({
      connector: {
        read: () => connector.read(),
        write: (base, next) => connector.write(base, next),
        checkRequirements: async () => requirementChecksFrom(await connector.checkRequirements()),
      },
      approvals: store.approvals,
      audit: store.audit,
      settings: store.settings,
      ...approvalRoleChecks(roles),
      clock: () => new Date(),
      newId: randomUUID,
      expiryMs: config.approvals.expiryHours * 3600_000,
    });

    // registerConnectorRoutes runs inside createBotApplication and returns the card publisher.
    const connectorCards: { publisher: ConnectorCardPublisher | null } = { publisher: null };
    const identity = createIdentityResolver({ log });
    const approverDirectory = createApproverDirectory(store.settings);
    // Acknowledgement deadlines and digests: durable jobs on the same queue, settings per conversation.
    const triageJobs = await createTriageJobs(jobs);
    const triageDeps = { store, jobs: triageJobs, tenants, clock: () => new Date(), log: log.child({ component: 'triage' }) };
    const triageSettings = createTriageSettings({ ...triageDeps, directory: directories });
    const escalationNotices = createEscalationNotices({ store, notices: store.notices, people });
    const app = createBotApplication({
      triage: triageSettings,
      overdueSince: escalationNotices.overdueSince,
      bridge: engine.api,
      conversations: store.conversations,
      subscriptions: store.subscriptions,
      cards: store.cards,
      builders,
      access,
      tenants,
      groupsOf,
      allowedLinkHosts,
      tasks,
      log: log.child({ component: 'bot' }),
      features: [
        (application) => {
          registerApproverPresence(application, { identity, roles, directory: approverDirectory, tasks });
          connectorCards.publisher = registerConnectorRoutes(application, {
            service: approvals,
            identity,
            refreshUserIds: () => approverDirectory.refreshUserIds(),
            sender,
            conversations: store.conversations,
            approvals: store.approvals,
            background: tasks,
            clock: () => new Date(),
            // The connector is the first pair's workspace's: only conversations that see that pair.
            mayManage: (activity) => canSee(scopeOfActivity(tenants, activity), firstPair.id),
            log,
          });
        },
      ],
    });
    const notifier = createNotifier({
      subscriptions: store.subscriptions,
      conversations: store.conversations,
      cards: store.cards,
      sender,
      builders,
      latestOutcome: (linkId) => engine.api.latestEditOutcome(linkId),
      tenants,
      holderId: replicaId,
      allowedLinkHosts,
      people,
      escalations: escalationNotices,
      log: log.child({ component: 'notifier' }),
    });
    const unsubscribe = engine.api.subscribe(notifier);
    const unsubscribeOwners = engine.api.subscribe(
      createOwnerNotices({ conversations: store.conversations, notices: store.notices, people, sender, tenants, log: log.child({ component: 'owner-notices' }) }),
    );
    const unsubscribeTriage = engine.api.subscribe(createTriageRecorder(triageDeps));

    // Probes come often (load balancers, every few seconds, on every replica) while Graph allows 150
    // requests a minute per app: a portal is asked at most once per PORTAL_CHECK_TTL_MS per replica.
    const portalChecks = new Map<string, { at: number; result: HealthCheck }>();
    const portalCheck = async (key: string, probe: () => Promise<unknown>): Promise<HealthCheck> => {
      const cached = portalChecks.get(key);
      if (cached && Date.now() - cached.at < PORTAL_CHECK_TTL_MS) return cached.result;
      let result: HealthCheck;
      try {
        await probe();
        result = { ok: true };
      } catch (error) {
        result = { ok: false, detail: error instanceof Error ? error.message : String(error) };
      }
      portalChecks.set(key, { at: Date.now(), result });
      return result;
    };

    const health = async (): Promise<Record<string, HealthCheck>> => {
      const report: Record<string, HealthCheck> = {};
      try {
        await db.query('select 1');
        report['store'] = { ok: true, detail: db.target.kind === 'pglite' ? 'PGlite (embedded)' : 'PostgreSQL server' };
      } catch (error) {
        report['store'] = { ok: false, detail: error instanceof Error ? error.message : String(error) };
      }
      Object.assign(report, engine.health());
      for (const [pairId, pair] of pairs) {
        for (const [portal, client] of [['defender', pair.defender], ['sentinel', pair.sentinel]] as const) {
          report[`${portal}:${pairId}`] = await portalCheck(`${portal}:${pairId}`, () => client.get('0'));
        }
      }
      return report;
    };

    // Without a bot id nothing authenticates requests: the server then listens on loopback only.
    const http = createHttpServer({ adapter, app, health, metrics, botAuthentication: config.bot.id !== undefined, log: log.child({ component: 'http' }) });
    const port = await http.listen(options.port ?? config.port, '0.0.0.0');
    closers.push(async () => {
      unsubscribe();
      unsubscribeOwners();
      unsubscribeTriage();
      await notifier.close();
      await tasks.idle();
      await http.close();
    });

    if (options.startSync !== false) {
      await workTriageJobs(jobs, {
        escalationDue: async (job) => {
          await fireEscalation(triageDeps, job);
        },
        digestDue: async (job) => {
          await postScheduledDigest({ ...triageDeps, sender }, job);
        },
      });
      await engine.start();
      closers.push(() => engine.stop());
    }

    // Connector approvals: one replica (store lease) expires overdue requests and announces drift.
    if (options.startSync !== false && connectorCards.publisher) {
      const approvalScheduler = createApprovalScheduler({
        service: approvals,
        publisher: connectorCards.publisher,
        leases: store.leases,
        replicaId,
        intervalMs: options.approvalCheckIntervalMs ?? DEFAULT_APPROVAL_SCHEDULER_INTERVAL_MS,
        log: log.child({ component: 'approvals' }),
      });
      approvalScheduler.start();
      closers.push(() => approvalScheduler.stop());
    }

    return {
      url: `http://127.0.0.1:${port}`,
      port,
      simulators,
      engine,
      context,
      health,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
