// Private and shared channels end to end: the real product (startBridge over the simulators) and
// the simulated Teams, whose Bot Connector serves each declared channel by its type. In a private or
// shared channel the app was added to, /subscribe, the cards, their updates and commands work; when
// the app is taken out of the channel, Teams answers 403 BotNotInConversationRoster and the bridge
// stops sending there, saying why in its log and in the conversation's record.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startProductOverSimulators, waitUntil, type ProductBot } from '../e2e/support/product.ts';
import { messagesIn, sayInChannel, TEAM_ID, TEAMS_TENANT, textOf } from './support.ts';

const PRIVATE = '19:soc-private@thread.tacv2';
const SHARED = '19:soc-shared@thread.tacv2';
const ALEX = 'alex.wilber@contoso.example';

describe('private and shared channels through the simulated Teams', () => {
  let product: ProductBot;
  const declare = (id: string, type: 'private' | 'shared', botInRoster: boolean) => product.simulators.teams.declareChannel({ id, tenantId: TEAMS_TENANT, teamId: TEAM_ID, type, botInRoster });

  beforeAll(async () => {
    product = await startProductOverSimulators();
    declare(PRIVATE, 'private', true);
    declare(SHARED, 'shared', true);
  }, 60_000);
  afterAll(async () => {
    await product?.close();
  });

  test('subscribed in both, each gets the card as a new post, updated in place', async () => {
    expect(await sayInChannel(product, PRIVATE, '/subscribe', { upn: ALEX, channelType: 'private' })).toBe(200);
    expect(await sayInChannel(product, SHARED, '/subscribe', { upn: ALEX, channelType: 'shared' })).toBe(200);
    expect(textOf(messagesIn(product, PRIVATE)[0])).toContain('This is a private channel');
    expect(textOf(messagesIn(product, SHARED)[0])).toContain('This is a shared channel');

    await product.announceSampleIncident();
    const announced = new Map<string, string>();
    for (const channel of [PRIVATE, SHARED]) {
      const card = await waitUntil(`the card in ${channel}`, () => messagesIn(product, channel).find((message) => textOf(message).includes('Suspicious PowerShell download')));
      announced.set(channel, card.id);
    }
    expect(await sayInChannel(product, PRIVATE, `/severity ${product.defenderId} high`, { upn: ALEX, channelType: 'private' })).toBe(200);
    // The announced card itself shows the change: updated in place, not posted again.
    await waitUntil(
      'the private channel card to show High',
      () => messagesIn(product, PRIVATE).find((message) => message.id === announced.get(PRIVATE) && message.updates > 0 && textOf(message).includes('Severity: High')),
      30_000,
    );
  }, 60_000);

  test('the app taken out of the private channel: Teams refuses the next update, and the bridge stops sending there', async () => {
    declare(PRIVATE, 'private', false);
    await sayInChannel(product, SHARED, `/tag ${product.defenderId} +afterremoval`, { upn: ALEX, channelType: 'shared' });
    const record = await waitUntil('the private channel to be deactivated', async () => {
      const conversation = await product.bridge.context.store.conversations.get(PRIVATE);
      return conversation && !conversation.active ? conversation : null;
    }, 30_000);
    expect(record.deactivatedReason).toContain('BotNotInConversationRoster');
    expect(product.simulators.teams.calls().some((call) => call.conversationId === PRIVATE && call.errorCode === 'BotNotInConversationRoster')).toBe(true);
    // The shared channel, where the app still is, keeps getting updates.
    await waitUntil('the shared channel card to show the tag', () => messagesIn(product, SHARED).find((message) => textOf(message).includes('afterremoval')), 30_000);
  }, 40_000);
});
