import { describe, expect, test } from '@jest/globals';
import { escapeForTextBlock, toPlainLine, toNeutralLine } from '../../src/cards/escape.ts';

const ZWSP = '\u200B';
/** What a CommonMark renderer shows for escaped text: backslash escapes resolved, zero-width spaces invisible. */
function displayed(escaped: string): string {
  return escaped.replace(/\\([!-/:-@[-`{-~])/g, '$1').replaceAll(ZWSP, '');
}

describe('escapeForTextBlock', () => {
  test('plain text is unchanged', () => {
    expect(escapeForTextBlock('Suspicious sign-in from 203.0.113.7', 100)).toBe('Suspicious sign\\-in from 203.0.113.7');
    expect(displayed(escapeForTextBlock('Suspicious sign-in from 203.0.113.7', 100))).toBe('Suspicious sign-in from 203.0.113.7');
  });

  test('a markdown link cannot form: brackets escaped and "](" broken', () => {
    const out = escapeForTextBlock('[click](https://evil)', 100);
    expect(out).not.toMatch(/\]\(/);
    expect(out).not.toMatch(/(^|[^\\])\[/);
    expect(out).toContain(`\\]${ZWSP}\\(`);
    expect(out).not.toContain('https://');
    expect(displayed(out)).toBe('[click](https://evil)');
  });

  test('an image cannot form', () => {
    const out = escapeForTextBlock('![img](x)', 100);
    expect(out.startsWith('\\!\\[')).toBe(true);
    expect(out).not.toMatch(/!\[/);
    expect(displayed(out)).toBe('![img](x)');
  });

  test('no <at> mention survives', () => {
    const out = escapeForTextBlock('<at>Everyone</at> please approve', 100);
    expect(out).not.toContain('<at>');
    expect(out).not.toContain('</at>');
    expect(out).toBe('\\<at\\>Everyone\\</at\\> please approve');
  });

  test.each([
    ['${jsonData.secret}'],
    ['{{x}}'],
    ["${if(true, 'a', 'b')}"],
    ['{{DATE(2017-02-14T06:08:00Z, SHORT)}}'],
  ])('template and text-function syntax %s is broken up', (input) => {
    const out = escapeForTextBlock(input, 100);
    expect(out).not.toContain('${');
    expect(out).not.toContain('{{');
    expect(displayed(out)).toBe(input);
  });

  test('emphasis, code, strike, headings, quotes, lists and tables are literal', () => {
    for (const input of ['**bold**', '_it_', '~~s~~', '`code`', '# Heading', '> quote', '- item', '+ item', '* item', '| a | b |']) {
      const out = escapeForTextBlock(input, 100);
      expect(out.startsWith('\\')).toBe(true);
      expect(displayed(out)).toBe(input);
    }
  });

  test('a leading ordered-list marker is escaped, other dots are not', () => {
    expect(escapeForTextBlock('1. first', 100)).toBe('1\\. first');
    expect(escapeForTextBlock('report.pdf.exe', 100)).toBe('report.pdf.exe');
  });

  test('URLs and www hosts do not auto-link', () => {
    const out = escapeForTextBlock('see https://evil.example/a and www.evil.example', 100);
    expect(out).not.toContain('://');
    expect(out).not.toMatch(/www\./i);
    expect(displayed(out)).toBe('see https://evil.example/a and www.evil.example');
  });

  test('HTML entities are not decoded', () => {
    expect(escapeForTextBlock('&lt;at&gt;', 100)).toBe('\\&lt;at\\&gt;');
  });

  test('bidi overrides, isolates and invisible characters are removed', () => {
    // "invoice<RLO>fdp.exe" displays as "invoiceexe.pdf": the classic extension spoof.
    expect(escapeForTextBlock('invoice\u202Efdp.exe', 100)).toBe('invoicefdp.exe');
    expect(escapeForTextBlock('a\u2066b\u2069c\u200Ed\u200Fe\u061Cf\uFEFFg\u00ADh', 100)).toBe('abcdefgh');
    expect(escapeForTextBlock('tag\u{E0041}s', 100)).toBe('tags');
  });

  test('control characters are removed and whitespace collapses to one line', () => {
    expect(escapeForTextBlock('a\u0000b\u0007c\u001Bd\u009Be', 100)).toBe('abcde');
    expect(escapeForTextBlock('  line one\r\n\r\n  line\ttwo \u2028 three  ', 100)).toBe('line one line two three');
  });

  test('multiline keeps paragraphs and escapes each one', () => {
    expect(escapeForTextBlock('# Title\n\n- a\nb\n\n\n\n1. c', 100, { multiline: true })).toBe('\\# Title\n\n\\- a b\n\n1\\. c');
  });

  test('emoji, ZWJ sequences and flags are kept whole', () => {
    expect(escapeForTextBlock('👩‍💻 triage 🇩🇪 ✅', 100)).toBe('👩‍💻 triage 🇩🇪 ✅');
  });

  test('truncation counts graphemes and never splits an emoji', () => {
    const family = '👨‍👩‍👧‍👦';
    const out = escapeForTextBlock(family.repeat(10), 4);
    expect(out).toBe(`${family.repeat(3)}…`);
    expect([...new Intl.Segmenter().segment(out)]).toHaveLength(4);
  });

  test('a 10k-character string is capped, with an ellipsis', () => {
    const out = escapeForTextBlock('A'.repeat(10_000), 200);
    expect(out).toHaveLength(200);
    expect(out.endsWith('…')).toBe(true);
  });

  test('a huge hostile string stays bounded', () => {
    const out = escapeForTextBlock('[x](y)'.repeat(200_000), 50);
    expect(displayed(out).length).toBeLessThanOrEqual(50);
    expect(out).not.toMatch(/\]\(/);
  });

  test('piles of combining marks are thinned', () => {
    const zalgo = `Z${'\u0301'.repeat(50)}`;
    const out = escapeForTextBlock(zalgo, 10);
    // NFC composes the first mark into "Ź"; at most 4 more marks stay on it.
    expect(out).toBe(`Z${'\u0301'.repeat(5)}`.normalize('NFC'));
    expect(out.normalize('NFD').match(/\p{M}/gu)).toHaveLength(5);
  });

  test('text exactly at the limit is not cut', () => {
    expect(escapeForTextBlock('abcde', 5)).toBe('abcde');
    expect(escapeForTextBlock('abcdef', 5)).toBe('abcd…');
  });

  test('non-strings render as empty text; a bad limit is a programming error', () => {
    expect(escapeForTextBlock(undefined, 10)).toBe('');
    expect(escapeForTextBlock({ toString: () => '[x](y)' }, 10)).toBe('');
    expect(() => escapeForTextBlock('x', 0)).toThrow(RangeError);
  });
});

describe('toPlainLine', () => {
  test('cleans and caps without markdown escaping', () => {
    expect(toPlainLine('a\u202E [b]\n c', 100)).toBe('a [b] c');
    expect(toPlainLine('abcdef', 3)).toBe('ab…');
  });
});

describe('toNeutralLine', () => {
  test('one plain line: no backslashes, no tags, links and expressions broken, bounded', () => {
    const line = toNeutralLine('[Approve](https://evil.example) <at>CEO</at> ${x} {{DATE(1)}}\n\u202Enext\\path', 200);
    expect(line).not.toMatch(/[<>\n\u202E]/);
    expect(line).not.toContain('](');
    expect(line).not.toContain('${');
    expect(line).not.toContain('{{');
    expect(line).not.toContain('://');
    expect(line).toContain('‹at›CEO‹/at›');
    expect(line).toContain('next\\path');
    expect(toNeutralLine('x'.repeat(500), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
