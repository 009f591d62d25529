import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context.ts';
import { analyst, uid } from '../support/fixtures.ts';
import type { EditOutcome } from '../../../src/domain/edits.ts';

export function editRequestContract(ctx: ContractContext): void {
  const repo = () => ctx.store().editRequests;
  const outcomeOf = (requestId: string, state: EditOutcome['state'] = 'accepted'): EditOutcome => ({
    requestId,
    linkId: 'link-1',
    state,
    perPortal: { defender: { severity: { state: state === 'accepted' ? 'pending' : 'written' } }, sentinel: {} },
    converged: false,
    updatedAt: '2024-05-01T10:00:00.000Z',
  });
  const draft = (overrides: Partial<Parameters<ReturnType<typeof repo>['insertOrGet']>[0]> = {}) => {
    const id = overrides.id ?? uid('req');
    return {
      id,
      idempotencyKey: uid('key'),
      linkId: 'link-1',
      changes: { severity: 'high' as const, tagsAdd: ['vip'] },
      actor: analyst,
      outcome: outcomeOf(id),
      ...overrides,
    };
  };

  describe('EditRequestRepository', () => {
    test('inserts a new request with its link and accepted outcome, found by id and by key', async () => {
      const request = draft();
      const result = await repo().insertOrGet(request);
      expect(result.duplicate).toBe(false);
      expect(result.request).toMatchObject(request);
      expect(await repo().get(request.id)).toEqual(result.request);
      expect(await repo().getByIdempotencyKey(request.idempotencyKey)).toEqual(result.request);
      expect(await repo().get(uid('missing'))).toBeNull();
    });

    test('the same idempotency key returns the first request as a duplicate', async () => {
      const first = draft();
      await repo().insertOrGet(first);
      const second = await repo().insertOrGet(draft({ idempotencyKey: first.idempotencyKey, changes: { severity: 'low' } }));
      expect(second.duplicate).toBe(true);
      expect(second.request).toMatchObject({ id: first.id, changes: first.changes });
    });

    test('N concurrent callers with one key: exactly one request is stored', async () => {
      const key = uid('key');
      const results = await Promise.all(Array.from({ length: ctx.concurrency }, () => repo().insertOrGet(draft({ idempotencyKey: key }))));
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      const winner = results.find((r) => !r.duplicate)?.request.id;
      expect(new Set(results.map((r) => r.request.id))).toEqual(new Set([winner]));
    });

    test('update replaces the outcome; an unknown request or state is refused', async () => {
      const request = draft();
      await repo().insertOrGet(request);
      const completed = outcomeOf(request.id, 'completed');
      expect(await repo().update(request.id, { outcome: completed })).toMatchObject({ outcome: completed, linkId: 'link-1' });
      expect(await repo().update(uid('missing'), { outcome: completed })).toBeNull();
      await expect(repo().update(request.id, { outcome: { ...completed, state: 'received' as never } })).rejects.toMatchObject({ code: 'invalid-argument' });
    });

    test('a final outcome is never replaced; of N concurrent updates that finish a request exactly one applies', async () => {
      const request = draft();
      await repo().insertOrGet(request);
      const results = await Promise.all(
        (['completed', 'partial', 'failed'] as const).flatMap((state) => Array.from({ length: ctx.concurrency }, () => repo().update(request.id, { outcome: outcomeOf(request.id, state) }))),
      );
      const applied = results.filter((result) => result !== null);
      expect(applied).toHaveLength(1);
      expect((await repo().get(request.id))?.outcome).toEqual(applied[0]?.outcome);
      expect(await repo().update(request.id, { outcome: outcomeOf(request.id, 'accepted') })).toBeNull();
      expect((await repo().get(request.id))?.outcome.state).toBe(applied[0]?.outcome.state);
    });

    test('listUnfinished returns the requests still accepted, oldest first', async () => {
      const [a, b, c] = [draft(), draft(), draft()];
      for (const request of [a, b, c]) await repo().insertOrGet(request);
      await repo().update(c.id, { outcome: outcomeOf(c.id, 'partial') });
      const unfinished = (await repo().listUnfinished(1000)).map((r) => r.id);
      expect(unfinished).toContain(a.id);
      expect(unfinished).toContain(b.id);
      expect(unfinished).not.toContain(c.id);
      expect(unfinished.indexOf(a.id)).toBeLessThan(unfinished.indexOf(b.id));
    });

    test("latestForLink is the link's most recently submitted request, whatever was updated since", async () => {
      const linkId = uid('link');
      expect(await repo().latestForLink(linkId)).toBeNull();
      const first = draft({ linkId });
      const second = draft({ linkId });
      await repo().insertOrGet(first);
      await repo().insertOrGet(second);
      await repo().insertOrGet(draft());
      await repo().update(first.id, { outcome: outcomeOf(first.id, 'failed') });
      expect((await repo().latestForLink(linkId))?.id).toBe(second.id);
    });

    test('refuses an empty key or link', async () => {
      await expect(repo().insertOrGet(draft({ idempotencyKey: '' }))).rejects.toMatchObject({ code: 'invalid-argument' });
      await expect(repo().insertOrGet(draft({ linkId: '' }))).rejects.toMatchObject({ code: 'invalid-argument' });
    });
  });
}
