// Drives real turns through teams-ai's Application with botbuilder's TestAdapter.
import { describe, test, expect } from '@jest/globals';
import { MemoryStorage, TestAdapter, type Activity } from 'botbuilder';
import { Application } from '@microsoft/teams-ai';
import { createApprovalService, type ApprovalService } from '../../src/approvals/service.ts';
import { createApproversChannels } from '../../src/approvals/approvers-channel.ts';
import { CONNECTOR_NOT_HERE, createConnectorCardPublisher, registerConnectorRoutes, parseConnectorCommand, type ConnectorRouteDeps } from '../../src/bot/routes/connector.ts';
import { createTenantPolicy } from '../../src/bot/tenant-policy.ts';
import { createCustomerNames } from '../../src/domain/pair-names.ts';
import type { DriftReport } from '../../src/approvals/types.ts';
import { createBackgroundTasks } from '../../src/bot/background.ts';
import type { ProactiveReference, TeamsSender } from '../../src/bot/ports.ts';
import type { ConversationRecord, ConversationRepository } from '../../src/store/ports.ts';
import type { Actor } from '../../src/domain/incident.ts';
import { INTEGRATION_METHOD_NOT_WRITABLE } from '../../src/domain/connector.ts';
import {
  ALICE,
  ANALYST_IDS,
  APPROVER_IDS,
  BASE_CONFIG,
  BOB,
  MALLORY,
  PAIR_ID,
  VIOLET,
  createFakeConnector,
  type FakeConnector,
  createManualClock,
  createMemoryApprovals,
  createMemoryAudit,
  createMemorySettings,
} from './fakes.ts';

const APPROVERS_CHANNEL = '19:approvers@thread.tacv2';
const SOC_CHAT = 'a:soc-chat';
/** The SOC's tenant (ALLOWED_TENANTS): it manages every pair's connector. */
const SOC_TENANT = 'tenant-1';

interface TestPair {
  id: string;
  name?: string;
  tenantId: string;
  sharedWith: string[];
}
const ONE_PAIR: TestPair[] = [{ id: PAIR_ID, tenantId: 'soc-workspace-tenant', sharedWith: [] }];

function memoryConversations(): Pick<ConversationRepository, 'get' | 'upsert'> & { rows: Map<string, ConversationRecord> } {
  const rows = new Map<string, ConversationRecord>();
  return {
    rows,
    async get(id) {
      return rows.get(id) ?? null;
    },
    async upsert(draft) {
      const record: ConversationRecord = { ...draft, active: true, updatedAt: '2026-03-02T09:00:00.000Z' };
      rows.set(record.id, record);
      return record;
    },
  };
}

function fakeSender() {
  const sent: { conversationId: string; activity: Partial<Activity>; id: string }[] = [];
  const updated: { conversationId: string; activityId: string; activity: Partial<Activity> }[] = [];
  const sender: TeamsSender = {
    async send(reference: ProactiveReference, activity) {
      const id = `posted-${sent.length + 1}`;
      sent.push({ conversationId: reference.conversation?.id ?? '', activity, id });
      return { id };
    },
    async update(reference, activityId, activity) {
      updated.push({ conversationId: reference.conversation?.id ?? '', activityId, activity });
    },
    async reply() {
      throw new Error('not used');
    },
  };
  return { sender, sent, updated };
}

const USERS: Record<string, Actor> = { '29:alice': ALICE, '29:bob': BOB, '29:mallory': MALLORY, '29:violet': VIOLET };

function setup(options: { pairs?: TestPair[] } = {}) {
  const clock = createManualClock();
  const pairs = options.pairs ?? ONE_PAIR;
  const approvals = createMemoryApprovals(clock.now);
  const settings = createMemorySettings();
  const audit = createMemoryAudit();
  let n = 0;
  const connectors = new Map<string, FakeConnector>();
  const services = new Map<string, ApprovalService>();
  for (const pair of pairs) {
    const connector = createFakeConnector(BASE_CONFIG, clock.now);
    connectors.set(pair.id, connector);
    services.set(pair.id, createApprovalService({
      pairId: pair.id,
      connector,
      approvals,
      audit,
      settings,
      isApprover: (actor) => APPROVER_IDS.has(actor.objectId),
      isAnalyst: (actor) => ANALYST_IDS.has(actor.objectId),
      clock: clock.now,
      newId: () => `req-${++n}`,
      sleep: async () => {},
    }));
  }
  const approversChannels = createApproversChannels({ settings, audit, isApprover: async (actor) => APPROVER_IDS.has(actor.objectId), clock: clock.now });
  const conversations = memoryConversations();
  const { sender, sent, updated } = fakeSender();
  const background = createBackgroundTasks();
  const app = new Application({ storage: new MemoryStorage() });
  const deps: ConnectorRouteDeps = {
    pairs,
    services,
    approversChannels,
    tenants: createTenantPolicy({ allowedTenants: [SOC_TENANT], pairs }),
    customers: createCustomerNames(pairs),
    identity: { actorOf: async (context) => USERS[context.activity.from.id] ?? null },
    sender,
    conversations,
    approvals,
    background,
    clock: clock.now,
    refreshUserIds: async () => ['29:bob', '29:carol'],
  };
  registerConnectorRoutes(app, deps);
  const adapter = new TestAdapter(async (context) => {
    await app.run(context);
  });
  const service = services.get(pairs[0]!.id)!;
  const connector = connectors.get(pairs[0]!.id)!;
  return { adapter, deps, service, services, connector, connectors, approvals, approversChannels, conversations, sent, updated, background, settings, audit };
}

function message(text: string, from: string, conversationId: string, conversationType: string, tenantId = SOC_TENANT): Partial<Activity> {
  return {
    type: 'message',
    channelId: 'msteams',
    text,
    from: { id: from, name: USERS[from]?.displayName ?? from, aadObjectId: USERS[from]?.objectId },
    conversation: { id: conversationId, conversationType, tenantId, isGroup: conversationType !== 'personal', name: '' },
    channelData: { tenant: { id: tenantId } },
    serviceUrl: 'https://smba.example/',
  };
}

function invoke(verb: string, data: Record<string, unknown>, from: string, conversationId: string, replyToId: string, tenantId = SOC_TENANT): Partial<Activity> {
  return {
    ...message('', from, conversationId, conversationId === APPROVERS_CHANNEL ? 'channel' : 'groupChat', tenantId),
    type: 'invoke',
    name: 'adaptiveCard/action',
    replyToId,
    value: { action: { type: 'Action.Execute', verb, data } },
  };
}

/** Sends one activity and returns what the bot sent back in that turn. */
async function turn(adapter: TestAdapter, activity: Partial<Activity>): Promise<Partial<Activity>[]> {
  const before = adapter.activeQueue.length;
  await adapter.processActivity(activity);
  const replies = adapter.activeQueue.splice(before);
  return replies;
}

function invokeCard(replies: Partial<Activity>[]): { actions?: { verb: string }[]; body: unknown[] } | string {
  const response = replies.find((r) => r.type === 'invokeResponse');
  const body = (response?.value as { body: { type: string; value: unknown } }).body;
  return body.type === 'application/vnd.microsoft.card.adaptive' ? (body.value as { body: unknown[] }) : (body.value as string);
}

function verbs(card: unknown): string[] {
  return typeof card === 'string' ? [] : ((card as { actions?: { verb: string }[] }).actions ?? []).map((a) => a.verb);
}

describe('/connector routes', () => {
  test('parses commands with and without the bot mention', () => {
    expect(parseConnectorCommand('<at>Bridge</at> /connector status')).toEqual({ kind: 'status' });
    expect(parseConnectorCommand('/connector history 5')).toEqual({ kind: 'history', limit: 5 });
    expect(parseConnectorCommand('/connector history tenant=contoso 5')).toEqual({ kind: 'history', limit: 5, pair: 'contoso' });
    expect(parseConnectorCommand('/connector status tenant="Contoso Ltd"')).toEqual({ kind: 'status', pair: 'Contoso Ltd' });
    expect(parseConnectorCommand('/connector request tenant=“Contoso Ltd”')).toEqual({ kind: 'request', pair: 'Contoso Ltd' });
    expect(parseConnectorCommand('/connector approvers tenant=')).toEqual({ kind: 'approvers', pair: '' });
    expect(parseConnectorCommand('/connector status tenant=a tenant=b')).toMatchObject({ kind: 'help', problem: 'Give tenant= once.' });
    expect(parseConnectorCommand('/connector status now').kind).toBe('help');
    expect(parseConnectorCommand('/connector history 500').kind).toBe('help');
    expect(parseConnectorCommand('/connector wipe').kind).toBe('help');
  });

  test('full flow: approvers channel, request, self-approval refused, approve, cards updated in place', async () => {
    const t = setup();
    // A non-approver cannot claim the approvers' channel; an approver can.
    const refused = await turn(t.adapter, message('<at>Bridge</at> /connector approvers', '29:mallory', APPROVERS_CHANNEL, 'channel'));
    expect(refused[0]?.text).toMatch(/Only connector approvers/);
    await turn(t.adapter, message('/connector approvers', '29:bob', APPROVERS_CHANNEL, 'channel'));
    expect(await t.approversChannels.channelOf(PAIR_ID)).toEqual({ conversationId: APPROVERS_CHANNEL, scope: 'every-pair' });

    // Status and request form.
    const status = await turn(t.adapter, message('<at>Bridge</at> /connector status', '29:alice', SOC_CHAT, 'groupChat'));
    expect(JSON.stringify(status[0]?.attachments)).toContain('Defender XDR connector');
    const form = await turn(t.adapter, message('/connector request', '29:alice', SOC_CHAT, 'groupChat'));
    expect(JSON.stringify(form[0]?.attachments)).toContain('connectorSubmit');

    // Submit: the request card replaces the form and is posted to the approvers' channel.
    const submitted = await turn(
      t.adapter,
      invoke('connectorSubmit', {
        integrationMethod: 'azurePortal', incidentsAndAlerts: 'true', turnOffIncidentCreationRules: 'true', entities: 'false',
        eventTypes: 'DeviceProcessEvents,EmailEvents,CloudAppEvents', reason: 'Hunt OAuth abuse', formVersion: 'v1',
      }, '29:alice', SOC_CHAT, 'form-activity'),
    );
    expect(verbs(invokeCard(submitted))).toEqual([]); // the requester sees no buttons
    expect(t.sent).toHaveLength(1);
    expect(t.sent[0]?.conversationId).toBe(APPROVERS_CHANNEL);
    expect(JSON.stringify(t.sent[0]?.activity)).not.toContain('connectorApprove'); // shared view: no buttons
    const request = await t.service.get('req-1');
    expect(request?.cards).toEqual({ [SOC_CHAT]: 'form-activity', [APPROVERS_CHANNEL]: 'posted-1' });

    // Per-user refresh: the approver gets buttons, the requester does not.
    const bobView = await turn(t.adapter, invoke('connectorRefresh', { approvalId: 'req-1' }, '29:bob', APPROVERS_CHANNEL, 'posted-1'));
    expect(verbs(invokeCard(bobView))).toEqual(['connectorApprove', 'connectorReject']);
    const aliceView = await turn(t.adapter, invoke('connectorRefresh', { approvalId: 'req-1' }, '29:alice', APPROVERS_CHANNEL, 'posted-1'));
    expect(verbs(invokeCard(aliceView))).toEqual([]);

    // Self-approval is refused with the four-eyes message; nothing is applied.
    const self = await turn(t.adapter, invoke('connectorApprove', { approvalId: 'req-1' }, '29:alice', APPROVERS_CHANNEL, 'posted-1'));
    expect(invokeCard(self)).toMatch(/four-eyes/);
    expect(t.connector.writes).toHaveLength(0);

    // Bob approves: applied; both cards are updated in place with the outcome.
    const approved = await turn(t.adapter, invoke('connectorApprove', { approvalId: 'req-1' }, '29:bob', APPROVERS_CHANNEL, 'posted-1'));
    expect(JSON.stringify(invokeCard(approved))).toContain('Applied');
    await t.background.idle();
    expect(t.connector.current().config.eventTypes).toContain('CloudAppEvents');
    const lastUpdates = new Map(t.updated.map((u) => [u.conversationId, u]));
    expect([...lastUpdates.keys()].sort()).toEqual([SOC_CHAT, APPROVERS_CHANNEL].sort());
    for (const u of lastUpdates.values()) expect(JSON.stringify(u.activity)).toContain('Applied');
    expect(lastUpdates.get(APPROVERS_CHANNEL)?.activityId).toBe('posted-1');
    expect(lastUpdates.get(SOC_CHAT)?.activityId).toBe('form-activity');

    const history = await turn(t.adapter, message('/connector history', '29:mallory', SOC_CHAT, 'groupChat'));
    expect(JSON.stringify(history[0]?.attachments)).toContain('Approved by Bob Approver');
  });

  test('a viewer gets no request form and cannot submit one; an analyst can, and an approver decides', async () => {
    const t = setup();
    const FORM = {
      integrationMethod: 'azurePortal', incidentsAndAlerts: 'true', turnOffIncidentCreationRules: 'true', entities: 'false',
      eventTypes: 'DeviceProcessEvents,EmailEvents,CloudAppEvents', reason: 'Hunt OAuth abuse', formVersion: 'v1',
    };
    const noForm = await turn(t.adapter, message('/connector request', '29:violet', SOC_CHAT, 'groupChat'));
    expect(noForm).toHaveLength(1);
    expect(noForm[0]?.text).toMatch(/Only analysts can request connector changes/);
    expect(JSON.stringify(noForm[0]?.attachments ?? [])).not.toContain('connectorSubmit');

    // A hand-made submit (or an old form passed on) is refused too, before the form is read.
    const refused = await turn(t.adapter, invoke('connectorSubmit', FORM, '29:violet', SOC_CHAT, 'form-activity'));
    expect(invokeCard(refused)).toMatch(/Only analysts can request connector changes/);
    expect(await t.service.get('req-1')).toBeNull();
    expect(t.sent).toHaveLength(0);

    const form = await turn(t.adapter, message('/connector request', '29:mallory', SOC_CHAT, 'groupChat'));
    expect(JSON.stringify(form[0]?.attachments)).toContain('connectorSubmit');
    await turn(t.adapter, invoke('connectorSubmit', FORM, '29:mallory', SOC_CHAT, 'form-activity'));
    expect((await t.service.get('req-1'))?.requester).toEqual(MALLORY);
    const approved = await turn(t.adapter, invoke('connectorApprove', { approvalId: 'req-1' }, '29:bob', SOC_CHAT, 'form-activity'));
    expect(JSON.stringify(invokeCard(approved))).toContain('Applied');
  });

  test("a conversation whose tenant may not see the connector's pair gets neither its settings nor its verbs", async () => {
    const t = setup();
    const STRANGER = 'tenant-not-served';
    for (const command of ['/connector status', '/connector history', '/connector request']) {
      const replies = await turn(t.adapter, message(command, '29:mallory', SOC_CHAT, 'groupChat', STRANGER));
      expect(replies).toHaveLength(1);
      expect(replies[0]?.text).toBe(CONNECTOR_NOT_HERE);
      expect(replies[0]?.attachments ?? []).toEqual([]);
    }
    await t.service.request(MALLORY, { ...BASE_CONFIG, entities: true }, 'Entities please');
    for (const [verb, data] of [['connectorApprove', { approvalId: 'req-1' }], ['connectorRefresh', { view: 'status' }], ['connectorRefresh', { approvalId: 'req-1' }]] as const) {
      expect(invokeCard(await turn(t.adapter, invoke(verb, data, '29:bob', SOC_CHAT, 'card', STRANGER)))).toMatch(/^(The Defender XDR connector's settings are managed from the SOC's tenant|No connector change request with that id can be managed here)/);
    }
    expect((await t.service.get('req-1'))?.state).toBe('pending');
  });

  test.each([
    ['no \ud800', /The reason contains a broken character/],
    ['looks fine\u202Eenilno', /The reason contains a text-direction character \(U\+202E\)/],
  ])('a reject reason %j is refused by name (the rule for all typed text) and nothing is decided', async (rejectReason, refusal) => {
    const t = setup();
    await t.service.request(MALLORY, { ...BASE_CONFIG, entities: true }, 'Entities please');
    const replies = await turn(t.adapter, invoke('connectorReject', { approvalId: 'req-1', rejectReason }, '29:bob', SOC_CHAT, 'card'));
    expect(invokeCard(replies)).toMatch(refusal);
    expect((await t.service.get('req-1'))?.state).toBe('pending');
  });

  test('a form asking for another integration method is refused at submit, saying why, and never reaches an approver', async () => {
    const t = setup();
    await turn(t.adapter, message('/connector approvers', '29:bob', APPROVERS_CHANNEL, 'channel'));
    // The form offers no such choice; a hand-made submit (any client can post any data) asks anyway.
    const replies = await turn(t.adapter, invoke('connectorSubmit', {
      integrationMethod: 'defenderPortal', incidentsAndAlerts: 'true', turnOffIncidentCreationRules: 'true', entities: 'true',
      eventTypes: 'DeviceProcessEvents,EmailEvents', reason: 'Move to the unified portal', formVersion: 'v1',
    }, '29:alice', SOC_CHAT, 'form-activity'));
    expect(invokeCard(replies)).toContain(INTEGRATION_METHOD_NOT_WRITABLE);
    expect(await t.service.get('req-1')).toBeNull();
    expect(await t.service.history()).toEqual([]);
    expect(t.sent).toHaveLength(0);
    expect(t.connector.writes).toHaveLength(0);
  });

  test('an invalid form is refused with what to fix', async () => {
    const t = setup();
    const replies = await turn(t.adapter, invoke('connectorSubmit', { integrationMethod: 'azurePortal', incidentsAndAlerts: 'true', turnOffIncidentCreationRules: 'true', entities: 'false', eventTypes: 'SigninLogs', reason: 'x' }, '29:alice', SOC_CHAT, 'form'));
    expect(invokeCard(replies)).toMatch(/"SigninLogs" is not an advanced hunting table/);
    expect(await t.service.get('req-1')).toBeNull();
  });
});

describe('/connector with several pairs (an MSSP)', () => {
  const CONTOSO_TENANT = 'contoso-tenant';
  const FABRIKAM_TENANT = 'fabrikam-tenant';
  const PAIRS: TestPair[] = [
    { id: 'contoso', name: 'Contoso Ltd', tenantId: CONTOSO_TENANT, sharedWith: [] },
    // Fabrikam shares its incidents with Contoso: not its connector.
    { id: 'fabrikam', tenantId: FABRIKAM_TENANT, sharedWith: ['contoso'] },
  ];
  const CONTOSO_CHAT = 'a:contoso-chat';
  const CONTOSO_APPROVERS = '19:contoso-approvers@thread.tacv2';
  const FORM = {
    integrationMethod: 'azurePortal', incidentsAndAlerts: 'true', turnOffIncidentCreationRules: 'true', entities: 'false',
    eventTypes: 'DeviceProcessEvents,EmailEvents,CloudAppEvents', reason: 'Hunt OAuth abuse', formVersion: 'v1',
  };
  const text = (replies: Partial<Activity>[]) => replies.map((r) => r.text ?? JSON.stringify(r.attachments)).join('\n');
  /** What a reader sees of a Markdown message: the escapes and zero-width breaks taken out. */
  const shown = (markdown: string | undefined) => (markdown ?? '').replace(/\u200b/g, '').replace(/\\(.)/g, '$1');

  test('in the SOC, no tenant= is an error naming the pairs; tenant= takes an id or a name', async () => {
    const t = setup({ pairs: PAIRS });
    for (const command of ['/connector status', '/connector request', '/connector history']) {
      const replies = await turn(t.adapter, message(command, '29:alice', SOC_CHAT, 'groupChat'));
      expect(replies).toHaveLength(1);
      expect(shown(replies[0]?.text)).toBe("Several customers' connectors are managed here; say which with tenant=<pair id or name>: Contoso Ltd (contoso), fabrikam.");
    }
    const byId = text(await turn(t.adapter, message('/connector status tenant=fabrikam', '29:alice', SOC_CHAT, 'groupChat')));
    expect(byId).toContain('Customer: fabrikam');
    expect(byId).toContain('"data":{"view":"status","pairId":"fabrikam"}');
    const byName = text(await turn(t.adapter, message('/connector status tenant="contoso ltd"', '29:alice', SOC_CHAT, 'groupChat')));
    expect(byName).toContain('Customer: Contoso Ltd');
    const history = text(await turn(t.adapter, message('/connector history 3 tenant=CONTOSO', '29:alice', SOC_CHAT, 'groupChat')));
    expect(history).toContain('Defender XDR connector changes');
  });

  test.each([
    ['tenant=nope', 'No pair "nope" has a connector managed here. Pairs here: Contoso Ltd (contoso), fabrikam.'],
    ['tenant=', 'tenant= needs a pair id or name: Contoso Ltd (contoso), fabrikam.'],
    [`tenant=${'x'.repeat(81)}`, 'The tenant= value is longer than 80 characters; no pair has such an id or name.'],
    ['tenant="<at>Bob</at> **[x](https://evil.example)**"', 'No pair "<at>Bob</at> **[x](https://evil.example)**" has a connector managed here.'],
  ])('a hostile or unknown %s gets a clear, escaped error and nothing else', async (argument, answer) => {
    const t = setup({ pairs: PAIRS });
    const replies = await turn(t.adapter, message(`/connector status ${argument}`, '29:alice', SOC_CHAT, 'groupChat'));
    expect(replies).toHaveLength(1);
    expect(replies[0]?.attachments ?? []).toEqual([]);
    expect(shown(replies[0]?.text)).toContain(answer);
    // Markup typed into tenant= comes back as text: no mention, no emphasis, no link.
    expect(replies[0]?.text).not.toMatch(/<at>|\*\*\[|\]\(/);
  });

  test("a customer's conversation manages its own pair's connector without tenant=, and never another's", async () => {
    const t = setup({ pairs: PAIRS });
    const own = text(await turn(t.adapter, message('/connector status', '29:alice', CONTOSO_CHAT, 'groupChat', CONTOSO_TENANT)));
    expect(own).toContain('Customer: Contoso Ltd');
    // Fabrikam shares incidents with Contoso, not its connector: as if it did not exist.
    const other = await turn(t.adapter, message('/connector status tenant=fabrikam', '29:alice', CONTOSO_CHAT, 'groupChat', CONTOSO_TENANT));
    expect(shown(other[0]?.text)).toBe('No pair "fabrikam" has a connector managed here. The pair here is Contoso Ltd (contoso).');

    // A click or a hand-made submit naming Fabrikam's request or pair is refused; nothing changes.
    const { request } = await t.services.get('fabrikam')!.request(MALLORY, { ...BASE_CONFIG, entities: true }, 'Entities please');
    for (const [verb, data] of [
      ['connectorApprove', { approvalId: request.id }],
      ['connectorReject', { approvalId: request.id }],
      ['connectorRefresh', { approvalId: request.id }],
      ['connectorRefresh', { view: 'status', pairId: 'fabrikam' }],
      ['connectorSubmit', { ...FORM, pairId: 'fabrikam' }],
      ['connectorSubmit', { ...FORM, pairId: 42 }],
    ] as const) {
      const answer = invokeCard(await turn(t.adapter, invoke(verb, data, '29:bob', CONTOSO_CHAT, 'card', CONTOSO_TENANT)));
      expect(typeof answer).toBe('string');
      expect(String(answer)).not.toContain('Entities please');
    }
    expect((await t.services.get('fabrikam')!.get(request.id))?.state).toBe('pending');
    expect(await t.services.get('fabrikam')!.history()).toHaveLength(1);
    expect(t.connectors.get('fabrikam')!.writes).toHaveLength(0);
  });

  test("approve on one pair: that pair's connector changes, the other's does not; each request goes to its pair's approvers", async () => {
    const t = setup({ pairs: PAIRS });
    // The SOC channel takes every pair's requests; Contoso's own channel takes Contoso's.
    expect(text(await turn(t.adapter, message('/connector approvers', '29:bob', APPROVERS_CHANNEL, 'channel')))).toContain('of every customer');
    expect(text(await turn(t.adapter, message('/connector approvers', '29:bob', CONTOSO_APPROVERS, 'channel', CONTOSO_TENANT)))).toContain('of Contoso Ltd');
    expect(await t.approversChannels.channelOf('contoso')).toEqual({ conversationId: CONTOSO_APPROVERS, scope: 'pair' });
    expect(await t.approversChannels.channelOf('fabrikam')).toEqual({ conversationId: APPROVERS_CHANNEL, scope: 'every-pair' });

    await turn(t.adapter, invoke('connectorSubmit', { ...FORM, pairId: 'contoso' }, '29:alice', SOC_CHAT, 'form-c'));
    await turn(t.adapter, invoke('connectorSubmit', { ...FORM, entities: 'true', pairId: 'fabrikam' }, '29:alice', SOC_CHAT, 'form-f'));
    const [contosoRequest] = await t.approvals.list({ pairId: 'contoso' });
    const [fabrikamRequest] = await t.approvals.list({ pairId: 'fabrikam' });
    expect(t.sent.map((s) => [s.conversationId, JSON.stringify(s.activity).includes('Customer: Contoso Ltd')])).toEqual([
      [CONTOSO_APPROVERS, true],
      [APPROVERS_CHANNEL, false],
    ]);

    const approved = await turn(t.adapter, invoke('connectorApprove', { approvalId: contosoRequest!.id }, '29:bob', CONTOSO_APPROVERS, 'posted-1', CONTOSO_TENANT));
    expect(JSON.stringify(invokeCard(approved))).toContain('Applied');
    await t.background.idle();
    expect(t.connectors.get('contoso')!.current().config.eventTypes).toContain('CloudAppEvents');
    expect(t.connectors.get('fabrikam')!.current().config).toEqual(BASE_CONFIG);
    expect((await t.approvals.get(fabrikamRequest!.id))?.state).toBe('pending');
    const auditPairs = t.audit.entries.map((e) => [e.subject === `approval:${fabrikamRequest!.id}` ? 'fabrikam-request' : e.subject, e.pairId]);
    expect(auditPairs).toContainEqual(['fabrikam-request', 'fabrikam']);
    expect(auditPairs.filter(([subject]) => subject === `approval:${contosoRequest!.id}`).every(([, pairId]) => pairId === 'contoso')).toBe(true);
  });

  test("drift is announced in the drifted pair's approvers' channel only, naming the customer; never in another customer's channel", async () => {
    const t = setup({ pairs: PAIRS });
    await turn(t.adapter, message('/connector approvers', '29:bob', CONTOSO_APPROVERS, 'channel', CONTOSO_TENANT));
    const publisher = createConnectorCardPublisher(t.deps);
    const report = (pairId: string): DriftReport => ({
      pairId, drifted: true, baseline: false, deferred: false, previous: null, live: t.connector.current(), changes: [], consequences: [], staleRequestIds: [],
      announcement: { title: 'Defender XDR connector changed outside the bridge', lines: ['Connect entities: off → on'] },
    });
    expect(await publisher.announceDrift(report('contoso'))).toBe(true);
    // Fabrikam has no channel of its own and none for every pair: Contoso's is never used for it.
    expect(await publisher.announceDrift(report('fabrikam'))).toBe(false);
    expect(t.sent.map((s) => [s.conversationId, shown(s.activity.text)])).toEqual([
      [CONTOSO_APPROVERS, '**Defender XDR connector changed outside the bridge (customer: Contoso Ltd)**\n\n- Connect entities: off → on'],
    ]);

    // A channel for every pair set in a customer's tenant (settings edited by hand): still not used for others.
    await t.settings.set('approvals.approversConversationId', CONTOSO_APPROVERS);
    expect(await publisher.announceDrift(report('fabrikam'))).toBe(false);
    expect(t.sent).toHaveLength(1);
  });

  test('in a customer channel, /connector approvers without tenant= is that pair’s channel; the SOC sets every pair’s', async () => {
    const t = setup({ pairs: PAIRS });
    await turn(t.adapter, message('/connector approvers', '29:bob', CONTOSO_APPROVERS, 'channel', CONTOSO_TENANT));
    expect(await t.approversChannels.channelOf('fabrikam')).toBeNull();
    await turn(t.adapter, message('/connector approvers tenant=fabrikam', '29:bob', APPROVERS_CHANNEL, 'channel'));
    expect(await t.approversChannels.channelOf('fabrikam')).toEqual({ conversationId: APPROVERS_CHANNEL, scope: 'pair' });
    const refused = await turn(t.adapter, message('/connector approvers tenant=fabrikam', '29:bob', CONTOSO_APPROVERS, 'channel', CONTOSO_TENANT));
    expect(refused[0]?.text).toMatch(/^No pair "fabrikam"/);
    expect(t.audit.entries.filter((e) => e.action === 'approvals.channel-set').map((e) => e.pairId)).toEqual(['contoso', 'fabrikam']);
  });
});
