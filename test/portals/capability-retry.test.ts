import { describe, expect, test } from '@jest/globals';
import { assertWritable, writableSet } from '../../src/portals/capability.ts';
import type { PortalError } from '../../src/domain/errors.ts';
import { decideRetry, DEFAULT_RETRY_POLICY, parseRetryAfterSeconds } from '../../src/portals/http/retry.ts';

describe('capability profile', () => {
  test('Defender default excludes severity; the error names the field', () => {
    const writable = writableSet('defender', undefined);
    expect([...writable].sort()).toEqual(['classification', 'description', 'owner', 'status', 'tags', 'title']);
    try {
      assertWritable('defender', writable, { severity: 'high', title: 'x' });
      throw new Error('expected not-writable');
    } catch (error) {
      expect((error as PortalError).code).toBe('not-writable');
      expect((error as PortalError).message).toMatch(/cannot write severity/);
    }
  });

  test('Sentinel default allows everything; unknown configured fields are refused', () => {
    expect(writableSet('sentinel', undefined).size).toBe(7);
    expect(() => writableSet('defender', ['title', 'nonsense' as never])).toThrow(/unknown writable field/);
  });
});

describe('retry decisions', () => {
  const never = () => 0.5;

  test('Retry-After is honoured exactly (seconds and HTTP-date)', () => {
    expect(parseRetryAfterSeconds('7', 0)).toBe(7);
    expect(parseRetryAfterSeconds(new Date(10_000).toUTCString(), 0)).toBe(10);
    expect(parseRetryAfterSeconds('soon', 0)).toBeUndefined();
    expect(decideRetry({ retriesSoFar: 0, waitedMs: 0, status: 429, retryAfterSeconds: 2, idempotent: true }, DEFAULT_RETRY_POLICY, never)).toEqual({ retry: true, delayMs: 2000 });
  });

  test('5xx backs off exponentially with jitter, bounded by retries and total wait', () => {
    const options = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000, maxRetries: 3, maxTotalWaitMs: 30_000 };
    const delays = [0, 1, 2].map((n) => decideRetry({ retriesSoFar: n, waitedMs: 0, status: 503, idempotent: true }, options, () => 1));
    expect(delays).toEqual([{ retry: true, delayMs: 100 }, { retry: true, delayMs: 200 }, { retry: true, delayMs: 400 }]);
    expect(decideRetry({ retriesSoFar: 0, waitedMs: 0, status: 503, idempotent: true }, options, () => 0)).toEqual({ retry: true, delayMs: 50 });
    expect(decideRetry({ retriesSoFar: 3, waitedMs: 0, status: 503, idempotent: true }, options, never)).toEqual({ retry: false, reason: 'retries-exhausted' });
    expect(decideRetry({ retriesSoFar: 0, waitedMs: 0, status: 429, retryAfterSeconds: 31, idempotent: true }, options, never)).toEqual({ retry: false, reason: 'wait-budget-exhausted' });
  });

  test('4xx other than 408/429 is final; POST is retried only on 429', () => {
    for (const status of [400, 401, 403, 404, 409]) {
      expect(decideRetry({ retriesSoFar: 0, waitedMs: 0, status, idempotent: true }, DEFAULT_RETRY_POLICY, never).retry).toBe(false);
    }
    expect(decideRetry({ retriesSoFar: 0, waitedMs: 0, status: 500, idempotent: false }, DEFAULT_RETRY_POLICY, never).retry).toBe(false);
    expect(decideRetry({ retriesSoFar: 0, waitedMs: 0, idempotent: false }, DEFAULT_RETRY_POLICY, never).retry).toBe(false);
    expect(decideRetry({ retriesSoFar: 0, waitedMs: 0, status: 429, idempotent: false }, DEFAULT_RETRY_POLICY, never).retry).toBe(true);
    expect(decideRetry({ retriesSoFar: 0, waitedMs: 0, idempotent: true }, DEFAULT_RETRY_POLICY, never).retry).toBe(true);
  });
});
