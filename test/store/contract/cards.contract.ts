import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context.ts';
import { uid, waitFor } from '../support/fixtures.ts';
import { MAX_CARD_COPIES_PER_CONVERSATION } from '../../../src/store/ports.ts';

const T0 = '2024-05-01T10:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

export function cardContract(ctx: ContractContext): void {
  const cards = () => ctx.store().cards;

  describe('CardRepository', () => {
    test('first claim wins; others see the claim; the holder posts; later claims see the posted card', async () => {
      const conv = uid('conv');
      const link = uid('link');
      expect(await cards().get(conv, link)).toBeNull();
      const first = await cards().claim(conv, link, 'replica-a', T0, 60_000);
      expect(first).toMatchObject({ claimed: true, card: { state: 'posting', claimedBy: 'replica-a', activityId: null } });
      const second = await cards().claim(conv, link, 'replica-b', at(1000), 60_000);
      expect(second).toMatchObject({ claimed: false, card: { state: 'posting', claimedBy: 'replica-a' } });
      expect(await cards().markPosted(conv, link, 'replica-b', 'act-b', 'hash-b', at(1000))).toBe(false);
      expect(await cards().markPosted(conv, link, 'replica-a', 'act-1', 'hash-1', at(2000))).toBe(true);
      const posted = await cards().get(conv, link);
      expect(posted).toEqual({ conversationId: conv, linkId: link, state: 'posted', activityId: 'act-1', lastHash: 'hash-1', claimedBy: null, claimedAt: null, updatedAt: at(2000) });
      expect(await cards().claim(conv, link, 'replica-b', at(999_999), 60_000)).toEqual({ claimed: false, card: posted });
    });

    test('the holder re-claiming is idempotent; a stale claim can be taken over; release lets others claim', async () => {
      const conv = uid('conv');
      const link = uid('link');
      await cards().claim(conv, link, 'replica-a', T0, 60_000);
      expect((await cards().claim(conv, link, 'replica-a', at(10), 60_000)).claimed).toBe(true);
      expect((await cards().claim(conv, link, 'replica-b', at(30_000), 60_000)).claimed).toBe(false);
      const taken = await cards().claim(conv, link, 'replica-b', at(60_011), 60_000);
      expect(taken).toMatchObject({ claimed: true, card: { claimedBy: 'replica-b' } });
      expect(await cards().markPosted(conv, link, 'replica-a', 'late', 'h', at(60_020))).toBe(false);
      expect(await cards().releaseClaim(conv, link, 'replica-a')).toBe(false);
      expect(await cards().releaseClaim(conv, link, 'replica-b')).toBe(true);
      expect(await cards().get(conv, link)).toBeNull();
      expect((await cards().claim(conv, link, 'replica-c', at(60_030), 60_000)).claimed).toBe(true);
    });

    test('findByActivity finds the posted card of a message in its own conversation only', async () => {
      const conv = uid('conv');
      const other = uid('conv');
      const link4 = uid('link');
      const link9 = uid('link');
      await cards().claim(conv, link4, 'a', T0, 60_000);
      await cards().markPosted(conv, link4, 'a', 'act-4', 'h', at(1));
      await cards().claim(conv, link9, 'a', T0, 60_000);
      await cards().markPosted(conv, link9, 'a', 'act-9', 'h', at(2));
      await cards().claim(conv, uid('link'), 'a', T0, 60_000); // still posting: no message yet
      expect(await cards().findByActivity(conv, 'act-9')).toEqual({ conversationId: conv, linkId: link9, activityId: 'act-9', kind: 'announced' });
      expect(await cards().findByActivity(conv, 'act-4')).toMatchObject({ linkId: link4 });
      expect(await cards().findByActivity(other, 'act-9')).toBeNull();
      expect(await cards().findByActivity(conv, 'act-unknown')).toBeNull();
      await cards().remove(conv, link9);
      expect(await cards().findByActivity(conv, 'act-9')).toBeNull();
    });

    test('a registered copy is found by its message, listed for its incident, updated and removed', async () => {
      const conv = uid('conv');
      const other = uid('conv');
      const link = uid('link');
      expect(await cards().registerCopy({ conversationId: conv, activityId: 'reply-1', linkId: link, lastHash: 'h1' }, at(1))).toEqual({
        conversationId: conv,
        activityId: 'reply-1',
        linkId: link,
        lastHash: 'h1',
        updatedAt: at(1),
      });
      await cards().registerCopy({ conversationId: other, activityId: 'reply-2', linkId: link, lastHash: 'h1' }, at(2));
      expect(await cards().findByActivity(conv, 'reply-1')).toEqual({ conversationId: conv, activityId: 'reply-1', linkId: link, kind: 'copy' });
      expect(await cards().findByActivity(other, 'reply-1')).toBeNull();
      expect((await cards().listCopies(link)).map((copy) => copy.activityId).sort()).toEqual(['reply-1', 'reply-2']);
      expect((await cards().listCopies(link, conv)).map((copy) => copy.activityId)).toEqual(['reply-1']);
      expect(await cards().recordCopyUpdate(conv, 'reply-1', 'h2', at(3))).toBe(true);
      expect((await cards().listCopies(link, conv))[0]).toMatchObject({ lastHash: 'h2', updatedAt: at(3) });
      expect(await cards().recordCopyUpdate(conv, 'unknown', 'h2', at(3))).toBe(false);
      expect(await cards().removeCopy(conv, 'reply-1')).toBe(true);
      expect(await cards().removeCopy(conv, 'reply-1')).toBe(false);
      expect(await cards().findByActivity(conv, 'reply-1')).toBeNull();
    });

    test('only the newest copies of an incident in a conversation are kept', async () => {
      const conv = uid('conv');
      const link = uid('link');
      const otherLink = uid('link');
      await cards().registerCopy({ conversationId: conv, activityId: 'other-incident', linkId: otherLink, lastHash: 'h' }, at(0));
      for (let i = 0; i < MAX_CARD_COPIES_PER_CONVERSATION + 3; i += 1) {
        await cards().registerCopy({ conversationId: conv, activityId: `reply-${i}`, linkId: link, lastHash: 'h' }, at(i + 1));
      }
      const kept = (await cards().listCopies(link, conv)).map((copy) => copy.activityId);
      expect(kept).toEqual(Array.from({ length: MAX_CARD_COPIES_PER_CONVERSATION }, (_, i) => `reply-${i + 3}`));
      expect(await cards().findByActivity(conv, 'reply-0')).toBeNull();
      expect(await cards().findByActivity(conv, 'other-incident')).toMatchObject({ linkId: otherLink });
    });

    test('recordUpdate only touches posted cards; remove deletes', async () => {
      const conv = uid('conv');
      const link = uid('link');
      await cards().claim(conv, link, 'a', T0, 60_000);
      expect(await cards().recordUpdate(conv, link, 'h2', at(5))).toBe(false);
      await cards().markPosted(conv, link, 'a', 'act', 'h1', at(10));
      expect(await cards().recordUpdate(conv, link, 'h2', at(20))).toBe(true);
      expect(await cards().get(conv, link)).toMatchObject({ lastHash: 'h2', updatedAt: at(20), activityId: 'act' });
      expect(await cards().remove(conv, link)).toBe(true);
      expect(await cards().remove(conv, link)).toBe(false);
    });

    test('N concurrent claimers: exactly one poster', async () => {
      const conv = uid('conv');
      const link = uid('link');
      const results = await Promise.all(Array.from({ length: ctx.concurrency }, (_, i) => cards().claim(conv, link, `replica-${i}`, T0, 60_000)));
      const winners = results.filter((r) => r.claimed);
      expect(winners).toHaveLength(1);
      const holder = winners[0]?.card.claimedBy;
      expect(results.every((r) => r.card.claimedBy === holder)).toBe(true);
      expect(await waitFor(async () => (await cards().get(conv, link))?.claimedBy ?? undefined, 'the claim')).toBe(holder);
    });

    test('refuses a malformed timestamp', async () => {
      await expect(cards().claim(uid('c'), uid('l'), 'a', 'yesterday', 1000)).rejects.toMatchObject({ code: 'invalid-argument' });
    });
  });
}
