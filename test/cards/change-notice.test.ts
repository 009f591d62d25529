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
    ).toBe('Severity Medium → High by Jane Doe in Sentinel; tags +phishing');
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
    ).toBe('Status Active → In progress by Sam Lee in Defender; owner Unassigned → Sam Lee. Classification Not classified → True positive by Ravi Patel in Sentinel');
  });

  test("values read as the card words them: Sentinel's New is the card's Active, never a raw enum", () => {
    const text = buildChangeNoticeText(
      event([
        { field: 'status', from: 'new', to: 'resolved', portal: 'sentinel', by: 'Ravi Patel' },
        { field: 'classification', from: 'undetermined', to: 'benignPositive', portal: 'sentinel', by: 'Ravi Patel' },
        { field: 'status', from: 'active', to: 'awaitingAction', portal: 'defender', by: 'Sam Lee' },
      ]),
    );
    expect(text).toBe('Status Active → Resolved by Ravi Patel in Sentinel; classification Not classified → Benign positive. Status Active → Awaiting action by Sam Lee in Defender');
    expect(buildChangeNoticeText(event([{ field: 'status', from: 'new', to: 'active', portal: 'sentinel', by: 'R' }]))).toBe('Status Active → In progress by R in Sentinel');
    for (const raw of ['new', 'undetermined', 'benignPositive', 'awaitingAction', 'inProgress']) expect(text).not.toMatch(new RegExp(`\\b${raw}\\b`));
  });

  test('owners are named by display name when known (here from the other portal), else by UPN', () => {
    // Graph's assignedTo is a bare UPN; Sentinel's owner of the same person has the name.
    const text = buildChangeNoticeText(event([{ field: 'owner', from: null, to: { upn: 'JANE.DOE@contoso.com' }, portal: 'defender', by: 'X' }]));
    expect(text).toBe('Owner Unassigned → Jane Doe by X in Defender');
    expect(buildChangeNoticeText(event([{ field: 'owner', from: { upn: 'jane.doe@contoso.com' }, to: { upn: 'sam@contoso.com' }, portal: 'defender', by: 'X' }]))).toBe(
      'Owner Jane Doe → sam@contoso.com by X in Defender',
    );
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
    ).toBe('Severity Low → High in Defender');
  });

  test('an edit made through the bridge says it came from Teams, whichever portal showed it first', () => {
    expect(
      buildChangeNoticeText(
        event([{ field: 'severity', from: 'low', to: 'high', portal: 'sentinel', by: 'Jane Doe', fromTeams: true }], { actor: { objectId: 'o', displayName: 'Jane Doe' }, editRequestId: 'req-1' }),
      ),
    ).toBe('Severity Low → High by Jane Doe from Teams');
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
    ).toBe('Tags +vip by Jane Doe from Teams. Severity Low → High by Sam Lee in Sentinel');
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

describe('alert notices', () => {
  const alert = (id: string, title: string, severity: 'high' | 'low' = 'high') => ({
    id,
    title,
    serviceSource: 'microsoftDefenderForIdentity',
    severity,
    status: 'new' as const,
    firstActivityAt: NOW,
    lastActivityAt: NOW,
    techniques: [],
    webUrl: '',
  });
  const withAlerts = (alerts: ReturnType<typeof alert>[]) =>
    typicalView({ defender: defenderIncident({ alertDetails: { alerts, evidence: [], evidenceTotal: 0 } }) });
  const alertsChange = (from: string[], to: string[]): FieldChange => ({ field: 'alerts', from: { ids: from, digest: 'a' }, to: { ids: to, digest: 'b' }, portal: 'defender', by: 'Microsoft Defender XDR' });

  test('a correlated alert: "New alert: <title> (<source>, <severity>)", escaped; new sources are not said twice', () => {
    const incident = withAlerts([alert('a1', 'Old'), alert('a2', 'Suspected DCSync [click](https://evil.example)')]);
    const text = buildChangeNoticeText(
      event(
        [
          alertsChange(['a1'], ['a1', 'a2']),
          { field: 'productNames', from: ['x'], to: ['x', 'y'], portal: 'defender', by: 'Microsoft Defender XDR' },
          { field: 'additionalData', from: { alertsCount: 1 }, to: { alertsCount: 2 }, portal: 'defender', by: 'Microsoft Defender XDR' },
        ],
        { incident },
      ),
    );
    expect(text).toBe('New alert: Suspected DCSync \\[click\\]\u200B\\(https:\u200B//evil.example\\) (Defender for Identity, High)');
  });

  test('more new alerts than are named are counted, those the bridge did not keep included', () => {
    const incident = withAlerts([alert('a1', 'One'), alert('a2', 'Two', 'low'), alert('a3', 'Three')]);
    const text = buildChangeNoticeText(
      event([alertsChange([], ['a1', 'a2', 'a3']), { field: 'additionalData', from: { alertsCount: 0 }, to: { alertsCount: 5 }, portal: 'defender', by: 'X' }], { incident }),
    );
    expect(text).toBe('New alert: One (Defender for Identity, High); New alert: Three (Defender for Identity, High); +3 more new alerts');
  });

  test('alerts whose evidence or status changed are said to have changed, unless a field change beside them says why', () => {
    const incident = withAlerts([alert('a1', 'One')]);
    expect(buildChangeNoticeText(event([alertsChange(['a1'], ['a1'])], { incident }))).toBe('Alerts and evidence updated');
    expect(
      buildChangeNoticeText(event([alertsChange(['a1'], ['a1']), { field: 'severity', from: 'medium', to: 'high', portal: 'defender', by: 'Defender' }], { incident })),
    ).toBe('Severity Medium → High by Defender in Defender');
  });
});
