import { describe, expect, test } from '@jest/globals';
import type { Actor, Incident } from '../../src/domain/incident.ts';
import { MAX_COMMENT_CHARS, MAX_TAG_CHARS, MAX_TAGS_PER_EDIT, SENTINEL_MAX_COMMENT_CHARS } from '../../src/domain/edit-input.ts';
import { formatBridgeComment } from '../../src/domain/attribution.ts';
import { applyTagEdits, planEdit, type PlanEditInput } from '../../src/sync/plan-edit.ts';
import { ALL_WRITABLE, comment, defenderIncident, sentinelIncident, WRITABLE } from './fixtures.ts';

const actor: Actor = { objectId: '11111111-2222-3333-4444-555555555555', upn: 'jane@contoso.com', displayName: 'Jane Doe' };

function plan(changes: PlanEditInput['changes'], overrides: Partial<PlanEditInput> = {}) {
  return planEdit({ changes, defender: defenderIncident(), sentinel: sentinelIncident(), writable: WRITABLE, actor, changeNotes: true, ...overrides });
}

describe('routes per portal', () => {
  test("severity: Sentinel's API writes it, Defender gets it via the portals' own sync", () => {
    const result = plan({ severity: 'high' });
    expect(result.errors).toEqual([]);
    expect(result.patches).toEqual({ defender: {}, sentinel: { severity: 'high' } });
    expect(result.routes).toEqual({ defender: { severity: 'viaOtherRoute' }, sentinel: { severity: 'api' } });
  });

  test('a portal already showing the value is unchanged and not written', () => {
    const result = plan({ severity: 'high' }, { defender: defenderIncident({ severity: 'high' }), sentinel: sentinelIncident({ severity: 'high' }) });
    expect(result.routes).toEqual({ defender: { severity: 'unchanged' }, sentinel: { severity: 'unchanged' } });
    expect(result.patches).toEqual({ defender: {}, sentinel: {} });
    expect(result.changeNote).toBeUndefined();
  });

  test("Defender's 'unknown' severity does not show the requested one", () => {
    const result = plan({ severity: 'low' }, { defender: defenderIncident({ severity: 'unknown' }), sentinel: sentinelIncident({ severity: 'low' }) });
    expect(result.routes.defender.severity).toBe('viaOtherRoute');
  });

  test('a field neither API can write is refused, naming both portals', () => {
    const result = plan({ severity: 'high' }, { writable: { defender: WRITABLE.defender, sentinel: new Set(['title']) } });
    expect(result.errors).toEqual(["Neither Defender's nor Sentinel's API can change severity (capability profiles); change it in a portal."]);
    expect(result.patches).toEqual({ defender: {}, sentinel: {} });
    // Routes still list the requested field, so the outcome can record the failure per field.
    expect(Object.keys(result.routes.defender)).toEqual(['severity']);
  });

  test('no Sentinel counterpart yet: a field only Sentinel could write is refused with the reason', () => {
    const result = plan({ severity: 'high' }, { sentinel: null });
    expect(result.errors[0]).toMatch(/Sentinel counterpart does not exist yet/);
  });

  test('status is written in each portal\'s vocabulary', () => {
    const result = plan({ status: 'inProgress' });
    expect(result.patches).toEqual({ defender: { status: 'inProgress' }, sentinel: { status: 'active' } });
    const fromNew = plan({ status: 'new' }, { defender: defenderIncident({ status: 'resolved' }), sentinel: sentinelIncident({ status: 'resolved' }) });
    expect(fromNew.patches).toEqual({ defender: { status: 'active' }, sentinel: { status: 'new' } });
  });

  test('owner goes to both; a Defender owner with the same UPN in another case is unchanged', () => {
    const result = plan({ owner: { upn: 'jane@contoso.com' } }, { defender: defenderIncident({ owner: { upn: 'Jane@Contoso.com' } }) });
    expect(result.routes).toEqual({ defender: { owner: 'unchanged' }, sentinel: { owner: 'api' } });
    expect(result.patches.sentinel).toEqual({ owner: { upn: 'jane@contoso.com' } });
    expect(plan({ owner: null }, { defender: defenderIncident({ owner: { upn: 'x@y.z' } }) }).patches.defender).toEqual({ owner: null });
  });
});

describe('tags', () => {
  test('edits apply to each portal\'s current set, giving full sets', () => {
    const result = plan(
      { tagsAdd: ['phishing', 'vip'], tagsRemove: ['old'] },
      { defender: defenderIncident({ tags: ['old', 'Phishing'] }), sentinel: sentinelIncident({ tags: ['old', 'sentinel-only'] }) },
    );
    expect(result.errors).toEqual([]);
    expect(result.patches.defender).toEqual({ tags: ['Phishing', 'vip'] });
    expect(result.patches.sentinel).toEqual({ tags: ['sentinel-only', 'phishing', 'vip'] });
    expect(result.routes).toEqual({ defender: { tags: 'api' }, sentinel: { tags: 'api' } });
  });

  test('applyTagEdits is case-insensitive and never duplicates', () => {
    expect(applyTagEdits(['A', 'b'], ['a', 'c', 'C'], ['B'])).toEqual(['A', 'c']);
  });

  test('invalid tags are refused with what to fix', () => {
    expect(plan({ tagsAdd: [''] }).errors).toEqual(['A tag is empty. (tagsAdd: "")']);
    expect(plan({ tagsAdd: ['x'.repeat(MAX_TAG_CHARS + 1)] }).errors[0]).toMatch(/the limit is 128/);
    expect(plan({ tagsAdd: ['two\nlines'] }).errors[0]).toMatch(/line break \(U\+000A\)/);
    expect(plan({ tagsAdd: ['safe\u202Etxt.exe'] }).errors[0]).toMatch(/text-direction character \(U\+202E\)/);
    const tags = Array.from({ length: MAX_TAGS_PER_EDIT }, (_, i) => `t${i}`);
    expect(plan({ tagsAdd: tags.slice(1), tagsRemove: ['other'] }).errors).toEqual([]);
    expect(plan({ tagsAdd: tags, tagsRemove: ['other'] }).errors).toEqual([`${MAX_TAGS_PER_EDIT + 1} tag changes in one edit; the limit is ${MAX_TAGS_PER_EDIT}.`]);
    expect(plan({ tagsAdd: ['a'], tagsRemove: ['A'] }).errors).toEqual(['Tag "a" is both added and removed; pick one.']);
    expect(plan({ tagsAdd: 'a' as unknown as string[] }).errors).toEqual(['tagsAdd must be a list of tags.']);
  });
});

describe('classification and closing', () => {
  test('resolving without a classification is refused when Sentinel has none', () => {
    const result = plan({ status: 'resolved' });
    expect(result.errors).toEqual([
      'Sentinel requires a classification to close an incident: resolve again with a classification (true positive, benign positive, false positive or undetermined).',
    ]);
    expect(result.patches).toEqual({ defender: {}, sentinel: {} });
  });

  test("resolving uses the classification Sentinel already has; benign positive carries Sentinel's only benign reason", () => {
    const withExisting = plan({ status: 'resolved' }, { sentinel: sentinelIncident({ classification: 'truePositive' }) });
    expect(withExisting.errors).toEqual([]);
    expect(withExisting.patches.sentinel).toEqual({ status: 'resolved', classification: 'truePositive' });

    const benign = plan({ status: 'resolved', classification: 'benignPositive' });
    expect(benign.patches.sentinel).toEqual({ status: 'resolved', classification: 'benignPositive', determination: 'SuspiciousButExpected' });
    expect(benign.patches.defender).toEqual({ status: 'resolved', classification: 'benignPositive' });
  });

  test('unknown enum values are refused', () => {
    const result = plan({ severity: 'critical' as never, status: 'open' as never, classification: 'maybe' as never });
    expect(result.errors).toEqual([
      'Unknown severity "critical"; use one of informational, low, medium, high.',
      'Unknown status "open"; use one of new, active, inProgress, awaitingAction, resolved.',
      'Unknown classification "maybe"; use one of undetermined, truePositive, falsePositive, benignPositive.',
    ]);
    expect(plan({ status: 'redirected' }).errors[0]).toMatch(/merges incidents/);
  });
});

describe('comments and the change note', () => {
  test('the comment is posted to both portals as typed (the clients attribute it)', () => {
    const result = plan({ comment: '  Contained. ' });
    expect(result.comment).toEqual({ text: 'Contained.', portals: ['defender', 'sentinel'] });
    expect(result.routes).toEqual({ defender: { comment: 'api' }, sentinel: { comment: 'api' } });
    expect(result.changeNote).toBeUndefined();
  });

  test("the analyst's longest comment fits Sentinel's documented 30,000 with the longest attribution and the request ref", () => {
    expect(plan({ comment: 'x'.repeat(MAX_COMMENT_CHARS) }).errors).toEqual([]);
    expect(plan({ comment: 'x'.repeat(MAX_COMMENT_CHARS + 1) }).errors).toEqual(['The comment is 29,701 characters long; the limit is 29,700.']);
    // The longest name the attribution keeps, on the longest kind of comment (a copy names its portal).
    const longest = formatBridgeComment({ kind: 'copy', author: 'N'.repeat(1000), text: 'x'.repeat(MAX_COMMENT_CHARS), from: 'sentinel', ref: 'ffffffff' });
    expect(longest.length).toBeLessThanOrEqual(SENTINEL_MAX_COMMENT_CHARS);
    expect(plan({ comment: '   ' }).errors).toEqual(['The comment is empty.']);
    expect(plan({ comment: 'bell\u0007' }).errors).toEqual(['The comment contains a control character (U+0007).']);
  });

  test("Sentinel's 100-comment limit is explained", () => {
    const full = sentinelIncident({ comments: Array.from({ length: 100 }, (_, index) => comment(`c${index}`, index)) });
    expect(plan({ comment: 'one more' }, { sentinel: full }).errors[0]).toMatch(/100 comments/);
  });

  test('a Defender field change leaves one change note, in the words the card uses', () => {
    const result = plan({ severity: 'high', tagsAdd: ['vip'] });
    expect(result.changeNote).toEqual({ portal: 'defender', text: 'changed severity to High, tags +vip' });
    const closing = plan({ status: 'resolved', classification: 'truePositive', owner: { upn: 'sam@contoso.com', displayName: 'Sam Lee' } });
    expect(closing.changeNote?.text).toBe('changed status to Resolved, classification to True positive, owner to Sam Lee');
  });

  test('with change notes off, no note is planned', () => {
    expect(plan({ severity: 'high', tagsAdd: ['vip'] }, { changeNotes: false }).changeNote).toBeUndefined();
  });

  test('the whole request is refused when any part is invalid', () => {
    const result = plan({ severity: 'high', comment: 'ok', tagsAdd: [''] });
    expect(result.errors).toHaveLength(1);
    expect(result.patches).toEqual({ defender: {}, sentinel: {} });
    expect(result.comment).toBeUndefined();
    expect(result.changeNote).toBeUndefined();
  });
});

describe('owner validation and other refusals', () => {
  test('owners must be identifiable', () => {
    expect(plan({ owner: { displayName: 'Jane' } }).errors).toEqual(['The owner needs a UPN or an Entra object id; a display name alone does not identify a user.']);
    expect(plan({ owner: { upn: 'not-a-upn' } }).errors[0]).toMatch(/name@domain/);
    expect(plan({ owner: { objectId: '123' } }).errors[0]).toMatch(/not a GUID/);
    expect(plan({ owner: 'jane' as never }).errors[0]).toMatch(/must be a user/);
  });

  test('an empty edit and a merged incident are refused', () => {
    expect(plan({}).errors).toEqual(['The edit changes nothing.']);
    const merged: Incident = defenderIncident({ status: 'redirected', redirectIncidentId: '31' });
    expect(plan({ severity: 'high' }, { defender: merged }).errors).toContain('Defender merged this incident into incident 31; edit that incident instead.');
  });

  test('with every field writable on both portals everything goes through the APIs', () => {
    const result = plan({ severity: 'low', owner: { upn: 'jane@contoso.com' } }, { writable: { defender: ALL_WRITABLE, sentinel: ALL_WRITABLE } });
    expect(result.routes).toEqual({ defender: { severity: 'api', owner: 'api' }, sentinel: { severity: 'api', owner: 'api' } });
  });
});
