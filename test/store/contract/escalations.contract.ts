import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context.ts';
import { analyst, triageRecordDraft, uid } from '../support/fixtures.ts';
import type { TriageRecord } from '../../../src/store/ports.ts';

const T0 = '2026-03-02T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

export function escalationContract(ctx: ContractContext): void {
  describe('EscalationRepository', () => {
    test('a policy is set, replaced, listed and deleted with its timers', async () => {
      const repo = ctx.store().escalations;
      const conversationId = uid('19:soc');
      expect(await repo.getPolicy(conversationId)).toBeNull();
      const set = await repo.setPolicy({ conversationId, deadlines: { high: 900, medium: 14_400 }, contacts: [{ upn: 'oncall@contoso.com', displayName: 'On call' }], updatedBy: analyst });
      expect(set).toMatchObject({ conversationId, deadlines: { high: 900, medium: 14_400 }, contacts: [{ upn: 'oncall@contoso.com', displayName: 'On call' }], updatedBy: analyst });
      expect(Date.parse(set.updatedAt)).not.toBeNaN();
      const replaced = await repo.setPolicy({ conversationId, deadlines: { low: 86_400 }, contacts: [], updatedBy: null });
      expect(await repo.getPolicy(conversationId)).toEqual(replaced);
      expect((await repo.listPolicies()).map((policy) => policy.conversationId)).toContain(conversationId);
      await repo.scheduleTimer(conversationId, 'link-1', at(15), T0);
      expect(await repo.deletePolicy(conversationId)).toBe(true);
      expect(await repo.deletePolicy(conversationId)).toBe(false);
      expect(await repo.getTimer(conversationId, 'link-1')).toBeNull();
    });

    test('a pending timer moves with its deadline; one that fired or was cancelled stays as it is', async () => {
      const repo = ctx.store().escalations;
      const conversationId = uid('19:soc');
      const linkId = uid('link');
      expect(await repo.scheduleTimer(conversationId, linkId, at(15), T0)).toMatchObject({ dueAt: at(15), state: 'pending' });
      expect(await repo.scheduleTimer(conversationId, linkId, at(15), at(1))).toMatchObject({ dueAt: at(15), state: 'pending', updatedAt: T0 });
      expect(await repo.scheduleTimer(conversationId, linkId, at(5), at(2))).toMatchObject({ dueAt: at(5), state: 'pending' });
      expect(await repo.fireTimer(conversationId, linkId, at(15), at(16))).toBe(false); // the old deadline is not this timer
      expect(await repo.fireTimer(conversationId, linkId, at(5), at(6))).toBe(true);
      expect(await repo.scheduleTimer(conversationId, linkId, at(30), at(7))).toMatchObject({ dueAt: at(5), state: 'fired' });
      expect(await repo.cancelTimers(linkId, at(8))).toBe(0);
      expect(await repo.listTimers(conversationId, 'fired')).toEqual([expect.objectContaining({ linkId, dueAt: at(5) })]);
    });

    test('of concurrent fires of one timer exactly one wins', async () => {
      const repo = ctx.store().escalations;
      const conversationId = uid('19:soc');
      await repo.scheduleTimer(conversationId, 'link-1', at(15), T0);
      const fired = await Promise.all(Array.from({ length: ctx.concurrency ?? 4 }, () => repo.fireTimer(conversationId, 'link-1', at(15), at(15))));
      expect(fired.filter(Boolean)).toHaveLength(1);
    });

    test("cancelling an incident's timers cancels the pending ones, everywhere or in one conversation", async () => {
      const repo = ctx.store().escalations;
      const [a, b] = [uid('19:a'), uid('19:b')];
      const linkId = uid('link');
      await repo.scheduleTimer(a, linkId, at(15), T0);
      await repo.scheduleTimer(b, linkId, at(15), T0);
      expect(await repo.cancelTimers(linkId, at(1), a)).toBe(1);
      expect(await repo.getTimer(b, linkId)).toMatchObject({ state: 'pending' });
      expect(await repo.cancelTimers(linkId, at(2))).toBe(1);
      expect(await repo.listTimers(b, 'cancelled')).toEqual([expect.objectContaining({ linkId, updatedAt: at(2) })]);
      expect(await repo.fireTimer(b, linkId, at(15), at(15))).toBe(false);
    });
  });

  describe('TriageRepository', () => {
    const record = (overrides: Partial<TriageRecord> = {}) => triageRecordDraft({ severity: 'high', ...overrides });

    test('put replaces a record; get reads it back', async () => {
      const repo = ctx.store().triage;
      const first = record();
      expect(await repo.put(first)).toMatchObject(first);
      const acknowledged = { ...first, acknowledged: true, acknowledgedAt: at(-30) };
      expect(await repo.put(acknowledged)).toMatchObject(acknowledged);
      expect(await repo.get(first.linkId)).toMatchObject(acknowledged);
      expect(await repo.get(uid('missing'))).toBeNull();
    });

    test('listActive: every open record, and closed ones created, acknowledged or resolved since', async () => {
      const repo = ctx.store().triage;
      const since = '2030-01-01T00:00:00.000Z';
      const later = '2030-01-02T00:00:00.000Z';
      const open = await repo.put(record({ createdAt: '2029-01-01T00:00:00.000Z' }));
      const resolvedRecently = await repo.put(record({ open: false, createdAt: '2029-01-01T00:00:00.000Z', resolvedAt: later }));
      const acknowledgedRecently = await repo.put(record({ open: false, createdAt: '2029-01-01T00:00:00.000Z', acknowledgedAt: later, resolvedAt: '2029-06-01T00:00:00.000Z' }));
      const old = await repo.put(record({ open: false, createdAt: '2029-01-01T00:00:00.000Z', resolvedAt: '2029-06-01T00:00:00.000Z' }));
      const ids = (await repo.listActive(since, 20_000)).map((item) => item.linkId);
      expect(ids).toEqual(expect.arrayContaining([open.linkId, resolvedRecently.linkId, acknowledgedRecently.linkId]));
      expect(ids).not.toContain(old.linkId);
    });
  });
}
