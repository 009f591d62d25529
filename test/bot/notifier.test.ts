// The notifier over the in-memory store, the guarded sender and a fake Teams sender.
import { describe, expect, test } from '@jest/globals';
import { createNotifier, DEFAULT_CLAIM_STALE_AFTER_MS, DEFAULT_MAX_REFRESH_ATTEMPTS, type Schedule } from '../../src/bot/notifier.ts';
import { createGuardedSender } from '../../src/bot/guarded-sender.ts';
import { conversationPauseKey } from '../../src/bot/send-policy.ts';
import { renderIncidentCard } from '../../src/cards/incident-card.ts';
import { buildChangeNoticeText } from '../../src/cards/change-notice.ts';
import type { ChangeEvent, IncidentView } from '../../src/domain/change-events.ts';
import type { EditOutcome } from '../../src/domain/edits.ts';
import type { SubscriptionFilters } from '../../src/store/ports.ts';
import { createMemoryStore } from '../fakes/memory-store.ts';
import { createFakeBridge, sampleView } from '../fakes/bridge.ts';
import { createFakeSender } from './support/fake-sender.ts';
import { waitFor } from './support/harness.ts';
import { createTenantPolicy, type TenantPolicy } from '../../src/bot/tenant-policy.ts';
import { cardHash } from '../../src/bot/card-hash.ts';
import { createRecordingMetrics } from '../fakes/recording-metrics.ts';

const CHANNEL = '19:soc@thread.tacv2';
const OTHER_CHANNEL = '19:mssp@thread.tacv2';

function reference(conversationId: string) {
  return {
    bot: { id: '28:bot', name: 'Incident Bridge' },
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/teams/',
    conversation: { id: conversationId, conversationType: 'channel', tenantId: 'tenant-a', isGroup: true },
  };
}

let seq = 0;
function event(view: IncidentView, overrides: Partial<ChangeEvent> = {}): ChangeEvent {
  seq += 1;
  return { id: `evt-${seq}`, seq, kind: 'updated', linkId: view.linkId, pairId: view.pairId, incident: view, changes: [], occurredAt: '2024-05-01T10:00:00.000Z', ...overrides };
}

function withSeverity(view: IncidentView, severity: 'low' | 'medium' | 'high'): IncidentView {
  const copy = structuredClone(view);
  if (copy.defender) copy.defender.severity = severity;
  if (copy.sentinel) copy.sentinel.severity = severity;
  return copy;
}

function withTags(view: IncidentView, tags: string[]): IncidentView {
  const copy = structuredClone(view);
  if (copy.defender) copy.defender.tags = tags;
  if (copy.sentinel) copy.sentinel.tags = tags;
  return copy;
}

/**
 * Virtual time: sleeping is instant, and the clock jumps to the earliest sleeper's wake-up time
 * once every concurrent task has gone to sleep (checked on the next macrotask). Concurrent waiters
 * therefore see the same timeline a real clock would give them.
 */
function fakeClock() {
  let t = Date.parse('2024-05-01T10:00:00.000Z');
  const sleeps: number[] = [];
  const sleepers: { at: number; resolve: () => void }[] = [];
  let scheduled = false;
  const tick = () => {
    scheduled = false;
    if (sleepers.length === 0) return;
    sleepers.sort((a, b) => a.at - b.at);
    t = Math.max(t, sleepers[0]?.at ?? t);
    const due = sleepers.filter((sleeper) => sleeper.at <= t);
    sleepers.splice(0, due.length);
    for (const sleeper of due) sleeper.resolve();
    if (sleepers.length > 0) schedule();
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(tick);
    }
  };
  return {
    now: () => t,
    date: () => new Date(t),
    sleeps,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        sleeps.push(ms);
        sleepers.push({ at: t + ms, resolve });
        schedule();
      }),
  };
}

/** Windows close only when the test says so (notifier.flush), or never on their own. */
const manualSchedule: Schedule = () => () => undefined;

async function setup(options: { channels?: Record<string, SubscriptionFilters>; holderId?: string; tenants?: TenantPolicy; tenantOf?: Record<string, string> } = {}) {
  const clock = fakeClock();
  const store = createMemoryStore({ now: clock.date });
  const sender = createFakeSender();
  const errors: unknown[] = [];
  for (const [id, filters] of Object.entries(options.channels ?? { [CHANNEL]: {} })) {
    await store.conversations.upsert({ id, reference: reference(id), scope: 'channel', tenantId: options.tenantOf?.[id] ?? 'tenant-a', channelId: id });
    await store.subscriptions.add({ id: `sub-${id}`, conversationId: id, filters, createdBy: null });
  }
  const metrics = createRecordingMetrics();
  const guarded = createGuardedSender({ sender, rateLimits: store.rateLimits, conversations: store.conversations, now: clock.now, sleep: clock.sleep, random: () => 0, metrics });
  /** The latest edit outcome per incident, as the store would answer it. */
  const outcomes = new Map<string, EditOutcome>();
  const makeNotifier = (holderId = options.holderId ?? 'replica-a', schedule: Schedule = manualSchedule, coalesceWindowMs?: number) =>
    createNotifier({
      subscriptions: store.subscriptions,
      conversations: store.conversations,
      cards: store.cards,
    refreshes: store.cardRefreshes,
    events: store.changeEvents,
      sender: guarded,
      builders: { renderIncidentCard, buildChangeNoticeText },
      latestOutcome: async (linkId) => outcomes.get(linkId) ?? null,
      tenants: options.tenants ?? createTenantPolicy({ allowedTenants: ['tenant-a'], pairs: [] }),
      holderId,
      now: clock.date,
      schedule,
      ...(coalesceWindowMs !== undefined ? { coalesceWindowMs } : {}),
      onError: (error) => errors.push(error),
      metrics,
    });
  return { clock, store, sender, errors, outcomes, metrics, makeNotifier, notifier: makeNotifier() };
}

describe('tenant scope (MSSP pairs)', () => {
  const PAIRS = [
    { id: 'contoso', tenantId: 'tenant-contoso', sharedWith: [] },
    { id: 'fabrikam', tenantId: 'tenant-fabrikam', sharedWith: ['contoso'] },
  ];
  const SOC_CHANNEL = '19:mssp-soc@thread.tacv2';
  const channels = { [CHANNEL]: {}, [OTHER_CHANNEL]: {}, [SOC_CHANNEL]: {} };
  const tenantOf = { [CHANNEL]: 'tenant-contoso', [OTHER_CHANNEL]: 'tenant-fabrikam', [SOC_CHANNEL]: 'tenant-mssp' };

  test("a customer's channel gets only its own pair's (and shared) incidents; the SOC gets all; unknown tenants nothing", async () => {
    const tenants = createTenantPolicy({ botTenantId: 'tenant-mssp', allowedTenants: [], pairs: PAIRS });
    const { sender, notifier, store } = await setup({ channels: { ...channels, '19:stranger@thread.tacv2': {} }, tenantOf: { ...tenantOf, '19:stranger@thread.tacv2': 'tenant-unknown' }, tenants });
    await notifier.handle(event(sampleView({ linkId: 'link-c', pairId: 'contoso' }), { kind: 'created', pairId: 'contoso', linkId: 'link-c' }));
    await notifier.handle(event(sampleView({ linkId: 'link-f', pairId: 'fabrikam' }), { kind: 'created', pairId: 'fabrikam', linkId: 'link-f' }));
    await notifier.flush();
    const got = (conversationId: string) => sender.of('send').filter((record) => record.conversationId === conversationId).length;
    expect(got(CHANNEL)).toBe(2); // its own, and fabrikam's, which is shared with contoso
    expect(got(OTHER_CHANNEL)).toBe(1); // its own only
    expect(got(SOC_CHANNEL)).toBe(2);
    expect(got('19:stranger@thread.tacv2')).toBe(0);
    expect(await store.cards.get(OTHER_CHANNEL, 'link-c')).toBeNull();
  });
});

describe('one card per incident per conversation', () => {
  test('the first change posts the card; the next updates it in place with one threaded reply', async () => {
    const { sender, store, notifier } = await setup();
    const view = sampleView();
    await notifier.handle(event(view, { kind: 'created' }));
    await notifier.flush();
    expect(sender.of('send')).toHaveLength(1);
    const posted = sender.of('send')[0];
    expect(posted?.conversationId).toBe(CHANNEL);
    expect(posted?.activity.attachments?.[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(await store.cards.get(CHANNEL, 'link-1')).toMatchObject({ state: 'posted', activityId: posted?.id });

    const raised = withSeverity(view, 'high');
    await notifier.handle(event(raised, { changes: [{ field: 'severity', from: 'medium', to: 'high', portal: 'sentinel', by: 'Jane Doe' }] }));
    await notifier.flush();
    expect(sender.of('send')).toHaveLength(1);
    expect(sender.of('update').map((record) => record.targetId)).toEqual([posted?.id]);
    const [reply] = sender.of('reply');
    expect(reply?.targetId).toBe(posted?.id);
    expect(reply?.activity.text).toContain('Jane Doe');
  });

  test('a new alert updates the card in place, its Alerts section listing it, and the thread says "New alert: …"', async () => {
    const { sender, notifier } = await setup();
    const view = sampleView();
    await notifier.handle(event(view, { kind: 'created' }));
    await notifier.flush();
    const withAlert = structuredClone(view);
    const alert = { id: 'da7', title: 'Impossible travel activity', serviceSource: 'microsoftDefenderForCloudApps', severity: 'medium' as const, status: 'new' as const, firstActivityAt: '2024-05-01T09:00:00Z', lastActivityAt: '2024-05-01T09:30:00Z', techniques: [], webUrl: '' };
    if (withAlert.defender) withAlert.defender.alertDetails = { alerts: [alert], evidence: [], evidenceTotal: 0 };
    await notifier.handle(event(withAlert, { changes: [{ field: 'alerts', from: { ids: [], digest: 'a' }, to: { ids: ['da7'], digest: 'b' }, portal: 'defender', by: 'Microsoft Defender XDR' }] }));
    await notifier.flush();
    expect(sender.of('send')).toHaveLength(1);
    expect(sender.of('update')).toHaveLength(1);
    expect(JSON.stringify(sender.of('update')[0]?.activity)).toContain('Impossible travel activity');
    expect(sender.of('reply').map((record) => record.activity.text)).toEqual(['New alert: Impossible travel activity (Defender for Cloud Apps, Medium)']);
  });

  test('each subscribed conversation gets its own single card', async () => {
    const { sender, notifier } = await setup({ channels: { [CHANNEL]: {}, [OTHER_CHANNEL]: {} } });
    await notifier.handle(event(sampleView(), { kind: 'created' }));
    await notifier.handle(event(sampleView(), { kind: 'created' }));
    await notifier.flush();
    expect(sender.of('send').map((record) => record.conversationId).sort()).toEqual([CHANNEL, OTHER_CHANNEL].sort());
  });

  test('a burst becomes one update and one reply that tells all of it', async () => {
    const { sender, notifier } = await setup();
    const view = sampleView();
    await notifier.handle(event(view, { kind: 'created' }));
    await notifier.flush();
    const high = withSeverity(view, 'high');
    await notifier.handle(event(high, { changes: [{ field: 'severity', from: 'medium', to: 'high', portal: 'defender', by: 'Jane Doe' }] }));
    const tagged = withTags(high, ['phishing', 'vip']);
    await notifier.handle(event(tagged, { changes: [{ field: 'tags', from: ['phishing'], to: ['phishing', 'vip'], portal: 'sentinel', by: 'Jane Doe' }] }));
    await notifier.handle(event(tagged, { changes: [{ field: 'comment', from: null, to: 'Reimaged host', portal: 'sentinel', by: 'Raj' }] }));
    await notifier.flush();
    expect(sender.of('update')).toHaveLength(1);
    expect(sender.of('reply')).toHaveLength(1);
    const text = sender.of('reply')[0]?.activity.text ?? '';
    expect(text).toMatch(/[Ss]everity/);
    expect(text).toContain('vip');
    expect(JSON.stringify(sender.of('update')[0]?.activity)).toContain('vip');
  });

  test('a redelivered event sends nothing new', async () => {
    const { sender, notifier } = await setup();
    const first = event(sampleView(), { kind: 'created' });
    await notifier.handle(first);
    await notifier.flush();
    const change = event(withSeverity(sampleView(), 'high'), { changes: [{ field: 'severity', from: 'medium', to: 'high', portal: 'defender', by: 'x' }] });
    await notifier.handle(change);
    await notifier.flush();
    await notifier.handle(change);
    await notifier.flush();
    expect(sender.records.map((record) => record.op)).toEqual(['send', 'update', 'reply']);
  });

  test('after a restart (new notifier, same store) the card is updated in place, never posted twice', async () => {
    const { sender, makeNotifier, notifier } = await setup();
    await notifier.handle(event(sampleView(), { kind: 'created' }));
    await notifier.flush();
    await notifier.close();
    const restarted = makeNotifier('replica-a-after-restart');
    await restarted.handle(event(sampleView(), { kind: 'created' }));
    await restarted.handle(event(withSeverity(sampleView(), 'low'), { changes: [{ field: 'severity', from: 'medium', to: 'low', portal: 'defender', by: 'x' }] }));
    await restarted.flush();
    expect(sender.of('send')).toHaveLength(1);
    expect(sender.of('update')).toHaveLength(1);
  });

  test('two replicas handling the same first event post one card', async () => {
    const { sender, makeNotifier } = await setup();
    const a = makeNotifier('replica-a');
    const b = makeNotifier('replica-b');
    const first = event(sampleView(), { kind: 'created' });
    await Promise.all([a.handle(first), b.handle(first)]);
    await Promise.all([a.flush(), b.flush()]);
    expect(sender.of('send')).toHaveLength(1);
  });

  test('a card someone deleted is posted again', async () => {
    const { sender, notifier } = await setup();
    await notifier.handle(event(sampleView(), { kind: 'created' }));
    await notifier.flush();
    sender.failures.push({ op: 'update', status: 404, errorCode: 'NotFound' });
    await notifier.handle(event(withSeverity(sampleView(), 'high')));
    await notifier.flush();
    expect(sender.of('send')).toHaveLength(2);
  });

  test('the real coalescing timer delivers a burst once the window closes', async () => {
    const { sender, makeNotifier } = await setup();
    const realTimer: Schedule = (callback, ms) => {
      const timer = setTimeout(callback, ms);
      return () => clearTimeout(timer);
    };
    const notifier = makeNotifier('replica-a', realTimer, 20);
    await notifier.handle(event(sampleView(), { kind: 'created' }));
    await notifier.handle(event(withSeverity(sampleView(), 'high'), { kind: 'created' }));
    await waitFor(() => sender.of('send').length === 1, 'the card to be posted');
    await notifier.close();
    expect(sender.records).toHaveLength(1);
  });
});

describe('subscriptions decide who hears about what', () => {
  test('only matching conversations get the card; a posted card follows the incident below the filter', async () => {
    const { sender, notifier } = await setup({ channels: { [CHANNEL]: { minSeverity: 'high' }, [OTHER_CHANNEL]: { products: ['identity'] } } });
    await notifier.handle(event(sampleView(), { kind: 'created' }));
    await notifier.flush();
    expect(sender.records).toHaveLength(0);
    await notifier.handle(event(withSeverity(sampleView(), 'high')));
    await notifier.flush();
    expect(sender.of('send').map((record) => record.conversationId)).toEqual([CHANNEL]);
    await notifier.handle(event(withSeverity(sampleView(), 'low')));
    await notifier.flush();
    expect(sender.of('update').map((record) => record.conversationId)).toEqual([CHANNEL]);
  });

  test('works as a BridgeApi consumer', async () => {
    const { sender, notifier } = await setup();
    const bridge = createFakeBridge();
    const unsubscribe = bridge.subscribe(notifier);
    await bridge.emit(event(sampleView(), { kind: 'created' }));
    await notifier.flush();
    unsubscribe();
    expect(sender.of('send')).toHaveLength(1);
  });
});

describe('Teams failures and limits', () => {
  test('403 deactivates the conversation without retrying, and later changes go nowhere', async () => {
    const { sender, store, errors, notifier } = await setup();
    sender.failures.push({ op: 'send', status: 403, errorCode: 'BotNotInConversationRoster' });
    await notifier.handle(event(sampleView(), { kind: 'created' }));
    await notifier.flush();
    expect(sender.failedAttempts).toHaveLength(1);
    expect(await store.conversations.get(CHANNEL)).toMatchObject({ active: false });
    expect(errors).toHaveLength(1);
    // The failed claim was released, but the conversation is inactive now: nothing is sent.
    await notifier.handle(event(withSeverity(sampleView(), 'high')));
    await notifier.flush();
    expect(sender.records).toHaveLength(0);
  });

  test('429 honours Retry-After, shares the pause, then succeeds', async () => {
    const { sender, store, clock, notifier } = await setup();
    sender.failures.push({ op: 'send', status: 429, retryAfter: '5' });
    const start = clock.now();
    await notifier.handle(event(sampleView(), { kind: 'created' }));
    await notifier.flush();
    expect(sender.of('send')).toHaveLength(1);
    expect(Math.max(...clock.sleeps)).toBeGreaterThanOrEqual(5000);
    expect(await store.rateLimits.getRetryAfter(conversationPauseKey(CHANNEL))).toBe(new Date(start + 5000).toISOString());
  });

  test('502s are retried 3 times with 2, 4 and 8 s backoff; a 4th failure gives up and frees the claim', async () => {
    const { sender, store, clock, errors, notifier } = await setup();
    for (let i = 0; i < 4; i += 1) sender.failures.push({ op: 'send', status: 502 });
    await notifier.handle(event(sampleView(), { kind: 'created' }));
    await notifier.flush();
    expect(clock.sleeps.filter((ms) => ms >= 1000)).toEqual([2000, 4000, 8000]);
    expect(sender.failedAttempts).toHaveLength(4);
    expect(errors).toHaveLength(1);
    expect(await store.cards.get(CHANNEL, 'link-1')).toBeNull();
    await notifier.handle(event(sampleView(), { kind: 'created' }));
    await notifier.flush();
    expect(sender.of('send')).toHaveLength(1);
  });

  test('a flood of incidents stays within 7 sends per second in one conversation', async () => {
    const { sender, clock, notifier } = await setup();
    const sentAt: number[] = [];
    const originalSend = sender.send.bind(sender);
    sender.send = async (reference, activity) => {
      sentAt.push(clock.now());
      return originalSend(reference, activity);
    };
    for (let i = 0; i < 20; i += 1) {
      await notifier.handle(event(sampleView({ linkId: `link-${i}`, defenderId: String(100 + i) }), { kind: 'created' }));
    }
    await notifier.flush();
    expect(sentAt).toHaveLength(20);
    for (const at of sentAt) expect(sentAt.filter((other) => other >= at && other < at + 1000).length).toBeLessThanOrEqual(7);
    for (const at of sentAt) expect(sentAt.filter((other) => other >= at && other < at + 2000).length).toBeLessThanOrEqual(8);
    // And it does not crawl: 20 posts take well under 30 s of (virtual) time.
    expect((sentAt[19] ?? 0) - (sentAt[0] ?? 0)).toBeLessThan(15_000);
  });
});

describe('the only writer of card messages: edit outcomes and card copies', () => {
  const outcomeOf = (state: EditOutcome['state'], severity: EditOutcome['perPortal']['defender']['severity']): EditOutcome => ({
    requestId: 'req-1',
    linkId: 'link-1',
    state,
    perPortal: { defender: { severity }, sentinel: { severity: { state: 'written' } } },
    converged: state === 'completed',
    updatedAt: '2024-05-01T10:00:00.000Z',
  });
  const textOf = (record: { activity: unknown } | undefined) => JSON.stringify(record?.activity ?? null);

  test("an outcome event updates the card with it, and a later change keeps it there", async () => {
    const { sender, notifier, outcomes } = await setup();
    const view = sampleView();
    await notifier.handle(event(view, { kind: 'created' }));
    await notifier.flush();
    outcomes.set('link-1', outcomeOf('completed', { state: 'viaOtherRoute', verified: true }));
    await notifier.handle(event(view, { kind: 'edit-outcome', editRequestId: 'req-1', outcome: outcomes.get('link-1')! }));
    await notifier.flush();
    expect(sender.of('update')).toHaveLength(1);
    expect(textOf(sender.of('update')[0])).toContain('Update applied; both portals agree');
    // A success needs no threaded notice: the change itself was announced.
    expect(sender.of('reply')).toHaveLength(0);

    await notifier.handle(event(withTags(view, ['phishing', 'vip']), { changes: [{ field: 'tags', from: ['phishing'], to: ['phishing', 'vip'], portal: 'sentinel', by: 'Sam Lee' }] }));
    await notifier.flush();
    expect(sender.of('update')).toHaveLength(2);
    expect(textOf(sender.of('update')[1])).toContain('Update applied; both portals agree');
    expect(textOf(sender.of('update')[1])).toContain('vip');
  });

  test('the latest outcome wins whatever the event carries, and a failure gets one notice', async () => {
    const { sender, notifier, outcomes } = await setup();
    const view = sampleView();
    await notifier.handle(event(view, { kind: 'created' }));
    await notifier.flush();
    const failed = outcomeOf('partial', { state: 'failed', reason: 'Forbidden by policy' });
    outcomes.set('link-1', failed);
    // An older outcome event delivered after the store already holds the final one.
    await notifier.handle(event(view, { kind: 'edit-outcome', editRequestId: 'req-1', actor: { objectId: 'o', displayName: 'Jane Doe' }, outcome: outcomeOf('accepted', { state: 'pending' }) }));
    await notifier.handle(event(view, { kind: 'edit-outcome', editRequestId: 'req-1', actor: { objectId: 'o', displayName: 'Jane Doe' }, outcome: failed }));
    await notifier.flush();
    expect(sender.of('update')).toHaveLength(1);
    expect(textOf(sender.of('update')[0])).toContain('Forbidden by policy');
    expect(textOf(sender.of('update')[0])).toContain('Last update failed');
    expect(sender.of('reply').map((record) => record.activity.text)).toEqual(['⚠️ The update by Jane Doe was only partly applied (Defender: severity); the card has the details.']);
  });

  test('an outcome never posts a card where none is shown', async () => {
    const { sender, notifier, outcomes } = await setup();
    outcomes.set('link-1', outcomeOf('accepted', { state: 'pending' }));
    await notifier.handle(event(sampleView(), { kind: 'edit-outcome', editRequestId: 'req-1', outcome: outcomes.get('link-1')! }));
    await notifier.flush();
    expect(sender.records).toEqual([]);
  });

  test('a registered copy is brought up to date in place, without a thread, in any conversation that can see it', async () => {
    const { sender, notifier, outcomes, store } = await setup({ channels: {} });
    const chat = 'a:personal-chat';
    await store.conversations.upsert({ id: chat, reference: reference(chat), scope: 'personal', tenantId: 'tenant-a' });
    const view = sampleView();
    // What the command's answer showed: the view without an outcome.
    await store.cards.registerCopy({ conversationId: chat, activityId: 'reply-1', linkId: 'link-1', lastHash: cardHash(view, null) }, '2024-05-01T10:00:00.000Z');
    await notifier.handle(event(view, { kind: 'card-registered', target: { conversationId: chat, activityId: 'reply-1' } }));
    await notifier.flush();
    expect(sender.records).toEqual([]); // it still shows what it showed

    outcomes.set('link-1', outcomeOf('completed', { state: 'viaOtherRoute', verified: true }));
    await notifier.handle(event(view, { kind: 'edit-outcome', editRequestId: 'req-1', outcome: outcomes.get('link-1')! }));
    await notifier.flush();
    expect(sender.records.map((record) => [record.op, record.targetId])).toEqual([['update', 'reply-1']]);
    expect(textOf(sender.of('update')[0])).toContain('Update applied');
  });

  test('a copy whose message was deleted is forgotten', async () => {
    const { sender, notifier, outcomes, store } = await setup();
    await store.cards.registerCopy({ conversationId: CHANNEL, activityId: 'reply-1', linkId: 'link-1', lastHash: 'old' }, '2024-05-01T10:00:00.000Z');
    outcomes.set('link-1', outcomeOf('accepted', { state: 'pending' }));
    sender.failures.push({ op: 'update', status: 404 });
    await notifier.handle(event(sampleView(), { kind: 'edit-outcome', editRequestId: 'req-1', outcome: outcomes.get('link-1')! }));
    await notifier.flush();
    expect(await store.cards.listCopies('link-1')).toEqual([]);
  });
});

describe('no card update is lost to a stop or a crash', () => {
  /** An event stored in the outbox, as the engine delivers it. */
  async function stored(store: Awaited<ReturnType<typeof setup>>['store'], view: IncidentView, overrides: Partial<ChangeEvent> = {}): Promise<ChangeEvent> {
    const { seq: _seq, ...draft } = event(view, overrides);
    const [appended] = await store.changeEvents.append([draft]);
    if (!appended) throw new Error('not appended');
    return appended;
  }
  const severityChange = [{ field: 'severity' as const, from: 'medium', to: 'high', portal: 'sentinel' as const, by: 'Jane Doe' }];

  test('the card an event makes stale is recorded before handle returns, and cleared once sent', async () => {
    const { store, notifier, clock } = await setup();
    await notifier.handle(await stored(store, sampleView(), { kind: 'created' }));
    const recorded = await store.cardRefreshes.claimStale('probe', new Date(clock.now() + 10 * 60_000).toISOString(), 0);
    expect(recorded.map((refresh) => [refresh.conversationId, refresh.linkId, refresh.announce])).toEqual([[CHANNEL, 'link-1', true]]);
    await notifier.flush();
    expect(await store.cardRefreshes.claimStale('probe', new Date(clock.now() + 20 * 60_000).toISOString(), 0)).toEqual([]);
  });

  test('a replica that died inside the window leaves the update to a sweep once its claim is stale: update and notice', async () => {
    const { store, sender, makeNotifier, notifier, clock } = await setup();
    await notifier.handle(await stored(store, sampleView(), { kind: 'created' }));
    await notifier.flush();
    // The change is acknowledged (handle returned) and then the process dies before the window closes.
    await notifier.handle(await stored(store, withSeverity(sampleView(), 'high'), { changes: severityChange }));
    const survivor = makeNotifier('replica-b');
    expect(await survivor.sweep()).toBe(0); // the claim is fresh: its holder may still be sending
    await clock.sleep(DEFAULT_CLAIM_STALE_AFTER_MS + 1);
    expect(await survivor.sweep()).toBe(1);
    await survivor.flush();
    expect(sender.of('update')).toHaveLength(1);
    expect(JSON.stringify(sender.of('update')[0]?.activity)).toContain('High');
    expect(sender.of('reply').map((record) => record.activity.text)).toEqual([expect.stringContaining('Severity Medium → High by Jane Doe in Sentinel')]);
  });

  test('a stopping replica releases what it could not send, and another takes it at once', async () => {
    const { store, sender, makeNotifier, notifier } = await setup();
    await notifier.handle(await stored(store, sampleView(), { kind: 'created' }));
    await notifier.flush();
    // Teams fails the update for good (the guarded sender's retries exhausted): it stays recorded.
    sender.failures.push(...Array.from({ length: 4 }, () => ({ op: 'update' as const, status: 502 })));
    await notifier.handle(await stored(store, withSeverity(sampleView(), 'high'), { changes: severityChange }));
    await notifier.close();
    expect(sender.of('update')).toHaveLength(0);
    const other = makeNotifier('replica-b');
    expect(await other.sweep()).toBe(1);
    await other.flush();
    expect(sender.of('update')).toHaveLength(1);
  });

  test('a card that keeps failing is given up after its tries, not retried for ever', async () => {
    const { store, sender, errors, makeNotifier, notifier, clock } = await setup();
    await notifier.handle(await stored(store, sampleView(), { kind: 'created' }));
    await notifier.flush();
    sender.failures.push(...Array.from({ length: 100 }, () => ({ op: 'update' as const, status: 502 })));
    await notifier.handle(await stored(store, withSeverity(sampleView(), 'high'), { changes: severityChange }));
    await notifier.flush();
    const sweeper = makeNotifier('replica-b');
    for (let round = 0; round < DEFAULT_MAX_REFRESH_ATTEMPTS + 2; round += 1) {
      await clock.sleep(DEFAULT_CLAIM_STALE_AFTER_MS + 1);
      await sweeper.sweep();
      await sweeper.flush();
    }
    expect(errors).toHaveLength(DEFAULT_MAX_REFRESH_ATTEMPTS);
    await clock.sleep(DEFAULT_CLAIM_STALE_AFTER_MS + 1);
    expect(await sweeper.sweep()).toBe(0);
  });
});

describe('metrics', () => {
  test('fan-out counts the conversations an event reached, and each burst and each send is counted by how it ended', async () => {
    const { metrics, notifier } = await setup({ channels: { [CHANNEL]: {}, [OTHER_CHANNEL]: { minSeverity: 'high' } } });
    await notifier.handle(event(sampleView(), { kind: 'created' }));
    await notifier.flush();
    expect(metrics.fanOut).toEqual([{ kind: 'created', conversations: 1 }]);
    await notifier.handle(event(withSeverity(sampleView(), 'high')));
    await notifier.flush();
    // The posted card follows the incident, and the other channel now matches too.
    expect(metrics.fanOut.at(-1)).toEqual({ kind: 'updated', conversations: 2 });
    expect(metrics.deliveries).toEqual(['delivered', 'delivered', 'delivered']);
    expect(metrics.sends).toEqual([
      { operation: 'send', result: 'ok' },
      expect.objectContaining({ result: 'ok' }),
      expect.objectContaining({ result: 'ok' }),
      expect.objectContaining({ result: 'ok' }),
    ]);
    expect(metrics.sends.map((send) => send.operation).sort()).toEqual(['reply', 'send', 'send', 'update']);
  });

  test("Teams' 429 is counted with the wait it asked for; a removed bot's send and burst are counted failed, and later changes reach nobody", async () => {
    const { sender, metrics, notifier } = await setup();
    sender.failures.push({ op: 'send', status: 429, retryAfter: '5' });
    await notifier.handle(event(sampleView(), { kind: 'created' }));
    await notifier.flush();
    expect(metrics.throttled).toEqual(['send']);
    expect(metrics.waits.filter((wait) => wait.reason === 'retry').map((wait) => wait.seconds)).toEqual([5]);
    expect(metrics.sends).toEqual([{ operation: 'send', result: 'ok' }]);

    sender.failures.push({ op: 'update', status: 403, errorCode: 'BotNotInConversationRoster' });
    await notifier.handle(event(withSeverity(sampleView(), 'high')));
    await notifier.flush();
    expect(metrics.sends.at(-1)).toEqual({ operation: 'update', result: 'conversation-gone' });
    await notifier.handle(event(withSeverity(sampleView(), 'low')));
    await notifier.flush();
    expect(metrics.deliveries).toEqual(['delivered', 'failed']);
    expect(metrics.fanOut.at(-1)).toEqual({ kind: 'updated', conversations: 0 });
  });

  test('a burst for a conversation deactivated while it waited in its window is counted skipped', async () => {
    const { store, metrics, notifier } = await setup();
    await notifier.handle(event(sampleView(), { kind: 'created' }));
    await store.conversations.deactivate(CHANNEL, 'the bot was removed');
    await notifier.flush();
    expect(metrics.deliveries).toEqual(['skipped']);
  });

  test('a flood in one conversation waits for rate-limit tokens, and the waits are counted', async () => {
    const { metrics, notifier } = await setup();
    for (let i = 0; i < 12; i += 1) {
      const view = sampleView({ linkId: `link-${i}`, defenderId: String(100 + i) });
      await notifier.handle(event(view, { kind: 'created', linkId: view.linkId }));
    }
    await notifier.flush();
    expect(metrics.sends.filter((send) => send.result === 'ok')).toHaveLength(12);
    const waited = metrics.waits.filter((wait) => wait.reason === 'rate-limit');
    expect(waited.length).toBeGreaterThan(0);
    expect(waited.every((wait) => wait.seconds > 0)).toBe(true);
  });
});
