// Composition root: config -> simulators (local mode) -> store -> portals -> sync -> bot -> HTTP.
// The only place that wires concrete classes. main.ts runs it as a process; tests and benchmarks
// start it in process with their own configuration.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Config, PairConfig } from './config/config.ts';
import type { PortalIdentity } from './domain/portal-identity.ts';
import type { Logger } from './observability/logger.ts';
import { createMetrics } from './observability/metrics.ts';
import { createHealthChecks } from './observability/health-checks.ts';
import type { Traced } from './observability/tracing.ts';
import { startSimulators, type RunningSimulators, type SimulatorApp, type SimulatorOptions } from './simulators/index.ts';
import { openStore } from './store/store.ts';
import { claimReplicaName } from './replicas/replica-name.ts';
import { localProcessTable } from './replicas/process-identity.ts';
import { createBossQueue } from './store/boss-queue.ts';
import { createSyncJobQueue, deadLetterQueueOf } from './sync-job-queue.ts';
import { interactive } from './store/query-priority.ts';
import { createConnectorSettingsClient, createDefenderClient, createSentinelClient, createTenantChats, createTenantDirectories } from './portals/index.ts';
import { createSyncEngine } from './sync/engine.ts';
import { QUEUES, type PairPortals, type SyncContext } from './sync/sync-context.ts';
import { PAIR_CALL_MAX_WAIT_MS, withSentinelThrottleCircuit, withThrottleCircuit } from './sync/throttle-circuit.ts';
import { createBotAdapter } from './bot/adapter.ts';
import { createBotApplication } from './bot/bot-application.ts';
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
import { createWarRoomService, type WarRoomService } from './bot/war-room.ts';
import { createIdentityResolver } from './bot/identity.ts';
import { candidateGroupIds } from './bot/access.ts';
import { createGroupMembership } from './bot/group-membership.ts';
import { approvalRoleChecks, createRoleResolver } from './bot/roles.ts';
import { registerApproverPresence } from './bot/approver-presence.ts';
import { createTenantPolicy } from './bot/tenant-policy.ts';
import { registerConnectorRoutes, type ConnectorCardPublisher } from './bot/routes/connector.ts';
import { cardBuildersFor } from './bot/customer-cards.ts';
import { createApprovalService } from './approvals/service.ts';
import { createApproversChannels } from './approvals/approvers-channel.ts';
import { assignLegacyConnectorRecords } from './approvals/legacy-pair.ts';
import { createCustomerNames } from './domain/pair-names.ts';
import { createApproverDirectory } from './approvals/approver-directory.ts';
import { requirementChecksFrom } from './approvals/requirements.ts';
import { createApprovalScheduler, DEFAULT_APPROVAL_SCHEDULER_INTERVAL_MS } from './approvals/scheduler.ts';
import { createHttpServer, type HealthProbe } from './server/http.ts';
import { createShutdown, DEFAULT_SHUTDOWN_GRACE_MS } from './shutdown.ts';

export interface StartOptions {
  log: Logger;
  /** The replica's name in leases and claims, in place of REPLICA_NAME (claimed the same way). */
  replicaName?: string;
  /** Called when the bridge stopped itself because another process took its replica name over. */
  onNameLost?: () => void;
  /** Overrides for embedded simulators (tests: port 0, no scenario, fast delays). */
  simulatorOverrides?: Partial<SimulatorOptions>;
  /** Bot HTTP port; 0 picks a free one (tests). Defaults to config.port. */
  port?: number;
  /** Start the sync engine's loops and workers, and the approvals scheduler (default true). */
  startSync?: boolean;
  /** How often one replica expires overdue connector requests and checks for drift (default 60 s). */
  approvalCheckIntervalMs?: number;
  /** Traces the bridge's units of work (observability/telemetry.ts). Default: untraced. */
  trace?: Traced;
}

export interface RunningBridge {
  url: string;
  port: number;
  simulators: RunningSimulators | null;
  engine: ReturnType<typeof createSyncEngine>;
  context: SyncContext;
  health: HealthProbe;
  /** Stops taking work, gives work in flight a short grace, and is done within seconds (src/shutdown.ts). */
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
    // The workspace's onboarding is configuration, not an ARM property: the simulated portals model
    // the configured one (Defender-portal: incidents in Sentinel at once; Azure portal: after a delay).
    integrationMethod: config.approvals.integrationMethod,
    // The bridge's Teams app in the simulated organisation catalog, so war rooms can install it.
    teamsApps: config.teamsAppId ? [{ externalId: config.teamsAppId, displayName: 'Incident Bridge', ...(config.bot.id ? { botId: config.bot.id } : {}) }] : [],
    ...overrides,
  };
}

/**
 * The app registration the local simulators need for a pair's identity: its secret, or the
 * certificate in its PEM file. Managed and workload identities need the platform's endpoints (the
 * simulators serve them, but the SDK finds them through the platform's variables), so none here.
 */
function simulatedAppFor(identity: PortalIdentity): SimulatorApp | undefined {
  // User.Read.All + GroupMember.Read.All: what roles by group need (README, "Roles by group");
  // Chat.Create, AppCatalog.Read.All, TeamsAppInstallation.ReadWriteForChat.All: war rooms.
  const grants = {
    graphRoles: ['SecurityIncident.ReadWrite.All', 'User.Read.All', 'GroupMember.Read.All', 'Chat.Create', 'AppCatalog.Read.All', 'TeamsAppInstallation.ReadWriteForChat.All'],
    armAccess: true,
  };
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
    throw new Error(`PORTAL_CA_FILE '${config.portalCaFile}' does not exist. With SIMULATORS=external, start the simulators first (npm run simulators, with the same DATA_DIR) so they write their CA there, or set PORTAL_CA_FILE to the CA file they print; for Microsoft's clouds, unset it.`);
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
  // Every part registers how it stops as it starts; close() stops them all within a few seconds.
  const shutdown = createShutdown({ log: log.child({ component: 'shutdown' }) });
  const closeAll = async () => {
    await shutdown.run();
  };

  try {
    const simulators = config.simulators.mode === 'embedded' ? await startSimulators(simulatorOptionsFor(config, options.simulatorOverrides ?? {})) : null;
    if (simulators) shutdown.add({ name: 'simulators', release: () => simulators.close() });
    // In embedded mode the simulators may listen on an ephemeral port: follow them.
    const endpoints = simulators ? { graph: simulators.url, arm: simulators.url, authorityHost: simulators.url } : config.endpoints;
    const effective: Config = { ...config, endpoints };
    const caCertPem = readCa(config, simulators);

    const { store, db } = await openStore({ dataDir: config.dataDir, ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}) });
    shutdown.add({ name: 'store', release: () => store.close() });
    // The name is claimed before anything takes a lease or a claim under it, and given up last.
    const name = await claimReplicaName({ leases: store.leases, processes: localProcessTable(), log: log.child({ component: 'replica' }) }, options.replicaName ?? config.replicaName);
    shutdown.add({ name: 'replica name', release: () => name.release() });
    const replicaId = name.name;
    // Two processes under one name would each take the other's leases: the one that lost it stops.
    name.onLost(() => void closeAll().then(() => options.onNameLost?.()));
    // Supervise every 5 s (pg-boss default 60): a job whose replica died (kill -9) while others run
    // is failed by its missed heartbeat and retried within ~15 s instead of a minute or more. Queues are recounted
    // for /metrics every 15 s (default 60), within a usual scrape interval.
    const jobs = await createBossQueue({ db, superviseIntervalSeconds: 5, monitorIntervalSeconds: 15, onError: (error) => log.warn({ err: error }, 'job queue error') });
    // The embedded database is this process's alone: a job still marked active was running in a
    // process that died (kill -9, a crash). It goes back to its retry now, before any worker starts.
    if (db.target.kind === 'pglite') {
      const released = await jobs.failActiveOfDeadProcess('the process running it stopped before it finished');
      if (released > 0) log.info({ jobs: released }, 'jobs a stopped process left running are retried');
    }
    // pg-boss stops fetching at once, waits for running handlers until the grace is over, then fails
    // what still runs back to a retry (another replica, or this one after a restart, takes it) and
    // closes its pool. The release waits for that, so the store outlives it.
    let jobsStopped: Promise<void> | undefined;
    const stopJobs = () => (jobsStopped ??= jobs.stop({ graceful: true, timeoutMs: DEFAULT_SHUTDOWN_GRACE_MS }));
    shutdown.add({ name: 'job queue', drain: stopJobs, release: stopJobs });

    const syncQueues = Object.values(QUEUES);
    const deadLetters = new Map(syncQueues.map((queue) => [deadLetterQueueOf(queue), queue]));
    const configuredPairs = new Set(config.pairs.map((pair) => pair.id));
    const metrics = createMetrics({
      quarantineCounts: () => store.quarantine.counts(),
      parkedEventCounts: () => store.parkedEvents.counts(),
      // A pair removed from the configuration is listed no more: its lag would only grow.
      syncListings: async () => (await store.cursors.listings()).filter((listing) => configuredPairs.has(listing.pairId)),
      jobQueueCounts: () => jobs.counts(syncQueues),
      // Nothing works a dead-letter queue: every job there is a dead job of its source queue.
      deadJobCounts: async () =>
        (await jobs.counts([...deadLetters.keys()])).map((count) => ({ queue: deadLetters.get(count.queue) ?? count.queue, count: count.ready + count.deferred + count.active })),
      onCollectError: (error, metric) => log.warn({ err: error, metric }, 'could not read a gauge for /metrics; it keeps its last values'),
    });

    const pairs = new Map<string, PairPortals>();
    const pairRetry = { maxTotalWaitMs: PAIR_CALL_MAX_WAIT_MS };
    for (const pair of config.pairs) {
      const common = portalOptions(effective, pair, caCertPem, log);
      const workspace = { armEndpoint: endpoints.arm, subscriptionId: pair.subscriptionId, resourceGroup: pair.resourceGroup, workspace: pair.workspace };
      pairs.set(pair.id, {
        pairId: pair.id,
        // A pair's throttling is its own: a long Retry-After opens that pair's circuit instead of
        // holding a worker every pair shares (sync/throttle-circuit.ts).
        defender: withThrottleCircuit(createDefenderClient({ ...common, retry: pairRetry, graphEndpoint: endpoints.graph, writableFields: config.sync.defenderWritableFields, requests: metrics.portalRequests(pair.id, 'defender') })),
        sentinel: withSentinelThrottleCircuit(createSentinelClient({ ...common, retry: pairRetry, ...workspace, apiVersion: config.sync.sentinelApiVersion, requests: metrics.portalRequests(pair.id, 'sentinel') })),
      });
    }
    const context: SyncContext = {
      store,
      queue: createSyncJobQueue(jobs),
      pairs,
      clock: () => new Date(),
      newId: randomUUID,
      log: log.child({ component: 'sync' }),
      metrics,
      ...(options.trace ? { trace: options.trace } : {}),
      changeNotes: config.sync.changeNotes,
    };
    const engine = createSyncEngine(context, { replicaId, pollIntervalMs: config.sync.pollIntervalSeconds * 1000 });

    // Teams side.
    const adapter = createBotAdapter({ botId: config.bot.id, botPassword: config.bot.password, botTenantId: config.bot.tenantId, botType: config.bot.type, log: log.child({ component: 'bot' }), metrics });
    const sender = createGuardedSender({ sender: createCloudAdapterSender(adapter, config.bot.id), rateLimits: store.rateLimits, conversations: store.conversations, tenantRequestsPerSecond: config.teamsTenantRequestsPerSecond, log, metrics });
    const roster = createTeamsRoster(createProactiveTurns(adapter, config.bot.id));
    // Every incident card says whose incident it is when the bridge serves several customers.
    const customers = createCustomerNames(config.pairs);
    const builders = cardBuildersFor(customers);
    const access = { analysts: config.access.analysts, approvers: config.access.approvers, localMode: config.localMode };
    const tenants = createTenantPolicy({ botTenantId: config.bot.tenantId, allowedTenants: config.allowedTenants, pairs: config.pairs });
    const tasks = createBackgroundTasks(log);
    const allowedLinkHosts = config.extraLinkHosts;

    // One Defender XDR connector per pair's workspace, read and changed with that pair's identity.
    const connectors = new Map(config.pairs.map((pair) => [pair.id, createConnectorSettingsClient({
      ...portalOptions(effective, pair, caCertPem, log),
      armEndpoint: endpoints.arm,
      subscriptionId: pair.subscriptionId,
      resourceGroup: pair.resourceGroup,
      workspace: pair.workspace,
      requests: metrics.portalRequests(pair.id, 'sentinel'),
      // Defender-portal onboarding is not an ARM property; locally the simulators say which they model.
      integrationMethod: simulators?.control.config().integrationMethod ?? config.approvals.integrationMethod,
    })]));
    // Requests, audit entries and the drift baseline from before connectors were per pair are the first pair's.
    const legacy = await assignLegacyConnectorRecords(store, config.pairs[0]!.id);
    if (legacy.requests + legacy.auditEntries > 0 || legacy.baselineMoved) log.info({ ...legacy, pairId: config.pairs[0]!.id }, 'connector records from before pairs assigned to the first pair');
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
    const approvalServices = new Map(
      [...connectors].map(([pairId, connector]) => [
        pairId,
        createApprovalService({
          pairId,
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
        }),
      ]),
    );
    const approversChannels = createApproversChannels({
      settings: store.settings,
      audit: store.audit,
      isApprover: approvalRoleChecks(roles).isApprover,
      clock: () => new Date(),
    });

    // War rooms: a Teams group chat per incident, in the tenant of the conversation that asks, with
    // the identity that acts there (as for group membership).
    const teamsAppId = config.teamsAppId;
    const chats = createTenantChats({
      sources: { pairs: config.pairs, app: config.appIdentity },
      graphEndpoint: endpoints.graph,
      authorityHost: endpoints.authorityHost,
      ...(caCertPem ? { caCertPem } : {}),
    });
    const warRooms: WarRoomService | undefined = teamsAppId
      ? createWarRoomService({
          warRooms: store.warRooms,
          bridge: engine.api,
          chats: { createGroupChat: chats.createGroupChat, installApp: (tenantId, chatId) => chats.installApp(tenantId, chatId, teamsAppId) },
          holderId: replicaId,
          now: () => new Date(),
          log: log.child({ component: 'war-rooms' }),
        })
      : undefined;

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
      customers,
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
      ...(warRooms ? { warRooms } : {}),
      sender,
      log: log.child({ component: 'bot' }),
      features: [
        (application) => {
          registerApproverPresence(application, { identity, roles, directory: approverDirectory, tasks });
          connectorCards.publisher = registerConnectorRoutes(application, {
            pairs: config.pairs,
            services: approvalServices,
            approversChannels,
            tenants,
            customers,
            identity,
            refreshUserIds: () => approverDirectory.refreshUserIds(),
            sender,
            conversations: store.conversations,
            approvals: store.approvals,
            background: tasks,
            clock: () => new Date(),
            log,
          });
        },
      ],
    });
    const notifier = createNotifier({
      subscriptions: store.subscriptions,
      conversations: store.conversations,
      cards: store.cards,
      refreshes: store.cardRefreshes,
      events: store.changeEvents,
      sender,
      builders,
      latestOutcome: (linkId) => engine.api.latestEditOutcome(linkId),
      ...(warRooms ? { warRoomOf: (linkId: string) => warRooms.linkOf(linkId) } : {}),
      tenants,
      holderId: replicaId,
      allowedLinkHosts,
      people,
      escalations: escalationNotices,
      log: log.child({ component: 'notifier' }),
      metrics,
      ...(options.trace ? { trace: options.trace } : {}),
    });
    engine.api.subscribe(notifier);
    engine.api.subscribe(createOwnerNotices({ conversations: store.conversations, notices: store.notices, people, sender, tenants, log: log.child({ component: 'owner-notices' }) }));
    engine.api.subscribe(createTriageRecorder(triageDeps));

    const health = createHealthChecks({
      store: { description: db.target.kind === 'pglite' ? 'PGlite (embedded)' : 'PostgreSQL server', ping: () => db.query('select 1') },
      engine: () => engine.health(),
      portals: [...pairs.values()].flatMap((pair) => [
        { name: `defender:${pair.pairId}`, probe: () => pair.defender.get('0') },
        { name: `sentinel:${pair.pairId}`, probe: () => pair.sentinel.get('0') },
      ]),
    });

    // Without a bot id nothing authenticates requests: the server then listens on loopback only.
    // A turn's store calls go before background work's: someone in Teams waits for the answer.
    const http = createHttpServer({ adapter, app, health, metrics, runTurn: interactive, botAuthentication: config.bot.id !== undefined, shutdownGraceMs: DEFAULT_SHUTDOWN_GRACE_MS, log: log.child({ component: 'http' }) });
    const port = await http.listen(options.port ?? config.port, '0.0.0.0');
    shutdown.add({ name: 'http server', drain: () => http.close() });
    // The simulated Teams delivers install events (a war room chat's) to the bot, as Teams would.
    simulators?.teams.setBotEndpoint(`http://127.0.0.1:${port}/api/messages`);
    shutdown.add({ name: 'background tasks', drain: () => tasks.idle() });
    shutdown.add({
      name: 'teams notifier',
      // The dispatcher stops first (engine.stop stops it too; twice is harmless), so the notifier
      // gets no event after it closed; then the bursts it holds are sent at once. A burst not sent
      // by the end of the grace stays recorded in the store, released for another replica (or this
      // one after a restart) to send.
      drain: async () => {
        await engine.dispatcher.stop();
        await notifier.close();
      },
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
      shutdown.add({ name: 'sync engine', drain: () => engine.stop() });
      // Card updates another replica (or this process before a restart) recorded but did not send.
      notifier.start();
    }

    // Connector approvals: one replica (store lease) expires overdue requests and announces drift.
    if (options.startSync !== false && connectorCards.publisher) {
      const approvalScheduler = createApprovalScheduler({
        services: [...approvalServices.values()],
        publisher: connectorCards.publisher,
        leases: store.leases,
        replicaId,
        intervalMs: options.approvalCheckIntervalMs ?? DEFAULT_APPROVAL_SCHEDULER_INTERVAL_MS,
        log: log.child({ component: 'approvals' }),
      });
      approvalScheduler.start();
      shutdown.add({ name: 'approvals scheduler', drain: () => approvalScheduler.stop() });
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
