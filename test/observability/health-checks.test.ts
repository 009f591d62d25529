// The readiness checks over a manual clock: portals asked at most once per cache period (failures
// too) and never twice at once, a check that does not answer named as failed after its timeout.
import { describe, expect, test } from '@jest/globals';
import { createHealthChecks, DEFAULT_CHECK_TIMEOUT_MS, DEFAULT_PORTAL_CACHE_MS, type PortalProbe } from '../../src/observability/health-checks.ts';
import type { HealthCheck } from '../../src/server/http.ts';
import { createManualClock, settle } from '../support/manual-clock.ts';

/** A portal whose answers the test controls: each call waits for answer() or fail(). */
function controlledPortal(name: string) {
  const calls: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  const portal: PortalProbe = {
    name,
    probe: () =>
      new Promise<void>((resolve, reject) => {
        calls.push({ resolve, reject });
      }),
  };
  return {
    portal,
    get calls() {
      return calls.length;
    },
    answer: () => calls.at(-1)?.resolve(),
    fail: (message: string) => calls.at(-1)?.reject(new Error(message)),
  };
}

/** A portal that answers at once, counting its calls. */
function answeringPortal(name: string, outcome: () => Promise<unknown> = async () => ({})) {
  let calls = 0;
  return {
    portal: { name, probe: () => ((calls += 1), outcome()) },
    get calls() {
      return calls;
    },
  };
}

const engineOk = () => ({ dispatcher: { ok: true }, 'watcher:default': { ok: true, detail: 'polling' } });
const storeOk = { description: 'PGlite (embedded)', ping: async () => undefined };

describe('health checks', () => {
  test('report the store, the engine and every portal, by name', async () => {
    const clock = createManualClock();
    const defender = answeringPortal('defender:default');
    const sentinel = answeringPortal('sentinel:default');
    const check = createHealthChecks({ store: storeOk, engine: engineOk, portals: [defender.portal, sentinel.portal], now: clock.now, wait: clock.wait });
    expect(await check()).toEqual({
      store: { ok: true, detail: 'PGlite (embedded)' },
      dispatcher: { ok: true },
      'watcher:default': { ok: true, detail: 'polling' },
      'defender:default': { ok: true },
      'sentinel:default': { ok: true },
    });
  });

  test('a portal is asked at most once per cache period, and again once it is over', async () => {
    const clock = createManualClock();
    const defender = answeringPortal('defender:default');
    const check = createHealthChecks({ store: storeOk, engine: engineOk, portals: [defender.portal], now: clock.now, wait: clock.wait });
    await check();
    await clock.advance(DEFAULT_PORTAL_CACHE_MS - 1);
    await check();
    await check();
    expect(defender.calls).toBe(1);
    await clock.advance(1);
    await check();
    expect(defender.calls).toBe(2);
  });

  test('a failure is cached too (a portal that is down is not asked on every probe), then recovery is seen', async () => {
    const clock = createManualClock();
    let down = true;
    const sentinel = answeringPortal('sentinel:default', async () => {
      if (down) throw new Error('ARM answered 403: grant Microsoft Sentinel Responder');
    });
    const check = createHealthChecks({ store: storeOk, engine: engineOk, portals: [sentinel.portal], now: clock.now, wait: clock.wait });
    expect((await check())['sentinel:default']).toEqual({ ok: false, detail: 'ARM answered 403: grant Microsoft Sentinel Responder' });
    down = false;
    await clock.advance(DEFAULT_PORTAL_CACHE_MS / 2);
    expect((await check())['sentinel:default']?.ok).toBe(false);
    expect(sentinel.calls).toBe(1);
    await clock.advance(DEFAULT_PORTAL_CACHE_MS / 2);
    expect((await check())['sentinel:default']).toEqual({ ok: true });
    expect(sentinel.calls).toBe(2);
  });

  test('probes at the same moment share one portal call', async () => {
    const clock = createManualClock();
    const defender = controlledPortal('defender:default');
    const check = createHealthChecks({ store: storeOk, engine: engineOk, portals: [defender.portal], now: clock.now, wait: clock.wait });
    const first = check();
    const second = check();
    await settle();
    expect(defender.calls).toBe(1);
    defender.answer();
    const reports = await Promise.all([first, second]);
    expect(reports.map((report) => report['defender:default'])).toEqual([{ ok: true }, { ok: true }]);
  });

  test('a portal that does not answer fails its own check after the timeout; the others are reported as they are', async () => {
    const clock = createManualClock();
    const defender = controlledPortal('defender:default');
    const sentinel = answeringPortal('sentinel:default');
    const check = createHealthChecks({ store: storeOk, engine: engineOk, portals: [defender.portal, sentinel.portal], now: clock.now, wait: clock.wait });
    let report: Record<string, HealthCheck> | undefined;
    void check().then((value) => (report = value));
    await clock.advance(DEFAULT_CHECK_TIMEOUT_MS - 1);
    expect(report).toBeUndefined();
    await clock.advance(1);
    expect(report?.['defender:default']).toEqual({ ok: false, detail: `no answer within ${DEFAULT_CHECK_TIMEOUT_MS} ms` });
    expect(report?.['sentinel:default']).toEqual({ ok: true });
    expect(report?.['store']?.ok).toBe(true);

    // The call still running is not repeated by the next probe; its late answer is what is served.
    const next = check();
    await settle();
    expect(defender.calls).toBe(1);
    defender.answer();
    expect((await next)['defender:default']).toEqual({ ok: true });
    expect((await check())['defender:default']).toEqual({ ok: true });
    expect(defender.calls).toBe(1);
  });

  test('a store that fails or hangs is reported failed, with the reason for the log', async () => {
    const clock = createManualClock();
    const failing = createHealthChecks({
      store: { description: 'PostgreSQL server', ping: async () => Promise.reject(new Error('connection refused')) },
      engine: engineOk,
      portals: [],
      now: clock.now,
      wait: clock.wait,
    });
    expect((await failing())['store']).toEqual({ ok: false, detail: 'connection refused' });

    const hanging = createHealthChecks({ store: { description: 'PGlite (embedded)', ping: () => new Promise(() => undefined) }, engine: engineOk, portals: [], now: clock.now, wait: clock.wait });
    const report = hanging();
    await clock.advance(DEFAULT_CHECK_TIMEOUT_MS);
    expect((await report)['store']).toEqual({ ok: false, detail: `no answer within ${DEFAULT_CHECK_TIMEOUT_MS} ms` });
  });

  test('the engine\'s failing checks are part of the report', async () => {
    const clock = createManualClock();
    const check = createHealthChecks({
      store: storeOk,
      engine: () => ({ dispatcher: { ok: false, detail: 'teams-notifier: event e1 failed (send-failed)' } }),
      portals: [],
      now: clock.now,
      wait: clock.wait,
    });
    expect((await check())['dispatcher']).toEqual({ ok: false, detail: 'teams-notifier: event e1 failed (send-failed)' });
  });
});
