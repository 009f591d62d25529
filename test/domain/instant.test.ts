import { describe, expect, test } from '@jest/globals';
import { instantMs } from '../../src/domain/instant.ts';
import { isoInstant, portalInstant } from '../../src/portals/wire.ts';

describe('portal timestamps', () => {
  test.each([
    ['2021-08-13T08:43:35.5533333Z', Date.parse('2021-08-13T08:43:35.553Z')],
    ['2024-02-29T00:00:00Z', Date.parse('2024-02-29T00:00:00Z')],
    ['2026-01-01T02:00:00+02:00', Date.parse('2026-01-01T00:00:00Z')],
  ])('%s is an instant', (value, ms) => {
    expect(instantMs(value)).toBe(ms);
  });

  test.each(['', 'garbage', 'yesterday', '2026-01-01', '2026-01-01T00:00:00', '2023-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T24:00:00Z', ' 2026-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z'])(
    '%j is not',
    (value) => {
      expect(instantMs(value)).toBeNull();
    },
  );

  test('portalInstant keeps a UTC timestamp verbatim, rewrites an offset in UTC, and turns anything else into ""', () => {
    expect(portalInstant('2021-08-13T08:43:35.5533333Z')).toBe('2021-08-13T08:43:35.5533333Z');
    expect(portalInstant('2026-01-01T02:00:00+02:00')).toBe('2026-01-01T00:00:00.000Z');
    for (const value of [undefined, null, 42, '', 'not a date', '2026-01-01T00:00:00', 'evil\u0000']) expect(portalInstant(value)).toBe('');
  });

  test('isoInstant refuses a date-time with no zone (it would be read in local time)', () => {
    expect(isoInstant('2026-01-01T00:00:00.1234567Z', 'since')).toBe('2026-01-01T00:00:00.123Z');
    expect(() => isoInstant('2026-01-01T00:00:00', 'since')).toThrow(TypeError);
  });
});
