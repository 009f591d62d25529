import { describe, expect, test } from '@jest/globals';
import { buildChangeNoticeText } from '../../src/cards/change-notice.ts';
import type { ChangeEvent, FieldChange } from '../../src/domain/change-events.ts';
import { defenderIncident, NOW, typicalView } from './fixtures/incidents.ts';

function event(changes: FieldChange[], overrides: Partial<ChangeEvent> = {}): ChangeEvent {
  return { id: 'ev-1', seq: 1, kind: 'updated', linkId: 'link-29', pairId: 'p', incident: typicalView(), changes, occurredAt: NOW, ...overrides };
}

describe('buildChangeNoticeText', () => {
  test('severity and tags by one person in one portal', () => {
    expect(
      buildChangeNoticeText(
        event([
          { field: 'severity', from: 'medium', to: 'high', portal: 'sentinel', by: 'Jane Doe' },
          { field: 'tags', from: ['vip'], to: ['vip', 'phishing'], portal: 'sentinel', by: 'Jane Doe' },
        ]),
      ),
    ).toBe('Severity medium → high by Jane Doe in Sentinel; tags +phishing');
  });

  test('changes by different people are separate clauses', () => {
    expect(
      buildChangeNoticeText(
        event([
          { field: 'status', from: 'active', to: 'inProgress', portal: 'defender', by: 'Sam Lee' },
          { field: 'owner', from: null, to: { displayName: 'Sam Lee' }, portal: 'defender', by: 'Sam Lee' },
          { field: 'classification', from: 'undetermined', to: 'truePositive', portal: 'sentinel', by: 'Ravi Patel' },
        ]),
      ),
    ).toBe('Status active → in progress by Sam Lee in Defender; owner unassigned → Sam Lee. Classification not classified → true positive by Ravi Patel in Sentinel');
  });

  test('tag removals and comments; noise fields are left out', () => {
    expect(
      buildChangeNoticeText(
        event([
          { field: 'tags', from: ['a', 'b'], to: ['a'], portal: 'defender', by: 'X' },
          { field: 'comment', from: null, to: 'secret comment body', portal: 'defender', by: 'X' },
          { field: 'lastModifiedBy', from: 'a', to: 'b', portal: 'defender', by: 'X' },
          { field: 'additionalData', from: {}, to: {}, portal: 'defender', by: 'X' },
        ]),
      ),
    ).toBe('Tags -b by X in Defender; new comment');
  });

  test('a change without an author names nobody, even in an event of an edit (it is not the analyst\'s)', () => {
    expect(
      buildChangeNoticeText(
        event([{ field: 'severity', from: 'low', to: 'high', portal: 'defender', by: '' }], { actor: { objectId: 'o', displayName: 'Jane Doe' }, editRequestId: 'req-1' }),
      ),
    ).toBe('Severity low → high in Defender');
  });

  test('an edit made through the bridge says it came from Teams, whichever portal showed it first', () => {
    expect(
      buildChangeNoticeText(
        event([{ field: 'severity', from: 'low', to: 'high', portal: 'sentinel', by: 'Jane Doe', fromTeams: true }], { actor: { objectId: 'o', displayName: 'Jane Doe' }, editRequestId: 'req-1' }),
      ),
    ).toBe('Severity low → high by Jane Doe from Teams');
  });

  test('a change made in Sentinel is announced as made in Sentinel, also when a Teams edit shares its burst', () => {
    expect(
      buildChangeNoticeText(
        event(
          [
            { field: 'tags', from: [], to: ['vip'], portal: 'defender', by: 'Jane Doe', fromTeams: true },
            { field: 'severity', from: 'low', to: 'high', portal: 'sentinel', by: 'Sam Lee' },
          ],
          { actor: { objectId: 'o', displayName: 'Jane Doe' }, editRequestId: 'req-1' },
        ),
      ),
    ).toBe('Tags +vip by Jane Doe from Teams. Severity low → high by Sam Lee in Sentinel');
  });

  test('an edit that failed gets one line saying where; one under way or done gets none', () => {
    const failed = event([], {
      kind: 'edit-outcome',
      actor: { objectId: 'o', displayName: 'Jane Doe' },
      outcome: { requestId: 'r', linkId: 'link-29', state: 'partial', converged: false, updatedAt: NOW, perPortal: { defender: { severity: { state: 'failed', reason: 'no' } }, sentinel: { severity: { state: 'written' } } } },
    });
    expect(buildChangeNoticeText(failed)).toBe('⚠️ The update by Jane Doe was only partly applied (Defender: severity); the card has the details.');
    const running = { ...failed, outcome: { ...failed.outcome!, state: 'accepted' as const } };
    expect(buildChangeNoticeText(running)).toBe('');
  });

  test('hostile names, tags and values are escaped', () => {
    const text = buildChangeNoticeText(
      event([
        { field: 'tags', from: [], to: ['[x](https://evil.example)', '<at>All</at>'], portal: 'sentinel', by: '**CEO** ${secret}' },
        { field: 'title', from: 'a', to: '{{DATE(2026-01-01T00:00:00Z)}}', portal: 'sentinel', by: '**CEO** ${secret}' },
      ]),
    );
    expect(text).not.toContain('<at>');
    expect(text).not.toContain('${');
    expect(text).not.toContain('{{');
    expect(text).not.toMatch(/[^\\]\]\(/);
    expect(text).toContain('by \\*\\*CEO\\*\\*');
  });

  test('created and merged events', () => {
    expect(buildChangeNoticeText(event([], { kind: 'created' }))).toBe(
      'New incident 29: Multi\\-stage incident involving Initial access \\& Execution on one endpoint',
    );
    const merged = typicalView({ defender: defenderIncident({ status: 'redirected', redirectIncidentId: '31' }) });
    expect(buildChangeNoticeText(event([], { kind: 'merged', incident: merged }))).toBe(
      'Incident 29: Multi\\-stage incident involving Initial access \\& Execution on one endpoint was merged into Defender incident 31',
    );
  });

  test('a long list of changes is capped', () => {
    const changes: FieldChange[] = Array.from({ length: 10 }, (_, i) => ({ field: 'title', from: 'a', to: `t${i}`, portal: 'defender', by: 'X' }));
    const text = buildChangeNoticeText(event(changes));
    expect(text.endsWith('; +4 more')).toBe(true);
  });

  test('no visible changes', () => {
    expect(buildChangeNoticeText(event([{ field: 'additionalData', from: 1, to: 2, portal: 'defender', by: 'x' }]))).toBe(
      'Incident 29: Multi\\-stage incident involving Initial access \\& Execution on one endpoint updated',
    );
  });
});
