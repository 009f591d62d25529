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
  });
}
