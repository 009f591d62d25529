// A war room end to end, against the real product (startBridge: sync engine, PGlite, the bot) and
// the simulators, whose Teams side is the client: an analyst asks in a channel of the simulated
// Teams; Graph creates the chat and installs the app; the simulated Teams delivers the install
// events to the bot, which posts the incident card in the chat through the simulated Bot Connector;
// the channel's answer and every card link the chat; a later change of the incident updates the
// card in the chat in place.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startProductOverSimulators, waitUntil, type ProductBot } from '../e2e/support/product.ts';
import { messagesIn, sayInChannel, TEAM_ID, TEAMS_TENANT as TENANT, textOf } from './support.ts';

const CHANNEL = '19:soc-war-room-test@thread.tacv2';
const ALEX = 'alex.wilber@contoso.example';
const MEGAN = 'megan.bowen@contoso.example';

describe('a war room through the simulated Teams', () => {
  let product: ProductBot;

  const messages = (conversationId: string) => messagesIn(product, conversationId);
  const say = async (text: string) => expect(await sayInChannel(product, CHANNEL, text, { upn: ALEX })).toBeLessThan(300);

  beforeAll(async () => {
    product = await startProductOverSimulators();
    product.simulators.teams.declareChannel({ id: CHANNEL, tenantId: TENANT, teamId: TEAM_ID, type: 'standard', botInRoster: true });
    await product.announceSampleIncident();
  }, 60_000);
  afterAll(async () => {
    await product?.close();
  });

  test('/warroom creates the chat, the bot joins it and posts the card there, and the answer links it', async () => {
    await say(`/warroom ${product.defenderId} ${MEGAN}`);
    const [chat] = product.simulators.teams.chats(TENANT);
    expect(chat).toBeDefined();
    expect(chat?.topic).toMatch(new RegExp(`^Incident ${product.defenderId} \\(Sentinel \\d+\\): Suspicious PowerShell download on FIN-LAPTOP-07$`));
    expect(chat?.members.map((member) => member.userPrincipalName)).toEqual([ALEX, MEGAN]);

    const answer = await waitUntil('the answer in the channel', () => messages(CHANNEL).find((message) => textOf(message).includes('War room opened')));
    expect(textOf(answer)).toContain(encodeURIComponent(chat!.id));

    // Teams told the bot about the install (both events answered 200); one card in the chat.
    await product.simulators.teams.idle();
    expect(product.simulators.teams.deliveries().filter((delivery) => delivery.conversationId === chat!.id).map((delivery) => delivery.status)).toEqual([200, 200]);
    const cards = await waitUntil('the card in the war room chat', () => {
      const posted = messages(chat!.id);
      return posted.length > 0 ? posted : null;
    });
    expect(cards).toHaveLength(1);
    expect(textOf(cards[0])).toContain('Open war room');
    expect(textOf(cards[0])).toContain('Suspicious PowerShell download');
    const room = await product.bridge.context.store.warRooms.get(product.sample.linkId);
    expect(room).toMatchObject({ chatId: chat!.id, appInstalled: true, cardActivityId: cards[0]!.id });
  });

  test('a second request opens the same chat', async () => {
    await say(`/warroom ${product.defenderId} lee.gu@contoso.example`);
    await waitUntil('the second answer', () => messages(CHANNEL).find((message) => textOf(message).includes('already has a war room')));
    expect(product.simulators.teams.chats(TENANT)).toHaveLength(1);
  });

  test('a change of the incident updates the card in the chat in place', async () => {
    const chatId = product.simulators.teams.chats(TENANT)[0]!.id;
    await say(`/tag ${product.defenderId} +warroomcheck`);
    const updated = await waitUntil(
      'the war room card to show the new tag',
      () => messages(chatId).find((message) => message.updates > 0 && textOf(message).includes('warroomcheck')),
      30_000,
    );
    expect(messages(chatId)).toHaveLength(1);
    expect(updated.updates).toBeGreaterThan(0);
  }, 40_000);
});
