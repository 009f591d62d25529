import { describe, expect, test } from '@jest/globals';
import { createKeyedSlots } from '../../src/bot/tenant-slots.ts';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('deliveries per tenant', () => {
  test('at most the limit run at once per key, the rest in the order they came; other keys are not held back', async () => {
    const withSlot = createKeyedSlots(2);
    const running = new Set<string>();
    const started: string[] = [];
    const releases = new Map<string, () => void>();
    const work = (name: string) => () =>
      new Promise<string>((resolve) => {
        running.add(name);
        started.push(name);
        releases.set(name, () => {
          running.delete(name);
          resolve(name);
        });
      });
    const all = ['a1', 'a2', 'a3', 'a4'].map((name) => withSlot('tenant-a', work(name)));
    const other = withSlot('tenant-b', work('b1'));
    await settle();
    expect(started).toEqual(['a1', 'a2', 'b1']);
    releases.get('a2')!();
    await settle();
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect([...running].filter((name) => name.startsWith('a'))).toHaveLength(2);
    for (const name of ['a1', 'a3', 'b1']) releases.get(name)!();
    await settle();
    releases.get('a4')!();
    expect(await Promise.all([...all, other])).toEqual(['a1', 'a2', 'a3', 'a4', 'b1']);
  });

  test('a failed delivery frees its slot', async () => {
    const withSlot = createKeyedSlots(1);
    await expect(withSlot('t', async () => Promise.reject(new Error('send failed')))).rejects.toThrow('send failed');
    await expect(withSlot('t', async () => 'next')).resolves.toBe('next');
    expect(() => createKeyedSlots(0)).toThrow(RangeError);
  });
});
