import { describe, expect, test } from '@jest/globals';
import { nextWatchStep, watcherShare } from '../../src/sync/watcher-share.ts';

describe('watcher share', () => {
  test('ceil(pairs / replicas): shares cover every pair, and with 2 replicas of 50 pairs neither holds more than half', () => {
    expect(watcherShare(50, 1)).toBe(50);
    expect(watcherShare(50, 2)).toBe(25);
    expect(watcherShare(50, 3)).toBe(17);
    expect(watcherShare(1, 2)).toBe(1);
    expect(watcherShare(50, 0)).toBe(50);
    for (let pairs = 1; pairs <= 60; pairs++) for (let replicas = 1; replicas <= 8; replicas++) expect(watcherShare(pairs, replicas) * replicas).toBeGreaterThanOrEqual(pairs);
  });

  test('a replica gives leases up above its share and takes free ones below it', () => {
    expect(nextWatchStep(true, 50, 25)).toBe('release');
    expect(nextWatchStep(true, 25, 25)).toBe('poll');
    expect(nextWatchStep(false, 25, 25)).toBe('stand-by');
    expect(nextWatchStep(false, 24, 25)).toBe('acquire');
  });

  test('simulated: one replica holding all 50 pairs and a newcomer converge to 25 each, one tick per pair at a time', () => {
    const holder = new Map<number, 'a' | 'b' | null>(Array.from({ length: 50 }, (_, pair) => [pair, 'a']));
    const count = (replica: 'a' | 'b') => [...holder.values()].filter((h) => h === replica).length;
    for (let round = 0; round < 3; round++) {
      for (const replica of ['a', 'b'] as const) {
        for (const pair of holder.keys()) {
          const step = nextWatchStep(holder.get(pair) === replica, count(replica), watcherShare(50, 2));
          if (step === 'release') holder.set(pair, null);
          if (step === 'acquire' && holder.get(pair) === null) holder.set(pair, replica);
        }
      }
    }
    expect([count('a'), count('b')]).toEqual([25, 25]);
  });
});
