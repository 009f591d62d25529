// When the real-client tests run: everywhere Chromium is, and always in CI.
import { describe, expect, test } from '@jest/globals';
import { e2eSkipReason, isCi } from './support/environment.ts';

describe('e2eSkipReason', () => {
  test('runs when Chromium is present, CI or not', () => {
    expect(e2eSkipReason({}, true)).toBeNull();
    expect(e2eSkipReason({ CI: 'true' }, true)).toBeNull();
  });

  test('skips, saying why and how to fix it, only without Chromium outside CI', () => {
    expect(e2eSkipReason({}, false)).toMatch(/\/usr\/bin\/chromium is missing.*apt-get install chromium/);
    expect(e2eSkipReason({ CI: 'false' }, false)).not.toBeNull();
  });

  test('in CI it runs even without Chromium, so the failure is seen', () => {
    expect(e2eSkipReason({ CI: 'true' }, false)).toBeNull();
    expect(e2eSkipReason({ CI: '1' }, false)).toBeNull();
  });
});

test.each([
  [undefined, false],
  ['', false],
  ['0', false],
  ['false', false],
  ['FALSE', false],
  ['true', true],
  ['1', true],
])('isCi(CI=%p) is %p', (value, expected) => {
  expect(isCi(value === undefined ? {} : { CI: value })).toBe(expected);
});
