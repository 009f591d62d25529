import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context.ts';
import { uid } from '../support/fixtures.ts';

const T0 = '2024-05-01T10:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

export function cardRefreshContract(ctx: ContractContext): void {
  const repo = () => ctx.store().cardRefreshes;

  describe('CardRefreshRepository', () => {
    test('marks widen the seq range and keep announce once set; clear waits for the last marked event', async () => {
      const conv = uid('conv');
      const link = uid('link');
      await repo().mark([{ conversationId: conv, linkId: link, announce: false, seq: 12 }], 'replica-a', T0);
      await repo().mark([{ conversationId: conv, linkId: link, announce: true, seq: 10 }], 'replica-a', at(1));
      await repo().mark([{ conversationId: conv, linkId: link, announce: false, seq: 15 }], 'replica-b', at(2));
      const [refresh] = await repo().claimStale('replica-c', at(10_000), 5_000);
      expect(refresh).toEqual({ conversationId: conv, linkId: link, announce: true, firstSeq: 10, lastSeq: 15, claimedBy: 'replica-c', claimedAt: at(10_000), attempts: 0 });
      // Sent up to 12, but 15 was marked meanwhile: it stays.
      expect(await repo().clear(conv, link, 12)).toBe(false);
      expect(await repo().clear(conv, link, 15)).toBe(true);
      expect(await repo().clear(conv, link, 15)).toBe(false);
    });

    test('one statement marks a whole fan-out', async () => {
      const link = uid('link');
      const conversations = Array.from({ length: 50 }, () => uid('conv'));
      await repo().mark(conversations.map((conversationId) => ({ conversationId, linkId: link, announce: true, seq: 3 })), 'replica-a', T0);
      const claimed = await repo().claimStale('replica-b', at(60_000), 1_000, 1000);
      expect(claimed.filter((refresh) => refresh.linkId === link).map((refresh) => refresh.conversationId).sort()).toEqual([...conversations].sort());
    });

    test('only stale claims are taken over, each by one of concurrent claimers', async () => {
      const link = uid('link');
      const fresh = uid('conv');
      const stale = uid('conv');
      await repo().mark([{ conversationId: stale, linkId: link, announce: true, seq: 1 }], 'dead-replica', T0);
      await repo().mark([{ conversationId: fresh, linkId: link, announce: true, seq: 1 }], 'live-replica', at(59_000));
      const claims = await Promise.all(Array.from({ length: ctx.concurrency }, (_, i) => repo().claimStale(`sweeper-${i}`, at(60_000), 30_000)));
      const taken = claims.flat().filter((refresh) => refresh.linkId === link);
      expect(taken.map((refresh) => refresh.conversationId)).toEqual([stale]);
    });

    test('a stopping holder releases its claims for others to take at once', async () => {
      const link = uid('link');
      const conv = uid('conv');
      await repo().mark([{ conversationId: conv, linkId: link, announce: true, seq: 1 }], 'stopping', at(100_000));
      expect((await repo().claimStale('other', at(100_001), 60_000)).filter((refresh) => refresh.linkId === link)).toEqual([]);
      expect(await repo().releaseClaims('stopping')).toBeGreaterThanOrEqual(1);
      expect((await repo().claimStale('other', at(100_002), 60_000)).filter((refresh) => refresh.linkId === link).map((refresh) => refresh.claimedBy)).toEqual(['other']);
    });

    test('failures are counted; a refresh can be dropped', async () => {
      const conv = uid('conv');
      const link = uid('link');
      expect(await repo().recordFailure(conv, link)).toBeNull();
      await repo().mark([{ conversationId: conv, linkId: link, announce: true, seq: 1 }], 'a', T0);
      expect(await repo().recordFailure(conv, link)).toBe(1);
      expect(await repo().recordFailure(conv, link)).toBe(2);
      expect(await repo().drop(conv, link)).toBe(true);
      expect(await repo().drop(conv, link)).toBe(false);
    });
  });
}
