import { describe, expect, test } from '@jest/globals';
import { createApproverDirectory, MAX_REFRESH_USER_IDS } from '../../src/approvals/approver-directory.ts';
import { createMemoryStore } from '../fakes/memory-store.ts';

describe('approver directory', () => {
  test('keeps the most recently seen approvers first, at most 60, shared through settings', async () => {
    const store = createMemoryStore();
    const one = createApproverDirectory(store.settings);
    for (let i = 0; i < 70; i++) await one.remember(`29:user-${i}`);
    await one.remember('29:user-5');
    const other = createApproverDirectory(store.settings);
    const ids = await other.refreshUserIds();
    expect(ids).toHaveLength(MAX_REFRESH_USER_IDS);
    expect(ids[0]).toBe('29:user-5');
    expect(ids[1]).toBe('29:user-69');
    expect(ids).not.toContain('29:user-0');
  });

  test('ignores ids that are not Teams user ids', async () => {
    const store = createMemoryStore();
    const directory = createApproverDirectory(store.settings);
    await directory.remember('not-a-teams-id');
    await directory.remember('29:<script>');
    expect(await directory.refreshUserIds()).toEqual([]);
  });
});
