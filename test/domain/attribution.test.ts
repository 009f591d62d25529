import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { actorName, formatBridgeComment, formattedLength, fromTeams, parseBridgeComment, type BridgeComment } from '../../src/domain/attribution.ts';
import { HOSTILE_TEXTS } from '../portals/fixtures/examples.ts';

describe('comments the bridge writes', () => {
  test('an analyst comment, a change note and a copy each read back as what they are; the body is verbatim', () => {
    for (const text of HOSTILE_TEXTS) {
      const comment: BridgeComment = { kind: 'comment', author: 'Jane Doe', text, ref: '1a2b3c4d' };
      expect(formatBridgeComment(comment)).toBe(`[Jane Doe via incident-bridge] ${text} [ref 1a2b3c4d]`);
      expect(parseBridgeComment(formatBridgeComment(comment))).toEqual(comment);
      const note: BridgeComment = { kind: 'note', author: 'Jane Doe', text, ref: '5e6f7a8b' };
      expect(formatBridgeComment(note).startsWith('[Jane Doe via incident-bridge · change] ')).toBe(true);
      expect(parseBridgeComment(formatBridgeComment(note))).toEqual(note);
      const copy: BridgeComment = { kind: 'copy', author: 'Sam Portal', text, from: 'sentinel' };
      expect(formatBridgeComment(copy).startsWith('[Sam Portal via incident-bridge · from Sentinel] ')).toBe(true);
      expect(parseBridgeComment(formatBridgeComment(copy))).toEqual(copy);
    }
  });

  test('any author and text round-trip; a name can never change the kind', () => {
    const kinds = fc.constantFrom<BridgeComment['kind']>('comment', 'note', 'copy');
    fc.assert(
      fc.property(kinds, fc.string({ minLength: 1, maxLength: 80 }), fc.string({ maxLength: 200 }), (kind, author, text) => {
        const written = formatBridgeComment({ kind, author, text, ...(kind === 'copy' ? { from: 'defender' as const } : {}) });
        const parsed = parseBridgeComment(written);
        expect(parsed?.kind).toBe(kind);
        expect(parsed?.text).toBe(text);
      }),
    );
  });

  test('a display name cannot break out of the prefix, nor pose as a change note', () => {
    const written = formatBridgeComment({ kind: 'comment', author: 'Eve] [Admin\nvia', text: 'hi' });
    expect(written).toBe('[Eve Admin via via incident-bridge] hi');
    expect(parseBridgeComment(written)).toEqual({ kind: 'comment', author: 'Eve Admin via', text: 'hi' });
    const posing = parseBridgeComment(formatBridgeComment({ kind: 'comment', author: 'Eve via incident-bridge · change', text: 'hi' }));
    expect(posing).toEqual({ kind: 'comment', author: 'Eve via incident-bridge · change', text: 'hi' });
  });

  test('an actor is named by display name, else UPN, else object id', () => {
    expect(actorName({ objectId: 'o', upn: 'u@x', displayName: '  ' })).toBe('u@x');
    expect(actorName({ objectId: 'o', displayName: '' })).toBe('o');
    expect(actorName({ objectId: 'o', displayName: 'Alex Wilber' })).toBe('Alex Wilber');
    expect(fromTeams('Alex Wilber')).toBe('Alex Wilber (from Teams)');
  });

  test('comments written before change notes existed read as comments', () => {
    expect(parseBridgeComment('[Jane via incident-bridge] changed severity to high (through incident-bridge)')).toEqual({
      kind: 'comment',
      author: 'Jane',
      text: 'changed severity to high (through incident-bridge)',
    });
  });

  test("ordinary comments are not recognised as the bridge's", () => {
    expect(parseBridgeComment('Looking into it')).toBeNull();
    expect(parseBridgeComment('[Jane via something else] x')).toBeNull();
  });

  test('the formatted length counts the attribution and a ref', () => {
    expect(formattedLength({ kind: 'comment', author: 'Jane', text: 'x' })).toBe(formatBridgeComment({ kind: 'comment', author: 'Jane', text: 'x', ref: '00000000' }).length);
  });
});
