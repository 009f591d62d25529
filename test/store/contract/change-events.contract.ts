import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context.ts';
import { incident, linkDraft, uid } from '../support/fixtures.ts';
import type { NewChangeEvent } from '../../../src/store/ports.ts';

export function event(overrides: Partial<NewChangeEvent> = {}): NewChangeEvent {
  const linkId = overrides.linkId ?? uid('link');
  return {
    id: uid('evt'),
    kind: 'updated',
    linkId,
    pairId: 'pair-1',
    incident: { linkId, pairId: 'pair-1', defender: incident('defender'), sentinel: null, syncState: { defender: 'inSync', sentinel: 'pending' } },
    changes: [{ field: 'severity', from: 'medium', to: 'high', portal: 'defender', by: 'alice@contoso.example' }],
    occurredAt: '2024-05-01T10:00:00.000Z',
    ...overrides,
  };
}

export function changeEventContract(ctx: ContractContext): void {
  const repo = () => ctx.store().changeEvents;

  describe('ChangeEventRepository (outbox)', () => {
    test('append assigns increasing seqs; readAfter returns them in order', async () => {
      const before = await repo().latestSeq();
      const events = [event(), event(), event()];
      const appended = await repo().append(events);
      expect(appended.map((e) => e.id)).toEqual(events.map((e) => e.id));
      expect(appended[0]?.seq).toBeGreaterThan(before);
      expect(appended.map((e) => e.seq)).toEqual([...appended.map((e) => e.seq)].sort((a, b) => a - b));
      const read = await repo().readAfter(before, 1000);
      expect(read.filter((e) => events.some((x) => x.id === e.id))).toEqual(appended);
      expect(appended[1]).toEqual({ ...events[1], seq: appended[1]?.seq });
      expect(await repo().latestSeq()).toBeGreaterThanOrEqual(appended[2]?.seq ?? Infinity);
    });

    test("readForLink reads one incident's events in a seq range", async () => {
      const link = uid('link');
      const [a, , c] = await repo().append([event({ linkId: link }), event(), event({ linkId: link })]);
      expect((await repo().readForLink(link, a!.seq, c!.seq)).map((e) => e.seq)).toEqual([a!.seq, c!.seq]);
      expect((await repo().readForLink(link, a!.seq + 1, c!.seq)).map((e) => e.seq)).toEqual([c!.seq]);
      expect(await repo().readForLink(link, c!.seq + 1, c!.seq + 100)).toEqual([]);
    });

    test('appending an existing id is a no-op', async () => {
      const first = event();
      const [stored] = await repo().append([first]);
      const again = await repo().append([{ ...first, kind: 'merged' }, event()]);
      expect(again).toHaveLength(1);
      expect(again[0]?.id).not.toBe(first.id);
      const read = await repo().readAfter((stored?.seq ?? 1) - 1, 1000);
      expect(read.filter((e) => e.id === first.id)).toEqual([stored]);
    });

    test('consumer offsets start at 0, only move forward, and drive readPending', async () => {
      const consumer = uid('consumer');
      expect(await repo().getOffset(consumer)).toBe(0);
      const appended = await repo().append([event(), event()]);
      const [a, b] = appended;
      await repo().ack(consumer, (a?.seq ?? 0) - 1);
      expect((await repo().readPending(consumer, 1000)).slice(0, 2)).toEqual(appended);
      await repo().ack(consumer, a?.seq ?? 0);
      expect((await repo().readPending(consumer, 1000))[0]).toEqual(b);
      await repo().ack(consumer, 0);
      expect(await repo().getOffset(consumer)).toBe(a?.seq);
      await expect(repo().ack(consumer, -1)).rejects.toMatchObject({ code: 'invalid-argument' });
    });

    test('events commit with the link update in one transaction, or not at all', async () => {
      const store = ctx.store();
      const draft = linkDraft();
      const committed = event({ linkId: draft.linkId });
      await store.transaction(async (tx) => {
        const saved = await tx.links.save(draft, null);
        expect(saved.ok).toBe(true);
        await tx.changeEvents.append([committed]);
      });
      expect(await store.links.get(draft.linkId)).not.toBeNull();
      const seq = await store.changeEvents.latestSeq();
      expect((await store.changeEvents.readAfter(seq - 10, 1000)).some((e) => e.id === committed.id)).toBe(true);

      const rolledBack = linkDraft();
      const lost = event({ linkId: rolledBack.linkId });
      await expect(
        store.transaction(async (tx) => {
          await tx.links.save(rolledBack, null);
          await tx.changeEvents.append([lost]);
          throw new Error('reconcile failed');
        }),
      ).rejects.toThrow('reconcile failed');
      expect(await store.links.get(rolledBack.linkId)).toBeNull();
      expect((await store.changeEvents.readAfter(seq, 1000)).some((e) => e.id === lost.id)).toBe(false);
    });

    test('concurrent appenders: a reader never sees a seq gap filled in later', async () => {
      const store = ctx.store();
      const start = await store.changeEvents.latestSeq();
      const seen: number[] = [];
      let done = false;
      // A reader polls while appenders commit; every seq it ever sees must be > the last seq it saw.
      const reader = (async () => {
        let after = start;
        while (!done) {
          const batch = await store.changeEvents.readAfter(after, 1000);
          for (const e of batch) {
            seen.push(e.seq);
            after = e.seq;
          }
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      })();
      await Promise.all(
        Array.from({ length: ctx.concurrency }, (_, i) =>
          store.transaction(async (tx) => {
            await tx.changeEvents.append([event({ pairId: `p${i}` })]);
            await tx.changeEvents.append([event({ pairId: `p${i}` })]);
          }),
        ),
      );
      done = true;
      await reader;
      const all = (await store.changeEvents.readAfter(start, 1000)).map((e) => e.seq);
      const missed = all.filter((seq) => seq <= (seen.at(-1) ?? start) && !seen.includes(seq));
      expect(missed).toEqual([]);
      expect(all.length).toBeGreaterThanOrEqual(ctx.concurrency * 2);
    });
  });
}
