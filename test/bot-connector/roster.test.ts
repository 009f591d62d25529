// The conversation roster over the real CloudAdapter (TeamsInfo.getMember in a proactive turn),
// against the mock Bot Connector: members by UPN or object id, 404 for people not in the
// conversation, other failures thrown; and a threaded notice that mentions the new owner.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startMockConnector, type MockConnector } from '../../bench/support/mock-connector.ts';
import { channelReference, createSendPath, seedSubscribedChannels, changeEvent, waitUntil } from '../../bench/support/send-path.ts';
import { createBotAdapter } from '../../src/bot/adapter.ts';
import { createTeamsRoster } from '../../src/bot/teams-roster.ts';
import { createProactiveTurns } from '../../src/bot/teams-sender.ts';
import { createPeopleResolver } from '../../src/bot/people.ts';
import type { ProactiveReference } from '../../src/bot/ports.ts';
import { createMemoryStore } from '../fakes/memory-store.ts';
import { sampleView } from '../fakes/bridge.ts';

const MEGAN = { id: '29:1megan', name: 'Megan Bowen', userPrincipalName: 'megan@contoso.com', aadObjectId: 'aaaaaaaa-0000-4000-8000-000000000002' };
let connector: MockConnector;

beforeAll(async () => {
  connector = await startMockConnector({ rosterOnly: true, members: { 'megan@contoso.com': MEGAN, [MEGAN.aadObjectId]: MEGAN } });
});
afterAll(async () => {
  await connector.close();
});

describe('Teams roster', () => {
  test('a member is found by UPN or object id; someone not in the conversation is null; other failures throw', async () => {
    const roster = createTeamsRoster(createProactiveTurns(createBotAdapter({}), undefined));
    const reference = channelReference(connector.url, '19:soc@thread.tacv2', 'tenant-a') as ProactiveReference;
    expect(await roster.member(reference, 'megan@contoso.com')).toEqual(MEGAN);
    expect(await roster.member(reference, MEGAN.aadObjectId)).toEqual(MEGAN);
    expect(await roster.member(reference, 'stranger@contoso.com')).toBeNull();
    connector.failures.push({ status: 403, errorCode: 'BotNotInConversationRoster', op: 'member' });
    await expect(roster.member(reference, 'megan@contoso.com')).rejects.toMatchObject({ statusCode: 403 });
  });

  test("an owner change's threaded notice mentions the new owner when they are in the channel, and names them otherwise", async () => {
    const store = createMemoryStore();
    const [channel] = await seedSubscribedChannels(store, { serviceUrl: connector.url, count: 1, tenantId: 'tenant-a', first: 900 });
    const roster = createTeamsRoster(createProactiveTurns(createBotAdapter({}), undefined));
    const path = createSendPath({ store, coalesceWindowMs: 10, people: createPeopleResolver({ roster }) });
    const view = sampleView({ linkId: 'link-owner' });
    await path.notifier.handle(changeEvent(1, view, [], 'created'));
    await waitUntil(() => connector.topLevel(channel!).length === 1, 'the card', 5000);
    const root = connector.topLevel(channel!)[0]!.id;
    const ownedBy = (owner: { upn: string; displayName?: string }) => {
      const copy = structuredClone(view);
      if (copy.defender) copy.defender.owner = owner;
      return copy;
    };
    await path.notifier.handle(changeEvent(2, ownedBy({ upn: 'MEGAN@contoso.com' }), [{ field: 'owner', from: null, to: { upn: 'MEGAN@contoso.com' }, portal: 'defender', by: 'Jane Doe' }]));
    await path.notifier.flush();
    await path.notifier.handle(changeEvent(3, ownedBy({ upn: 'stranger@contoso.com', displayName: '<at>Everyone</at>' }), [{ field: 'owner', from: { upn: 'megan@contoso.com' }, to: { upn: 'stranger@contoso.com', displayName: '<at>Everyone</at>' }, portal: 'sentinel', by: 'Sam' }]));
    await path.notifier.flush();
    await path.notifier.close();
    const [mentioned, named] = connector.repliesTo(root).map((reply) => reply.activity as { text?: string; entities?: unknown[] });
    expect(mentioned?.text).toMatch(/<at>Megan Bowen<\/at> owns this incident now\.$/);
    expect(mentioned?.entities).toEqual([{ type: 'mention', text: '<at>Megan Bowen</at>', mentioned: { id: '29:1megan', name: 'Megan Bowen' } }]);
    expect(named?.text).not.toContain('<at>');
    expect(named?.entities ?? []).toEqual([]);
  });
});
