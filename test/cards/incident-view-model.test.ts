import { describe, expect, test } from '@jest/globals';
import { buildIncidentCardViewModel, buildUpdate, relativeTime } from '../../src/cards/incident-view-model.ts';
import { defenderIncident, NOW, outcome, sentinelIncident, typicalView } from './fixtures/incidents.ts';

const base = { mode: 'analyst' as const, now: NOW };

describe('buildIncidentCardViewModel', () => {
  test.each([
    ['high', '🔴 Severity: High'],
    ['medium', '🟠 Severity: Medium'],
    ['low', '🟡 Severity: Low'],
    ['informational', '🔵 Severity: Informational'],
    ['unknown', '⚪ Severity: Unknown'],
  ] as const)('severity %s is shown as %s (the marker carries the colour)', (severity, text) => {
    const vm = buildIncidentCardViewModel(typicalView({ defender: defenderIncident({ severity }), sentinel: null }), base);
    expect(vm.severityText).toBe(text);
  });

  test('a value that is an Object.prototype name (from a store written before input checks) shows as unknown, never a function', () => {
    const odd = 'constructor' as never;
    const vm = buildIncidentCardViewModel(
      typicalView({ defender: defenderIncident({ status: odd, classification: odd }), sentinel: sentinelIncident({ severity: 'toString' as never }) }),
      base,
    );
    const facts = Object.fromEntries(vm.facts.map((f) => [f.title, f.value]));
    expect(facts['Status']).toMatch(/^Unknown/);
    expect(facts['Classification']).toBe('Not classified');
    expect(vm.severityText).toBe('🟠 Severity: Medium (Sentinel: Unknown)');
    expect(JSON.stringify(vm)).not.toContain('native code');
  });

  test('when the portals disagree on severity, both values are shown', () => {
    const vm = buildIncidentCardViewModel(typicalView({ sentinel: sentinelIncident({ severity: 'high' }) }), base);
    expect(vm.severityText).toBe('🟠 Severity: Medium (Sentinel: High)');
  });

  test("status drift is flagged, but not Sentinel's Active for Defender's In progress", () => {
    const drift = buildIncidentCardViewModel(typicalView({ sentinel: sentinelIncident({ status: 'resolved' }) }), base);
    expect(drift.facts.find((f) => f.title === 'Status')?.value).toBe('Active (Sentinel: Resolved)');
    const mapped = buildIncidentCardViewModel(typicalView({ defender: defenderIncident({ status: 'inProgress' }) }), base);
    expect(mapped.facts.find((f) => f.title === 'Status')?.value).toBe('In progress');
  });

  test('facts: classification with determination, owner, friendly de-duplicated sources, union of tags, alert count', () => {
    const vm = buildIncidentCardViewModel(
      typicalView({
        defender: defenderIncident({ classification: 'truePositive', determination: 'phishing', tags: ['phishing', 'VIP'] }),
        sentinel: sentinelIncident({ tags: ['vip', 'finance'], additionalData: { alertsCount: 6, productNames: ['Azure Advanced Threat Protection'], tactics: [], techniques: [] } }),
      }),
      base,
    );
    const facts = Object.fromEntries(vm.facts.map((f) => [f.title, f.value]));
    expect(facts).toEqual({
      Status: 'Active',
      Classification: 'True positive (phishing)',
      Owner: 'Jane Doe',
      Sources: 'Defender for Endpoint, Defender for Office 365, Defender for Identity',
      Tags: 'phishing, VIP, finance',
      Alerts: '6',
      'Last modified by': 'API\\-App:bridge@contoso.com',
    });
  });

  test('all eight alert sources get their friendly names', () => {
    const names = [
      'microsoftDefenderForEndpoint',
      'microsoftDefenderForIdentity',
      'microsoftDefenderForOffice365',
      'microsoftCloudAppSecurity',
      'microsoftDefenderForCloud',
      'dataLossPrevention',
      'azureAdIdentityProtection',
      'microsoftInsiderRiskManagement',
    ];
    const vm = buildIncidentCardViewModel(
      typicalView({ sentinel: null, defender: defenderIncident({ additionalData: { alertsCount: 8, productNames: names, tactics: [], techniques: [] } }) }),
      base,
    );
    expect(vm.facts.find((f) => f.title === 'Sources')?.value).toBe(
      'Defender for Endpoint, Defender for Identity, Defender for Office 365, Defender for Cloud Apps, Defender for Cloud, Purview DLP, Entra ID Protection, Insider Risk Management',
    );
  });

  test('unassigned owner, no tags', () => {
    const vm = buildIncidentCardViewModel(typicalView({ sentinel: null, defender: defenderIncident({ owner: null, tags: [] }) }), base);
    expect(vm.facts.find((f) => f.title === 'Owner')?.value).toBe('Unassigned');
    expect(vm.facts.find((f) => f.title === 'Tags')?.value).toBe('None');
  });

  test("the owner is named by display name when either portal knows it, else by UPN", () => {
    const byUpn = defenderIncident({ owner: { upn: 'jane.doe@contoso.com' } });
    const owner = (view: Parameters<typeof buildIncidentCardViewModel>[0]) => buildIncidentCardViewModel(view, base).facts.find((f) => f.title === 'Owner')?.value;
    expect(owner(typicalView({ defender: byUpn }))).toBe('Jane Doe');
    expect(owner(typicalView({ defender: byUpn, sentinel: null }))).toBe('jane.doe@contoso.com');
  });

  test.each([
    ['new', 'Active'],
    ['active', 'In progress'],
    ['resolved', 'Resolved'],
  ] as const)("a Sentinel-only incident's status %s reads as the card words it for Defender: %s", (status, word) => {
    const vm = buildIncidentCardViewModel(typicalView({ defender: null, sentinel: sentinelIncident({ status }) }), base);
    expect(vm.facts.find((f) => f.title === 'Status')?.value).toBe(word);
  });

  test('latest 3 comments across both portals, mirrored copies shown once, newest first', () => {
    const vm = buildIncidentCardViewModel(typicalView(), base);
    expect(vm.comments).toEqual([
      { meta: 'Jane Doe · 5 min ago', text: 'Isolated the device.' },
      { meta: 'Sam Lee · 2 h ago', text: 'Mailbox purge started.' },
      { meta: 'Ravi Patel · 22 h ago', text: 'Looks like the March campaign.' },
    ]);
    expect(vm.moreComments).toBe('');
    const many = buildIncidentCardViewModel(
      typicalView({
        sentinel: null,
        defender: defenderIncident({
          comments: Array.from({ length: 7 }, (_, i) => ({ text: `c${i}`, author: 'A', createdAt: `2026-03-02T0${i}:00:00Z` })),
        }),
      }),
      base,
    );
    expect(many.comments.map((c) => c.text)).toEqual(['c6', 'c5', 'c4']);
    expect(many.moreComments).toBe('+4 earlier comments');
  });

  test('long comment text is truncated', () => {
    const vm = buildIncidentCardViewModel(
      typicalView({ sentinel: null, defender: defenderIncident({ comments: [{ text: 'x'.repeat(5000), author: 'A', createdAt: NOW }] }) }),
      base,
    );
    expect(vm.comments[0]?.text).toHaveLength(280);
  });

  test('sync state row per portal', () => {
    const vm = buildIncidentCardViewModel(typicalView({ syncState: { defender: 'notWritable', sentinel: 'pending' } }), base);
    expect(vm.portals).toEqual([
      { portal: 'defender', text: "Defender: ⚠️ Can't be written through the API", color: 'default' },
      { portal: 'sentinel', text: 'Sentinel: ⏳ Pending', color: 'accent' },
    ]);
    const unlinked = buildIncidentCardViewModel(typicalView({ sentinel: null }), base);
    expect(unlinked.portals[1]?.text).toBe('Sentinel: — not linked yet');
  });

  test('canEdit only in analyst mode and when not merged', () => {
    expect(buildIncidentCardViewModel(typicalView(), base).canEdit).toBe(true);
    expect(buildIncidentCardViewModel(typicalView(), { ...base, mode: 'readOnly' }).canEdit).toBe(false);
    expect(buildIncidentCardViewModel(typicalView({ mergedIntoLinkId: 'x' }), base).canEdit).toBe(false);
  });

  test("a portal's state follows the latest outcome: never \"In sync\" under a failed update", () => {
    const failed = outcome({ state: 'partial', perPortal: { defender: { severity: { state: 'failed', reason: 'Forbidden' } }, sentinel: { severity: { state: 'written' } } } });
    const vm = buildIncidentCardViewModel(typicalView(), { ...base, outcome: failed });
    expect(vm.update?.headline).toMatch(/^⚠️ Update partly applied/);
    expect(vm.portals.map((portal) => portal.text)).toEqual(['Defender: ❌ Last update failed', 'Sentinel: ✅ In sync']);
    const running = buildIncidentCardViewModel(typicalView(), { ...base, outcome: outcome() });
    expect(running.portals.map((portal) => portal.text)).toEqual(['Defender: ⏳ Updating', 'Sentinel: ⏳ Updating']);
    const done = outcome({ state: 'completed', converged: true, perPortal: { defender: { severity: { state: 'viaOtherRoute', verified: true } }, sentinel: { severity: { state: 'written' } } } });
    expect(buildIncidentCardViewModel(typicalView(), { ...base, outcome: done }).portals.map((portal) => portal.text)).toEqual(['Defender: ✅ In sync', 'Sentinel: ✅ In sync']);
  });

  test("the bridge's comments are credited to the analyst from Teams, copies to their author, never to the app", () => {
    const defender = defenderIncident({
      comments: [
        { text: '[Alex Wilber via incident-bridge] Isolated the host [ref 1a2b3c4d]', author: 'API-App:5a1b', createdAt: '2026-03-02T03:00:00Z' },
        { text: '[Sam Portal via incident-bridge · from Sentinel] Looks benign', author: 'API-App:5a1b', createdAt: '2026-03-02T02:00:00Z' },
      ],
    });
    const vm = buildIncidentCardViewModel(typicalView({ defender, sentinel: null }), base);
    expect(vm.comments.map((comment) => [comment.meta.split(' · ')[0], comment.text])).toEqual([
      ['Alex Wilber \\(from Teams\\)', 'Isolated the host'],
      ['Sam Portal', 'Looks benign'],
    ]);
    expect(JSON.stringify(vm)).not.toContain('API-App');
  });

  test('real comments come first; change notes never push them out of sight', () => {
    const notes = Array.from({ length: 5 }, (_, i) => ({ text: `[Alex Wilber via incident-bridge · change] changed tags +t${i} [ref 0000000${i}]`, author: 'API-App:5a1b', createdAt: `2026-03-02T0${5 + i}:00:00Z` }));
    const real = [
      { text: 'Called the user', author: 'Jane Doe', createdAt: '2026-03-02T01:00:00Z' },
      { text: 'Reset the password', author: 'Jane Doe', createdAt: '2026-03-02T02:00:00Z' },
    ];
    const vm = buildIncidentCardViewModel(typicalView({ defender: defenderIncident({ comments: [...real, ...notes] }), sentinel: null }), base);
    expect(vm.comments.map((comment) => comment.text)).toEqual(['Reset the password', 'Called the user', 'changed tags \\+t4']);
    expect(vm.moreComments).toBe('+4 change notes');
  });

  test('an outcome for another link is never shown', () => {
    const vm = buildIncidentCardViewModel(typicalView(), { ...base, outcome: outcome({ linkId: 'link-other' }) });
    expect(vm.hasUpdate).toBe(false);
    expect(vm.update).toBeNull();
  });

  test('subtitle names both incidents and the age', () => {
    expect(buildIncidentCardViewModel(typicalView(), base).subtitle).toBe('Defender 29 · Sentinel 412 · created 1 d ago');
  });
});

describe('buildUpdate', () => {
  const view = typicalView();
  test('accepted: "Updating…" with each portal pending', () => {
    expect(buildUpdate(view, outcome())?.headline).toBe('⏳ Updating… Defender pending, Sentinel pending');
  });
  test('completed and converged', () => {
    const update = buildUpdate(
      view,
      outcome({ state: 'completed', converged: true, perPortal: { defender: { severity: { state: 'viaOtherRoute', verified: true } }, sentinel: { severity: { state: 'written' } } } }),
    );
    expect(update).toEqual({
      headline: '✅ Update applied; both portals agree',
      color: 'default',
      rows: [
        { text: 'Defender · severity: ✅ via native sync (verified)', color: 'default' },
        { text: 'Sentinel · severity: ✅ written', color: 'default' },
      ],
    });
  });
  test('failed, with the escaped reason', () => {
    const update = buildUpdate(view, outcome({ state: 'failed', perPortal: { defender: {}, sentinel: { comment: { state: 'failed', reason: '<at>x</at> 403' } } } }));
    expect(update?.headline).toBe('❌ Update failed: Sentinel failed');
    expect(update?.rows).toEqual([{ text: 'Sentinel · comment: ❌ failed: \\<at\\>x\\</at\\> 403', color: 'default' }]);
  });
});

describe('relativeTime', () => {
  const now = Date.parse(NOW);
  test.each([
    [now - 10_000, 'just now'],
    [now - 5 * 60_000, '5 min ago'],
    [now - 3 * 3_600_000, '3 h ago'],
    [now - 2 * 86_400_000, '2 d ago'],
    [now - 30 * 86_400_000, '2026-01-31 10:00 UTC'],
    [now + 60_000, '2026-03-02 10:01 UTC'],
  ])('%p -> %s', (then, expected) => {
    expect(relativeTime(then, now)).toBe(expected);
  });
});

describe('the customer an incident belongs to', () => {
  test('is the first fact when given, escaped; absent otherwise', () => {
    const named = buildIncidentCardViewModel(typicalView(), { ...base, customer: 'Contoso Ltd' });
    expect(named.facts[0]).toEqual({ title: 'Customer', value: 'Contoso Ltd' });
    const plain = buildIncidentCardViewModel(typicalView(), base);
    expect(plain.facts.map((f) => f.title)).not.toContain('Customer');
    const hostile = buildIncidentCardViewModel(typicalView(), { ...base, customer: '[Contoso](https://evil.example) **Ltd** <at>x</at>' });
    expect(hostile.facts[0]?.value).not.toMatch(/\]\(|\*\*|<at>/);
  });
});
