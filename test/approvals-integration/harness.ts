// The approvals service wired to REAL parts: the simulators (Entra ID, ARM Microsoft.SecurityInsights),
// the real Sentinel connector settings client (src/portals) and the real store on PGlite.
// Only the clock and the sleeps are injected, so expiry and backoff run without waiting.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startSimulators, type IntegrationMethod, type RequestLogEntry, type RunningSimulators } from '../../src/simulators/index.ts';
import { createConnectorSettingsClient, type DefenderConnectorSettingsClient } from '../../src/portals/index.ts';
import { openStore, type OpenedStore } from '../../src/store/store.ts';
import { createApprovalService, type ApprovalService, type ApprovalServiceDeps } from '../../src/approvals/service.ts';
import type { RequirementCheck } from '../../src/approvals/types.ts';
import { requirementChecksFrom } from '../../src/approvals/requirements.ts';
import type { Actor } from '../../src/domain/incident.ts';
import type { ApprovalRequest } from '../../src/store/ports.ts';
import { seedEmbeddedDatabase } from '../support/embedded-database.ts';

export const TENANT = '00000000-0000-4000-8000-0000000000e1';
export const APP = { clientId: '00000000-0000-4000-8000-0000000000e2', clientSecret: 'approvals-integration-secret' };
export const WORKSPACE = { subscriptionId: '00000000-0000-4000-8000-0000000000e3', resourceGroup: 'soc-rg', workspace: 'soc-workspace' };
export const SOC_PAIR = 'soc';
/** An MSSP customer: a tenant and workspace of its own in the same simulators, with its own connector. */
export const CUSTOMER_PAIR = 'fabrikam';
export const CUSTOMER_TENANT = '00000000-0000-4000-8000-0000000000f1';
export const CUSTOMER_WORKSPACE = { subscriptionId: '00000000-0000-4000-8000-0000000000f3', resourceGroup: 'fabrikam-rg', workspace: 'fabrikam-workspace' };

export const ALICE: Actor = { objectId: 'aaaaaaaa-0000-4000-8000-000000000001', upn: 'alice@contoso.com', displayName: 'Alice Requester' };
export const BOB: Actor = { objectId: 'bbbbbbbb-0000-4000-8000-000000000002', upn: 'bob@contoso.com', displayName: 'Bob Approver' };
export const CAROL: Actor = { objectId: 'cccccccc-0000-4000-8000-000000000003', upn: 'carol@contoso.com', displayName: 'Carol Approver' };
export const MALLORY: Actor = { objectId: 'dddddddd-0000-4000-8000-000000000004', upn: 'mallory@contoso.com', displayName: 'Mallory Analyst' };
/** Alice is an approver too: the four-eyes rule must still stop her approving her own request. */
export const APPROVER_IDS = new Set([ALICE.objectId, BOB.objectId, CAROL.objectId]);
/** Analysts who are not approvers. */
export const ANALYST_IDS = new Set([MALLORY.objectId]);

export interface IntegrationHarness {
  sims: RunningSimulators;
  opened: OpenedStore;
  /** The bridge's connector client, as start-bridge.ts builds it (real ARM pipeline, retries, etags). */
  connector: DefenderConnectorSettingsClient;
  /** Someone else writing the same workspace through ARM (a portal user, a script). */
  outside: DefenderConnectorSettingsClient;
  service: ApprovalService;
  /** The customer pair's connector, as the bridge and an outsider see it, and its service (same store). */
  customer: { connector: DefenderConnectorSettingsClient; outside: DefenderConnectorSettingsClient; service: ApprovalService };
  clock: { now(): Date; advance(ms: number): void };
  /** Waits the ARM pipeline and the service chose (Retry-After, backoff), in order. */
  pipelineSleeps: number[];
  serviceSleeps: number[];
  /** ARM writes to the connector's resources since `since` (request log index), as "METHOD path status". */
  connectorWrites(since?: number): string[];
  /** Current request-log length: pass to connectorWrites to see only what came after. */
  mark(): number;
  close(): Promise<void>;
}

/** Requests and audit rows wait for nothing: the SQL store answers when the write is done. */
/** Role checks for the service; default: the fixed APPROVER_IDS and ANALYST_IDS. */
export type RoleChecks = Pick<ApprovalServiceDeps, 'isApprover' | 'isAnalyst'>;

export async function startIntegrationHarness(options: { integrationMethod: IntegrationMethod; name: string; roles?: (sims: RunningSimulators) => RoleChecks }): Promise<IntegrationHarness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `approvals-${options.name}-`));
  await seedEmbeddedDatabase(dataDir);
  const sims = await startSimulators({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    tenantId: TENANT,
    apps: [{ ...APP, graphRoles: ['SecurityIncident.ReadWrite.All', 'User.Read.All', 'GroupMember.Read.All'], armAccess: true }],
    ...WORKSPACE,
    additionalTenants: [{ tenantId: CUSTOMER_TENANT, ...CUSTOMER_WORKSPACE }],
    integrationMethod: options.integrationMethod,
    azurePortalDelayMs: 0,
    nativeSync: false,
    // Each approval reads the connector three times (3 ARM GETs each) and the suite runs back to
    // back without waiting, faster than ARM's 25 reads/s refill; throttling is tested with faults.
    armBucket: { readCapacity: 100_000, readRefillPerSecond: 10_000, writeCapacity: 100_000, writeRefillPerSecond: 10_000 },
    scenario: { enabled: false },
    onError: () => {},
  });
  const opened = await openStore({ dataDir });
  const pipelineSleeps: number[] = [];
  const serviceSleeps: number[] = [];
  const common = {
    tenantId: TENANT,
    ...APP,
    authorityHost: sims.url,
    armEndpoint: sims.url,
    caCertPem: sims.caCertPem,
    ...WORKSPACE,
    integrationMethod: options.integrationMethod,
  };
  const connector = createConnectorSettingsClient({
    ...common,
    sleep: async (ms) => {
      pipelineSleeps.push(ms);
    },
  });
  const outside = createConnectorSettingsClient({ ...common, sleep: async () => {} });
  let nowMs = Date.now();
  const clock = {
    now: () => new Date(nowMs),
    advance(ms: number) {
      nowMs += ms;
    },
  };
  const serviceFor = (pairId: string, client: DefenderConnectorSettingsClient) =>
    createApprovalService({
      pairId,
      // As start-bridge.ts wires it: the client's requirement states become named checks.
      connector: {
        read: () => client.read(),
        write: (base, next) => client.write(base, next),
        checkRequirements: async (): Promise<RequirementCheck[]> => requirementChecksFrom(await client.checkRequirements()),
      },
      approvals: opened.store.approvals,
      audit: opened.store.audit,
      settings: opened.store.settings,
      ...(options.roles?.(sims) ?? {
        isApprover: (actor: Actor) => APPROVER_IDS.has(actor.objectId),
        isAnalyst: (actor: Actor) => ANALYST_IDS.has(actor.objectId),
      }),
      clock: clock.now,
      newId: randomUUID,
      sleep: async (ms) => {
        serviceSleeps.push(ms);
      },
      random: () => 0.5,
    });
  const service = serviceFor(SOC_PAIR, connector);
  const customerCommon = { ...common, tenantId: CUSTOMER_TENANT, ...CUSTOMER_WORKSPACE };
  const customerConnector = createConnectorSettingsClient({ ...customerCommon, sleep: async () => {} });
  const customer = {
    connector: customerConnector,
    outside: createConnectorSettingsClient({ ...customerCommon, sleep: async () => {} }),
    service: serviceFor(CUSTOMER_PAIR, customerConnector),
  };
  const isConnectorResource = (entry: RequestLogEntry) =>
    entry.api === 'arm' && entry.method !== 'GET' && /\/(dataConnectors|alertRules|settings)\//.test(entry.url);
  return {
    sims,
    opened,
    connector,
    outside,
    service,
    customer,
    clock,
    pipelineSleeps,
    serviceSleeps,
    mark: () => sims.control.requests().recent.length,
    connectorWrites(since = 0) {
      return sims.control
        .requests()
        .recent.slice(since)
        .filter(isConnectorResource)
        .map((e) => `${e.method} ${e.url.split('?')[0]!.replace(/^.*\/providers\/Microsoft\.SecurityInsights\//, '')} ${e.status}`);
    },
    async close() {
      await opened.store.close().catch(() => {});
      await sims.close().catch(() => {});
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Closes whatever earlier tests left open and makes the live configuration the drift baseline. */
export async function settle(h: IntegrationHarness): Promise<void> {
  h.sims.control.clearFaults();
  for (const service of [h.service, h.customer.service]) {
    for (const pending of await h.opened.store.approvals.list({ pairId: service.pairId, states: ['pending'], limit: 100 })) {
      await service.reject(pending.id, pending.requester.objectId === BOB.objectId ? CAROL : BOB, 'test cleanup');
    }
    await service.detectDrift();
  }
  h.pipelineSleeps.length = 0;
  h.serviceSleeps.length = 0;
}

export function outcomeOf(request: ApprovalRequest | null): Record<string, unknown> {
  return (request?.outcome ?? {}) as Record<string, unknown>;
}
