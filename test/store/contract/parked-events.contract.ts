import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context.ts';
import { uid } from '../support/fixtures.ts';
import { StoreError } from '../../../src/store/errors.ts';
import type { ParkedEvent } from '../../../src/store/ports.ts';
import { event } from './change-events.contract.ts';

function parked(overrides: Partial<ParkedEvent> = {}): ParkedEvent {
  return {
    consumer: uid('consumer'),
    seq: 7,
    eventId: uid('evt'),
    linkId: uid('link'),
    pairId: 'pair-1',
    errorCode: 'TypeError',
    attempts: 5,
    parkedAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export function parkedEventContract(ctx: ContractContext): void {
  const repo = () => ctx.store().parkedEvents;

  describe('ParkedEventRepository', () => {
    test('park and list round-trip, per consumer, oldest seq first, bounded by limit', async () => {
      const consumer = uid('consumer');
      const later = await repo().park(parked({ consumer, seq: 12 }));
      const earlier = await repo().park(parked({ consumer, seq: 3 }));
      await repo().park(parked({ seq: 1 }));
      expect(later).toEqual(parked({ ...later }));
      expect(await repo().list(consumer)).toEqual([earlier, later]);
      expect(await repo().list(consumer, 1)).toEqual([earlier]);
    });

    test('parking the same event again keeps its first parkedAt and takes the new error and attempts', async () => {
      const first = parked();
      await repo().park(first);
      const again = await repo().park({ ...first, errorCode: 'render-failed', attempts: 6, parkedAt: '2025-01-02T00:00:00.000Z' });
      expect(again).toEqual({ ...first, errorCode: 'render-failed', attempts: 6 });
      expect(await repo().list(first.consumer)).toEqual([again]);
    });

    test('counts says how many events each consumer parked', async () => {
      const a = uid('consumer-a');
      const b = uid('consumer-b');
      await repo().park(parked({ consumer: a, seq: 1 }));
      await repo().park(parked({ consumer: a, seq: 2 }));
      await repo().park(parked({ consumer: b, seq: 1 }));
      const counts = (await repo().counts()).filter((entry) => entry.consumer === a || entry.consumer === b);
      expect(counts).toEqual([
        { consumer: a, count: 2 },
        { consumer: b, count: 1 },
      ]);
    });

    test.each([
      ['an empty consumer', { consumer: '' }],
      ['a zero seq', { seq: 0 }],
      ['no attempts', { attempts: 0 }],
      ['a parkedAt that is no timestamp', { parkedAt: 'yesterday' }],
    ])('refuses %s', async (_name, overrides) => {
      await expect(repo().park(parked(overrides))).rejects.toMatchObject({ code: 'invalid-argument' });
      await expect(repo().park(parked(overrides))).rejects.toBeInstanceOf(StoreError);
    });

    test('parking and acknowledging in one transaction commit together, or not at all', async () => {
      const consumer = uid('consumer');
      const [poison, next] = await ctx.store().changeEvents.append([event(), event()]);
      await ctx.store().transaction(async (tx) => {
        await tx.parkedEvents.park(parked({ consumer, seq: poison!.seq, eventId: poison!.id }));
        await tx.changeEvents.ack(consumer, next!.seq);
      });
      expect((await repo().list(consumer)).map((entry) => entry.eventId)).toEqual([poison!.id]);
      expect(await ctx.store().changeEvents.getOffset(consumer)).toBe(next!.seq);

      const other = uid('consumer');
      await expect(
        ctx.store().transaction(async (tx) => {
          await tx.parkedEvents.park(parked({ consumer: other, seq: poison!.seq }));
          await tx.changeEvents.ack(other, next!.seq);
          throw new Error('the replica died');
        }),
      ).rejects.toThrow('the replica died');
      expect(await repo().list(other)).toEqual([]);
      expect(await ctx.store().changeEvents.getOffset(other)).toBe(0);
    });
  });
}
