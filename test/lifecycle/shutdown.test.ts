// The bounded shutdown over a manual clock: drains run together and are abandoned at the grace,
// releases run afterwards in reverse order within the deadline, failures never stop the others.
import { describe, expect, test } from '@jest/globals';
import { createShutdown, DEFAULT_SHUTDOWN_DEADLINE_MS, DEFAULT_SHUTDOWN_GRACE_MS, type ShutdownReport } from '../../src/shutdown.ts';
import { createCapturingLogger } from '../bot/support/capturing-logger.ts';
import { createManualClock, settle } from '../support/manual-clock.ts';

/** Work that finishes when the test says so; records when it started. */
function controlled(name: string, journal: string[]) {
  let finish: (() => void) | undefined;
  let fail: ((error: Error) => void) | undefined;
  return {
    run: () =>
      new Promise<void>((resolve, reject) => {
        journal.push(`${name} started`);
        finish = () => {
          journal.push(`${name} done`);
          resolve();
        };
        fail = reject;
      }),
    finish: () => finish?.(),
    fail: (error: Error) => fail?.(error),
  };
}

const never = () => new Promise<void>(() => undefined);

function setup() {
  const clock = createManualClock();
  const capture = createCapturingLogger();
  const shutdown = createShutdown({ log: capture.log, now: clock.now, schedule: clock.schedule });
  let report: ShutdownReport | undefined;
  const run = () => void shutdown.run().then((value) => (report = value));
  return { clock, capture, shutdown, run, report: () => report };
}

describe('shutdown', () => {
  test('every drain starts at once; releases run after all drains, last registered first', async () => {
    const { shutdown, run, report } = setup();
    const journal: string[] = [];
    const watchers = controlled('watchers', journal);
    const notifier = controlled('notifier', journal);
    shutdown.add({ name: 'store', release: async () => void journal.push('store released') });
    shutdown.add({ name: 'jobs', drain: watchers.run, release: async () => void journal.push('jobs released') });
    shutdown.add({ name: 'notifier', drain: notifier.run });
    run();
    await settle();
    expect(journal).toEqual(['watchers started', 'notifier started']);
    notifier.finish();
    await settle();
    expect(journal).not.toContain('jobs released');
    watchers.finish();
    await settle();
    expect(journal).toEqual(['watchers started', 'notifier started', 'notifier done', 'watchers done', 'jobs released', 'store released']);
    expect(report()).toEqual({ elapsedMs: 0, abandoned: [], failed: [] });
  });

  test('a drain still running at the grace is abandoned, logged, and the releases go on', async () => {
    const { clock, capture, shutdown, run, report } = setup();
    const journal: string[] = [];
    shutdown.add({ name: 'store', release: async () => void journal.push('store released') });
    shutdown.add({ name: 'teams notifier', drain: never });
    shutdown.add({ name: 'http', drain: async () => void journal.push('http closed') });
    run();
    await clock.advance(DEFAULT_SHUTDOWN_GRACE_MS - 1);
    expect(journal).toEqual(['http closed']);
    await clock.advance(1);
    expect(journal).toEqual(['http closed', 'store released']);
    expect(report()).toEqual({ elapsedMs: DEFAULT_SHUTDOWN_GRACE_MS, abandoned: ['teams notifier (drain)'], failed: [] });
    expect(capture.entries().find((entry) => entry['msg'] === 'shutdown step still running at its bound; abandoned')).toMatchObject({ step: 'teams notifier (drain)', waitedMs: DEFAULT_SHUTDOWN_GRACE_MS });
  });

  test('a release that hangs is abandoned at the deadline; the ones after it are not started', async () => {
    const { clock, shutdown, run, report } = setup();
    const journal: string[] = [];
    shutdown.add({ name: 'simulators', release: async () => void journal.push('simulators closed') });
    shutdown.add({ name: 'store', release: never });
    shutdown.add({ name: 'jobs', drain: never });
    run();
    await clock.advance(DEFAULT_SHUTDOWN_GRACE_MS);
    expect(report()).toBeUndefined();
    await clock.advance(DEFAULT_SHUTDOWN_DEADLINE_MS - DEFAULT_SHUTDOWN_GRACE_MS);
    expect(report()).toEqual({ elapsedMs: DEFAULT_SHUTDOWN_DEADLINE_MS, abandoned: ['jobs (drain)', 'store (release)', 'simulators (release)'], failed: [] });
    expect(journal).toEqual([]);
  });

  test('a step that throws is logged and counted; the others still run', async () => {
    const { capture, shutdown, run, report } = setup();
    const journal: string[] = [];
    const failing = controlled('approvals', journal);
    shutdown.add({ name: 'store', release: async () => void journal.push('store released') });
    shutdown.add({ name: 'jobs', release: async () => Promise.reject(new Error('pool already closed')) });
    shutdown.add({ name: 'approvals', drain: failing.run });
    run();
    await settle();
    failing.fail(new Error('lease release failed'));
    await settle();
    expect(journal).toEqual(['approvals started', 'store released']);
    expect(report()?.failed).toEqual(['approvals (drain)', 'jobs (release)']);
    expect(capture.entries().filter((entry) => entry['msg'] === 'shutdown step failed').map((entry) => entry['step'])).toEqual(['approvals (drain)', 'jobs (release)']);
  });

  test('runs once: a second signal gets the same result; nothing can be added once it runs; no timer is left behind', async () => {
    const { clock, shutdown } = setup();
    let drains = 0;
    shutdown.add({ name: 'engine', drain: async () => void (drains += 1), release: async () => undefined });
    const first = shutdown.run();
    const second = shutdown.run();
    expect(second).toBe(first);
    await first;
    expect(drains).toBe(1);
    expect(() => shutdown.add({ name: 'late', drain: async () => undefined })).toThrow(/already running/);
    expect(clock.pending).toBe(0);
  });
});
