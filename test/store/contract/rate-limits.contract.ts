import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context.ts';
import { uid } from '../support/fixtures.ts';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

export function rateLimitContract(ctx: ContractContext): void {
  const repo = () => ctx.store().rateLimits;

  describe('RateLimitRepository', () => {
    test('retry-after is shared per key and only ever extends', async () => {
      const key = `tenant:${uid('t')}`;
      expect(await repo().getRetryAfter(key)).toBeNull();
      await repo().setRetryAfter(key, at(5000));
      await repo().setRetryAfter(key, at(1000));
      expect(await repo().getRetryAfter(key)).toBe(at(5000));
      expect(await repo().getRetryAfter(key, at(4999))).toBe(at(5000));
      expect(await repo().getRetryAfter(key, at(5000))).toBeNull();
      await repo().setRetryAfter(key, at(9000));
      expect(await repo().getRetryAfter(key, at(0))).toBe(at(9000));
    });

    test('token bucket starts full, empties, refills with time and caps at capacity', async () => {
      const key = uid('bucket');
      for (let i = 0; i < 3; i++) expect((await repo().take(key, 3, 1, at(0))).granted).toBe(true);
      const denied = await repo().take(key, 3, 1, at(0));
      expect(denied).toEqual({ granted: false, tokens: 0, retryAfterMs: 1000 });
      expect((await repo().take(key, 3, 1, at(500))).granted).toBe(false);
      expect((await repo().take(key, 3, 1, at(1000)))).toMatchObject({ granted: true, retryAfterMs: 0 });
      // Long idle: refills to capacity, not beyond.
      const afterIdle = await repo().take(key, 3, 1, at(3_600_000));
      expect(afterIdle.granted).toBe(true);
      expect(afterIdle.tokens).toBeCloseTo(2, 6);
      // A take with an older clock (another replica behind) refills nothing.
      expect((await repo().take(key, 3, 1, at(0))).tokens).toBeCloseTo(1, 6);
    });

    test('cost larger than 1 and refusals of bad parameters', async () => {
      const key = uid('bucket');
      expect(await repo().take(key, 10, 2, at(0), 4)).toMatchObject({ granted: true, tokens: 6 });
      expect(await repo().take(key, 10, 2, at(0), 8)).toEqual({ granted: false, tokens: 6, retryAfterMs: 1000 });
      await expect(repo().take(key, 0, 1, at(0))).rejects.toMatchObject({ code: 'invalid-argument' });
      await expect(repo().take(key, 1, 0, at(0))).rejects.toMatchObject({ code: 'invalid-argument' });
      await expect(repo().take(key, 1, 1, at(0), 2)).rejects.toMatchObject({ code: 'invalid-argument' });
    });

    test('concurrent takers never get more than the bucket holds', async () => {
      const key = uid('bucket');
      const capacity = Math.max(2, Math.floor(ctx.concurrency / 2));
      const takers = ctx.concurrency * 2;
      const results = await Promise.all(Array.from({ length: takers }, () => repo().take(key, capacity, 0.001, at(0))));
      expect(results.filter((r) => r.granted)).toHaveLength(capacity);
    });
  });
}
