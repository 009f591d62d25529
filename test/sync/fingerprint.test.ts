import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { formatBridgeComment, parseBridgeComment } from '../../src/domain/attribution.ts';
import { commentCopyKey, commentFingerprint, fingerprintKey, isBridgeComment } from '../../src/sync/fingerprint.ts';
import { translateDetermination } from '../../src/sync/determination.ts';
import { compareInstants, joinStatus, ownersEqual, projectStatus, severityAgrees } from '../../src/sync/projection.ts';

describe('comment fingerprints', () => {
  test('attribution stripped, whitespace collapsed, trimmed, case kept', () => {
    expect(commentFingerprint('[Jane Doe via incident-bridge]   Isolated\n\tthe  host ')).toBe('Isolated the host');
    expect(commentFingerprint('Isolated the host')).toBe(commentFingerprint(' Isolated\r\nthe host'));
    expect(commentFingerprint('Block IP')).not.toBe(commentFingerprint('block ip'));
  });

  test('a copy of a comment, attributed to anyone, has the original fingerprint', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1, maxLength: 40 }), (text, name) => {
        const copy = formatBridgeComment({ kind: 'copy', author: name, text, from: 'sentinel' });
        expect(isBridgeComment(copy)).toBe(true);
        expect(commentFingerprint(copy)).toBe(commentFingerprint(text));
      }),
    );
  });

  test('hostile names cannot break out of the prefix', () => {
    const text = formatBridgeComment({ kind: 'comment', author: 'Eve] [CEO via incident-bridge]\nsay', text: 'hello' });
    expect(parseBridgeComment(text)?.text).toBe('hello');
  });

  test('plain comments are not the bridge\'s', () => {
    expect(isBridgeComment('[note] via incident-bridge')).toBe(false);
    expect(parseBridgeComment('hello')).toBeNull();
  });

  test('keys are short, stable and distinct', () => {
    expect(fingerprintKey('x'.repeat(30_000))).toHaveLength(32);
    expect(fingerprintKey('a')).toBe(fingerprintKey('a'));
    expect(commentCopyKey('sentinel', 'a', 1)).not.toBe(commentCopyKey('sentinel', 'a', 2));
    expect(commentCopyKey('sentinel', 'a', 1)).not.toBe(commentCopyKey('defender', 'a', 1));
  });
});

describe('projection', () => {
  test('status vocabularies', () => {
    expect(projectStatus('sentinel', 'inProgress')).toBe('active');
    expect(projectStatus('sentinel', 'awaitingAction')).toBe('active');
    expect(projectStatus('defender', 'new')).toBe('active');
    expect(joinStatus('active', 'new')).toBe('new');
    expect(joinStatus('inProgress', 'active')).toBe('inProgress');
    expect(joinStatus('resolved', 'active')).toBeUndefined();
  });

  test("severity: Defender 'unknown' agrees with anything", () => {
    expect(severityAgrees('defender', 'unknown', 'high')).toBe(true);
    expect(severityAgrees('sentinel', 'low', 'high')).toBe(false);
  });

  test('owners: UPN case-insensitively, else object id, else display name for free text', () => {
    expect(ownersEqual({ upn: 'A@x.com' }, { upn: 'a@X.com', objectId: 'o' })).toBe(true);
    expect(ownersEqual({ objectId: 'O1' }, { objectId: 'o1' })).toBe(true);
    expect(ownersEqual({ displayName: 'Jane Doe' }, { displayName: 'jane doe', upn: 'j@x' })).toBe(true);
    expect(ownersEqual({ upn: 'a@x' }, { objectId: 'o' })).toBe(false);
    expect(ownersEqual(null, null)).toBe(true);
    expect(ownersEqual(null, { upn: 'a@x' })).toBe(false);
  });

  test('unparsable instants compare equal so the tie-break decides', () => {
    expect(compareInstants('garbage', '2026-01-01T00:00:00Z')).toBe(0);
    expect(compareInstants('2026-01-01T00:00:01Z', '2026-01-01T00:00:00Z')).toBeGreaterThan(0);
  });
});

describe('determination translation', () => {
  test('Defender -> Sentinel classificationReason', () => {
    expect(translateDetermination('defender', 'sentinel', 'truePositive', 'malware')).toBe('SuspiciousActivity');
    expect(translateDetermination('defender', 'sentinel', 'benignPositive', 'securityTesting')).toBe('SuspiciousButExpected');
    expect(translateDetermination('defender', 'sentinel', 'falsePositive', 'insufficientData')).toBe('InaccurateData');
    expect(translateDetermination('defender', 'sentinel', 'falsePositive', 'clean')).toBe('IncorrectAlertLogic');
    expect(translateDetermination('defender', 'sentinel', 'undetermined', undefined)).toBeUndefined();
  });

  test('Sentinel -> Defender determination', () => {
    expect(translateDetermination('sentinel', 'defender', 'truePositive', 'SuspiciousActivity')).toBe('other');
    expect(translateDetermination('sentinel', 'defender', 'falsePositive', 'InaccurateData')).toBe('insufficientData');
    expect(translateDetermination('sentinel', 'defender', 'undetermined', undefined)).toBe('unknown');
    expect(translateDetermination('defender', 'defender', 'truePositive', 'malware')).toBe('malware');
  });
});
