import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context.ts';
import { analyst, approver, uid } from '../support/fixtures.ts';

const T0 = '2024-05-01T10:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
const STALE = 120_000;

export function warRoomContract(ctx: ContractContext): void {
  const rooms = () => ctx.store().warRooms;
  const draft = (linkId: string) => ({ linkId, tenantId: 'tenant-a', requestedBy: analyst });

  describe('WarRoomRepository', () => {
    test('the first claim creates the record; others see it; chat, installation and release follow the holder', async () => {
      const link = uid('link');
      expect(await rooms().get(link)).toBeNull();
      const first = await rooms().claim(draft(link), 'replica-a', T0, STALE);
      expect(first).toEqual({
        claimed: true,
        room: {
          linkId: link,
          tenantId: 'tenant-a',
          requestedBy: analyst,
          chatId: null,
          webUrl: null,
          appInstalled: false,
          cardActivityId: null,
          holderId: 'replica-a',
          claimedAt: T0,
          cardHolderId: null,
          cardClaimedAt: null,
          createdAt: T0,
          updatedAt: T0,
        },
      });
      const second = await rooms().claim({ ...draft(link), tenantId: 'tenant-b', requestedBy: approver }, 'replica-b', at(1000), STALE);
      expect(second).toMatchObject({ claimed: false, room: { holderId: 'replica-a', tenantId: 'tenant-a', requestedBy: analyst } });

      expect(await rooms().recordChat(link, 'replica-b', '19:b@thread.v2', 'https://teams.microsoft.com/l/chat/b', at(2000))).toBe(false);
      expect(await rooms().recordChat(link, 'replica-a', '19:a@thread.v2', 'https://teams.microsoft.com/l/chat/a', at(2000))).toBe(true);
      // A chat is recorded once: a second one would be a second chat for the incident.
      expect(await rooms().recordChat(link, 'replica-a', '19:c@thread.v2', 'https://teams.microsoft.com/l/chat/c', at(2500))).toBe(false);
      expect(await rooms().findByChat('19:a@thread.v2')).toMatchObject({ linkId: link, chatId: '19:a@thread.v2', webUrl: 'https://teams.microsoft.com/l/chat/a', appInstalled: false });

      expect(await rooms().markInstalled(link, 'replica-b', at(3000))).toBe(false);
      expect(await rooms().markInstalled(link, 'replica-a', at(3000))).toBe(true);
      expect(await rooms().get(link)).toMatchObject({ appInstalled: true, holderId: null, claimedAt: null, updatedAt: at(3000) });
      // Nobody holds it now: the next claimer gets it (and sees it complete).
      expect(await rooms().claim(draft(link), 'replica-b', at(4000), STALE)).toMatchObject({ claimed: true, room: { appInstalled: true, chatId: '19:a@thread.v2', holderId: 'replica-b' } });
    });

    test('a stale claim is taken over; the holder re-claiming is idempotent', async () => {
      const link = uid('link');
      await rooms().claim(draft(link), 'replica-a', T0, STALE);
      expect((await rooms().claim(draft(link), 'replica-a', at(10), STALE)).claimed).toBe(true);
      expect((await rooms().claim(draft(link), 'replica-b', at(STALE - 1), STALE)).claimed).toBe(false);
      expect(await rooms().claim(draft(link), 'replica-b', at(STALE + 20), STALE)).toMatchObject({ claimed: true, room: { holderId: 'replica-b' } });
      expect(await rooms().recordChat(link, 'replica-a', '19:late@thread.v2', 'https://teams.microsoft.com/l/chat/late', at(STALE + 30))).toBe(false);
    });

    test('release deletes a record without a chat, and keeps one with a chat for the next claimer', async () => {
      const empty = uid('link');
      await rooms().claim(draft(empty), 'replica-a', T0, STALE);
      expect(await rooms().release(empty, 'replica-b')).toBe(false);
      expect(await rooms().release(empty, 'replica-a')).toBe(true);
      expect(await rooms().get(empty)).toBeNull();

      const withChat = uid('link');
      const chatId = `19:${uid('chat')}@thread.v2`;
      await rooms().claim(draft(withChat), 'replica-a', T0, STALE);
      await rooms().recordChat(withChat, 'replica-a', chatId, 'https://teams.microsoft.com/l/chat/x', at(1));
      expect(await rooms().release(withChat, 'replica-a')).toBe(true);
      expect(await rooms().get(withChat)).toMatchObject({ chatId, holderId: null, appInstalled: false });
      expect(await rooms().claim(draft(withChat), 'replica-b', at(2), STALE)).toMatchObject({ claimed: true, room: { chatId, holderId: 'replica-b' } });
    });

    test('the card in the chat: one poster, recorded once; a failed post releases it; a stale claim is taken over', async () => {
      const link = uid('link');
      const chatId = `19:${uid('chat')}@thread.v2`;
      expect(await rooms().claimCard(chatId, 'replica-a', T0, STALE)).toBe(false); // no such chat
      await rooms().claim(draft(link), 'replica-a', T0, STALE);
      await rooms().recordChat(link, 'replica-a', chatId, 'https://teams.microsoft.com/l/chat/x', T0);
      expect(await rooms().claimCard(chatId, 'replica-a', at(1), STALE)).toBe(true);
      expect(await rooms().claimCard(chatId, 'replica-b', at(2), STALE)).toBe(false);
      expect(await rooms().releaseCard(chatId, 'replica-b')).toBe(false);
      expect(await rooms().releaseCard(chatId, 'replica-a')).toBe(true);
      expect(await rooms().claimCard(chatId, 'replica-b', at(3), STALE)).toBe(true);
      expect(await rooms().claimCard(chatId, 'replica-c', at(3 + STALE + 1), STALE)).toBe(true);
      expect(await rooms().recordCard(chatId, 'replica-b', 'act-b', at(STALE + 10))).toBe(false);
      expect(await rooms().recordCard(chatId, 'replica-c', 'act-c', at(STALE + 10))).toBe(true);
      expect(await rooms().findByChat(chatId)).toMatchObject({ cardActivityId: 'act-c', cardHolderId: null });
      expect(await rooms().claimCard(chatId, 'replica-d', at(10 * STALE), STALE)).toBe(false);
    });

    test('N concurrent claimers: exactly one holds the claim, and one concurrent card claim wins', async () => {
      const link = uid('link');
      const results = await Promise.all(Array.from({ length: ctx.concurrency }, (_, i) => rooms().claim(draft(link), `replica-${i}`, T0, STALE)));
      const winners = results.filter((result) => result.claimed);
      expect(winners).toHaveLength(1);
      const holder = winners[0]?.room.holderId;
      expect(results.every((result) => result.room.holderId === holder)).toBe(true);
      const chatId = `19:${uid('chat')}@thread.v2`;
      await rooms().recordChat(link, holder as string, chatId, 'https://teams.microsoft.com/l/chat/x', at(1));
      const cardClaims = await Promise.all(Array.from({ length: ctx.concurrency }, (_, i) => rooms().claimCard(chatId, `poster-${i}`, at(2), STALE)));
      expect(cardClaims.filter(Boolean)).toHaveLength(1);
    });

    test('refuses a malformed timestamp and a negative stale time', async () => {
      await expect(rooms().claim(draft(uid('link')), 'a', 'yesterday', STALE)).rejects.toMatchObject({ code: 'invalid-argument' });
      await expect(rooms().claim(draft(uid('link')), 'a', T0, -1)).rejects.toMatchObject({ code: 'invalid-argument' });
    });
  });
}
