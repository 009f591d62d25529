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

    test('a takeover succeeds only while the holder seen has not renewed since', async () => {
      const name = `replica:${uid('name')}`;
      const seen = (await repo().tryAcquire(name, 'incarnation-1', 60_000))!;
      expect(await repo().takeOver({ ...seen, holderId: 'incarnation-0' }, 'incarnation-2', 60_000)).toBeNull();
      const renewed = await waitFor(async () => {
        const lease = await repo().renew(name, 'incarnation-1', 61_000);
        return lease && Date.parse(lease.expiresAt) > Date.parse(seen.expiresAt) ? lease : undefined;
      }, 'a renewal that moves the expiry');
      expect(await repo().takeOver(seen, 'incarnation-2', 60_000)).toBeNull();
      expect(await repo().get(name)).toMatchObject({ holderId: 'incarnation-1' });
      expect(await repo().takeOver(renewed, 'incarnation-2', 60_000)).toMatchObject({ name, holderId: 'incarnation-2' });
      expect(await repo().renew(name, 'incarnation-1', 60_000)).toBeNull();
      expect(await repo().takeOver(renewed, 'incarnation-3', 60_000)).toBeNull();
    });

    test('concurrent takeovers of one silent holder: exactly one wins', async () => {
      const name = `replica:${uid('name')}`;
      const seen = (await repo().tryAcquire(name, 'silent', 60_000))!;
      const results = await Promise.all(Array.from({ length: ctx.concurrency }, (_, i) => repo().takeOver(seen, `claimer-${i}`, 60_000)));
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });

    test('lists the live leases under a prefix, by name', async () => {
      const prefix = `${uid('members')}:`;
      await repo().tryAcquire(`${prefix}b`, 'b', 60_000);
      await repo().tryAcquire(`${prefix}a`, 'a', 60_000);
      await repo().tryAcquire(`${prefix}gone`, 'gone', 60_000);
      await repo().release(`${prefix}gone`, 'gone');
      await repo().tryAcquire(`${prefix}short`, 'short', 30);
      await repo().tryAcquire(`${prefix.slice(0, -1)}x`, 'other prefix', 60_000);
      // A prefix is literal: LIKE wildcards in it match nothing more.
      await repo().tryAcquire(`${prefix.replace('-', '_')}c`, 'wildcard', 60_000);
      await waitFor(async () => ((await repo().get(`${prefix}short`)) === null ? true : undefined), 'the short lease to expire');
      expect((await repo().listLive(prefix)).map((lease) => [lease.name, lease.holderId])).toEqual([[`${prefix}a`, 'a'], [`${prefix}b`, 'b']]);
    });

    test('refuses a non-positive ttl', async () => {
      await expect(repo().tryAcquire(uid('l'), 'a', 0)).rejects.toMatchObject({ code: 'invalid-argument' });
    });
  });
}
