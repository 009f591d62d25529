// The per-pair throttle circuit: a 429 with Retry-After stops that client's calls for that long,
// without a request; other failures, and other clients, are untouched.
import { describe, expect, test } from '@jest/globals';
import { PortalError } from '../../src/domain/errors.ts';
import { createThrottleCircuit, withThrottleCircuit } from '../../src/sync/throttle-circuit.ts';
import type { PortalClient } from '../../src/sync/ports.ts';

function fakeClient(fail: () => Error | null): PortalClient & { calls: number } {
  const client = {
    portal: 'defender' as const,
    calls: 0,
    async *listChangedSince() {
      client.calls++;
      const error = fail();
      if (error) throw error;
      yield [];
    },
    async get() {
      client.calls++;
      const error = fail();
      if (error) throw error;
      return null;
    },
    update: () => Promise.reject(new Error('not used')),
    addComment: () => Promise.reject(new Error('not used')),
    listComments: () => Promise.resolve([]),
    writableFields: () => new Set<never>(),
  };
  return client;
}

describe('throttle circuit', () => {
  test("a 429's Retry-After holds every call of that client, then lets them through", async () => {
    let now = 1_000_000;
    let throttled = true;
    const inner = fakeClient(() => (throttled ? new PortalError('defender', 'throttled', 'slow down', { status: 429, retryAfterSeconds: 20 }) : null));
    const client = withThrottleCircuit(inner, () => now);
    await expect(client.get('1')).rejects.toMatchObject({ code: 'throttled', retryAfterSeconds: 20 });
    expect(inner.calls).toBe(1);
    throttled = false;
    now += 15_000;
    await expect(client.get('1')).rejects.toMatchObject({ code: 'throttled', retryAfterSeconds: 5 });
    const pages = async () => {
      for await (const page of client.listChangedSince(undefined)) void page;
    };
    await expect(pages()).rejects.toMatchObject({ code: 'throttled' });
    expect(inner.calls).toBe(1);
    now += 5_000;
    await expect(client.get('1')).resolves.toBeNull();
    await expect(pages()).resolves.toBeUndefined();
    expect(inner.calls).toBe(3);
  });

  test('other failures, and a 429 without Retry-After, leave it closed', () => {
    const circuit = createThrottleCircuit('sentinel', () => 0);
    circuit.observe(new PortalError('sentinel', 'unavailable', 'down', { status: 503, retryAfterSeconds: 30 }));
    circuit.observe(new PortalError('sentinel', 'throttled', 'slow down', { status: 429 }));
    circuit.observe(new Error('anything'));
    expect(() => circuit.check()).not.toThrow();
  });
});
