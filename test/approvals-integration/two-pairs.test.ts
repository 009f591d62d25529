// An MSSP's two pairs against the real simulators (two tenants, two workspaces, one ARM), the real
// connector clients and the real store (PGlite), through Teams turns: a change approved for one
// customer is written to that customer's workspace only, each customer's requests and audit trail
// stay its own, and drift on one pair is found and announced for that pair only.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { MemoryStorage, TestAdapter, type Activity } from 'botbuilder';
import { Application } from '@microsoft/teams-ai';
import { registerConnectorRoutes, type ConnectorCardPublisher } from '../../src/bot/routes/connector.ts';
import { createBackgroundTasks, type BackgroundTasks } from '../../src/bot/background.ts';
import type { ProactiveReference, TeamsSender } from '../../src/bot/ports.ts';
import { createApprovalScheduler } from '../../src/approvals/scheduler.ts';
import { createApproversChannels } from '../../src/approvals/approvers-channel.ts';
import { createTenantPolicy } from '../../src/bot/tenant-policy.ts';
import { createCustomerNames } from '../../src/domain/pair-names.ts';
import type { Actor } from '../../src/domain/incident.ts';
import {
  ALICE,
  APPROVER_IDS,
  BOB,
  CUSTOMER_PAIR,
  CUSTOMER_TENANT,
  CUSTOMER_WORKSPACE,
  SOC_PAIR,
  TENANT,
  WORKSPACE,
  settle,
  startIntegrationHarness,
  type IntegrationHarness,
} from './harness.ts';

const SOC_TENANT = 'tenant-1';
const APPROVERS_CHANNEL = '19:approvers@thread.tacv2';
const SOC_CHAT = '19:soc-analysts@thread.v2';
const USERS: Record<string, Actor> = { '29:alice': ALICE, '29:bob': BOB };
const PAIRS = [
  { id: SOC_PAIR, name: 'Northwind SOC', tenantId: TENANT, sharedWith: [] },
  { id: CUSTOMER_PAIR, name: 'Fabrikam Inc', tenantId: CUSTOMER_TENANT, sharedWith: [] },
];

let h: IntegrationHarness;
let adapter: TestAdapter;
let publisher: ConnectorCardPublisher;
let background: BackgroundTasks;
const sent: { conversationId: string; activity: Partial<Activity>; id: string }[] = [];

beforeAll(async () => {
  h = await startIntegrationHarness({ integrationMethod: 'defenderPortal', name: 'two-pairs' });
  await settle(h);
  const sender: TeamsSender = {
    async send(reference: ProactiveReference, activity) {
      const posted = { conversationId: reference.conversation?.id ?? '', activity, id: `posted-${sent.length + 1}` };
      sent.push(posted);
      return { id: posted.id };
    },
    async update() {},
    async reply() {
      throw new Error('not used by connector routes');
    },
  };
  background = createBackgroundTasks();
  const app = new Application({ storage: new MemoryStorage() });
  publisher = registerConnectorRoutes(app, {
    pairs: PAIRS,
    services: new Map([[SOC_PAIR, h.service], [CUSTOMER_PAIR, h.customer.service]]),
    approversChannels: createApproversChannels({
      settings: h.opened.store.settings,
      audit: h.opened.store.audit,
      isApprover: async (actor) => APPROVER_IDS.has(actor.objectId),
      clock: h.clock.now,
    }),
    tenants: createTenantPolicy({ allowedTenants: [SOC_TENANT], pairs: PAIRS }),
    customers: createCustomerNames(PAIRS),
    identity: { actorOf: async (context) => USERS[context.activity.from.id] ?? null },
    sender,
    conversations: h.opened.store.conversations,
    approvals: h.opened.store.approvals,
    background,
    clock: h.clock.now,
  });
  adapter = new TestAdapter(async (context) => {
    await app.run(context);
  });
  // Two tenants' simulated workspaces and connectors to set up: slower than one on a busy machine.
}, 60_000);

afterAll(async () => {
  await background?.idle();
  await h?.close();
});

function message(text: string, from: string, conversationId: string): Partial<Activity> {
  const conversationType = conversationId === APPROVERS_CHANNEL ? 'channel' : 'groupChat';
  return {
    type: 'message',
    channelId: 'msteams',
    text,
    from: { id: from, name: USERS[from]?.displayName ?? from, aadObjectId: USERS[from]?.objectId },
    conversation: { id: conversationId, conversationType, tenantId: SOC_TENANT, isGroup: true, name: '' },
    channelData: { tenant: { id: SOC_TENANT } },
    serviceUrl: 'https://smba.example/',
  };
}

function invoke(verb: string, data: Record<string, unknown>, from: string, conversationId: string, replyToId: string): Partial<Activity> {
  return { ...message('', from, conversationId), type: 'invoke', name: 'adaptiveCard/action', replyToId, value: { action: { type: 'Action.Execute', verb, data } } };
}

async function turn(activity: Partial<Activity>): Promise<Partial<Activity>[]> {
  const before = adapter.activeQueue.length;
  await adapter.processActivity(activity);
  return adapter.activeQueue.splice(before);
}

function invokeAnswer(replies: Partial<Activity>[]): string {
  const response = replies.find((r) => r.type === 'invokeResponse');
  const body = (response?.value as { body: { type: string; value: unknown } }).body;
  return typeof body.value === 'string' ? body.value : JSON.stringify(body.value);
}

/** ARM writes since `mark` to the connector resources of `workspace`. */
function writesTo(workspace: string, mark: number): string[] {
  return h.sims.control
    .requests()
    .recent.slice(mark)
    .filter((e) => e.api === 'arm' && e.method !== 'GET' && e.url.includes(`/workspaces/${workspace}/`))
    .map((e) => `${e.method} ${e.url.split('?')[0]!.replace(/^.*\/providers\/Microsoft\.SecurityInsights\//, '')} ${e.status}`);
}

describe("an MSSP's two pairs: connectors changed independently", () => {
  test("approved for Fabrikam: written to Fabrikam's workspace only; each pair's history and audit are its own", async () => {
    await turn(message('/connector approvers', '29:bob', APPROVERS_CHANNEL));
    const socBefore = await h.outside.read();
    const live = await h.customer.connector.read();
    const mark = h.mark();
    const form = {
      integrationMethod: 'defenderPortal', incidentsAndAlerts: 'true', turnOffIncidentCreationRules: 'true', entities: String(live.config.entities),
      eventTypes: [...live.config.eventTypes, 'CloudAppEvents'].join(','), reason: 'Fabrikam hunts OAuth abuse', formVersion: live.version, pairId: CUSTOMER_PAIR,
    };
    await turn(invoke('connectorSubmit', form, '29:alice', SOC_CHAT, 'form-activity'));
    const posted = sent.find((s) => s.conversationId === APPROVERS_CHANNEL)!;
    expect(JSON.stringify(posted.activity)).toContain('Customer: Fabrikam Inc');
    const [request] = await h.opened.store.approvals.list({ pairId: CUSTOMER_PAIR, states: ['pending'] });
    expect(await h.opened.store.approvals.list({ pairId: SOC_PAIR, states: ['pending'] })).toEqual([]);

    expect(invokeAnswer(await turn(invoke('connectorApprove', { approvalId: request!.id }, '29:bob', APPROVERS_CHANNEL, posted.id)))).toContain('Applied');
    expect(writesTo(CUSTOMER_WORKSPACE.workspace, mark)).toEqual([expect.stringMatching(/^PUT dataConnectors\/\S+ 200$/)]);
    expect(writesTo(WORKSPACE.workspace, mark)).toEqual([]);
    expect((await h.customer.outside.read()).config.eventTypes).toContain('CloudAppEvents');
    const socAfter = await h.outside.read();
    expect(socAfter.version).toBe(socBefore.version);
    expect(socAfter.config).toEqual(socBefore.config);

    const fabrikamHistory = JSON.stringify((await turn(message('/connector history tenant="fabrikam inc"', '29:alice', SOC_CHAT)))[0]?.attachments);
    expect(fabrikamHistory).toContain('Fabrikam hunts OAuth abuse');
    const socHistory = JSON.stringify((await turn(message('/connector history tenant=soc', '29:alice', SOC_CHAT)))[0]?.attachments);
    expect(socHistory).not.toContain('Fabrikam hunts OAuth abuse');
    const trail = await h.opened.store.audit.list({ subject: `approval:${request!.id}` });
    expect(trail.map((e) => [e.action, e.pairId])).toEqual([
      ['approval.requested', CUSTOMER_PAIR],
      ['approval.approved', CUSTOMER_PAIR],
      ['connector.applied', CUSTOMER_PAIR],
    ]);
    await background.idle();
  });

  test("drift on the SOC's workspace only: found and announced for that pair, Fabrikam's connector and requests untouched", async () => {
    const scheduler = createApprovalScheduler({
      services: [h.service, h.customer.service],
      publisher,
      leases: h.opened.store.leases,
      replicaId: 'replica-a',
      leaseName: 'approvals:scheduler:two-pairs',
    });
    try {
      expect(await scheduler.runOnce()).toMatchObject({ holder: true, announced: [], errors: 0 });
      const live = await h.customer.connector.read();
      const { request: pending } = await h.customer.service.request(ALICE, { ...live.config, entities: !live.config.entities }, 'Fabrikam entities');
      const soc = await h.outside.read();
      await h.outside.write(soc, { ...soc.config, eventTypes: [...soc.config.eventTypes, 'EmailEvents'] });
      const before = sent.length;

      const tick = await scheduler.runOnce();
      expect(tick).toMatchObject({ holder: true, announced: [SOC_PAIR], errors: 0 });
      expect(tick.drifts.map((d) => [d.pairId, d.drifted])).toEqual([[SOC_PAIR, true], [CUSTOMER_PAIR, false]]);
      const announcements = sent.slice(before);
      expect(announcements).toHaveLength(1);
      expect(announcements[0]?.activity.text).toMatch(/changed outside the bridge \\\(customer: Northwind SOC\\\)[\s\S]*Event tables: add EmailEvents/);
      expect((await h.customer.service.get(pending.id))?.state).toBe('pending');
      const drifts = (await h.opened.store.audit.list({ subject: 'connector:defender-xdr' })).filter((e) => e.action === 'connector.drift');
      expect(drifts.map((e) => e.pairId)).toEqual([SOC_PAIR]);
    } finally {
      await scheduler.stop();
    }
  });
});
