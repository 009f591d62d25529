// Action.Execute invokes through the real Application: validation, roles, idempotency, the fast
// pending answer and the in-place update once the edit is final.
import { describe, expect, test } from '@jest/globals';
import { ALICE, CHAT_ID, PLAYGROUND_USER, VICTOR, invokeActivity } from './support/activities.ts';
import { createCapturingLogger } from './support/capturing-logger.ts';
import { sampleView } from '../fakes/bridge.ts';
import { validateCardAction } from '../../src/bot/card-action-data.ts';
import { createHarness, invokeAnswerOf, textsOf, verbsIn, waitFor } from './support/harness.ts';

const CARD = 'application/vnd.microsoft.card.adaptive';
const MESSAGE = 'application/vnd.microsoft.activity.message';
const ONLY_ALICE = { analysts: [ALICE.aadObjectId ?? ''], localMode: false };

describe('card actions', () => {
  test('setSeverity answers with the pending card, then updates the card message for everyone', async () => {
    const h = createHarness();
    await h.postedCard('link-1', 'card-7');
    const answer = invokeAnswerOf(await h.turn(invokeActivity('setSeverity', { linkId: 'link-1', nonce: 'n-1', severity: 'high' }, { replyToId: 'card-7' })));
    expect(answer.status).toBe(200);
    expect(answer.type).toBe(CARD);
    expect(h.bridge.requests[0]).toMatchObject({ linkId: 'link-1', changes: { severity: 'high' }, actor: { objectId: ALICE.aadObjectId, upn: 'Alice@Contoso.com' } });
    await h.bridge.completeEdit('req-1');
    await h.settle();
    const [update] = h.sender.of('update');
    expect(update?.targetId).toBe('card-7');
    expect(update?.activity.attachments?.[0]?.contentType).toBe(CARD);
  });

  test('a retried invoke of the same click is one request; a click on a newer card is another', async () => {
    const h = createHarness();
    const click = () => invokeActivity('setSeverity', { linkId: 'link-1', nonce: 'n-1', severity: 'low' }, { replyToId: 'card-1' });
    await h.turn(click());
    await h.turn(click());
    expect(h.bridge.requests).toHaveLength(1);
    await h.turn(invokeActivity('setSeverity', { linkId: 'link-1', nonce: 'n-2', severity: 'low' }, { replyToId: 'card-1' }));
    expect(h.bridge.requests).toHaveLength(2);
  });

  test.each([
    ['setSeverity', { linkId: 'link-1', severity: 'extreme' }, 'Pick a severity'],
    ['setSeverity', { severity: 'high' }, 'which incident'],
    ['setSeverity', 'not-an-object', 'no data'],
    ['addComment', { linkId: 'link-1', comment: '   ' }, 'Write a comment first'],
    ['addComment', { linkId: 'link-1', comment: 'x'.repeat(29_701) }, 'The comment is 29,701 characters long; the limit is 29,700.'],
    ['editTags', { linkId: 'link-1', tags: '' }, 'tag box is empty'],
    ['editTags', { linkId: 'link-1', tags: '+a -a' }, 'both added and removed'],
    ['editTags', { linkId: 'link-1', tags: 'phishing' }, 'Nothing to change'],
    ['assignToMe', { linkId: 'no-such-link' }, 'no longer known'],
    ['addComment', { linkId: 'link-1', comment: 'hello \ud800' }, 'The comment contains a broken character (a lone UTF-16 surrogate'],
    ['addComment', { linkId: 'link-1', comment: 'hello \u0000 there' }, 'The comment contains a NUL character'],
    ['editTags', { linkId: 'link-1', tags: '+ok, +bad\udc00' }, 'A tag contains a broken character'],
    ['editTags', { linkId: 'link-1', tags: '+bad\u0000' }, 'A tag contains a NUL character'],
    ['deleteIncident', { linkId: 'link-1' }, 'not supported'],
  ])('%s with %j is answered with a message and no edit', async (verb, data, reason) => {
    const h = createHarness();
    const answer = invokeAnswerOf(await h.turn(invokeActivity(verb, data)));
    expect(answer.type).toBe(MESSAGE);
    expect(String(answer.value)).toContain(reason);
    expect(h.bridge.requests).toHaveLength(0);
  });

  test('editTags, addComment and assignToMe become the right edits', async () => {
    const h = createHarness();
    await h.turn(invokeActivity('editTags', { linkId: 'link-1', nonce: 'a', tags: '+vip, -phishing, needs review' }));
    await h.turn(invokeActivity('addComment', { linkId: 'link-1', nonce: 'b', comment: 'Reimaged WS-17' }));
    await h.turn(invokeActivity('assignToMe', { linkId: 'link-1', nonce: 'c' }));
    expect(h.bridge.requests.map((request) => request.changes)).toEqual([
      { tagsAdd: ['vip', 'needs review'], tagsRemove: ['phishing'] },
      { comment: 'Reimaged WS-17' },
      { owner: { objectId: ALICE.aadObjectId, displayName: ALICE.name, upn: 'Alice@Contoso.com' } },
    ]);
  });

  test('assignToMe from a client whose object id is not a GUID assigns by UPN', async () => {
    const h = createHarness({ lookupMember: async () => ({ userPrincipalName: 'alexw@example.com' }) });
    const answer = invokeAnswerOf(await h.turn(invokeActivity('assignToMe', { linkId: 'link-1', nonce: 'd' }, { from: PLAYGROUND_USER })));
    expect(answer.type).toBe(CARD);
    expect(h.bridge.requests[0]?.changes).toEqual({ owner: { upn: 'alexw@example.com', displayName: PLAYGROUND_USER.name } });
  });

  test('assignToMe with neither a GUID nor a UPN is answered with what to do, and no edit', async () => {
    const h = createHarness({ lookupMember: async () => null });
    const answer = invokeAnswerOf(await h.turn(invokeActivity('assignToMe', { linkId: 'link-1', nonce: 'e' }, { from: PLAYGROUND_USER })));
    expect(answer.type).toBe(MESSAGE);
    expect(String(answer.value)).toContain('/assign <id> you@yourdomain');
    expect(h.bridge.submitCalls).toHaveLength(0);
  });

  test('a viewer gets the read-only card and a message, and nothing is edited', async () => {
    const h = createHarness({ access: ONLY_ALICE });
    const replies = await h.turn(invokeActivity('setSeverity', { linkId: 'link-1', severity: 'high' }, { from: VICTOR }));
    const answer = invokeAnswerOf(replies);
    expect(answer.type).toBe(CARD);
    expect(new Set(verbsIn(answer.value))).toEqual(new Set(['refreshCard']));
    expect(textsOf(replies)[0]).toContain('Only analysts');
    expect(h.bridge.submitCalls).toHaveLength(0);
  });

  test('refreshCard returns the per-user view', async () => {
    const h = createHarness({ access: ONLY_ALICE });
    const forViewer = invokeAnswerOf(await h.turn(invokeActivity('refreshCard', { linkId: 'link-1' }, { from: VICTOR })));
    const forAnalyst = invokeAnswerOf(await h.turn(invokeActivity('refreshCard', { linkId: 'link-1' }, { from: ALICE })));
    expect(verbsIn(forViewer.value)).not.toContain('setSeverity');
    expect(verbsIn(forAnalyst.value)).toContain('setSeverity');
    expect(h.bridge.submitCalls).toHaveLength(0);
  });

  test('a slow engine: the invoke is answered at the deadline and the card updates later', async () => {
    const h = createHarness({ invokeDeadlineMs: 20 });
    await h.postedCard('link-1', 'card-9');
    let open!: () => void;
    h.bridge.submitGate = new Promise<void>((resolve) => (open = resolve));
    const answer = invokeAnswerOf(await h.turn(invokeActivity('setSeverity', { linkId: 'link-1', nonce: 's', severity: 'high' }, { replyToId: 'card-9' })));
    expect(answer.type).toBe(MESSAGE);
    expect(String(answer.value)).toContain('Working on it');
    h.bridge.submitGate = null;
    open();
    await waitFor(() => h.bridge.requests.length === 1, 'the late request');
    await h.bridge.completeEdit('req-1');
    await h.settle();
    expect(h.sender.of('update').map((record) => record.targetId)).toEqual(['card-9']);
  });

  test('a failing bridge answers the invoke with an apology', async () => {
    const h = createHarness();
    h.bridge.failNext.submitEdit = new Error('pool exhausted at /srv/x.js');
    const answer = invokeAnswerOf(await h.turn(invokeActivity('setSeverity', { linkId: 'link-1', severity: 'high' })));
    expect(answer.type).toBe(MESSAGE);
    expect(String(answer.value)).toContain('try again');
    expect(String(answer.value)).not.toContain('pool');
  });
});

describe('card action data is read from its own fields only', () => {
  test('fields inherited through the prototype are not the card\'s data', () => {
    const inherited = Object.create({ linkId: 'link-1', severity: 'high' }) as object;
    expect(validateCardAction('setSeverity', inherited)).toEqual({ ok: false, reason: expect.stringContaining('which incident') });
    const ownLink = Object.assign(Object.create({ severity: 'high' }) as object, { linkId: 'link-1' });
    expect(validateCardAction('setSeverity', ownLink)).toEqual({ ok: false, reason: expect.stringContaining('Pick a severity') });
  });

  test.each(Object.getOwnPropertyNames(Object.prototype))('severity %j is not a severity', (key) => {
    expect(validateCardAction('setSeverity', { linkId: 'link-1', severity: key })).toMatchObject({ ok: false });
  });
});

describe('a card action is bound to the card message it came from', () => {
  /** Incidents 4 and 9, each with its posted card in the channel. */
  async function twoCards(options: { log?: ReturnType<typeof createCapturingLogger>['log'] } = {}) {
    const h = createHarness(options.log ? { log: options.log } : {});
    h.bridge.put(sampleView({ linkId: 'link-4' }));
    h.bridge.put(sampleView({ linkId: 'link-9' }));
    await h.postedCard('link-4', 'card-4');
    await h.postedCard('link-9', 'card-9');
    return h;
  }

  test('incident 4\'s button pressed on incident 9\'s card is refused, logged, and changes nothing', async () => {
    const capture = createCapturingLogger();
    const h = await twoCards({ log: capture.log });
    const answer = invokeAnswerOf(await h.turn(invokeActivity('setSeverity', { linkId: 'link-4', nonce: 'x', severity: 'high' }, { replyToId: 'card-9' })));
    expect(answer.type).toBe(MESSAGE);
    expect(String(answer.value)).toContain('does not belong to the card');
    expect(h.bridge.submitCalls).toHaveLength(0);
    await h.settle();
    expect(h.sender.of('update')).toHaveLength(0);
    expect(capture.entries()).toContainEqual(
      expect.objectContaining({ level: 40, msg: expect.stringContaining('card action refused'), linkId: 'link-4', cardLinkId: 'link-9', messageId: 'card-9' }),
    );
  });

  test.each(['refreshCard', 'assignToMe', 'addComment'])('%s from another incident is refused too (no card answer to show over it)', async (verb) => {
    const h = await twoCards();
    const answer = invokeAnswerOf(await h.turn(invokeActivity(verb, { linkId: 'link-4', nonce: verb, comment: 'hi' }, { replyToId: 'card-9' })));
    expect(answer.type).toBe(MESSAGE);
    expect(String(answer.value)).toContain('does not belong to the card');
    expect(h.bridge.submitCalls).toHaveLength(0);
  });

  test('the same click on its own card goes through and updates that card', async () => {
    const h = await twoCards();
    const answer = invokeAnswerOf(await h.turn(invokeActivity('setSeverity', { linkId: 'link-4', nonce: 'y', severity: 'high' }, { replyToId: 'card-4' })));
    expect(answer.type).toBe(CARD);
    await h.bridge.completeEdit('req-1');
    await h.settle();
    expect(h.sender.of('update').map((update) => update.targetId)).toEqual(['card-4']);
  });

  test('cards are matched per conversation: a personal chat\'s card is found under the chat', async () => {
    const h = createHarness();
    h.bridge.put(sampleView({ linkId: 'link-9' }));
    await h.postedCard('link-9', 'card-9', CHAT_ID);
    const refused = invokeAnswerOf(await h.turn(invokeActivity('setSeverity', { linkId: 'link-1', nonce: 'p', severity: 'low' }, { replyToId: 'card-9', scope: 'personal' })));
    expect(String(refused.value)).toContain('does not belong to the card');
    // The same message id in the channel is another message: not known there.
    const elsewhere = invokeAnswerOf(await h.turn(invokeActivity('setSeverity', { linkId: 'link-1', nonce: 'q', severity: 'low' }, { replyToId: 'card-9' })));
    expect(elsewhere.type).toBe(CARD);
  });

  test('a message the bridge has no card record for: the edit is made and the clicker gets a fresh card, but the message is never replaced for everyone', async () => {
    const h = await twoCards();
    const answer = invokeAnswerOf(await h.turn(invokeActivity('setSeverity', { linkId: 'link-4', nonce: 'z', severity: 'high' }, { replyToId: 'reply-card-from-a-command' })));
    expect(answer.type).toBe(CARD);
    expect(h.bridge.requests[0]).toMatchObject({ linkId: 'link-4', changes: { severity: 'high' } });
    await h.bridge.completeEdit('req-1');
    await h.settle();
    // The incident's own card in the channel is kept current; the unknown message never is.
    expect(h.sender.of('update').map((update) => update.targetId)).toEqual(['card-4']);
  });

  test('a card merged into another incident still works: its record follows the surviving incident', async () => {
    const h = createHarness();
    // The fake bridge resolves the old link id to the surviving incident's view, as the engine does.
    const survivor = sampleView({ linkId: 'link-into' });
    h.bridge.put(survivor);
    await h.postedCard('link-into', 'card-m');
    const original = h.bridge.findIncident.bind(h.bridge);
    h.bridge.findIncident = async (ref: string) => original(ref === 'link-from' ? 'link-into' : ref);
    const answer = invokeAnswerOf(await h.turn(invokeActivity('setSeverity', { linkId: 'link-from', nonce: 'm', severity: 'high' }, { replyToId: 'card-m' })));
    expect(answer.type).toBe(CARD);
    await h.bridge.completeEdit('req-1');
    await h.settle();
    expect(h.sender.of('update').map((update) => update.targetId)).toEqual(['card-m']);
  });
});
