import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { hostileString } from '../support/hostile-strings.ts';
import { isStorableText, MAX_LINE_CHARS, MAX_TEXT_CHARS, storableComment, storableIncident, storableText, wellFormedText } from '../../src/domain/untrusted-text.ts';
import type { Incident } from '../../src/domain/incident.ts';

const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('storableText', () => {
  test.each([
    ['file name \ud800.exe', 'file name \uFFFD.exe'],
    ['\udc00 first', '\uFFFD first'],
    ['last \ud83d', 'last \uFFFD'],
    ['x\udc00\ud800y', 'x\uFFFD\uFFFDy'],
    ['nul\u0000here', 'nul\uFFFDhere'],
    ['pair 🔥 and 𝄞 kept', 'pair 🔥 and 𝄞 kept'],
    ['controls \u0007 \u202E and markup [x](y) are not this module\'s concern', 'controls \u0007 \u202E and markup [x](y) are not this module\'s concern'],
    ['', ''],
  ])('%j -> %j', (raw, stored) => {
    expect(storableText(raw, MAX_LINE_CHARS)).toBe(stored);
    expect(isStorableText(stored)).toBe(true);
    expect(isStorableText(raw)).toBe(raw === stored);
  });

  test('cuts at the bound with an ellipsis, never inside a surrogate pair', () => {
    expect(storableText('abcdef', 4)).toBe('abc…');
    expect(storableText('abcd', 4)).toBe('abcd');
    // '🔥' is two code units; a cut after its first unit would leave a lone surrogate.
    expect(storableText('ab🔥cd', 4)).toBe('ab…');
    expect(storableText('a🔥cd', 4)).toBe('a🔥…');
    expect(() => storableText('x', 1)).toThrow(RangeError);
  });

  test('wellFormedText replaces lone surrogates only', () => {
    expect(wellFormedText('a\ud800b\u0000🔥')).toBe('a\uFFFDb\u0000🔥');
  });

  test('property: any string becomes storable, bounded, and is left alone when it already was', () => {
    fc.assert(
      fc.property(hostileString(300), fc.integer({ min: 2, max: 400 }), (raw, max) => {
        const stored = storableText(raw, max);
        expect(isStorableText(stored)).toBe(true);
        expect(LONE.test(stored)).toBe(false);
        expect(stored.length).toBeLessThanOrEqual(max);
        expect(storableText(stored, max)).toBe(stored);
        if (isStorableText(raw) && raw.length <= max) expect(stored).toBe(raw);
        // JSON round-trips it exactly, and the text carries no escape PostgreSQL refuses.
        expect(JSON.parse(JSON.stringify(stored))).toBe(stored);
        expect(JSON.stringify(stored)).not.toMatch(/\\u(0000|d[89a-f][0-9a-f]{2})/);
      }),
    );
  });
});

describe('storableIncident', () => {
  const incident: Incident = {
    portal: 'defender',
    id: '29',
    title: 't\ud800',
    description: 'd'.repeat(MAX_TEXT_CHARS + 10),
    severity: 'high',
    status: 'active',
    classification: 'undetermined',
    owner: { displayName: 'o\u0000' },
    tags: ['a\udc00', 'b'],
    systemTags: [],
    additionalData: { alertsCount: 2, productNames: ['p\ud800'], tactics: [], techniques: [] },
    comments: [{ text: 'c'.repeat(MAX_LINE_CHARS + 10), author: 'x'.repeat(MAX_LINE_CHARS + 10), createdAt: '' }],
    lastModifiedBy: 'm\u0000',
    createdAt: '',
    lastUpdatedAt: '2025-01-01T00:00:00Z',
    webUrl: '',
  };

  test('every string field is made storable; prose keeps the longer bound; numbers and structure stay', () => {
    const stored = storableIncident(incident);
    expect(stored).toEqual({
      ...incident,
      title: 't\uFFFD',
      description: `${'d'.repeat(MAX_TEXT_CHARS - 1)}…`,
      owner: { displayName: 'o\uFFFD' },
      tags: ['a\uFFFD', 'b'],
      additionalData: { alertsCount: 2, productNames: ['p\uFFFD'], tactics: [], techniques: [] },
      comments: [{ text: 'c'.repeat(MAX_LINE_CHARS + 10), author: `${'x'.repeat(MAX_LINE_CHARS - 1)}…`, createdAt: '' }],
      lastModifiedBy: 'm\uFFFD',
    });
    expect(storableIncident(stored)).toEqual(stored);
  });

  test('storableComment applies the same rules to one comment', () => {
    expect(storableComment({ id: 'c\u0000', text: 'x\ud800', author: 'y', createdAt: 'z' })).toEqual({ id: 'c\uFFFD', text: 'x\uFFFD', author: 'y', createdAt: 'z' });
  });
});
