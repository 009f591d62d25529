// The incident card's Alerts and Evidence sections: what they show, how evidence is kept from being
// a link, and that the card stays within Teams' message size whatever the incident holds.
import { describe, expect, test } from '@jest/globals';
import { buildAlertSections, defang, DEFAULT_SECTION_LIMITS } from '../../src/cards/alert-sections.ts';
import { cardSize, INCIDENT_CARD_BUDGET_BYTES } from '../../src/cards/card-size.ts';
import { renderIncidentCard, shrinkingLimits } from '../../src/cards/incident-card.ts';
import { assertValidCard } from '../../src/cards/validate-card.ts';
import type { AlertDetails, EvidenceItem, IncidentAlert } from '../../src/domain/alerts.ts';
import type { IncidentView } from '../../src/domain/change-events.ts';
import { alertDetailsFromGraph } from '../../src/portals/defender/alert-mapping.ts';
import { actionsOf, textBlocksOf } from '../bot/support/harness.ts';
import { defenderIncident, NOW, SIM_HOST, typicalView } from './fixtures/incidents.ts';
import { graphAlertsOf, ORDINARY_TEXT } from '../../bench/support/large-incident.ts';

const NOW_MS = Date.parse(NOW);

function alert(overrides: Partial<IncidentAlert> = {}): IncidentAlert {
  return {
    id: 'da1',
    title: 'Suspicious PowerShell command line',
    serviceSource: 'microsoftDefenderForEndpoint',
    severity: 'high',
    status: 'new',
    firstActivityAt: '2026-03-02T07:00:00Z',
    lastActivityAt: '2026-03-02T09:55:00Z',
    techniques: ['T1059.001', 'T1105'],
    webUrl: 'https://security.microsoft.com/alerts/da1?tid=t',
    ...overrides,
  };
}

function evidence(overrides: Partial<EvidenceItem> = {}): EvidenceItem {
  return { kind: 'device', name: 'ws-042.contoso.com', detail: 'Windows11', verdict: 'unknown', alertCount: 2, ...overrides };
}

function viewWith(details: AlertDetails, alertsCount = details.alerts.length): IncidentView {
  return typicalView({ defender: defenderIncident({ alertDetails: details, additionalData: { alertsCount, productNames: [], tactics: [], techniques: [] } }) });
}

/** What an analyst reads in the open sections: every TextBlock of the card. */
function texts(view: IncidentView): string[] {
  return textBlocksOf(renderIncidentCard(view, { mode: 'analyst', now: NOW }));
}

describe('alert sections view model', () => {
  test('an alert row: severity marker, title, source, severity, status, MITRE techniques, first and last activity, its Defender link', () => {
    const sections = buildAlertSections(viewWith({ alerts: [alert()], evidence: [], evidenceTotal: 0 }), DEFAULT_SECTION_LIMITS, NOW_MS, []);
    expect(sections.alerts).toEqual([
      {
        title: '🔴 Suspicious PowerShell command line',
        facts: 'Defender for Endpoint · High · New · MITRE T1059.001, T1105',
        activity: 'First activity 3 h ago · last 5 min ago',
        url: 'https://security.microsoft.com/alerts/da1?tid=t',
      },
    ]);
    expect(sections.alertsToggle).toBe('Alerts (1)');
  });

  test.each([
    ['microsoftDefenderForEndpoint', 'Defender for Endpoint'],
    ['microsoftDefenderForIdentity', 'Defender for Identity'],
    ['microsoftDefenderForOffice365', 'Defender for Office 365'],
    ['microsoftDefenderForCloudApps', 'Defender for Cloud Apps'],
    ['microsoftDefenderForCloud', 'Defender for Cloud'],
    ['dataLossPrevention', 'Purview DLP'],
    ['azureAdIdentityProtection', 'Entra ID Protection'],
    ['microsoftInsiderRiskManagement', 'Insider Risk Management'],
  ])('the source %s reads %s', (serviceSource, name) => {
    const [row] = buildAlertSections(viewWith({ alerts: [alert({ serviceSource })], evidence: [], evidenceTotal: 0 }), DEFAULT_SECTION_LIMITS, NOW_MS, []).alerts;
    expect(row?.facts.startsWith(`${name} ·`)).toBe(true);
  });

  test("an alert link to a host that is not Defender's is left off; the simulators' host is allowed when configured", () => {
    const details = { alerts: [alert({ webUrl: 'https://evil.example/alerts/da1' }), alert({ id: 'da2', webUrl: `https://${SIM_HOST}/alerts/da2` })], evidence: [], evidenceTotal: 0 };
    expect(buildAlertSections(viewWith(details), DEFAULT_SECTION_LIMITS, NOW_MS, []).alerts.map((row) => row.url)).toEqual(['', '']);
    expect(buildAlertSections(viewWith(details), DEFAULT_SECTION_LIMITS, NOW_MS, [SIM_HOST]).alerts.map((row) => row.url)).toEqual(['', `https://${SIM_HOST}/alerts/da2`]);
  });

  test('evidence is grouped by kind (accounts, devices, IPs, mailboxes, files, processes, URLs), each with its alert count and verdict', () => {
    const sections = buildAlertSections(
      viewWith({
        alerts: [alert()],
        evidence: [
          evidence({ kind: 'url', name: 'https://evil.example/login', detail: '', verdict: 'malicious', alertCount: 1 }),
          evidence({ kind: 'account', name: 'alice@contoso.com', detail: 'Alice Wilber', alertCount: 3 }),
          evidence(),
        ],
        evidenceTotal: 3,
      }),
      DEFAULT_SECTION_LIMITS,
      NOW_MS,
      [],
    );
    expect(sections.evidence).toEqual([
      { heading: 'Accounts', items: [{ text: 'alice@contoso\\[.\\]com — Alice Wilber · 3 alerts' }] },
      { heading: 'Devices', items: [{ text: 'ws\\-042\\[.\\]contoso\\[.\\]com — Windows11 · 2 alerts' }] },
      { heading: 'URLs', items: [{ text: 'hxxps:\u200B//evil\\[.\\]example/login · 1 alert · Malicious' }] },
    ]);
    expect(sections.evidenceToggle).toBe('Evidence (3)');
  });

  test('evidence is defanged and escaped: no URL, host, mail address, file name, markup, mention or expression survives as such', () => {
    const hostile = [
      '[Approve](https://evil.example/x)',
      'invoice\u202Efdp.exe',
      '<at>Everyone</at> ${secret} {{DATE(2026-01-01T00:00:00Z)}}',
      'www.evil.example',
      'ceo@contoso.com',
      'update.zip',
    ];
    const details: AlertDetails = {
      alerts: [alert()],
      evidence: hostile.map((name, i) => evidence({ kind: 'file', name, detail: `C:\\x\\${name}`, alertCount: i + 1 })),
      evidenceTotal: hostile.length,
    };
    const card = renderIncidentCard(viewWith(details), { mode: 'analyst', now: NOW });
    assertValidCard(card);
    const shown = textBlocksOf(card).join('\n');
    for (const needle of ['https://', 'www.evil', 'evil.example', 'contoso.com', 'update.zip', '.exe', '](', '<at>', '${', '{{', '\u202E']) {
      expect(shown).not.toContain(needle);
    }
    expect(shown).toContain('update\\[.\\]zip');
    // The only links on the card are the portals' own, host-checked.
    for (const action of actionsOf(card, 'Action.OpenUrl')) expect(new URL(String(action['url'])).host).toMatch(/^(security\.microsoft\.com|portal\.azure\.com)$/);
  });

  test('defang: schemes and dots, nothing else', () => {
    expect(defang('HTTPS://a.b/c?d=e.f')).toBe('hxxpS://a[.]b/c?d=e[.]f');
    expect(defang('CONTOSO\\alice')).toBe('CONTOSO\\alice');
    expect(defang('10.0.0.5')).toBe('10[.]0[.]0[.]5');
  });

  test('an incident whose alerts were not read shows no sections; one with none says so', () => {
    expect(texts(typicalView()).join('\n')).not.toContain('No alerts listed');
    const none = renderIncidentCard(viewWith({ alerts: [], evidence: [], evidenceTotal: 0 }, 0), { mode: 'analyst', now: NOW });
    expect(textBlocksOf(none)).toEqual(expect.arrayContaining(['No alerts listed.', 'No evidence listed.']));
    expect(actionsOf(none, 'Action.ToggleVisibility').map((action) => action['title'])).toEqual(['Alerts (0)', 'Evidence (0)']);
  });

  test('the sections are collapsed, and their toggles open them', () => {
    const card = renderIncidentCard(viewWith({ alerts: [alert()], evidence: [evidence()], evidenceTotal: 1 }), { mode: 'analyst', now: NOW });
    assertValidCard(card);
    const toggles = actionsOf(card, 'Action.ToggleVisibility');
    expect(toggles.map((toggle) => toggle['targetElements'])).toEqual([['alerts-section'], ['evidence-section']]);
    const sections = JSON.stringify(card);
    expect(sections).toContain('"id":"alerts-section","isVisible":false');
    expect(sections).toContain('"id":"evidence-section","isVisible":false');
  });
});

describe('card size', () => {
  test.each([
    ['ordinary text', ORDINARY_TEXT],
    ['the longest text kept, in a wide script', (i: number, j: number) => `${'雪'.repeat(600)}${i}${j}`],
    ['grapheme-heavy emoji', (i: number, j: number) => `${'👩🏽‍💻'.repeat(300)}${i}${j}`],
  ])('200 alerts naming 1,000 evidence items (%s) render within the budget, with "+N more" and the Defender link', (_name, text) => {
    const details = alertDetailsFromGraph(graphAlertsOf(200, 5, text));
    expect(details.evidenceTotal).toBe(1000);
    const card = renderIncidentCard(viewWith(details, 200), { mode: 'analyst', now: NOW });
    assertValidCard(card);
    const size = cardSize(card);
    expect(Math.max(size.utf8Bytes, size.utf16Bytes)).toBeLessThanOrEqual(INCIDENT_CARD_BUDGET_BYTES);
    const shown = textBlocksOf(card);
    expect(shown.some((line) => /^\+\d+ more alerts in Defender$/.test(line))).toBe(true);
    expect(shown.some((line) => /^\+\d[\d,]* more in Defender$/.test(line))).toBe(true);
    expect(actionsOf(card, 'Action.OpenUrl').map((action) => action['title'])).toEqual(expect.arrayContaining(['All alerts in Defender', 'All evidence in Defender']));
    expect(actionsOf(card, 'Action.ToggleVisibility').map((action) => action['title'])).toEqual(['Alerts (200)', 'Evidence (1,000)']);
  });

  test('an ordinary incident shows a screenful of each section, unshortened', () => {
    const details = alertDetailsFromGraph(graphAlertsOf(12, 3, (i, j) => (j < 0 ? `Alert ${i}` : `proc-${i}-${j}`)));
    const card = renderIncidentCard(viewWith(details, 12), { mode: 'analyst', now: NOW });
    expect(actionsOf(card, 'Action.OpenUrl').filter((action) => action['title'] === 'Open alert')).toHaveLength(DEFAULT_SECTION_LIMITS.alerts);
    expect(textBlocksOf(card).filter((line) => line.includes(' · 1 alert'))).toHaveLength(DEFAULT_SECTION_LIMITS.evidence);
  });

  test('limits shrink one row at a time, evidence first, down to none', () => {
    const steps = shrinkingLimits({ alerts: 2, evidence: 4 });
    expect(steps).toEqual([
      { alerts: 2, evidence: 4 },
      { alerts: 2, evidence: 3 },
      { alerts: 2, evidence: 2 },
      { alerts: 1, evidence: 2 },
      { alerts: 1, evidence: 1 },
      { alerts: 0, evidence: 1 },
      { alerts: 0, evidence: 0 },
    ]);
  });
});
