// Private and shared channels through the real Application and notifier. Each has its own members
// and apps (Teams channelData.channel.type "private" / "shared"): the bot posts there only when the
// app was added to that channel, else Teams answers 403 BotNotInConversationRoster. /subscribe there
// tries the post the cards will need and, refused, keeps nothing and says why and what to do;
// accepted, subscriptions, cards, updates and commands work as in a standard channel.
import { describe, expect, test } from '@jest/globals';
import { sampleView } from '../fakes/bridge.ts';
import { CHANNEL_ID, messageActivity } from './support/activities.ts';
import { cardsOf, createHarness, textsOf } from './support/harness.ts';
import { channelKindOf } from '../../src/bot/conversation-reference.ts';
import type { ChangeEvent } from '../../src/domain/change-events.ts';

const NOT_IN_ROSTER = { op: 'send' as const, status: 403, errorCode: 'BotNotInConversationRoster' };

function created(seq: number, view = sampleView()): ChangeEvent {
  return { id: `ev-${seq}`, seq, kind: 'created', linkId: view.linkId, pairId: view.pairId, incident: view, changes: [], occurredAt: new Date().toISOString() };
}

describe('channel kinds', () => {
  test('read from channelData.channel.type; a channel that does not say is standard; chats are none', () => {
    expect(channelKindOf(messageActivity('x', { scope: 'channel', channelType: 'private' }))).toBe('private');
    expect(channelKindOf(messageActivity('x', { scope: 'channel', channelType: 'shared' }))).toBe('shared');
    expect(channelKindOf(messageActivity('x', { scope: 'channel' }))).toBe('standard');
    expect(channelKindOf(messageActivity('x'))).toBeUndefined();
  });
});

describe('/subscribe in private and shared channels', () => {
  test('private: the confirmation is posted the way cards will be, and says who sees them', async () => {
    const h = createHarness();
    const turn = await h.turn(messageActivity('/subscribe', { scope: 'channel', channelType: 'private' }));
    expect(textsOf(turn)).toEqual([]);
    const [confirmation] = h.sender.of('send');
    expect(confirmation?.conversationId).toBe(CHANNEL_ID);
    expect(confirmation?.activity.text).toMatch(/^Subscribed .*This is a private channel: only its members see them\.$/);
    expect(await h.store.subscriptions.listForConversation(CHANNEL_ID)).toHaveLength(1);
  });

  test('shared: the confirmation says that people of other organisations see the cards', async () => {
    const h = createHarness();
    await h.turn(messageActivity('/subscribe minSeverity=high', { scope: 'channel', channelType: 'shared' }));
    expect(h.sender.of('send')[0]?.activity.text).toMatch(/shared channel: its members from other organisations see them too/);
  });

  test('refused with BotNotInConversationRoster: nothing is subscribed, and the answer says why and what to do', async () => {
    const h = createHarness();
    h.sender.failures.push(NOT_IN_ROSTER);
    const [answer] = textsOf(await h.turn(messageActivity('/subscribe', { scope: 'channel', channelType: 'private' })));
    expect(answer).toMatch(/^Nothing was subscribed: I cannot post cards in this private channel\. Teams answered that the bot is not a member of it \(BotNotInConversationRoster\)\./);
    expect(answer).toMatch(/add the Incident Bridge app to this channel itself .*or subscribe a standard channel/);
    expect(await h.store.subscriptions.listForConversation(CHANNEL_ID)).toEqual([]);
    expect(await h.store.conversations.get(CHANNEL_ID)).toMatchObject({ active: false, deactivatedReason: expect.stringContaining('BotNotInConversationRoster') });

    // Once the app is added to the channel, /subscribe works.
    await h.turn(messageActivity('/subscribe', { scope: 'channel', channelType: 'private' }));
    expect(await h.store.subscriptions.listForConversation(CHANNEL_ID)).toHaveLength(1);
    expect(await h.store.conversations.get(CHANNEL_ID)).toMatchObject({ active: true });
  });

  test('a standard channel answers in the thread, as before', async () => {
    const h = createHarness();
    const turn = await h.turn(messageActivity('/subscribe', { scope: 'channel' }));
    expect(textsOf(turn)[0]).toMatch(/^Subscribed .*as cards\.$/);
    expect(h.sender.of('send')).toEqual([]);
  });
});

describe('cards, updates and commands in a private channel', () => {
  test('an incident is posted as a card, updated in place, and commands answer there', async () => {
    const h = createHarness();
    await h.turn(messageActivity('/subscribe', { scope: 'channel', channelType: 'private' }));
    await h.bridge.emit(created(1));
    await h.settle();
    const cardPost = h.sender.of('send').find((record) => (record.activity.attachments ?? []).length > 0);
    expect(cardPost?.conversationId).toBe(CHANNEL_ID);
    await h.bridge.emit({ ...created(2, sampleView({ severity: 'high' })), kind: 'updated', changes: [{ field: 'severity', from: 'medium', to: 'high', portal: 'defender', by: 'megan@contoso.com' }] });
    await h.settle();
    expect(h.sender.of('update').map((record) => record.targetId)).toEqual([cardPost?.id]);
    const [card] = cardsOf(await h.turn(messageActivity('/incident 29', { scope: 'channel', channelType: 'private' })));
    expect(card).toBeDefined();
  });

  test('the app removed from the channel later: the next card is refused, the channel is deactivated, and nothing more is sent', async () => {
    const h = createHarness();
    await h.turn(messageActivity('/subscribe', { scope: 'channel', channelType: 'shared' }));
    h.sender.failures.push(NOT_IN_ROSTER);
    await h.bridge.emit(created(1));
    await h.settle();
    expect(await h.store.conversations.get(CHANNEL_ID)).toMatchObject({ active: false, deactivatedReason: expect.stringContaining('BotNotInConversationRoster') });
    const sends = h.sender.of('send').length;
    await h.bridge.emit(created(2, sampleView({ linkId: 'link-2', defenderId: '30' })));
    await h.settle();
    expect(h.sender.of('send')).toHaveLength(sends);
  });
});
