import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context.ts';
import { analyst, approvalDraft, approver, uid } from '../support/fixtures.ts';
import { SETTING_KEYS } from '../../../src/store/ports.ts';

export function approvalContract(ctx: ContractContext): void {
  const repo = () => ctx.store().approvals;

  describe('ApprovalRepository', () => {
    test('create stores a pending request with empty cards and no decision', async () => {
      const draft = approvalDraft();
      const created = await repo().create(draft);
      expect(created).toMatchObject({ ...draft, state: 'pending', decidedBy: null, decidedAt: null, outcome: null, cards: {} });
      expect(await repo().get(draft.id)).toEqual(created);
      expect(await repo().get(uid('missing'))).toBeNull();
    });

    test('transition applies only from the listed states and sets the patch', async () => {
      const { id } = await repo().create(approvalDraft());
      const decidedAt = '2024-05-01T10:00:00.000Z';
      const approved = await repo().transition(id, ['pending'], 'approved', { decidedBy: approver, decidedAt });
      expect(approved).toMatchObject({ state: 'approved', decidedBy: approver, decidedAt });
      expect(await repo().transition(id, ['pending'], 'rejected', { decidedBy: analyst })).toBeNull();
      const applying = await repo().transition(id, ['approved'], 'applying');
      expect(applying).toMatchObject({ state: 'applying', decidedBy: approver });
      const applied = await repo().transition(id, ['applying'], 'applied', { outcome: { version: 'etag-2' } });
      expect(applied).toMatchObject({ state: 'applied', outcome: { version: 'etag-2' }, decidedAt });
      expect(await repo().transition(uid('missing'), ['pending'], 'approved')).toBeNull();
      await expect(repo().transition(id, ['pending'], 'bogus' as never)).rejects.toMatchObject({ code: 'invalid-argument' });
    });

    test('two concurrent approvers: exactly one transition wins', async () => {
      const { id } = await repo().create(approvalDraft());
      const results = await Promise.all(
        Array.from({ length: Math.max(2, ctx.concurrency) }, (_, i) =>
          repo().transition(id, ['pending'], i % 2 === 0 ? 'approved' : 'rejected', { decidedBy: { ...approver, objectId: `approver-${i}` } }),
        ),
      );
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      expect(await repo().get(id)).toMatchObject({ state: winners[0]?.state, decidedBy: winners[0]?.decidedBy });
    });

    test('setCard merges card ids per conversation, also concurrently', async () => {
      const { id } = await repo().create(approvalDraft({ cards: { 'conv-0': 'act-0' } }));
      await Promise.all(Array.from({ length: ctx.concurrency }, (_, i) => repo().setCard(id, `conv-${i + 1}`, `act-${i + 1}`)));
      const cards = (await repo().get(id))?.cards ?? {};
      expect(Object.keys(cards)).toHaveLength(ctx.concurrency + 1);
      expect(cards['conv-1']).toBe('act-1');
      expect(await repo().setCard(uid('missing'), 'c', 'a')).toBeNull();
    });

    test('expireDue expires pending requests past their expiry only', async () => {
      const due = await repo().create(approvalDraft({ expiresAt: '2001-01-01T00:00:00.000Z' }));
      const decided = await repo().create(approvalDraft({ expiresAt: '2001-01-01T00:00:00.000Z' }));
      await repo().transition(decided.id, ['pending'], 'rejected');
      const future = await repo().create(approvalDraft({ expiresAt: '2999-01-01T00:00:00.000Z' }));
      const otherPair = await repo().create(approvalDraft({ pairId: uid('pair'), expiresAt: '2001-01-01T00:00:00.000Z' }));
      const expired = (await repo().expireDue('2020-01-01T00:00:00.000Z', 'soc')).map((a) => a.id);
      expect(expired).toContain(due.id);
      expect(expired).not.toContain(decided.id);
      expect(expired).not.toContain(future.id);
      expect(expired).not.toContain(otherPair.id);
      expect((await repo().get(otherPair.id))?.state).toBe('pending');
      expect((await repo().get(due.id))?.state).toBe('expired');
      expect(await repo().expireDue('2020-01-01T00:00:00.000Z', 'soc')).not.toContainEqual(expect.objectContaining({ id: due.id }));
    });

    test('list filters by state, newest first', async () => {
      const a = await repo().create(approvalDraft());
      const b = await repo().create(approvalDraft());
      await repo().transition(a.id, ['pending'], 'stale');
      const stale = (await repo().list({ pairId: 'soc', states: ['stale'], limit: 500 })).map((r) => r.id);
      expect(stale).toContain(a.id);
      expect(stale).not.toContain(b.id);
      const all = (await repo().list({ pairId: 'soc', limit: 500 })).map((r) => r.id);
      expect(all.indexOf(b.id)).toBeLessThan(all.indexOf(a.id));
    });

    test("list gives one pair's requests only: two customers' requests never mix", async () => {
      const contoso = uid('contoso');
      const fabrikam = uid('fabrikam');
      const c = await repo().create(approvalDraft({ pairId: contoso }));
      const f = await repo().create(approvalDraft({ pairId: fabrikam }));
      expect((await repo().list({ pairId: contoso })).map((r) => [r.id, r.pairId])).toEqual([[c.id, contoso]]);
      expect((await repo().list({ pairId: fabrikam, states: ['pending'] })).map((r) => r.id)).toEqual([f.id]);
      expect((await repo().get(f.id))?.pairId).toBe(fabrikam);
      await expect(repo().create(approvalDraft({ pairId: '' }))).rejects.toMatchObject({ code: 'invalid-argument' });
    });
  });

  describe('SettingsRepository', () => {
    test('get/set/delete JSON values, e.g. the approvers channel', async () => {
      const settings = ctx.store().settings;
      const key = `${SETTING_KEYS.approversConversationId}.${uid('t')}`;
      expect(await settings.get(key)).toBeNull();
      await settings.set(key, '19:approvers@thread.tacv2', analyst);
      expect(await settings.get(key)).toBe('19:approvers@thread.tacv2');
      await settings.set(key, { nested: [1, true, null] });
      expect(await settings.get(key)).toEqual({ nested: [1, true, null] });
      expect(await settings.delete(key)).toBe(true);
      expect(await settings.delete(key)).toBe(false);
      expect(await settings.get(key)).toBeNull();
    });
  });
}
