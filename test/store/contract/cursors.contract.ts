import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context.ts';
import { uid } from '../support/fixtures.ts';

export function cursorContract(ctx: ContractContext): void {
  describe('CursorRepository', () => {
    test('get is null before any set', async () => {
      expect(await ctx.store().cursors.get(uid('pair'), 'defender')).toBeNull();
    });

    test('set then get round-trips per (pair, portal), keeping 7-digit Graph timestamps verbatim', async () => {
      const pairId = uid('pair');
      const since = '2021-08-13T08:43:35.5533333Z';
      await ctx.store().cursors.set(pairId, 'defender', { since, idsAtSince: ['29', '30'] });
      await ctx.store().cursors.set(pairId, 'sentinel', { since: '2021-08-13T08:00:00Z', idsAtSince: [] });
      expect(await ctx.store().cursors.get(pairId, 'defender')).toEqual({ since, idsAtSince: ['29', '30'] });
      expect(await ctx.store().cursors.get(pairId, 'sentinel')).toEqual({ since: '2021-08-13T08:00:00Z', idsAtSince: [] });
      expect(await ctx.store().cursors.get(uid('other'), 'defender')).toBeNull();
    });

    test('set replaces the cursor and de-duplicates the ids seen at `since`', async () => {
      const pairId = uid('pair');
      await ctx.store().cursors.set(pairId, 'defender', { since: '2024-01-01T00:00:00Z', idsAtSince: ['1'] });
      await ctx.store().cursors.set(pairId, 'defender', { since: '2024-01-02T00:00:00Z', idsAtSince: ['7', '8', '7'] });
      expect(await ctx.store().cursors.get(pairId, 'defender')).toEqual({ since: '2024-01-02T00:00:00Z', idsAtSince: ['7', '8'] });
    });

    test('a backfill is pending from its start to its finish, per (pair, portal), and set leaves it pending', async () => {
      const pairId = uid('pair');
      expect(await ctx.store().cursors.pendingBackfills(pairId)).toEqual([]);
      await ctx.store().cursors.startBackfill(pairId, 'sentinel', { since: '2024-01-01T00:00:00Z', idsAtSince: [] });
      await ctx.store().cursors.startBackfill(pairId, 'defender', { since: '2024-01-01T00:00:01Z', idsAtSince: [] });
      expect(await ctx.store().cursors.get(pairId, 'defender')).toEqual({ since: '2024-01-01T00:00:01Z', idsAtSince: [] });
      await ctx.store().cursors.set(pairId, 'defender', { since: '2024-01-02T00:00:00Z', idsAtSince: ['4'] });
      expect(await ctx.store().cursors.pendingBackfills(pairId)).toEqual(['defender', 'sentinel']);
      await ctx.store().cursors.finishBackfill(pairId, 'defender');
      expect(await ctx.store().cursors.pendingBackfills(pairId)).toEqual(['sentinel']);
      expect(await ctx.store().cursors.get(pairId, 'defender')).toEqual({ since: '2024-01-02T00:00:00Z', idsAtSince: ['4'] });
      expect(await ctx.store().cursors.pendingBackfills(uid('other'))).toEqual([]);
    });

    test('a listing is recorded per (pair, portal), and an older one never replaces a newer one', async () => {
      const pairId = uid('pair');
      const other = uid('pair');
      await ctx.store().cursors.recordListing({ pairId, portal: 'defender', listedAt: '2024-05-01T10:00:02.000Z' });
      await ctx.store().cursors.recordListing({ pairId, portal: 'sentinel', listedAt: '2024-05-01T10:00:01.000Z' });
      await ctx.store().cursors.recordListing({ pairId: other, portal: 'defender', listedAt: '2024-05-01T09:00:00.000Z' });
      // A replica that lost the lease mid-poll finishes after the new holder: its listing is older.
      await ctx.store().cursors.recordListing({ pairId, portal: 'defender', listedAt: '2024-05-01T10:00:00.000Z' });
      await ctx.store().cursors.recordListing({ pairId, portal: 'sentinel', listedAt: '2024-05-01T10:00:03.000Z' });
      const mine = (await ctx.store().cursors.listings()).filter((listing) => listing.pairId === pairId || listing.pairId === other);
      expect(mine).toEqual(
        expect.arrayContaining([
          { pairId, portal: 'defender', listedAt: '2024-05-01T10:00:02.000Z' },
          { pairId, portal: 'sentinel', listedAt: '2024-05-01T10:00:03.000Z' },
          { pairId: other, portal: 'defender', listedAt: '2024-05-01T09:00:00.000Z' },
        ]),
      );
      expect(mine).toHaveLength(3);
    });
  });
}
