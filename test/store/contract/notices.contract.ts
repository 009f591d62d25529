import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context.ts';
import { uid } from '../support/fixtures.ts';

export function noticeLogContract(ctx: ContractContext): void {
  describe('NoticeLogRepository', () => {
    test('of concurrent claims of one notice exactly one wins; a released claim can be claimed again', async () => {
      const notices = ctx.store().notices;
      const key = uid('owner:link-1:event-1');
      const claims = await Promise.all(Array.from({ length: 5 }, () => notices.claim(key, '2026-03-02T10:00:00.000Z')));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await notices.release(key)).toBe(true);
      expect(await notices.release(key)).toBe(false);
      expect(await notices.claim(key, '2026-03-02T10:01:00.000Z')).toBe(true);
      await expect(notices.claim('', '2026-03-02T10:00:00.000Z')).rejects.toMatchObject({ code: 'invalid-argument' });
    });
  });
}
