// Drives real turns through teams-ai's Application with botbuilder's TestAdapter.
import { describe, test, expect } from '@jest/globals';
import { MemoryStorage, TestAdapter, type Activity } from 'botbuilder';
import { Application } from '@microsoft/teams-ai';
import { createApprovalService } from '../../src/approvals/service.ts';
import { CONNECTOR_NOT_HERE, registerConnectorRoutes, parseConnectorCommand } from '../../src/bot/routes/connector.ts';
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
  VIOLET,
  createFakeConnector,
  createManualClock,
  createMemoryApprovals,
  createMemoryAudit,
  createMemorySettings,
} from './fakes.ts';

const APPROVERS_CHANNEL = '19:approvers@thread.tacv2';
const SOC_CHAT = 'a:soc-chat';

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

function setup(options: { mayManage?: (activity: Partial<Activity>) => boolean } = {}) {
  const clock = createManualClock();
  const connector = createFakeConnector(BASE_CONFIG, clock.now);
  const approvals = createMemoryApprovals(clock.now);
  const settings = createMemorySettings();
  const service = createApprovalService({
    connector,
    approvals,
    audit: createMemoryAudit(),
    settings,
    isApprover: (actor) => APPROVER_IDS.has(actor.objectId),
    isAnalyst: (actor) => ANALYST_IDS.has(actor.objectId),
    clock: clock.now,
    newId: () => 'req-1',
    sleep: async () => {},
  });
  const conversations = memoryConversations();
  const { sender, sent, updated } = fakeSender();
  const background = createBackgroundTasks();
  const app = new Application({ storage: new MemoryStorage() });
  registerConnectorRoutes(app, {
    service,
    identity: { actorOf: async (context) => USERS[context.activity.from.id] ?? null },
    sender,
    conversations,
    approvals,
    background,
    clock: clock.now,
    refreshUserIds: async () => ['29:bob', '29:carol'],
    ...(options.mayManage ? { mayManage: options.mayManage } : {}),
  });
  const adapter = new TestAdapter(async (context) => {
    await app.run(context);
  });
  return { adapter, service, connector, approvals, conversations, sent, updated, background, settings };
}

function message(text: string, from: string, conversationId: string, conversationType: string): Partial<Activity> {
  return {
    type: 'message',
    text,
    from: { id: from, name: USERS[from]?.displayName ?? from, aadObjectId: USERS[from]?.objectId },
    conversation: { id: conversationId, conversationType, tenantId: 'tenant-1', isGroup: conversationType !== 'personal', name: '' },
    channelData: { tenant: { id: 'tenant-1' } },
    serviceUrl: 'https://smba.example/',
  };
}

function invoke(verb: string, data: Record<string, unknown>, from: string, conversationId: string, replyToId: string): Partial<Activity> {
  return {
    ...message('', from, conversationId, conversationId === APPROVERS_CHANNEL ? 'channel' : 'groupChat'),
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
    expect(parseConnectorCommand('/connector history 500').kind).toBe('help');
    expect(parseConnectorCommand('/connector wipe').kind).toBe('help');
  });

  test('full flow: approvers channel, request, self-approval refused, approve, cards updated in place', async () => {
    const t = setup();
    // A non-approver cannot claim the approvers' channel; an approver can.
    const refused = await turn(t.adapter, message('<at>Bridge</at> /connector approvers', '29:mallory', APPROVERS_CHANNEL, 'channel'));
    expect(refused[0]?.text).toMatch(/Only connector approvers/);
    await turn(t.adapter, message('/connector approvers', '29:bob', APPROVERS_CHANNEL, 'channel'));
    expect(await t.service.approversChannel()).toBe(APPROVERS_CHANNEL);

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
    const t = setup({ mayManage: (activity) => activity.conversation?.tenantId !== 'tenant-1' });
    for (const command of ['/connector status', '/connector history', '/connector request']) {
      const replies = await turn(t.adapter, message(command, '29:mallory', SOC_CHAT, 'groupChat'));
      expect(replies).toHaveLength(1);
      expect(replies[0]?.text).toBe(CONNECTOR_NOT_HERE);
      expect(replies[0]?.attachments ?? []).toEqual([]);
    }
    await t.service.request(MALLORY, { ...BASE_CONFIG, entities: true }, 'Entities please');
    for (const [verb, data] of [['connectorApprove', { approvalId: 'req-1' }], ['connectorRefresh', { view: 'status' }], ['connectorRefresh', { approvalId: 'req-1' }]] as const) {
      expect(invokeCard(await turn(t.adapter, invoke(verb, data, '29:bob', SOC_CHAT, 'card')))).toBe(CONNECTOR_NOT_HERE);
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
