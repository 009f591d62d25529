// Real turns through the teams-ai Application for /ack, the card's Acknowledge button, /escalation
// and /digest: what they change, and that bad arguments get their usage, never a stack trace.
import { describe, expect, test } from '@jest/globals';
import { sampleView } from '../fakes/bridge.ts';
import type { IncidentView } from '../../src/domain/change-events.ts';
import { assertValidCard } from '../../src/cards/validate-card.ts';
import { ALICE, CHANNEL_ID, TENANT, VICTOR, invokeActivity, messageActivity } from './support/activities.ts';
import { actionsOf, cardsOf, createHarness, textBlocksOf, textsOf, verbsIn } from './support/harness.ts';
import { shownText } from './support/teams-markdown.ts';
import type { Activity } from 'botbuilder';

const ONLY_ALICE = { analysts: [ALICE.aadObjectId ?? ''], localMode: false };

/** An incident nobody has acknowledged: Defender active, Sentinel New, no owner. */
function newIncident(overrides: Parameters<typeof sampleView>[0] = {}): IncidentView {
  const view = sampleView(overrides);
  if (view.sentinel) view.sentinel.status = 'new';
  return view;
}

function channel(text: string, from = ALICE): Partial<Activity> {
  return messageActivity(text, { scope: 'channel', from });
}

describe('/ack and the Acknowledge button', () => {
  test('/ack takes ownership and sets in progress in one edit request, answering with the card', async () => {
    const h = createHarness();
    h.bridge.put(newIncident());
    const replies = await h.turn(messageActivity('/ack 29'));
    expect(h.bridge.requests).toHaveLength(1);
    expect(h.bridge.requests[0]?.changes).toEqual({ owner: { objectId: ALICE.aadObjectId, upn: 'Alice@Contoso.com', displayName: ALICE.name }, status: 'inProgress' });
    expect(cardsOf(replies)).toHaveLength(1);
  });

  test('the card offers Acknowledge while nobody has acknowledged the incident; the button is the same one edit', async () => {
    const h = createHarness();
    h.bridge.put(newIncident());
    const [card] = cardsOf(await h.turn(messageActivity('/incident 29')));
    assertValidCard(card);
    expect(verbsIn(card)).toContain('acknowledge');
    expect(actionsOf(card, 'Action.Execute').find((action) => action['verb'] === 'acknowledge')?.['title']).toBe('Acknowledge');
    await h.turn(invokeActivity('acknowledge', { linkId: 'link-1', nonce: 'n-1' }));
    expect(h.bridge.requests.map((request) => request.changes)).toEqual([expect.objectContaining({ status: 'inProgress', owner: expect.objectContaining({ upn: 'Alice@Contoso.com' }) })]);

    h.bridge.put({ ...newIncident(), defender: { ...newIncident().defender!, owner: { upn: 'bob@contoso.com' } } });
    const [owned] = cardsOf(await h.turn(messageActivity('/incident 29')));
    expect(verbsIn(owned)).not.toContain('acknowledge');
  });

  test('a viewer cannot acknowledge; bad /ack arguments get the usage', async () => {
    const h = createHarness({ access: ONLY_ALICE });
    h.bridge.put(newIncident());
    const [text = ''] = textsOf(await h.turn(messageActivity('/ack 29', { from: VICTOR })));
    expect(text).toContain('Only analysts');
    expect(shownText(textsOf(await h.turn(messageActivity('/ack')))[0] ?? '')).toBe('I could not read that: the incident id is missing.\n\nUsage: /ack <id>');
    expect(shownText(textsOf(await h.turn(messageActivity('/ack 29 now')))[0] ?? '')).toContain('too many words');
    expect(h.bridge.requests).toEqual([]);
  });
});

describe('/escalation', () => {
  test('sets deadlines per severity with escalation contacts from the directory; shows them; turns them off', async () => {
    const h = createHarness();
    const [set = ''] = textsOf(await h.turn(channel('/escalation high=15m medium=4h to oncall@contoso.com,LEAD@contoso.com')));
    expect(shownText(set)).toContain('Incidents here must be acknowledged: High within 15 min, Medium within 4 h. Overdue ones are escalated to SOC On-call (oncall@contoso.com), Shift Lead (lead@contoso.com).');
    const policy = await h.store.escalations.getPolicy(CHANNEL_ID);
    expect(policy).toMatchObject({ deadlines: { high: 900, medium: 14_400 }, contacts: [{ upn: 'oncall@contoso.com', objectId: expect.any(String) }, { upn: 'lead@contoso.com' }] });
    expect(policy?.updatedBy?.objectId).toBe(ALICE.aadObjectId);
    expect(shownText(textsOf(await h.turn(channel('/escalation', VICTOR)))[0] ?? '')).toContain('High within 15 min');
    expect(textsOf(await h.turn(channel('/escalation off')))[0]).toContain('off here');
    expect(await h.store.escalations.getPolicy(CHANNEL_ID)).toBeNull();
    expect(shownText(textsOf(await h.turn(channel('/escalation')))[0] ?? '')).toContain('no acknowledgement deadlines');
  });

  test.each([
    ['/escalation urgent=15m to oncall@contoso.com', "'urgent' is not a severity"],
    ['/escalation high=0m to oncall@contoso.com', "'0m' is not a duration"],
    ['/escalation high=31d to oncall@contoso.com', "'31d' is not a duration"],
    ['/escalation high=15 to oncall@contoso.com', "'15' is not a duration"],
    ['/escalation high=15m', 'say who to escalate to'],
    ['/escalation high=15m to', 'say who to escalate to after "to"'],
    ['/escalation high=15m to not-a-upn', "'not-a-upn' is not a user principal name"],
    ['/escalation high=15m high=1h to oncall@contoso.com', 'high is given twice'],
    ['/escalation to oncall@contoso.com', 'say which severities get a deadline'],
  ])('%s is refused with the usage, and nothing is changed', async (command, reason) => {
    const h = createHarness();
    const [text = ''] = textsOf(await h.turn(channel(command)));
    expect(shownText(text)).toContain(reason);
    expect(shownText(text)).toContain('Usage: /escalation [high=15m medium=4h ...] to <upn>[,<upn>...] | off');
    expect(await h.store.escalations.getPolicy(CHANNEL_ID)).toBeNull();
  });

  test('an unknown UPN, or a directory that cannot answer, changes nothing and says why', async () => {
    const h = createHarness();
    const [unknown = ''] = textsOf(await h.turn(channel('/escalation high=15m to oncall@contoso.com,ghost@contoso.com')));
    expect(shownText(unknown)).toBe("Nothing was changed: ghost@contoso.com is not in your organisation's directory. Check the spelling of the sign-in name.");
    const down = createHarness({ directory: { findUser: async () => Promise.reject(new Error('Graph 503')) } });
    expect(textsOf(await down.turn(channel('/escalation high=15m to oncall@contoso.com')))[0]).toContain('could not be checked in the directory');
    expect(await h.store.escalations.getPolicy(CHANNEL_ID)).toBeNull();
    expect(await down.store.escalations.getPolicy(CHANNEL_ID)).toBeNull();
  });

  test('only analysts change deadlines', async () => {
    const h = createHarness({ access: ONLY_ALICE });
    expect(textsOf(await h.turn(channel('/escalation high=15m to oncall@contoso.com', VICTOR)))[0]).toContain("Only analysts can change this conversation's acknowledgement deadlines.");
    expect(await h.store.escalations.getPolicy(CHANNEL_ID)).toBeNull();
  });
});

describe('/digest', () => {
  test('/digest posts the digest card now, to anyone in the conversation', async () => {
    const h = createHarness({ access: ONLY_ALICE });
    const [card] = cardsOf(await h.turn(channel('/digest', VICTOR)));
    assertValidCard(card);
    expect(textBlocksOf(card)).toEqual(expect.arrayContaining(['Incident digest', 'Open incidents']));
  });

  test('/digest daily HH:MM [zone] schedules it per conversation (UTC by default); /digest off stops it', async () => {
    const h = createHarness();
    expect(shownText(textsOf(await h.turn(channel('/digest daily 9:05 europe/amsterdam')))[0] ?? '')).toBe(
      'The digest will be posted here every day at 09:05 (Europe/Amsterdam). /digest posts one now; /digest off stops it.',
    );
    expect(h.jobs.digests.get(CHANNEL_ID)).toEqual({ conversationId: CHANNEL_ID, time: '09:05', timeZone: 'Europe/Amsterdam' });
    await h.turn(channel('/digest daily 18:30'));
    expect(h.jobs.digests.get(CHANNEL_ID)).toEqual({ conversationId: CHANNEL_ID, time: '18:30', timeZone: 'UTC' });
    expect(textsOf(await h.turn(channel('/digest off')))[0]).toBe('The daily digest is off here.');
    expect(h.jobs.digests.size).toBe(0);
    expect(textsOf(await h.turn(channel('/digest off')))[0]).toBe('This conversation had no daily digest.');
  });

  test.each([
    ['/digest daily', 'say at what time'],
    ['/digest daily 24:00', "'24:00' is not a time of day"],
    ['/digest daily 9am', "'9am' is not a time of day"],
    ['/digest daily 09:00 Mars/Olympus_Mons', "'Mars/Olympus_Mons' is not a time zone"],
    ['/digest weekly 09:00', "'weekly' is not a digest setting"],
    ['/digest daily 09:00 UTC extra', 'too many words'],
  ])('%s is refused with the usage', async (command, reason) => {
    const h = createHarness();
    const [text = ''] = textsOf(await h.turn(channel(command)));
    expect(shownText(text)).toContain(reason);
    expect(shownText(text)).toContain('Usage: /digest [daily HH:MM [time zone] | off]');
    expect(h.jobs.digests.size).toBe(0);
  });
});

describe('when the bot is removed from the conversation', () => {
  test('its deadlines, timers and digest schedule go with it', async () => {
    const h = createHarness();
    await h.turn(channel('/escalation high=15m to oncall@contoso.com'));
    await h.turn(channel('/digest daily 09:00'));
    await h.store.escalations.scheduleTimer(CHANNEL_ID, 'link-1', '2030-01-01T00:00:00.000Z', '2029-12-31T00:00:00.000Z');
    await h.turn({ ...channel('x'), type: 'conversationUpdate', text: undefined, membersRemoved: [{ id: '28:bot-app-id', name: 'Incident Bridge' }], channelData: { tenant: { id: TENANT }, eventType: 'teamMemberRemoved' } });
    expect(await h.store.escalations.getPolicy(CHANNEL_ID)).toBeNull();
    expect(await h.store.escalations.getTimer(CHANNEL_ID, 'link-1')).toBeNull();
    expect(h.jobs.digests.size).toBe(0);
  });
});
