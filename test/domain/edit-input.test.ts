import { describe, expect, test } from '@jest/globals';
import { commentProblem, tagProblem } from '../../src/domain/edit-input.ts';
import { typedTextProblem } from '../../src/domain/untrusted-input.ts';

describe('typedTextProblem: one rule for what a person may type', () => {
  test.each([
    ['plain text', 'line', null],
    ['tab\tand\nnew line\r\n', 'prose', null],
    ['new\nline', 'line', 'a line break (U+000A)'],
    ['tab\there', 'line', 'a control character (U+0009)'],
    ['bell\u0007', 'prose', 'a control character (U+0007)'],
    ['next line\u0085', 'prose', 'a control character (U+0085)'],
    ['delete\u007F', 'prose', 'a control character (U+007F)'],
    ['invoice\u202Efdp.exe', 'prose', 'a text-direction character (U+202E)'],
    ['isolate\u2066x\u2069', 'line', 'a text-direction character (U+2066)'],
    ['nul\u0000', 'prose', 'a NUL character (U+0000)'],
    ['half \ud83d emoji', 'line', 'a broken character (a lone UTF-16 surrogate, e.g. half of an emoji)'],
    ['marks \u200E\u200F and emoji 👩‍💻 are text', 'line', null],
  ] as const)('%j as %s -> %j', (text, form, problem) => {
    expect(typedTextProblem(text, form)).toBe(problem);
  });

  test('comments are prose, tags are lines; both are measured trimmed', () => {
    expect(commentProblem('  two\nlines  ')).toBeNull();
    expect(commentProblem(' \n ')).toBe('the comment is empty');
    expect(tagProblem('two\nlines')).toBe('a tag contains a line break (U+000A)');
    expect(tagProblem(`  ${'t'.repeat(128)}  `)).toBeNull();
  });
});
