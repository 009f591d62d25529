import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context.ts';
import { analyst, uid } from '../support/fixtures.ts';
import type { EditOutcome } from '../../../src/domain/edits.ts';

export function editRequestContract(ctx: ContractContext): void {
  const repo = () => ctx.store().editRequests;
  const draft = (overrides: Partial<Parameters<ReturnType<typeof repo>['insertOrGet']>[0]> = {}) => ({
    id: uid('req'),
    idempotencyKey: uid('key'),
    incidentRef: '29',
    changes: { severity: 'high' as const, tagsAdd: ['vip'] },
    actor: analyst,
    ...overrides,
  });

  describe('EditRequestRepository', () => {
    test('inserts a new request in state received, found by id and by key', async () => {
      const request = draft();
      const result = await repo().insertOrGet(request);
      expect(result.duplicate).toBe(false);
      expect(result.request).toMatchObject({ ...request, linkId: null, state: 'received', outcome: null });
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

    test('update sets state, outcome and link; unspecified fields stay', async () => {
      const request = draft();
      await repo().insertOrGet(request);
      const outcome: EditOutcome = {
        requestId: request.id,
        linkId: 'link-1',
        state: 'accepted',
        perPortal: { defender: { severity: { state: 'pending' } }, sentinel: {} },
        converged: false,
        updatedAt: '2024-05-01T10:00:00.000Z',
      };
      const accepted = await repo().update(request.id, { state: 'accepted', outcome, linkId: 'link-1' });
      expect(accepted).toMatchObject({ state: 'accepted', outcome, linkId: 'link-1' });
      const completed = await repo().update(request.id, { state: 'completed' });
      expect(completed).toMatchObject({ state: 'completed', outcome, linkId: 'link-1' });
      expect(await repo().update(uid('missing'), { state: 'failed' })).toBeNull();
      await expect(repo().update(request.id, { state: 'bogus' as never })).rejects.toMatchObject({ code: 'invalid-argument' });
    });

    test('listUnfinished returns received and accepted requests, oldest first', async () => {
      const a = draft();
      const b = draft();
      const c = draft();
      await repo().insertOrGet(a);
      await repo().insertOrGet(b);
      await repo().insertOrGet(c);
      await repo().update(b.id, { state: 'accepted' });
      await repo().update(c.id, { state: 'partial' });
      const unfinished = (await repo().listUnfinished(1000)).map((r) => r.id);
      expect(unfinished).toContain(a.id);
      expect(unfinished).toContain(b.id);
      expect(unfinished).not.toContain(c.id);
      expect(unfinished.indexOf(a.id)).toBeLessThan(unfinished.indexOf(b.id));
    });

    test('refuses an empty key', async () => {
      await expect(repo().insertOrGet(draft({ idempotencyKey: '' }))).rejects.toMatchObject({ code: 'invalid-argument' });
    });
  });
}
