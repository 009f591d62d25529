// War rooms through the real Application, store and notifier: /warroom and the card's button open
// one chat per incident (a second request, or two at once, open the same one), missing permissions
// are named, a failed install is resumed without a second chat, Teams' install events post the
// incident's card in the chat once, and every card of the incident links the chat.
import { describe, expect, test } from '@jest/globals';
import { PortalError } from '../../src/domain/errors.ts';
import { createWarRoomService, warRoomMembers, warRoomTopic } from '../../src/bot/war-room.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { WAR_ROOM_VERB } from '../../src/cards/verbs.ts';
import { sampleView } from '../fakes/bridge.ts';
import { ALICE, PLAYGROUND_USER, VICTOR, groupChatInstallActivities, invokeActivity, messageActivity } from './support/activities.ts';
import { actionsOf, cardsOf, createHarness, invokeAnswerOf, textsOf, verbsIn, waitFor } from './support/harness.ts';

const ONLY_ALICE = { analysts: [ALICE.aadObjectId ?? ''], localMode: false };
const forbidden = (permission: string) =>
  new PortalError('teams', 'forbidden', `Microsoft Graph refused to create the group chat in tenant tenant-a: the app needs the Microsoft Graph application permission ${permission}, with admin consent in that tenant.`, { status: 403 });

function warRoomLinks(card: unknown): string[] {
  return actionsOf(card, 'Action.OpenUrl').filter((action) => action['title'] === 'Open war room').map((action) => String(action['url']));
}

describe('/warroom', () => {
  test('creates the chat with the requester, the owner and the people named, and answers with its link', async () => {
    const h = createHarness();
    const view = sampleView();
    h.bridge.put({ ...view, sentinel: view.sentinel && { ...view.sentinel, owner: { objectId: 'cccccccc-0000-4000-8000-000000000003', upn: 'owen@contoso.com' } } });
    const replies = textsOf(await h.turn(messageActivity('/warroom 29 megan@contoso.com Lee@Contoso.com megan@CONTOSO.com')));
    expect(h.chats.chats).toHaveLength(1);
    const chat = h.chats.chats[0]!;
    expect(chat).toMatchObject({ tenantId: 'tenant-a', topic: 'Incident 29 (Sentinel 1042): Suspicious sign-in from unfamiliar location', installed: true });
    expect(chat.members).toEqual([ALICE.aadObjectId, 'cccccccc-0000-4000-8000-000000000003', 'megan@contoso.com', 'Lee@Contoso.com']);
    expect(replies[0]).toContain(`[open the chat](${chat.webUrl})`);
    expect(await h.store.warRooms.get('link-1')).toMatchObject({ chatId: chat.chatId, webUrl: chat.webUrl, appInstalled: true, holderId: null, requestedBy: { objectId: ALICE.aadObjectId } });
  });

  test('a second request opens the same chat: nothing is created', async () => {
    const h = createHarness();
    await h.turn(messageActivity('/warroom 29 megan@contoso.com'));
    const again = textsOf(await h.turn(messageActivity('/warroom 29 lee@contoso.com', { from: VICTOR })));
    expect(h.chats.chats).toHaveLength(1);
    expect(again[0]).toMatch(/already has a war room: \[open the chat\]/);
  });

  test('two people at once on two replicas: one chat; the other is told it is being opened, then gets it', async () => {
    const h = createHarness();
    const replica = (holderId: string) => createWarRoomService({ warRooms: h.store.warRooms, bridge: h.bridge, chats: h.chats, holderId, now: () => new Date(), log: createSilentLogger() });
    const [a, b] = [replica('replica-a'), replica('replica-b')];
    const request = (requester: typeof ALICE) => ({ view: sampleView(), tenantId: 'tenant-a', requester: { objectId: requester.aadObjectId ?? '', displayName: requester.name }, people: ['megan@contoso.com'] });
    let release!: () => void;
    h.chats.gate = new Promise<void>((resolve) => (release = resolve));
    const first = a.open(request(ALICE));
    await waitFor(async () => (await h.store.warRooms.get('link-1')) !== null, 'replica A to claim the war room');
    expect(await b.open(request(VICTOR))).toEqual({ kind: 'busy' });
    release();
    const opened = await first;
    expect(opened).toMatchObject({ kind: 'opened' });
    expect(await b.open(request(VICTOR))).toEqual({ kind: 'existing', link: (opened as { link: unknown }).link });
    expect(h.chats.chats).toHaveLength(1);
  });

  test('two requests on one replica are two claimers too: one chat', async () => {
    const h = createHarness();
    const service = createWarRoomService({ warRooms: h.store.warRooms, bridge: h.bridge, chats: h.chats, holderId: 'replica-a', now: () => new Date(), log: createSilentLogger() });
    const request = { view: sampleView(), tenantId: 'tenant-a', requester: { objectId: ALICE.aadObjectId ?? '', displayName: 'Alice' }, people: ['megan@contoso.com'] };
    let release!: () => void;
    h.chats.gate = new Promise<void>((resolve) => (release = resolve));
    const first = service.open(request);
    await waitFor(async () => (await h.store.warRooms.get('link-1')) !== null, 'the first request to claim the war room');
    expect(await service.open(request)).toEqual({ kind: 'busy' });
    release();
    await first;
    expect(h.chats.chats).toHaveLength(1);
  });

  test('both install events at once on one replica: one card in the chat', async () => {
    const h = createHarness();
    await h.turn(messageActivity('/warroom 29 megan@contoso.com'));
    const service = createWarRoomService({ warRooms: h.store.warRooms, bridge: h.bridge, chats: h.chats, holderId: 'replica-a', now: () => new Date(), log: createSilentLogger() });
    const chatId = h.chats.chats[0]!.chatId;
    let release!: () => void;
    const slowPost = new Promise<void>((resolve) => (release = resolve));
    let posts = 0;
    const post = async () => {
      posts += 1;
      await slowPost;
      return `card-${posts}`;
    };
    const results = Promise.all([service.postCardOnce(chatId, post), service.postCardOnce(chatId, post)]);
    await waitFor(() => posts > 0, 'one post to start');
    release();
    expect((await results).sort()).toEqual(['posted', 'posted-already']);
    expect(posts).toBe(1);
  });

  test("another organisation's request for the incident's war room is told it is not theirs", async () => {
    const h = createHarness();
    const service = createWarRoomService({ warRooms: h.store.warRooms, bridge: h.bridge, chats: h.chats, holderId: 'replica-a', now: () => new Date(), log: createSilentLogger() });
    const request = (tenantId: string) => ({ view: sampleView(), tenantId, requester: { objectId: ALICE.aadObjectId ?? '', displayName: 'Alice' }, people: ['megan@contoso.com'] });
    expect(await service.open(request('tenant-a'))).toMatchObject({ kind: 'opened' });
    expect(await service.open(request('tenant-b'))).toEqual({ kind: 'other-tenant' });
    expect(h.chats.chats).toHaveLength(1);
  });

  test('a missing permission is named, and nothing is left behind: the next request starts afresh', async () => {
    const h = createHarness();
    h.chats.failNext.createGroupChat = forbidden('Chat.Create');
    const replies = textsOf(await h.turn(messageActivity('/warroom 29 megan@contoso.com')));
    expect(replies[0]).toMatch(/I could not open a war room: .*application permission Chat\.Create/);
    expect(await h.store.warRooms.get('link-1')).toBeNull();
    await h.turn(messageActivity('/warroom 29 megan@contoso.com'));
    expect(h.chats.chats).toHaveLength(1);
  });

  test('a chat the bridge could not join keeps its link; asking again only adds the bridge', async () => {
    const h = createHarness();
    h.chats.failNext.installApp = forbidden('TeamsAppInstallation.ReadWriteForChat.All');
    const first = textsOf(await h.turn(messageActivity('/warroom 29 megan@contoso.com')));
    expect(first[0]).toMatch(/War room opened: \[open the chat\].*could not add myself.*TeamsAppInstallation\.ReadWriteForChat\.All/);
    expect(await h.store.warRooms.get('link-1')).toMatchObject({ appInstalled: false, holderId: null });
    const second = textsOf(await h.turn(messageActivity('/warroom 29')));
    expect(second[0]).toMatch(/War room opened with the incident's card/);
    expect(h.chats.chats).toHaveLength(1);
    expect(h.chats.installs).toEqual([h.chats.chats[0]?.chatId]);
  });

  test('alone with no owner, the request is refused with what to do; viewers and unknown incidents are refused', async () => {
    const h = createHarness({ access: ONLY_ALICE });
    expect(textsOf(await h.turn(messageActivity('/warroom 29')))[0]).toMatch(/needs at least one more person/);
    expect(textsOf(await h.turn(messageActivity('/warroom 29 megan@contoso.com', { from: VICTOR })))[0]).toMatch(/Only analysts/);
    expect(textsOf(await h.turn(messageActivity('/warroom 999 megan@contoso.com')))[0]).toMatch(/found no incident 999/);
    expect(textsOf(await h.turn(messageActivity('/warroom 29 not-a-upn')))[0]).toMatch(/is not a user principal name/);
    expect(h.chats.chats).toHaveLength(0);
  });

  test('without TEAMS_APP_ID war rooms say they are not set up, and cards offer none', async () => {
    const h = createHarness({ noWarRooms: true });
    expect(textsOf(await h.turn(messageActivity('/warroom 29 megan@contoso.com')))[0]).toMatch(/not set up here.*TEAMS_APP_ID/);
    expect(verbsIn(cardsOf(await h.turn(messageActivity('/incident 29'))))).not.toContain(WAR_ROOM_VERB);
    expect(verbsIn(cardsOf(await createHarness().turn(messageActivity('/incident 29'))))).toContain(WAR_ROOM_VERB);
  });
});

describe('the war room chat', () => {
  test("Teams' install events post the incident card there once, registered, with no welcome; it is kept current", async () => {
    const h = createHarness();
    await h.turn(messageActivity('/warroom 29 megan@contoso.com'));
    const chatId = h.chats.chats[0]!.chatId;
    const [installation, membersAdded] = groupChatInstallActivities(chatId);
    const sent = [...(await h.turn(membersAdded!)), ...(await h.turn(installation!))];
    expect(textsOf(sent)).toEqual([]);
    const cards = cardsOf(sent);
    expect(cards).toHaveLength(1);
    expect(warRoomLinks(cards[0])).toEqual([h.chats.chats[0]!.webUrl]);
    const room = await h.store.warRooms.get('link-1');
    expect(room?.cardActivityId).toBeTruthy();
    expect(await h.store.cards.listCopies('link-1', chatId)).toEqual([expect.objectContaining({ activityId: room?.cardActivityId })]);
    expect(await h.store.conversations.get(chatId)).toMatchObject({ scope: 'groupChat', active: true });

    // The incident changes: the card in the war room follows.
    await h.bridge.emit({ id: 'ev-9', seq: 99, kind: 'updated', linkId: 'link-1', pairId: 'default', incident: { ...sampleView({ severity: 'high' }) }, changes: [], occurredAt: new Date().toISOString() });
    await h.settle();
    const update = h.sender.of('update').find((record) => record.conversationId === chatId);
    expect(update?.targetId).toBe(room?.cardActivityId);
  });

  test('install events of an ordinary group chat still get the welcome', async () => {
    const h = createHarness();
    const [installation] = groupChatInstallActivities('19:ordinary@thread.v2');
    expect(textsOf(await h.turn(installation!))[0]).toMatch(/^Hi! I post Defender XDR/);
  });
});

describe('every card of the incident links its war room', () => {
  test("the channel's card is updated to link the chat and drops the War room button", async () => {
    const h = createHarness();
    await h.postedCard('link-1', 'card-7');
    await h.turn(messageActivity('/warroom 29 megan@contoso.com'));
    await h.settle();
    const update = h.sender.of('update').find((record) => record.targetId === 'card-7');
    const card = update?.activity.attachments?.[0]?.content;
    expect(warRoomLinks(card)).toEqual([h.chats.chats[0]!.webUrl]);
    expect(verbsIn(card)).not.toContain(WAR_ROOM_VERB);
  });

  test('/incident shows the link once the incident has a war room', async () => {
    const h = createHarness();
    await h.turn(messageActivity('/warroom 29 megan@contoso.com'));
    const [card] = cardsOf(await h.turn(messageActivity('/incident 29')));
    expect(warRoomLinks(card)).toEqual([h.chats.chats[0]!.webUrl]);
  });
});

describe("the card's War room button", () => {
  test('opens the war room with the people typed; the clicker gets the card with its link', async () => {
    const h = createHarness();
    await h.postedCard('link-1', 'card-7');
    const answer = invokeAnswerOf(await h.turn(invokeActivity(WAR_ROOM_VERB, { linkId: 'link-1', nonce: 'n', warRoomPeople: 'megan@contoso.com; lee@contoso.com' }, { replyToId: 'card-7' })));
    expect(answer.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(warRoomLinks(answer.value)).toEqual([h.chats.chats[0]!.webUrl]);
    expect(h.chats.chats[0]?.members).toEqual([ALICE.aadObjectId, 'megan@contoso.com', 'lee@contoso.com']);
  });

  test('refuses bad input, viewers, and a button pressed on another incident\'s card', async () => {
    const h = createHarness({ access: ONLY_ALICE });
    h.bridge.put(sampleView({ linkId: 'link-9', defenderId: '31', sentinelNumber: 1099 }));
    await h.postedCard('link-9', 'card-9');
    const bad = invokeAnswerOf(await h.turn(invokeActivity(WAR_ROOM_VERB, { linkId: 'link-1', warRoomPeople: 'megan@contoso.com <script>' })));
    expect(bad.value).toMatch(/could not read the people to add/);
    const viewer = invokeAnswerOf(await h.turn(invokeActivity(WAR_ROOM_VERB, { linkId: 'link-1', warRoomPeople: 'megan@contoso.com' }, { from: VICTOR })));
    expect(viewer.value).toMatch(/Only analysts/);
    const mismatch = invokeAnswerOf(await h.turn(invokeActivity(WAR_ROOM_VERB, { linkId: 'link-1', warRoomPeople: 'megan@contoso.com' }, { replyToId: 'card-9' })));
    expect(mismatch.value).toMatch(/does not belong to the card/);
    expect(h.chats.chats).toHaveLength(0);
  });

  test('a slow Graph: the click is answered at the deadline, and a refusal arrives in the card\'s thread', async () => {
    const h = createHarness({ invokeDeadlineMs: 20 });
    await h.postedCard('link-1', 'card-7');
    let release!: () => void;
    h.chats.gate = new Promise<void>((resolve) => (release = resolve));
    h.chats.failNext.createGroupChat = forbidden('Chat.Create');
    const answer = invokeAnswerOf(await h.turn(invokeActivity(WAR_ROOM_VERB, { linkId: 'link-1', warRoomPeople: 'megan@contoso.com' }, { replyToId: 'card-7' })));
    expect(answer.value).toMatch(/^Opening the war room/);
    release();
    await h.settle();
    const reply = h.sender.of('reply').find((record) => record.targetId === 'card-7');
    expect(reply?.activity.text).toMatch(/could not open a war room: .*Chat\.Create/);
  });
});

describe('war room pure rules', () => {
  test('the topic names the incident and carries its title as one plain, bounded line', () => {
    const hostile = sampleView({ title: 'Phish\u202E[click](https://evil)\n\nfrom <at>ceo</at> ' + 'x'.repeat(400) });
    const topic = warRoomTopic(hostile);
    expect(topic.startsWith('Incident 29 (Sentinel 1042): Phish')).toBe(true);
    expect(topic).not.toMatch(/[\u202E\n]/);
    expect([...topic].length).toBeLessThanOrEqual(200);
  });

  test('members: each person once, by object id or sign-in name; the owner when known', () => {
    const view = sampleView();
    const owned = { ...view, defender: view.defender && { ...view.defender, owner: { upn: 'Alice@Contoso.com' } } };
    // Alice is the owner too (by UPN): she is listed once.
    expect(warRoomMembers({ view: owned, requester: { objectId: ALICE.aadObjectId ?? '', upn: 'alice@contoso.com', displayName: 'Alice' }, people: ['megan@contoso.com'] })).toEqual([ALICE.aadObjectId, 'megan@contoso.com']);
    // The Playground's user id is no GUID: Graph gets the UPN.
    expect(warRoomMembers({ view, requester: { objectId: PLAYGROUND_USER.aadObjectId ?? '', upn: 'alexw@example.com', displayName: 'Alex' }, people: ['megan@contoso.com'] })).toEqual(['alexw@example.com', 'megan@contoso.com']);
    expect(warRoomMembers({ view, requester: { objectId: 'not-a-guid', displayName: 'Nobody' }, people: ['megan@contoso.com'] })).toMatch(/did not say who you are/);
  });
});
