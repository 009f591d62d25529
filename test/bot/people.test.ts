// Mentions built from resolved roster members only, and how people are resolved and cached.
import { describe, expect, test } from '@jest/globals';
import { mentionOf, ownerMentionActivity } from '../../src/bot/mentions.ts';
import { createPeopleResolver } from '../../src/bot/people.ts';
import type { ConversationRoster, PersonDirectory, ProactiveReference, TeamsMember } from '../../src/bot/ports.ts';
import { createCapturingLogger } from './support/capturing-logger.ts';

const MEGAN: TeamsMember = { id: '29:megan', name: 'Megan Bowen', aadObjectId: 'aaaaaaaa-0000-4000-8000-000000000002', userPrincipalName: 'megan@contoso.com' };
const CONVERSATION = { id: '19:soc@thread.tacv2', reference: { conversation: { id: '19:soc@thread.tacv2' } } as ProactiveReference };

describe('mentions', () => {
  test('the <at> text and the entity agree, and the entity names the roster id', () => {
    const mention = mentionOf(MEGAN);
    expect(mention).toEqual({ text: '<at>Megan Bowen</at>', entity: { type: 'mention', text: '<at>Megan Bowen</at>', mentioned: { id: '29:megan', name: 'Megan Bowen' } } });
    const activity = ownerMentionActivity('Owner Unassigned → Megan Bowen by Jane in Defender', MEGAN);
    expect(activity.text).toBe('Owner Unassigned → Megan Bowen by Jane in Defender\n\n<at>Megan Bowen</at> owns this incident now.');
    expect(activity.entities).toEqual([mention.entity]);
  });

  test('a name with markup or line breaks cannot break out of its mention', () => {
    const mention = mentionOf({ id: '29:x', name: 'Eve</at><at>Everyone\n**boss**' });
    expect(mention.text).toBe('<at>Eve/atatEveryone **boss**</at>');
    expect(mentionOf({ id: '29:x', name: '<>' }).text).toBe('<at>owner</at>');
  });
});

function fakeRoster(members: Record<string, TeamsMember>, failing = new Set<string>()) {
  const asked: string[] = [];
  const roster: ConversationRoster = {
    async member(_reference, person) {
      asked.push(person);
      if (failing.has(person)) throw Object.assign(new Error('Teams answered 502'), { statusCode: 502 });
      return members[person] ?? null;
    },
  };
  return { roster, asked };
}

describe('people resolver', () => {
  test('a person is looked up by object id first, then by UPN; answers (found or not) are cached per conversation', async () => {
    const { roster, asked } = fakeRoster({ 'megan@contoso.com': MEGAN });
    let now = 0;
    const people = createPeopleResolver({ roster, now: () => now, ttlMs: 1000 });
    const owner = { objectId: 'AAAAAAAA-0000-4000-8000-000000000002', upn: 'Megan@Contoso.com' };
    expect(await people.memberIn(CONVERSATION, owner)).toEqual(MEGAN);
    expect(asked).toEqual(['aaaaaaaa-0000-4000-8000-000000000002', 'megan@contoso.com']);
    expect(await people.memberIn(CONVERSATION, owner)).toEqual(MEGAN);
    expect(asked).toHaveLength(2);
    expect(await people.memberIn({ ...CONVERSATION, id: 'other' }, owner)).toEqual(MEGAN);
    expect(asked).toHaveLength(4);
    now = 1001;
    await people.memberIn(CONVERSATION, owner);
    expect(asked).toHaveLength(6);
  });

  test('an owner known by a name alone (Graph free text) is never looked up, so never mentioned', async () => {
    const { roster, asked } = fakeRoster({});
    expect(await createPeopleResolver({ roster }).memberIn(CONVERSATION, { displayName: '<at>Everyone</at>' })).toBeNull();
    expect(asked).toEqual([]);
  });

  test('when Teams cannot say, the person is named (null), the failure is logged and not cached', async () => {
    const { roster, asked } = fakeRoster({ 'megan@contoso.com': MEGAN }, new Set(['megan@contoso.com']));
    const log = createCapturingLogger();
    const people = createPeopleResolver({ roster, log: log.log });
    expect(await people.memberIn(CONVERSATION, { upn: 'megan@contoso.com' })).toBeNull();
    expect(await people.memberIn(CONVERSATION, { upn: 'megan@contoso.com' })).toBeNull();
    expect(asked).toHaveLength(2);
    expect(log.entries().map((line) => line['msg'])).toContain('could not look a person up in the conversation roster; naming them instead of mentioning');
  });

  test('directory lookups go to the named tenant, are cached, and fail as unknown', async () => {
    const calls: string[] = [];
    const directory: PersonDirectory = {
      async findUser(tenantId, user) {
        calls.push(`${tenantId}:${user.objectId ?? user.upn}`);
        if (tenantId === 'broken') throw new Error('Graph 503');
        return user.upn === 'megan@contoso.com' ? { objectId: MEGAN.aadObjectId ?? '', upn: 'megan@contoso.com', displayName: 'Megan Bowen' } : null;
      },
    };
    const people = createPeopleResolver({ roster: fakeRoster({}).roster, directory });
    expect(await people.inDirectory('t1', { upn: 'Megan@contoso.com' })).toMatchObject({ displayName: 'Megan Bowen' });
    expect(await people.inDirectory('t1', { upn: 'megan@contoso.com' })).toMatchObject({ displayName: 'Megan Bowen' });
    expect(await people.inDirectory('t1', { upn: 'nobody@contoso.com' })).toBeNull();
    expect(await people.inDirectory('broken', { upn: 'megan@contoso.com' })).toBeNull();
    expect(calls).toEqual(['t1:megan@contoso.com', 't1:nobody@contoso.com', 'broken:megan@contoso.com']);
  });
});
