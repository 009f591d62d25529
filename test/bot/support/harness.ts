// Drives the real teams-ai Application with botbuilder's TestAdapter, over the in-memory store,
// the fake bridge and the fake sender. The real notifier is subscribed to the fake bridge, as in
// production: it is the only writer of card messages (settle() delivers what it has queued).
import { TestAdapter, type Activity } from 'botbuilder';
import { createBotApplication } from '../../../src/bot/bot-application.ts';
import { installTurnErrorHandler } from '../../../src/bot/adapter.ts';
import { createBackgroundTasks } from '../../../src/bot/background.ts';
import type { AccessPolicy, GroupsOf } from '../../../src/bot/access.ts';
import type { MemberLookup } from '../../../src/bot/identity.ts';
import { createTenantPolicy, type TenantPolicy } from '../../../src/bot/tenant-policy.ts';
import { TENANT } from './activities.ts';
import { cardBuildersFor } from '../../../src/bot/customer-cards.ts';
import { createCustomerNames, type CustomerNames } from '../../../src/domain/pair-names.ts';
import { createLogger, createSilentLogger, type Logger } from '../../../src/observability/logger.ts';
import { createMemoryStore } from '../../fakes/memory-store.ts';
import { createFakeBridge, sampleView } from '../../fakes/bridge.ts';
import { createFakeSender } from './fake-sender.ts';
import { CHANNEL_ID } from './activities.ts';
import { createNotifier } from '../../../src/bot/notifier.ts';
import { createGuardedSender } from '../../../src/bot/guarded-sender.ts';
import { createPeopleResolver } from '../../../src/bot/people.ts';
import type { DirectoryPerson, PersonDirectory, TeamsMember } from '../../../src/bot/ports.ts';
import { createEscalationNotices, createTriageRecorder } from '../../../src/triage/escalation.ts';
import { createTriageSettings } from '../../../src/triage/settings.ts';
import { createFakeTriageJobs } from '../../fakes/triage-jobs.ts';
import { createWarRoomService } from '../../../src/bot/war-room.ts';
import { createFakeWarRoomChats } from '../../fakes/war-room-chats.ts';

/** A channel's stored conversation reference, as install or /subscribe would store it. */
function channelReference(conversationId: string) {
  return {
    bot: { id: '28:bot-app-id', name: 'Incident Bridge' },
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/teams/',
    conversation: { id: conversationId, conversationType: 'channel', tenantId: TENANT, isGroup: true },
  };
}

export interface HarnessOptions {
  access?: Partial<AccessPolicy>;
  /** The triage features' directory; default: one that knows DIRECTORY_PEOPLE. */
  directory?: PersonDirectory;
  /** Roster members by UPN (lower case) in every conversation; default: none. */
  members?: Record<string, TeamsMember>;
  lookupMember?: MemberLookup;
  groupsOf?: GroupsOf;
  invokeDeadlineMs?: number;
  /** Default: TENANT (the activities' tenant) is a SOC tenant and sees every pair. */
  tenants?: TenantPolicy;
  log?: Logger;
  /** Without war rooms: as a bridge without TEAMS_APP_ID. */
  noWarRooms?: boolean;
  /** How cards and replies name customers; default: one unnamed pair (never named). */
  customers?: CustomerNames;
}

/** A roster lookup that knows Alice's UPN and nobody else (like a tenant where guests fail). */
export const rosterWithAlice: MemberLookup = async (context) => {
  if (context.activity.from.id === '29:alice') return { userPrincipalName: 'Alice@Contoso.com' };
  throw new Error('member not found');
};

/** People the default test directory knows (escalation contacts). */
export const DIRECTORY_PEOPLE: DirectoryPerson[] = [
  { objectId: 'cccccccc-0000-4000-8000-000000000003', upn: 'oncall@contoso.com', displayName: 'SOC On-call' },
  { objectId: 'dddddddd-0000-4000-8000-000000000004', upn: 'lead@contoso.com', displayName: 'Shift Lead' },
];

export const testDirectory: PersonDirectory = {
  async findUser(_tenantId, user) {
    return DIRECTORY_PEOPLE.find((person) => person.upn.toLowerCase() === user.upn?.toLowerCase() || person.objectId === user.objectId) ?? null;
  },
};

export function createHarness(options: HarnessOptions = {}) {
  // Real time, shifted by what tests set or advance: timestamps keep their order, deadlines come when told.
  let offsetMs = 0;
  const clock = {
    now: () => new Date(Date.now() + offsetMs),
    advance: (ms: number) => {
      offsetMs += ms;
    },
    set: (iso: string) => {
      offsetMs = Date.parse(iso) - Date.now();
    },
  };
  const store = createMemoryStore({ now: clock.now });
  const bridge = createFakeBridge({ cards: store.cards, warRooms: store.warRooms });
  bridge.put(sampleView());
  const sender = createFakeSender();
  const log = options.log ?? (process.env['BOT_TEST_LOG'] ? createLogger({ level: 'debug' }) : createSilentLogger());
  const tasks = createBackgroundTasks(log);
  const customers = options.customers ?? createCustomerNames([]);
  const builders = cardBuildersFor(customers);
  const tenants = options.tenants ?? createTenantPolicy({ allowedTenants: [TENANT], pairs: [] });
  const members = options.members ?? {};
  const people = createPeopleResolver({ roster: { member: async (_reference, person) => members[person.toLowerCase()] ?? null }, directory: options.directory ?? testDirectory });
  const jobs = createFakeTriageJobs();
  const triageDeps = { store, jobs, tenants, clock: clock.now, log };
  const triage = createTriageSettings({ ...triageDeps, directory: options.directory ?? testDirectory });
  const escalationNotices = createEscalationNotices({ store, notices: store.notices, people });
  const chats = createFakeWarRoomChats();
  const warRooms = options.noWarRooms ? undefined : createWarRoomService({ warRooms: store.warRooms, bridge, chats, holderId: 'test-replica', now: () => new Date(), log });
  // As in production: retries, shared rate limits, and conversations the bot left deactivated.
  const guarded = createGuardedSender({ sender, rateLimits: store.rateLimits, conversations: store.conversations });
  const notifier = createNotifier({
    subscriptions: store.subscriptions,
    conversations: store.conversations,
    cards: store.cards,
    refreshes: store.cardRefreshes,
    events: store.changeEvents,
    sender: guarded,
    builders,
    latestOutcome: (linkId) => bridge.latestEditOutcome(linkId),
    ...(warRooms ? { warRoomOf: (linkId: string) => warRooms.linkOf(linkId) } : {}),
    tenants,
    holderId: 'test-replica',
    // Windows close when a test settles.
    schedule: () => () => undefined,
    people,
    escalations: escalationNotices,
    now: clock.now,
    log,
  });
  bridge.subscribe(notifier);
  bridge.subscribe(createTriageRecorder(triageDeps));
  let nextSubscription = 1;
  const app = createBotApplication({
    bridge,
    conversations: store.conversations,
    subscriptions: store.subscriptions,
    cards: store.cards,
    builders,
    customers,
    access: { analysts: undefined, approvers: [], localMode: true, ...options.access },
    tenants,
    lookupMember: options.lookupMember ?? rosterWithAlice,
    ...(options.groupsOf ? { groupsOf: options.groupsOf } : {}),
    tasks,
    log,
    triage,
    overdueSince: escalationNotices.overdueSince,
    now: clock.now,
    ...(warRooms ? { warRooms } : {}),
    sender: guarded,
    newId: () => `sub${nextSubscription++}`,
    ...(options.invokeDeadlineMs !== undefined ? { invokeDeadlineMs: options.invokeDeadlineMs } : {}),
  });
  const adapter = new TestAdapter();
  installTurnErrorHandler(adapter, log);

  /** Runs one turn and returns what the bot sent in it. */
  async function turn(activity: Partial<Activity>): Promise<Partial<Activity>[]> {
    adapter.activeQueue.splice(0);
    await adapter.processActivity(activity, async (context) => {
      await app.run(context);
    });
    return adapter.activeQueue.splice(0);
  }

  /**
   * Records `activityId` as the posted card of `linkId` in the conversation, as the notifier does,
   * in a channel that is subscribed (so the notifier keeps its cards current).
   */
  async function postedCard(linkId: string, activityId: string, conversationId = CHANNEL_ID): Promise<void> {
    const at = new Date().toISOString();
    await store.conversations.upsert({ id: conversationId, reference: channelReference(conversationId), scope: 'channel', tenantId: TENANT, channelId: conversationId });
    if ((await store.subscriptions.listForConversation(conversationId)).length === 0) {
      await store.subscriptions.add({ id: `sub-${conversationId}`, conversationId, filters: {}, createdBy: null });
    }
    await store.cards.claim(conversationId, linkId, 'test-notifier', at, 60_000);
    if (!(await store.cards.markPosted(conversationId, linkId, 'test-notifier', activityId, 'hash', at))) throw new Error(`could not record the card of ${linkId}`);
  }

  /** Lets background work finish and the notifier deliver what it has queued. */
  async function settle(): Promise<void> {
    await tasks.idle();
    await notifier.flush();
  }

  /**
   * What the dispatcher does in production: delivers the change events appended to the store's
   * outbox (by the escalation job) to the bridge's consumers.
   */
  async function deliverOutbox(): Promise<void> {
    for (const event of await store.changeEvents.readPending('harness')) {
      await bridge.emit(event);
      await store.changeEvents.ack('harness', event.seq);
    }
  }

  return { store, bridge, sender, tasks, notifier, app, adapter, turn, postedCard, settle, clock, jobs, triage, triageDeps, deliverOutbox, chats };
}

export function textsOf(replies: Partial<Activity>[]): string[] {
  return replies.filter((reply) => reply.type === 'message' && typeof reply.text === 'string').map((reply) => reply.text as string);
}

export function cardsOf(replies: Partial<Activity>[]): Record<string, unknown>[] {
  return replies.flatMap((reply) => (reply.attachments ?? []).filter((a) => a.contentType === 'application/vnd.microsoft.card.adaptive').map((a) => a.content as Record<string, unknown>));
}

export interface InvokeAnswer {
  status: number;
  type: string;
  value: unknown;
}

export function invokeAnswerOf(replies: Partial<Activity>[]): InvokeAnswer {
  const response = replies.find((reply) => reply.type === 'invokeResponse');
  if (!response) throw new Error(`no invoke response among ${JSON.stringify(replies.map((r) => r.type))}`);
  const value = response.value as { status: number; body: { type: string; value: unknown } };
  return { status: value.status, type: value.body.type, value: value.body.value };
}

/** Verbs of the Action.Execute buttons anywhere in a card. */
export function verbsIn(card: unknown): string[] {
  const verbs: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (record['type'] === 'Action.Execute' && typeof record['verb'] === 'string') verbs.push(record['verb']);
      Object.values(record).forEach(walk);
    }
  };
  walk(card);
  return verbs;
}

/** Every node of a card (depth first), for looking up elements and actions. */
function nodesOf(card: unknown): Record<string, unknown>[] {
  const nodes: Record<string, unknown>[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      nodes.push(node as Record<string, unknown>);
      Object.values(node).forEach(walk);
    }
  };
  walk(card);
  return nodes;
}

/** The text of every TextBlock in a card, in order. */
export function textBlocksOf(card: unknown): string[] {
  return nodesOf(card).filter((node) => node['type'] === 'TextBlock').map((node) => String(node['text']));
}

/** The actions of one type anywhere in a card, in order. */
export function actionsOf(card: unknown, type: string): Record<string, unknown>[] {
  return nodesOf(card).filter((node) => node['type'] === type);
}

/** Polls `condition` until it holds; for state reached by background work. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
