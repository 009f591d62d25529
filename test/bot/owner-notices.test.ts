// The new owner's personal notice: once, in their personal chat with the bot, only when the bot is
// installed for them and their tenant may see the incident, never for assigning themselves.
import { describe, expect, test } from '@jest/globals';
import { createOwnerNotices, MAX_NOTICE_AGE_MS } from '../../src/bot/owner-notices.ts';
import type { PeopleResolver } from '../../src/bot/people.ts';
import { createTenantPolicy } from '../../src/bot/tenant-policy.ts';
import type { ChangeEvent, FieldChange } from '../../src/domain/change-events.ts';
import { createMemoryStore } from '../fakes/memory-store.ts';
import { sampleView } from '../fakes/bridge.ts';
import { createFakeSender } from './support/fake-sender.ts';
import { shownText } from './support/teams-markdown.ts';

const MEGAN_ID = 'aaaaaaaa-0000-4000-8000-000000000002';

async function setup(options: { chatTenant?: string } = {}) {
  const store = createMemoryStore();
  const sender = createFakeSender();
  const directoryCalls: string[] = [];
  const people: Pick<PeopleResolver, 'inDirectory'> = {
    async inDirectory(tenantId, person) {
      directoryCalls.push(`${tenantId}:${person.upn}`);
      return person.upn?.toLowerCase() === 'megan@contoso.com' ? { objectId: MEGAN_ID, upn: 'megan@contoso.com', displayName: 'Megan Bowen' } : null;
    },
  };
  const chatId = 'a:megan-personal';
  await store.conversations.upsert({
    id: chatId,
    reference: { conversation: { id: chatId, conversationType: 'personal' }, user: { id: '29:megan', aadObjectId: MEGAN_ID, name: 'Megan Bowen' }, serviceUrl: 'https://smba.trafficmanager.net/teams/' },
    scope: 'personal',
    tenantId: options.chatTenant ?? 'tenant-a',
  });
  const tenants = createTenantPolicy({ allowedTenants: ['tenant-a'], pairs: [{ id: 'customer', tenantId: 'tenant-b', sharedWith: [] }] });
  const consumer = createOwnerNotices({ conversations: store.conversations, notices: store.notices, people, sender, tenants });
  return { store, sender, consumer, chatId, directoryCalls };
}

let seq = 0;
function ownerEvent(change: Partial<FieldChange>, overrides: Partial<ChangeEvent> = {}): ChangeEvent {
  seq += 1;
  const view = sampleView();
  return {
    id: `evt-${seq}`,
    seq,
    kind: 'updated',
    linkId: view.linkId,
    pairId: view.pairId,
    incident: view,
    changes: [{ field: 'owner', from: null, to: { upn: 'Megan@contoso.com' }, portal: 'defender', by: 'Jane Doe', ...change } as FieldChange],
    occurredAt: new Date().toISOString(),
    ...overrides,
  };
}

describe('owner notices', () => {
  test('a Defender owner known by UPN is found in the directory and told once in their personal chat', async () => {
    const { sender, consumer, chatId, directoryCalls } = await setup();
    const event = ownerEvent({});
    await consumer.handle(event);
    await consumer.handle(event); // a redelivery
    expect(directoryCalls).toHaveLength(2);
    expect(sender.records.map((record) => record.conversationId)).toEqual([chatId]);
    expect(shownText(sender.records[0]?.activity.text ?? '')).toBe(
      `You are now the owner of incident 29: ${event.incident.defender?.title} (Medium), assigned by Jane Doe in Defender. Type /incident 29 to see its card.`,
    );
  });

  test('a Sentinel owner with an object id needs no directory lookup; a change from Teams says so', async () => {
    const { sender, consumer, directoryCalls } = await setup();
    await consumer.handle(ownerEvent({ to: { objectId: MEGAN_ID, upn: 'megan@contoso.com', displayName: 'Megan Bowen' }, portal: 'sentinel', fromTeams: true, by: 'Jane Doe' }, { actor: { objectId: 'jane', displayName: 'Jane Doe' } }));
    expect(directoryCalls).toEqual([]);
    expect(sender.records[0]?.activity.text).toContain('assigned by Jane Doe from Teams');
  });

  test('nothing is sent to someone who assigned themselves, to nobody, to a person without the bot, or outside their tenant', async () => {
    const { sender, consumer } = await setup();
    await consumer.handle(ownerEvent({ fromTeams: true }, { actor: { objectId: 'x', upn: 'megan@contoso.com', displayName: 'Megan Bowen' } }));
    await consumer.handle(ownerEvent({ to: null }));
    await consumer.handle(ownerEvent({ to: { upn: 'stranger@contoso.com' } }));
    await consumer.handle(ownerEvent({}, { kind: 'created' }));
    expect(sender.records).toEqual([]);
    const other = await setup({ chatTenant: 'tenant-b' });
    await other.consumer.handle(ownerEvent({}));
    expect(other.sender.records).toEqual([]);
  });

  test('an owner change older than half an hour is not told (a new consumer replays the whole outbox)', async () => {
    const { sender, consumer } = await setup();
    await consumer.handle(ownerEvent({}, { occurredAt: new Date(Date.now() - MAX_NOTICE_AGE_MS - 60_000).toISOString() }));
    await consumer.handle(ownerEvent({}, { occurredAt: 'not a time' }));
    expect(sender.records).toEqual([]);
  });

  test('a failed send releases the claim, so the redelivered event tells them', async () => {
    const { sender, consumer } = await setup();
    sender.failures.push({ op: 'send', status: 500 });
    const event = ownerEvent({});
    await expect(consumer.handle(event)).rejects.toThrow();
    await consumer.handle(event);
    expect(sender.records).toHaveLength(1);
  });
});
