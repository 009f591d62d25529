import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context.ts';
import { uid, waitFor } from '../support/fixtures.ts';

export function leaseContract(ctx: ContractContext): void {
  const repo = () => ctx.store().leases;

  describe('LeaseRepository', () => {
    test('one holder at a time; the holder re-acquires (renews); release frees it', async () => {
      const name = `watcher:${uid('pair')}`;
      const lease = await repo().tryAcquire(name, 'replica-a', 60_000);
      expect(lease).toMatchObject({ name, holderId: 'replica-a' });
      expect(Date.parse(lease?.expiresAt ?? '')).toBeGreaterThan(Date.now() - 5_000);
      expect(await repo().tryAcquire(name, 'replica-b', 60_000)).toBeNull();
      expect(await repo().tryAcquire(name, 'replica-a', 60_000)).toMatchObject({ holderId: 'replica-a' });
      expect(await repo().get(name)).toMatchObject({ holderId: 'replica-a' });
      expect(await repo().renew(name, 'replica-b', 60_000)).toBeNull();
      expect(await repo().renew(name, 'replica-a', 120_000)).toMatchObject({ holderId: 'replica-a' });
      expect(await repo().release(name, 'replica-b')).toBe(false);
      expect(await repo().release(name, 'replica-a')).toBe(true);
      expect(await repo().get(name)).toBeNull();
      expect(await repo().tryAcquire(name, 'replica-b', 60_000)).toMatchObject({ holderId: 'replica-b' });
    });

    test('an expired lease can be taken by another replica', async () => {
      const name = `watcher:${uid('pair')}`;
      expect(await repo().tryAcquire(name, 'replica-a', 50)).not.toBeNull();
      const taken = await waitFor(async () => (await repo().tryAcquire(name, 'replica-b', 60_000)) ?? undefined, 'the lease to expire');
      expect(taken.holderId).toBe('replica-b');
      expect(await repo().renew(name, 'replica-a', 60_000)).toBeNull();
    });

    test('N concurrent replicas: exactly one holder', async () => {
      const name = `watcher:${uid('pair')}`;
      const results = await Promise.all(Array.from({ length: ctx.concurrency }, (_, i) => repo().tryAcquire(name, `replica-${i}`, 60_000)));
      const holders = results.filter((r) => r !== null);
      expect(holders).toHaveLength(1);
      expect(await repo().get(name)).toMatchObject({ holderId: holders[0]?.holderId });
    });

    test('refuses a non-positive ttl', async () => {
      await expect(repo().tryAcquire(uid('l'), 'a', 0)).rejects.toMatchObject({ code: 'invalid-argument' });
    });
  });
}
