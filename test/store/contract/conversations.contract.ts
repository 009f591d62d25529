import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context.ts';
import { analyst, uid } from '../support/fixtures.ts';
import type { ConversationDraft } from '../../../src/store/ports.ts';

export function conversationDraft(overrides: Partial<ConversationDraft> = {}): ConversationDraft {
  const id = overrides.id ?? `19:${uid('conv')}@thread.tacv2`;
  return {
    id,
    reference: { conversation: { id, conversationType: 'channel', tenantId: 'tenant-1' }, serviceUrl: 'https://smba.trafficmanager.net/emea/', bot: { id: '28:bot' } },
    scope: 'channel',
    tenantId: uid('tenant'),
    teamId: '19:team@thread.tacv2',
    channelId: id,
    ...overrides,
  };
}

export function conversationContract(ctx: ContractContext): void {
  describe('ConversationRepository', () => {
    test('upsert stores the reference; a second upsert replaces it and reactivates', async () => {
      const repo = ctx.store().conversations;
      const draft = conversationDraft();
      const stored = await repo.upsert(draft);
      expect(stored).toMatchObject({ ...draft, active: true });
      expect(stored).not.toHaveProperty('deactivatedReason');
      expect(await repo.get(draft.id)).toEqual(stored);

      expect(await repo.deactivate(draft.id, 'bot removed from team')).toBe(true);
      expect(await repo.get(draft.id)).toMatchObject({ active: false, deactivatedReason: 'bot removed from team' });
      expect(await repo.listActive({ tenantId: draft.tenantId })).toEqual([]);

      const again = await repo.upsert({ ...draft, reference: { ...draft.reference, serviceUrl: 'https://smba.trafficmanager.net/amer/' } });
      expect(again).toMatchObject({ active: true, reference: { serviceUrl: 'https://smba.trafficmanager.net/amer/' } });
      expect(again).not.toHaveProperty('deactivatedReason');
    });

    test('listActive filters by tenant; personal chats have no team or channel', async () => {
      const repo = ctx.store().conversations;
      const tenantId = uid('tenant');
      const channel = await repo.upsert(conversationDraft({ tenantId }));
      const { teamId: _t, channelId: _c, ...personalBase } = conversationDraft({ tenantId, scope: 'personal', id: `a:${uid('chat')}` });
      const personal = await repo.upsert(personalBase);
      expect(personal).not.toHaveProperty('teamId');
      const listed = await repo.listActive({ tenantId });
      expect(listed.map((c) => c.id).sort()).toEqual([channel.id, personal.id].sort());
      expect(await repo.deactivate(uid('missing'), 'x')).toBe(false);
    });

    test("findPersonal finds a person's active personal chat by Entra object id or UPN, never a channel or a removed chat", async () => {
      const repo = ctx.store().conversations;
      const objectId = `${uid('aad')}-0000`;
      const upn = `${uid('megan')}@contoso.example`;
      const personal = (id: string, user: Record<string, string>) => {
        const { teamId: _t, channelId: _c, ...draft } = conversationDraft({ id, scope: 'personal', reference: { conversation: { id, conversationType: 'personal' }, user } });
        return draft;
      };
      expect(await repo.findPersonal({ objectId, upn })).toBeNull();
      await repo.upsert(conversationDraft({ reference: { conversation: { id: 'x' }, user: { id: '29:m', aadObjectId: objectId } } }));
      expect(await repo.findPersonal({ objectId })).toBeNull(); // a channel is not a personal chat
      const chat = await repo.upsert(personal(`a:${uid('chat')}`, { id: '29:m', aadObjectId: objectId.toUpperCase(), userPrincipalName: upn }));
      expect((await repo.findPersonal({ objectId }))?.id).toBe(chat.id);
      expect((await repo.findPersonal({ upn: upn.toUpperCase() }))?.id).toBe(chat.id);
      expect((await repo.findPersonal({ objectId: 'someone-else' }))).toBeNull();
      expect(await repo.findPersonal({})).toBeNull();
      await repo.deactivate(chat.id, 'app uninstalled');
      expect(await repo.findPersonal({ objectId })).toBeNull();
    });

    test('refuses an unknown scope', async () => {
      await expect(ctx.store().conversations.upsert(conversationDraft({ scope: 'team' as never }))).rejects.toMatchObject({ code: 'invalid-argument' });
    });
  });

  describe('SubscriptionRepository', () => {
    test('add, list per conversation, remove', async () => {
      const store = ctx.store();
      const conversation = await store.conversations.upsert(conversationDraft());
      const a = await store.subscriptions.add({ id: uid('sub'), conversationId: conversation.id, filters: { minSeverity: 'high', products: ['Microsoft Defender for Endpoint'] }, createdBy: analyst });
      const b = await store.subscriptions.add({ id: uid('sub'), conversationId: conversation.id, filters: { tags: ['vip'], pairIds: ['p1'], statuses: ['active', 'new'] }, createdBy: null });
      expect(a).toMatchObject({ filters: { minSeverity: 'high' }, createdBy: analyst });
      expect(Date.parse(a.createdAt)).not.toBeNaN();
      const listed = await store.subscriptions.listForConversation(conversation.id);
      expect(listed.map((s) => s.id).sort()).toEqual([a.id, b.id].sort());
      expect(listed.find((s) => s.id === b.id)).toEqual(b);
      expect(await store.subscriptions.remove(a.id)).toBe(true);
      expect(await store.subscriptions.remove(a.id)).toBe(false);
      expect((await store.subscriptions.listForConversation(conversation.id)).map((s) => s.id)).toEqual([b.id]);
    });

    test('listActive leaves out subscriptions of deactivated conversations', async () => {
      const store = ctx.store();
      const live = await store.conversations.upsert(conversationDraft());
      const gone = await store.conversations.upsert(conversationDraft());
      const s1 = await store.subscriptions.add({ id: uid('sub'), conversationId: live.id, filters: {}, createdBy: null });
      const s2 = await store.subscriptions.add({ id: uid('sub'), conversationId: gone.id, filters: {}, createdBy: null });
      await store.conversations.deactivate(gone.id, '403 from Teams');
      const active = (await store.subscriptions.listActive()).map((s) => s.id);
      expect(active).toContain(s1.id);
      expect(active).not.toContain(s2.id);
    });

    test('refuses a subscription for an unknown conversation', async () => {
      await expect(ctx.store().subscriptions.add({ id: uid('sub'), conversationId: uid('nope'), filters: {}, createdBy: null })).rejects.toMatchObject({
        code: 'invalid-argument',
      });
    });
  });
}
