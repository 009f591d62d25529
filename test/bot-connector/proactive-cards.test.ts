// The real proactive send path (CloudAdapter sender -> guarded sender -> notifier) over HTTP,
// against the mock Bot Connector (bench/support/mock-connector.ts), which enforces Teams' rate
// limits and answers 429/403/404 as Teams does.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { startMockConnector, type MockConnector } from '../../bench/support/mock-connector.ts';
import { changeEvent, createSendPath, seedSubscribedChannels, waitUntil, withSeverity, type SendPath } from '../../bench/support/send-path.ts';
import { createMemoryStore } from '../fakes/memory-store.ts';
import { sampleView } from '../fakes/bridge.ts';
import type { IncidentView } from '../../src/domain/change-events.ts';

const TENANT = 'tenant-a';
/** Short, so tests stay fast; production uses 1.5 s (notifier.ts). */
const WINDOW_MS = 30;

let connector: MockConnector;
let seq = 0;
const paths: SendPath[] = [];

beforeAll(async () => {
  connector = await startMockConnector();
});
afterAll(async () => {
  await connector.close();
});
afterEach(async () => {
  for (const path of paths.splice(0)) await path.notifier.close();
});

async function setup(channels: number, first: number) {
  const store = createMemoryStore();
  const ids = await seedSubscribedChannels(store, { serviceUrl: connector.url, count: channels, tenantId: TENANT, first });
  const errors: unknown[] = [];
  const path = createSendPath({ store, coalesceWindowMs: WINDOW_MS, onError: (error) => errors.push(error) });
  paths.push(path);
  return { store, ids, errors, path };
}

function severityChange(from: string, to: string) {
  return [{ field: 'severity' as const, from, to, portal: 'defender' as const, by: 'alice@contoso.com' }];
}

async function postCards(path: SendPath, ids: string[], view: IncidentView) {
  seq += 1;
  await path.notifier.handle(changeEvent(seq, view, [], 'created'));
  await waitUntil(() => ids.every((id) => connector.topLevel(id).length === 1), 'a card in every channel', 5000);
  await path.notifier.flush();
}

const inConversations = (ids: string[]) => (call: { conversationId: string }) => ids.includes(call.conversationId);

describe('one card per incident per channel', () => {
  test('the first change posts the card; later changes update it in place and add one threaded reply', async () => {
    const { store, ids, errors, path } = await setup(3, 0);
    const view = sampleView({ linkId: 'link-card' });
    await postCards(path, ids, view);

    seq += 1;
    await path.notifier.handle(changeEvent(seq, withSeverity(view, 'high'), severityChange('medium', 'high')));
    await path.notifier.flush();

    for (const id of ids) {
      const [card, ...others] = connector.topLevel(id);
      expect(others).toEqual([]);
      expect(card!.updates).toBe(1);
      expect(JSON.stringify(card!.activity)).toContain('High');
      const replies = connector.repliesTo(card!.id);
      expect(replies).toHaveLength(1);
      expect(JSON.stringify(replies[0]!.activity)).toMatch(/severity/i);
      expect(await store.cards.get(id, 'link-card')).toMatchObject({ state: 'posted', activityId: card!.id });
    }
    expect(connector.count(inConversations(ids))).toMatchObject({ send: 3, update: 3, reply: 3, refused: 0 });
    expect(errors).toEqual([]);
  });

  test('a burst of changes inside the window becomes one update and one reply per channel', async () => {
    const { ids, errors, path } = await setup(2, 10);
    const view = sampleView({ linkId: 'link-burst' });
    await postCards(path, ids, view);

    const before = connector.calls.length;
    seq += 1;
    await path.notifier.handle(changeEvent(seq, withSeverity(view, 'high'), severityChange('medium', 'high')));
    seq += 1;
    await path.notifier.handle(changeEvent(seq, withSeverity(view, 'low'), severityChange('high', 'low')));
    seq += 1;
    const tagged = withSeverity(view, 'low');
    tagged.defender!.tags = ['phishing', 'vip'];
    await path.notifier.handle(changeEvent(seq, tagged, [{ field: 'tags', from: ['phishing'], to: ['phishing', 'vip'], portal: 'sentinel', by: 'bob@contoso.com' }]));
    await path.notifier.flush();

    const burst = connector.calls.slice(before).filter(inConversations(ids));
    expect(burst.map((call) => call.op).sort()).toEqual(['reply', 'reply', 'update', 'update']);
    for (const id of ids) {
      const card = connector.topLevel(id)[0]!;
      expect(JSON.stringify(card.activity)).toContain('vip');
      const reply = JSON.stringify(connector.repliesTo(card.id)[0]!.activity);
      // One reply that says what changed from first to last: medium -> low, and the tag.
      expect(reply).toMatch(/medium/i);
      expect(reply).toMatch(/low/i);
      expect(reply).toContain('vip');
    }
    expect(errors).toEqual([]);
  });
});

describe('failures Teams answers', () => {
  test('429 with Retry-After is honoured and the update is not lost', async () => {
    const { ids, errors, path } = await setup(1, 20);
    const id = ids[0]!;
    const view = sampleView({ linkId: 'link-429' });
    await postCards(path, ids, view);

    connector.failures.push({ status: 429, retryAfter: '1', op: 'update', conversationId: id });
    seq += 1;
    await path.notifier.handle(changeEvent(seq, withSeverity(view, 'high'), severityChange('medium', 'high')));
    await path.notifier.flush();

    const updates = connector.calls.filter((call) => call.conversationId === id && call.op === 'update');
    expect(updates.map((call) => call.status)).toEqual([429, 200]);
    // The retry came after the Retry-After (1 s), not sooner.
    expect(updates[1]!.at - updates[0]!.at).toBeGreaterThanOrEqual(1000);
    const card = connector.topLevel(id)[0]!;
    expect(card.updates).toBe(1);
    expect(JSON.stringify(card.activity)).toContain('High');
    expect(connector.repliesTo(card.id)).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  test.each([
    ['403, the bot was removed', (c: MockConnector, id: string) => c.removeBot(id)],
    ['404, the conversation is gone', (c: MockConnector, id: string) => c.deleteConversation(id)],
  ])('%s: the channel is deactivated and gets no more calls', async (_name, remove) => {
    const { store, ids, path } = await setup(2, seq * 10 + 100);
    const [gone, kept] = ids as [string, string];
    const view = sampleView({ linkId: 'link-gone' });
    await postCards(path, ids, view);

    remove(connector, gone);
    seq += 1;
    await path.notifier.handle(changeEvent(seq, withSeverity(view, 'high'), severityChange('medium', 'high')));
    await path.notifier.flush();
    expect(await store.conversations.get(gone)).toMatchObject({ active: false });
    expect(connector.calls.filter((call) => call.conversationId === gone && call.status >= 400)).toHaveLength(1);

    seq += 1;
    await path.notifier.handle(changeEvent(seq, withSeverity(view, 'low'), severityChange('high', 'low')));
    await path.notifier.flush();
    // Still only the one refused call: nothing retried, nothing new sent to it.
    expect(connector.calls.filter((call) => call.conversationId === gone && call.op !== 'send')).toHaveLength(1);
    expect(connector.topLevel(kept)[0]!.updates).toBe(2);
  });

  test('a card a user deleted is posted again, once', async () => {
    const { store, ids, errors, path } = await setup(1, 30);
    const id = ids[0]!;
    const view = sampleView({ linkId: 'link-deleted' });
    await postCards(path, ids, view);
    const first = connector.topLevel(id)[0]!;
    connector.deleteMessage(first.id);

    seq += 1;
    await path.notifier.handle(changeEvent(seq, withSeverity(view, 'high'), severityChange('medium', 'high')));
    await path.notifier.flush();
    const cards = connector.topLevel(id);
    expect(cards).toHaveLength(2);
    expect(await store.cards.get(id, 'link-deleted')).toMatchObject({ state: 'posted', activityId: cards[1]!.id });
    expect(errors).toEqual([]);
  });
});

describe('rate limits', () => {
  test('a fan-out stays under the tenant limit, with no 429, close to the rate it allows', async () => {
    const tight = await startMockConnector({ tenantRequestsPerSecond: 20 });
    try {
      const store = createMemoryStore();
      const ids = await seedSubscribedChannels(store, { serviceUrl: tight.url, count: 40, tenantId: 'tenant-tight' });
      const errors: unknown[] = [];
      const path = createSendPath({ store, coalesceWindowMs: WINDOW_MS, guarded: { tenantRequestsPerSecond: 20 }, onError: (error) => errors.push(error) });
      paths.push(path);
      seq += 1;
      await path.notifier.handle(changeEvent(seq, sampleView({ linkId: 'link-fan', tenantId: 'tenant-tight' }), [], 'created'));
      await path.notifier.flush();

      expect(ids.every((id) => tight.topLevel(id).length === 1)).toBe(true);
      expect(tight.count()).toMatchObject({ send: 40, throttled: 0, refused: 0 });
      expect(tight.peakUsage().tenantPerSecond).toBeLessThanOrEqual(20);
      // 40 calls at the sender's budget for 20/s (2 at once, then 17/s; send-policy.ts) take
      // about 2.2 s; 3 s leaves room for a slow machine but not for a budget far below the limit.
      const calls = tight.calls;
      expect(calls[calls.length - 1]!.at - calls[0]!.at).toBeLessThan(3000);
      expect(errors).toEqual([]);
    } finally {
      await tight.close();
    }
  });
});

describe('restart', () => {
  test('a new notifier on the same store keeps updating in place and posts no duplicate', async () => {
    const { store, ids, errors, path } = await setup(2, 40);
    const view = sampleView({ linkId: 'link-restart' });
    await postCards(path, ids, view);
    await path.notifier.close();

    // A new process: new adapter, sender and notifier, the same database.
    const restarted = createSendPath({ store, holderId: 'replica-after-restart', coalesceWindowMs: WINDOW_MS, onError: (error) => errors.push(error) });
    paths.push(restarted);
    seq += 1;
    await restarted.notifier.handle(changeEvent(seq, withSeverity(view, 'high'), severityChange('medium', 'high')));
    await restarted.notifier.flush();

    for (const id of ids) {
      const cards = connector.topLevel(id);
      expect(cards).toHaveLength(1);
      expect(cards[0]!.updates).toBe(1);
      expect(connector.repliesTo(cards[0]!.id)).toHaveLength(1);
    }
    expect(errors).toEqual([]);
  });
});
