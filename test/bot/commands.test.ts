// Real turns through the teams-ai Application for every command, with bad input and missing rights.
import { describe, expect, test } from '@jest/globals';
import { TestAdapter } from 'botbuilder';
import { installTurnErrorHandler } from '../../src/bot/adapter.ts';
import { createCapturingLogger, referenceIn } from './support/capturing-logger.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { sampleView } from '../fakes/bridge.ts';
import { ALICE, BOT, CHANNEL_ID, CHAT_ID, PLAYGROUND_USER, TENANT, VICTOR, installationUpdateActivity, invokeActivity, membersAddedActivity, messageActivity } from './support/activities.ts';
import { assertValidCard } from '../../src/cards/validate-card.ts';
import { NO_MATCH_TEXT } from '../../src/bot/incident-list-reply.ts';
import { actionsOf, cardsOf, createHarness, textBlocksOf, textsOf, verbsIn } from './support/harness.ts';
import { shownText } from './support/teams-markdown.ts';

const ONLY_ALICE = { analysts: [ALICE.aadObjectId ?? ''], localMode: false };

describe('help and unknown input', () => {
  test('/help in a personal chat lists every command, /connector included, as Teams shows them', async () => {
    const h = createHarness();
    const [text = ''] = textsOf(await h.turn(messageActivity('/help')));
    const shown = shownText(text);
    for (const command of ['/incident <id>', '/list', '/severity <id>', '/tag <id> +tag -tag', '/comment <id> <text>', '/assign <id>', '/status <id>', '/subscribe', '/unsubscribe', '/subscriptions', '/connector status|request|approvers|history [n] [tenant=<pair>]']) {
      expect(shown).toContain(command);
    }
    expect(shown).toContain('<id> is a Defender incident id');
    expect(shown).not.toContain('&lt;');
  });

  test("a bad command's usage reads as typed: <id>, never &lt;id&gt;", async () => {
    const h = createHarness();
    const [text = ''] = textsOf(await h.turn(messageActivity('/comment')));
    expect(shownText(text)).toBe('I could not read that: the incident id is missing.\n\nUsage: /comment <id> <text>');
  });

  test('in a channel the @mention is stripped before parsing', async () => {
    const h = createHarness();
    const replies = await h.turn(messageActivity('/incident 29', { scope: 'channel' }));
    expect(cardsOf(replies)).toHaveLength(1);
  });

  test('an unknown command names itself and points to /help', async () => {
    const h = createHarness();
    const [text] = textsOf(await h.turn(messageActivity('/frobnicate 29')));
    expect(text).toContain('frobnicate');
    expect(text).toContain('/help');
  });

  test('free text gets the help text', async () => {
    const h = createHarness();
    const [text] = textsOf(await h.turn(messageActivity('hello there')));
    expect(text).toContain('/subscribe');
  });
});

describe('/incident and /list', () => {
  test('/incident by Defender id and by Sentinel number shows the analyst card', async () => {
    const h = createHarness();
    for (const ref of ['29', '1042', '#1042']) {
      const [card] = cardsOf(await h.turn(messageActivity(`/incident ${ref}`)));
      expect(verbsIn(card)).toEqual(expect.arrayContaining(['setSeverity', 'editTags', 'addComment', 'assignToMe']));
    }
  });

  test('a viewer gets the read-only card', async () => {
    const h = createHarness({ access: ONLY_ALICE });
    const [card] = cardsOf(await h.turn(messageActivity('/incident 29', { from: VICTOR })));
    expect(new Set(verbsIn(card))).toEqual(new Set(['refreshCard']));
  });

  test('an unknown id gets a helpful reply, a missing one the usage', async () => {
    const h = createHarness();
    expect(textsOf(await h.turn(messageActivity('/incident 999')))[0]).toContain('found no incident 999');
    expect(shownText(textsOf(await h.turn(messageActivity('/incident')))[0] ?? '')).toContain('Usage: /incident <id>');
  });

  test('/list passes the filters and answers with a card: a header with the count, rows in the card words, escaped titles', async () => {
    const h = createHarness();
    h.bridge.put(sampleView({ linkId: 'link-2', defenderId: '30', sentinelNumber: 1043, severity: 'high', title: '[Click](https://evil.example) *urgent* <at>All</at>' }));
    const [card] = cardsOf(await h.turn(messageActivity('/list severity>=high status=active tag=phishing product=endpoint tenant=default limit=5')));
    expect(h.bridge.lastListFilter).toEqual({ minSeverity: 'high', status: 'active', tag: 'phishing', productName: 'endpoint', pairId: 'default', limit: 6 });
    assertValidCard(card);
    const texts = textBlocksOf(card);
    expect(texts[0]).toBe('1 incident matches');
    expect(texts).toContain('Defender 30 · Sentinel 1043 · High · Active · Unassigned');
    const title = texts.find((text) => text.includes('Click')) ?? '';
    expect(title).not.toContain('](');
    expect(title).not.toContain('<at>');
    expect(JSON.stringify(card)).not.toContain('Defender 29');
  });

  test('/list rows open: "Open card" sends /incident for the analyst and gets the incident card; "Open in Defender" is a checked portal link', async () => {
    const h = createHarness();
    h.bridge.put(sampleView({ linkId: 'link-2', defenderId: '30', sentinelNumber: 1043 }));
    const [card] = cardsOf(await h.turn(messageActivity('/list')));
    expect(textBlocksOf(card)[0]).toBe('2 incidents match');
    const opens = actionsOf(card, 'Action.Submit');
    expect(opens.map((action) => action['data'])).toEqual([
      { msteams: { type: 'messageBack', text: '/incident link-1', displayText: '/incident 29' } },
      { msteams: { type: 'messageBack', text: '/incident link-2', displayText: '/incident 30' } },
    ]);
    expect(actionsOf(card, 'Action.OpenUrl').map((action) => action['url'])).toEqual(['https://security.microsoft.com/incidents/29', 'https://security.microsoft.com/incidents/30']);
    // Teams delivers a messageBack click as a message with the button's text, in a channel too.
    const data = opens[1]?.['data'] as { msteams: { text: string } };
    const [incidentCard] = cardsOf(await h.turn(messageActivity(data.msteams.text, { scope: 'channel' })));
    expect(JSON.stringify(incidentCard)).toContain('"linkId":"link-2"');
  });

  test('/list links only to portal hosts, and says when more match than it shows', async () => {
    const h = createHarness();
    const phished = sampleView({ linkId: 'link-2', defenderId: '30' });
    h.bridge.put({ ...phished, defender: phished.defender && { ...phished.defender, webUrl: 'https://security.microsoft.com.evil.example/incidents/30' } });
    h.bridge.put(sampleView({ linkId: 'link-3', defenderId: '31' }));
    const [card] = cardsOf(await h.turn(messageActivity('/list limit=2')));
    expect(textBlocksOf(card).slice(0, 2)).toEqual(['Showing 2 incidents; more match', 'Narrow the filter, or raise limit= (at most 25).']);
    expect(actionsOf(card, 'Action.Submit')).toHaveLength(2);
    expect(actionsOf(card, 'Action.OpenUrl').map((action) => action['url'])).toEqual(['https://security.microsoft.com/incidents/29']);
  });

  test('/list with nothing matching, and with a bad filter', async () => {
    const h = createHarness();
    expect(textsOf(await h.turn(messageActivity('/list tag=nothing-has-this')))[0]).toBe(NO_MATCH_TEXT);
    const [bad = ''] = textsOf(await h.turn(messageActivity('/list severity=high')));
    expect(shownText(bad)).toContain('write severity>=<level>');
    expect(shownText(bad)).toContain('Usage: /list [severity>=high]');
  });

  test('a failing bridge gets a generic apology with a reference the log has the detail under', async () => {
    const capture = createCapturingLogger();
    const h = createHarness({ log: capture.log });
    h.bridge.failNext.findIncident = new Error('connect ECONNREFUSED 10.0.0.5:5432 at Socket.internal (/srv/app/node_modules/pg/x.js:1:1)');
    const [text = ''] = textsOf(await h.turn(messageActivity('/incident 29')));
    expect(text).toContain('something went wrong');
    expect(text).not.toContain('ECONNREFUSED');
    expect(text).not.toContain('.js');
    expect(text).not.toContain('store');
    const reference = referenceIn(text);
    expect(reference).not.toBeNull();
    const logged = capture.entries().find((entry) => entry['correlationId'] === reference);
    expect(JSON.stringify(logged?.['err'])).toContain('ECONNREFUSED');
  });

  test.each([
    ['/comment 29 hello \ud800', 'the comment contains a broken character'],
    ['/comment 29 hello \u0000', 'the comment contains a NUL character'],
    ['/tag 29 +x\udc00', 'a tag contains a broken character'],
    ['/assign 29 a\u0000@contoso.com', 'the user name contains a NUL character'],
  ])('%j is answered with what is wrong with it, and nothing is submitted', async (text, reason) => {
    const h = createHarness();
    const [reply = ''] = textsOf(await h.turn(messageActivity(text)));
    expect(reply).toContain(reason);
    expect(reply).toContain('Usage:');
    expect(reply).not.toContain('something went wrong');
    expect(h.bridge.submitCalls).toHaveLength(0);
  });
});

describe('edit commands', () => {
  test('/severity submits an edit credited to the analyst, answers with the pending card and updates it when done', async () => {
    const h = createHarness();
    const replies = await h.turn(messageActivity('/severity 29 HIGH', { id: 'cmd-1' }));
    expect(cardsOf(replies)).toHaveLength(1);
    const [request] = h.bridge.requests;
    expect(request?.changes).toEqual({ severity: 'high' });
    expect(request?.linkId).toBe('link-1');
    expect(request?.actor).toEqual({ objectId: ALICE.aadObjectId, displayName: ALICE.name, upn: 'Alice@Contoso.com', tenantId: TENANT });
    expect(h.sender.of('update')).toHaveLength(0);

    await h.bridge.completeEdit('req-1');
    await h.settle();
    const [update] = h.sender.of('update');
    expect(update?.targetId).toBe(replies[0]?.id);
    expect(update?.conversationId).toBe(CHAT_ID);
  });

  test('a redelivered command (same activity id) is one request', async () => {
    const h = createHarness();
    await h.turn(messageActivity('/severity 29 low', { id: 'cmd-same' }));
    await h.turn(messageActivity('/severity 29 low', { id: 'cmd-same' }));
    expect(h.bridge.submitCalls).toHaveLength(2);
    expect(h.bridge.requests).toHaveLength(1);
  });

  test.each([
    ['/severity 29 extreme', 'not a severity'],
    ['/severity 29', 'say which severity'],
    ['/severity', 'incident id is missing'],
    ['/tag 29 vip', 'has no sign'],
    ['/tag 29 +a -a', 'both added and removed'],
    ['/comment 29', 'the comment is empty'],
    ['/assign 29 bob', 'not a user principal name'],
    ['/status 29 resolved', 'needs a classification'],
    ['/status 29 active true-positive', 'goes with resolved only'],
    ['/status 29 redirected', 'cannot be set from Teams'],
  ])('%s is refused with a reason and the usage', async (input, reason) => {
    const h = createHarness();
    const [text] = textsOf(await h.turn(messageActivity(input)));
    expect(text).toContain(reason);
    expect(text).toContain('Usage:');
    expect(h.bridge.submitCalls).toHaveLength(0);
  });

  test.each([
    ['/tag 29 +vip -phishing "+needs review"', { tagsAdd: ['vip', 'needs review'], tagsRemove: ['phishing'] }],
    ['/comment 29 Contained on host  WS-17; "reimaged"', { comment: 'Contained on host  WS-17; "reimaged"' }],
    ['/assign 29 me', { owner: { objectId: ALICE.aadObjectId, displayName: ALICE.name, upn: 'Alice@Contoso.com' } }],
    ['/assign 29 bob@contoso.com', { owner: { upn: 'bob@contoso.com' } }],
    ['/assign 29 none', { owner: null }],
    ['/status 29 in-progress', { status: 'inProgress' }],
    ['/status 1042 resolved false-positive', { status: 'resolved', classification: 'falsePositive' }],
  ])('%s becomes the right edit', async (input, changes) => {
    const h = createHarness();
    await h.turn(messageActivity(input));
    expect(h.bridge.requests[0]?.changes).toEqual(changes);
  });

  test('/assign <id> me from a client whose object id is not a GUID assigns by UPN; without a UPN it says what to do', async () => {
    const withUpn = createHarness({ lookupMember: async () => ({ userPrincipalName: 'alexw@example.com' }) });
    await withUpn.turn(messageActivity('/assign 29 me', { from: PLAYGROUND_USER }));
    expect(withUpn.bridge.requests[0]?.changes).toEqual({ owner: { upn: 'alexw@example.com', displayName: PLAYGROUND_USER.name } });

    const withoutUpn = createHarness({ lookupMember: async () => null });
    const [text = ''] = textsOf(await withoutUpn.turn(messageActivity('/assign 29 me', { from: PLAYGROUND_USER })));
    expect(shownText(text)).toContain('/assign <id> you@yourdomain');
    expect(withoutUpn.bridge.submitCalls).toHaveLength(0);
  });

  test('the UPN on the activity\'s sender is used without a roster lookup', async () => {
    const h = createHarness({ lookupMember: async () => { throw new Error('no roster'); } });
    await h.turn(messageActivity('/assign 29 me', { from: { ...PLAYGROUND_USER, userPrincipalName: 'alexw@example.com' } }));
    expect(h.bridge.requests[0]?.changes).toEqual({ owner: { upn: 'alexw@example.com', displayName: PLAYGROUND_USER.name } });
  });

  test('an edit by someone who is not an analyst is refused without a request', async () => {
    const h = createHarness({ access: ONLY_ALICE });
    const [text] = textsOf(await h.turn(messageActivity('/severity 29 high', { from: VICTOR })));
    expect(text).toContain('Only analysts');
    expect(h.bridge.submitCalls).toHaveLength(0);
  });

  test('group membership grants the analyst role', async () => {
    const h = createHarness({ access: { analysts: ['group-soc'], localMode: false }, groupsOf: async (actor) => ({ ok: true, groupIds: actor.objectId === VICTOR.aadObjectId ? ['GROUP-SOC'] : [] }) });
    await h.turn(messageActivity('/severity 29 high', { from: VICTOR }));
    expect(h.bridge.requests).toHaveLength(1);
  });

  test('an edit of an unknown incident says so', async () => {
    const h = createHarness();
    const [text] = textsOf(await h.turn(messageActivity('/comment 4711 hello')));
    expect(text).toContain('found no incident 4711');
    expect(h.bridge.submitCalls).toHaveLength(0);
  });

  test('a failed edit updates the card with the failure', async () => {
    const h = createHarness();
    await h.turn(messageActivity('/severity 29 high'));
    await h.bridge.failEdit('req-1', 'Sentinel refused: Forbidden');
    await h.settle();
    expect(JSON.stringify(h.sender.of('update')[0]?.activity)).toContain('Forbidden');
  });
});

describe('subscriptions', () => {
  test('/subscribe stores the conversation and the filters; /subscriptions lists; /unsubscribe removes', async () => {
    const h = createHarness();
    const [subscribed] = textsOf(await h.turn(messageActivity('/subscribe minSeverity=high product=endpoint tag=phishing,vip status=active tenant=default', { scope: 'channel' })));
    expect(subscribed).toContain('sub1');
    const stored = await h.store.subscriptions.listForConversation(CHANNEL_ID);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.filters).toEqual({ minSeverity: 'high', products: ['endpoint'], tags: ['phishing', 'vip'], statuses: ['active'], pairIds: ['default'] });
    expect(stored[0]?.createdBy?.objectId).toBe(ALICE.aadObjectId);
    const conversation = await h.store.conversations.get(CHANNEL_ID);
    expect(conversation).toMatchObject({ scope: 'channel', tenantId: 'tenant-a', teamId: '19:team@thread.tacv2', active: true });
    // The stored reference is the channel itself, not the thread the command was typed in.
    expect((conversation?.reference as { conversation: { id: string } }).conversation.id).toBe(CHANNEL_ID);

    expect(textsOf(await h.turn(messageActivity('/subscriptions', { scope: 'channel' })))[0]).toContain('sub1');
    expect(textsOf(await h.turn(messageActivity('/unsubscribe sub1', { scope: 'channel' })))[0]).toContain('Unsubscribed');
    expect(await h.store.subscriptions.listForConversation(CHANNEL_ID)).toHaveLength(0);
  });

  test('/unsubscribe without an id asks which when there are several; all removes all', async () => {
    const h = createHarness();
    await h.turn(messageActivity('/subscribe', { scope: 'channel' }));
    await h.turn(messageActivity('/subscribe minSeverity=high', { scope: 'channel' }));
    expect(textsOf(await h.turn(messageActivity('/unsubscribe', { scope: 'channel' })))[0]).toContain('Which one?');
    expect(textsOf(await h.turn(messageActivity('/unsubscribe nope', { scope: 'channel' })))[0]).toContain('no subscription with that id');
    expect(textsOf(await h.turn(messageActivity('/unsubscribe all', { scope: 'channel' })))[0]).toContain('Removed 2');
    expect(textsOf(await h.turn(messageActivity('/unsubscribe', { scope: 'channel' })))[0]).toContain('no subscriptions');
  });

  test('viewers may list but not change subscriptions; bad filters get the usage', async () => {
    const h = createHarness({ access: ONLY_ALICE });
    expect(textsOf(await h.turn(messageActivity('/subscribe', { from: VICTOR })))[0]).toContain('Only analysts');
    expect(textsOf(await h.turn(messageActivity('/subscriptions', { from: VICTOR })))[0]).toContain('no subscriptions');
    const [bad = ''] = textsOf(await h.turn(messageActivity('/subscribe colour=red')));
    expect(bad).toContain("unknown filter 'colour'");
    expect(shownText(bad)).toContain('Usage: /subscribe [minSeverity=high]');
  });
});

describe('install and removal', () => {
  test('added to a team: stores the channel reference and welcomes once', async () => {
    const h = createHarness();
    const replies = await h.turn(membersAddedActivity([{ id: BOT.id }]));
    expect(textsOf(replies)[0]).toContain('/subscribe');
    expect(await h.store.conversations.get(CHANNEL_ID)).toMatchObject({ scope: 'channel', channelId: CHANNEL_ID, active: true });
    expect(textsOf(await h.turn(installationUpdateActivity('add', 'channel')))).toHaveLength(0);
  });

  test('other members joining is not an install', async () => {
    const h = createHarness();
    expect(await h.turn(membersAddedActivity([{ id: '29:new-person' }]))).toHaveLength(0);
    expect(await h.store.conversations.get(CHANNEL_ID)).toBeNull();
  });

  test('personal install welcomes; uninstall deactivates', async () => {
    const h = createHarness();
    expect(textsOf(await h.turn(installationUpdateActivity('add')))).toHaveLength(1);
    await h.turn(installationUpdateActivity('remove'));
    expect(await h.store.conversations.get(CHAT_ID)).toMatchObject({ active: false, deactivatedReason: 'app uninstalled' });
  });
});

describe('turn errors', () => {
  test('an unhandled error is answered with a short apology, never the error', async () => {
    const adapter = new TestAdapter();
    installTurnErrorHandler(adapter, createSilentLogger());
    await adapter.processActivity(messageActivity('/help'), async () => {
      throw new Error('boom in /srv/secret/path.ts:12');
    });
    const texts = adapter.activeQueue.map((activity) => activity.text ?? '');
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain('something went wrong');
    expect(referenceIn(texts[0] ?? '')).not.toBeNull();
    expect(texts[0]).not.toContain('boom');
  });

  test('an unhandled error in an invoke answers the invoke with the apology', async () => {
    const adapter = new TestAdapter();
    installTurnErrorHandler(adapter, createSilentLogger());
    await adapter.processActivity(invokeActivity('setSeverity', { linkId: 'x' }), async () => {
      throw new Error('boom');
    });
    const [response] = adapter.activeQueue;
    expect(response?.type).toBe('invokeResponse');
    expect(JSON.stringify(response?.value)).toContain('Sorry');
    expect(JSON.stringify(response?.value)).not.toContain('boom');
  });
});
