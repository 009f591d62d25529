import { describe, expect, test } from '@jest/globals';
import { formatAttributedComment, parseAttributedComment } from '../../src/domain/attribution.ts';
import { assertWritable, writableSet } from '../../src/portals/capability.ts';
import type { PortalError } from '../../src/domain/errors.ts';
import { decideRetry, DEFAULT_RETRY_POLICY, parseRetryAfterSeconds } from '../../src/portals/http/retry.ts';
import { HOSTILE_TEXTS } from './fixtures/examples.ts';

describe('attributed comments', () => {
  const jane = { objectId: 'o1', upn: 'jane@contoso.com', displayName: 'Jane Doe' };

  test('format and parse are inverse; the body is verbatim', () => {
    for (const text of HOSTILE_TEXTS) {
      const written = formatAttributedComment(jane, text);
      expect(written.startsWith('[Jane Doe via incident-bridge] ')).toBe(true);
      expect(parseAttributedComment(written)).toEqual({ actorName: 'Jane Doe', text });
    }
  });

  test('a display name cannot break out of the prefix', () => {
    const written = formatAttributedComment({ objectId: 'o', displayName: 'Eve] [Admin\nvia' }, 'hi');
    expect(written).toBe('[Eve Admin via via incident-bridge] hi');
    expect(parseAttributedComment(written)).toEqual({ actorName: 'Eve Admin via', text: 'hi' });
  });

  test('an empty display name falls back to the UPN, then the object id', () => {
    expect(formatAttributedComment({ objectId: 'o', upn: 'u@x', displayName: '  ' }, 't')).toBe('[u@x via incident-bridge] t');
    expect(formatAttributedComment({ objectId: 'o', displayName: '' }, 't')).toBe('[o via incident-bridge] t');
  });

  test('ordinary comments are not recognised as ours', () => {
    expect(parseAttributedComment('Looking into it')).toBeNull();
    expect(parseAttributedComment('[Jane via something else] x')).toBeNull();
  });
});

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
