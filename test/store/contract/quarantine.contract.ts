import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context.ts';
import { incident, linkDraft, uid } from '../support/fixtures.ts';
import { StoreError } from '../../../src/store/errors.ts';
import type { QuarantineEntry } from '../../../src/store/ports.ts';

function entry(overrides: Partial<QuarantineEntry> = {}): QuarantineEntry {
  return {
    pairId: uid('pair'),
    portal: 'defender',
    incidentId: uid('inc'),
    stage: 'view',
    linkId: null,
    errorCode: '22P02',
    seenUpdatedAt: '2021-08-13T08:43:35.5533333Z',
    attempts: 1,
    lastFailedAt: '2025-01-01T00:00:00.000Z',
    retryAt: '2025-01-01T00:00:30.000Z',
    ...overrides,
  };
}

export function quarantineContract(ctx: ContractContext): void {
  const quarantine = () => ctx.store().quarantine;

  describe('text PostgreSQL refuses', () => {
    test.each([
      ['a lone surrogate', 'file name \ud800.exe', '22P02'],
      ['NUL', 'evil\u0000.exe', '22P05'],
    ])('a view holding %s is refused with a StoreError carrying the SQLSTATE, and nothing is stored', async (_name, title, sqlState) => {
      const draft = linkDraft({ defenderView: incident('defender', { title }) });
      const error = await ctx.store().links.save(draft, null).then(() => null, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).sqlState).toBe(sqlState);
      expect(await ctx.store().links.findByDefenderId(draft.pairId, draft.defenderId)).toBeNull();
    });
  });

  describe('QuarantineRepository', () => {
    test('record, get, list and release round-trip a record, keeping the 7-digit timestamp verbatim', async () => {
      const first = entry();
      const stored = await quarantine().record(first);
      expect(stored).toEqual({ ...first, firstFailedAt: first.lastFailedAt });
      expect(await quarantine().get(first)).toEqual(stored);
      expect(await quarantine().list(first.pairId)).toEqual([stored]);
      expect(await quarantine().get({ ...first, stage: 'sync' })).toBeNull();
      expect(await quarantine().release(first)).toBe(true);
      expect(await quarantine().release(first)).toBe(false);
      expect(await quarantine().get(first)).toBeNull();
    });

    test('recording a known record again keeps its first failure and takes the new details', async () => {
      const first = entry();
      await quarantine().record(first);
      const again = await quarantine().record({ ...first, attempts: 2, errorCode: '22P05', seenUpdatedAt: 'v2', lastFailedAt: '2025-01-01T00:01:00.000Z', retryAt: '2025-01-01T00:02:00.000Z', linkId: 'link-1' });
      expect(again).toEqual({ ...first, attempts: 2, errorCode: '22P05', seenUpdatedAt: 'v2', linkId: 'link-1', firstFailedAt: first.lastFailedAt, lastFailedAt: '2025-01-01T00:01:00.000Z', retryAt: '2025-01-01T00:02:00.000Z' });
      expect(await quarantine().list(first.pairId)).toHaveLength(1);
    });

    test('list is per pair, soonest retry first, and bounded by limit', async () => {
      const pairId = uid('pair');
      await quarantine().record(entry({ pairId, incidentId: 'late', retryAt: '2025-01-01T02:00:00.000Z' }));
      await quarantine().record(entry({ pairId, incidentId: 'soon', retryAt: '2025-01-01T01:00:00.000Z' }));
      await quarantine().record(entry({ pairId, incidentId: 'soon', stage: 'sync', retryAt: '2025-01-01T01:30:00.000Z' }));
      await quarantine().record(entry());
      expect((await quarantine().list(pairId)).map((record) => [record.incidentId, record.stage])).toEqual([['soon', 'view'], ['soon', 'sync'], ['late', 'view']]);
      expect(await quarantine().list(pairId, 1)).toHaveLength(1);
      await expect(quarantine().list(pairId, 0)).rejects.toMatchObject({ code: 'invalid-argument' });
    });

    test('counts per pair and portal', async () => {
      const pairId = uid('pair');
      await quarantine().record(entry({ pairId }));
      await quarantine().record(entry({ pairId }));
      await quarantine().record(entry({ pairId, portal: 'sentinel' }));
      const counts = (await quarantine().counts()).filter((count) => count.pairId === pairId);
      expect(counts).toEqual([
        { pairId, portal: 'defender', count: 2 },
        { pairId, portal: 'sentinel', count: 1 },
      ]);
    });

    test('refuses malformed entries', async () => {
      await expect(quarantine().record(entry({ incidentId: '' }))).rejects.toMatchObject({ code: 'invalid-argument' });
      await expect(quarantine().record(entry({ attempts: 0 }))).rejects.toMatchObject({ code: 'invalid-argument' });
      await expect(quarantine().record(entry({ retryAt: 'soon' }))).rejects.toMatchObject({ code: 'invalid-argument' });
    });
  });
}
