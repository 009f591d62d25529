// Real Teams turns (teams-ai Application driven by botbuilder's TestAdapter) against the real
// approvals service, the simulators and PGlite: the approve click applies the change through ARM,
// the status card shows a missing licence, and the scheduler announces drift to the approvers'
// channel on one replica only. The workspace is onboarded to the Defender portal (the simulators'
// default and the bridge's).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { MemoryStorage, TestAdapter, type Activity } from 'botbuilder';
import { Application } from '@microsoft/teams-ai';
import { registerConnectorRoutes, type ConnectorCardPublisher } from '../../src/bot/routes/connector.ts';
import { createBackgroundTasks, type BackgroundTasks } from '../../src/bot/background.ts';
import type { ProactiveReference, TeamsSender } from '../../src/bot/ports.ts';
import { createApprovalScheduler } from '../../src/approvals/scheduler.ts';
import { createApproversChannels, type ApproversChannels } from '../../src/approvals/approvers-channel.ts';
import { createTenantPolicy } from '../../src/bot/tenant-policy.ts';
import { createCustomerNames } from '../../src/domain/pair-names.ts';
import type { Actor } from '../../src/domain/incident.ts';
import { ALICE, APPROVER_IDS, BOB, MALLORY, SOC_PAIR, TENANT, outcomeOf, settle, startIntegrationHarness, type IntegrationHarness } from './harness.ts';

const APPROVERS_CHANNEL = '19:approvers@thread.tacv2';
const SOC_CHAT = '19:soc-analysts@thread.v2';
const USERS: Record<string, Actor> = { '29:alice': ALICE, '29:bob': BOB, '29:mallory': MALLORY };

interface Sent {
  conversationId: string;
  activity: Partial<Activity>;
  id: string;
}

let h: IntegrationHarness;
let adapter: TestAdapter;
let publisher: ConnectorCardPublisher;
let background: BackgroundTasks;
let approversChannels: ApproversChannels;
const sent: Sent[] = [];
const updated: { conversationId: string; activityId: string; activity: Partial<Activity> }[] = [];

beforeAll(async () => {
  h = await startIntegrationHarness({ integrationMethod: 'defenderPortal', name: 'bot' });
  await settle(h);
  const sender: TeamsSender = {
    async send(reference: ProactiveReference, activity) {
      const posted = { conversationId: reference.conversation?.id ?? '', activity, id: `posted-${sent.length + 1}` };
      sent.push(posted);
      return { id: posted.id };
    },
    async update(reference, activityId, activity) {
      updated.push({ conversationId: reference.conversation?.id ?? '', activityId, activity });
    },
    async reply() {
      throw new Error('not used by connector routes');
    },
  };
  background = createBackgroundTasks();
  const app = new Application({ storage: new MemoryStorage() });
  // One pair, as a single-tenant SOC runs it (the MSSP's several pairs: two-pairs.test.ts).
  const pairs = [{ id: SOC_PAIR, tenantId: TENANT, sharedWith: [] }];
  approversChannels = createApproversChannels({
    settings: h.opened.store.settings,
    audit: h.opened.store.audit,
    isApprover: async (actor) => APPROVER_IDS.has(actor.objectId),
    clock: h.clock.now,
  });
  publisher = registerConnectorRoutes(app, {
    pairs,
    services: new Map([[SOC_PAIR, h.service]]),
    approversChannels,
    tenants: createTenantPolicy({ allowedTenants: ['tenant-1'], pairs }),
    customers: createCustomerNames(pairs),
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
});

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
    conversation: { id: conversationId, conversationType, tenantId: 'tenant-1', isGroup: true, name: '' },
    channelData: { tenant: { id: 'tenant-1' } },
    serviceUrl: 'https://smba.example/',
  };
}

function invoke(verb: string, data: Record<string, unknown>, from: string, conversationId: string, replyToId: string): Partial<Activity> {
  return {
    ...message('', from, conversationId),
    type: 'invoke',
    name: 'adaptiveCard/action',
    replyToId,
    value: { action: { type: 'Action.Execute', verb, data } },
  };
}

async function turn(activity: Partial<Activity>): Promise<Partial<Activity>[]> {
  const before = adapter.activeQueue.length;
  await adapter.processActivity(activity);
  return adapter.activeQueue.splice(before);
}

/** The invoke answer: a card (as JSON text) or a message. */
function invokeAnswer(replies: Partial<Activity>[]): string {
  const response = replies.find((r) => r.type === 'invokeResponse');
  const body = (response?.value as { body: { type: string; value: unknown } }).body;
  return typeof body.value === 'string' ? body.value : JSON.stringify(body.value);
}

function formFor(config: { eventTypes: string[]; entities: boolean }, version: string, reason: string): Record<string, unknown> {
  return {
    integrationMethod: 'defenderPortal',
    incidentsAndAlerts: 'true',
    turnOffIncidentCreationRules: 'true',
    entities: String(config.entities),
    eventTypes: config.eventTypes.join(','),
    reason,
    formVersion: version,
  };
}

describe('connector approvals through Teams turns, against the simulators', () => {
  test('/connector status shows a missing licence from the prerequisite check', async () => {
    h.sims.control.setCheckRequirements({ licenseState: 'Invalid' });
    try {
      const replies = await turn(message('<at>Bridge</at> /connector status', '29:alice', SOC_CHAT));
      const card = JSON.stringify(replies[0]?.attachments);
      // Markdown-escaped on the card: "❌ Licence: the tenant needs a Microsoft Defender XDR (…) licence."
      expect(card).toMatch(/❌ Licence: the tenant needs a Microsoft Defender XDR .*licence/);
      expect(card).toContain('✅ Permissions');
    } finally {
      h.sims.control.setCheckRequirements({ licenseState: 'Valid' });
    }
  });

  test('request in a chat, approve click in the approvers\' channel: applied through ARM, cards updated in place', async () => {
    await turn(message('/connector approvers', '29:bob', APPROVERS_CHANNEL));
    expect((await approversChannels.channelOf(SOC_PAIR))?.conversationId).toBe(APPROVERS_CHANNEL);

    const live = await h.connector.read();
    const wanted = { entities: !live.config.entities, eventTypes: [...live.config.eventTypes, 'CloudAppEvents'] };
    const submitted = await turn(invoke('connectorSubmit', formFor(wanted, live.version, 'Hunt OAuth abuse'), '29:alice', SOC_CHAT, 'form-activity'));
    expect(invokeAnswer(submitted)).not.toContain('connectorApprove'); // the requester never gets buttons
    const posted = sent.find((s) => s.conversationId === APPROVERS_CHANNEL)!;
    expect(posted).toBeDefined();
    const requestId = (await h.opened.store.approvals.list({ pairId: SOC_PAIR, states: ['pending'], limit: 1 }))[0]!.id;

    // Mallory (not an approver) clicks: refused, nothing written.
    const mark = h.mark();
    expect(invokeAnswer(await turn(invoke('connectorApprove', { approvalId: requestId }, '29:mallory', APPROVERS_CHANNEL, posted.id)))).toMatch(/Only connector approvers/);
    expect(h.connectorWrites(mark)).toEqual([]);

    // Bob clicks Approve: the change goes to ARM and the answer shows the outcome.
    const answer = invokeAnswer(await turn(invoke('connectorApprove', { approvalId: requestId }, '29:bob', APPROVERS_CHANNEL, posted.id)));
    expect(answer).toContain('Applied');
    expect(h.connectorWrites(mark)).toEqual([expect.stringMatching(/^PUT dataConnectors\/\S+ 200$/), expect.stringMatching(/^PUT settings\/EntityAnalytics 20[01]$/)]);
    const after = await h.outside.read();
    expect(after.config.eventTypes).toContain('CloudAppEvents');
    expect(after.config.entities).toBe(wanted.entities);
    expect(outcomeOf(await h.service.get(requestId))).toMatchObject({ kind: 'applied', version: after.version });

    // Both cards (the requester's chat and the approvers' channel) are updated in place.
    await background.idle();
    const last = new Map(updated.map((u) => [u.conversationId, u]));
    expect(last.get(APPROVERS_CHANNEL)?.activityId).toBe(posted.id);
    expect(last.get(SOC_CHAT)?.activityId).toBe('form-activity');
    for (const u of last.values()) expect(JSON.stringify(u.activity)).toContain('Applied');
  });

  test('drift: the scheduler on one replica announces a portal change in the approvers\' channel, once', async () => {
    const leaseName = 'approvals:scheduler:bot-test';
    const replicaA = createApprovalScheduler({ services: [h.service], publisher, leases: h.opened.store.leases, replicaId: 'replica-a', intervalMs: 60_000, leaseName });
    const replicaB = createApprovalScheduler({ services: [h.service], publisher, leases: h.opened.store.leases, replicaId: 'replica-b', intervalMs: 60_000, leaseName });
    try {
      expect((await replicaA.runOnce()).holder).toBe(true);
      const live = await h.outside.read();
      await h.outside.write(live, { ...live.config, eventTypes: live.config.eventTypes.filter((t) => t !== 'CloudAppEvents') });
      const before = sent.length;

      expect(await replicaB.runOnce()).toMatchObject({ holder: false, drifts: [] }); // standby
      const tick = await replicaA.runOnce();
      expect(tick).toMatchObject({ holder: true, announced: [SOC_PAIR], errors: 0 });
      const announcements = sent.slice(before);
      expect(announcements).toHaveLength(1);
      expect(announcements[0]?.conversationId).toBe(APPROVERS_CHANNEL);
      expect(announcements[0]?.activity.text).toMatch(/changed outside the bridge[\s\S]*Event tables: remove CloudAppEvents/);

      expect((await replicaA.runOnce()).announced).toEqual([]); // said once
      expect(sent.length).toBe(before + 1);
    } finally {
      await replicaA.stop();
      await replicaB.stop();
    }
    // A stopped holder releases the lease: the standby takes over at once.
    expect((await replicaB.runOnce()).holder).toBe(true);
    await replicaB.stop();
  });
});
