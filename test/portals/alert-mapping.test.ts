import { describe, expect, test } from '@jest/globals';
import { MAX_ALERT_TEXT_CHARS, MAX_ALERTS_KEPT, MAX_EVIDENCE_KEPT } from '../../src/domain/alerts.ts';
import { alertDetailsFromGraph } from '../../src/portals/defender/alert-mapping.ts';
import { graphIncidentToDomain } from '../../src/portals/defender/mapping.ts';
import { GRAPH_ALERT_GET_EXAMPLE, GRAPH_INCIDENT_WITH_ALERTS, HOSTILE_TEXTS, UNSTORABLE_TEXTS } from './fixtures/examples.ts';

const userEvidence = (upn: string, extra: object = {}) => ({
  '@odata.type': '#microsoft.graph.security.userEvidence',
  verdict: 'suspicious',
  roles: ['compromised'],
  userAccount: { accountName: upn.split('@')[0], domainName: 'CONTOSO', userPrincipalName: upn, azureAdUserId: null, userSid: null, displayName: 'Alice Wilber' },
  ...extra,
});
const ipEvidence = (address: string, verdict = 'unknown') => ({ '@odata.type': '#microsoft.graph.security.ipEvidence', verdict, ipAddress: address, countryLetterCode: 'NL' });
const alert = (id: string, overrides: object = {}) => ({
  '@odata.type': '#microsoft.graph.security.alert',
  id,
  title: `Alert ${id}`,
  serviceSource: 'microsoftDefenderForIdentity',
  severity: 'medium',
  status: 'new',
  firstActivityDateTime: '2026-03-02T08:00:00Z',
  lastActivityDateTime: '2026-03-02T09:00:00Z',
  mitreTechniques: ['T1078'],
  alertWebUrl: `https://security.microsoft.com/alerts/${id}?tid=t`,
  evidence: [],
  ...overrides,
});

describe('Graph alerts and evidence -> domain', () => {
  test('the documented alert maps its fields; device, file and process evidence are kept, the registry key is not shown', () => {
    const details = alertDetailsFromGraph([GRAPH_ALERT_GET_EXAMPLE]);
    expect(details.alerts).toEqual([
      {
        id: GRAPH_ALERT_GET_EXAMPLE.id,
        title: 'Suspicious execution of hidden file',
        serviceSource: 'microsoftDefenderForEndpoint',
        severity: 'low',
        status: 'new',
        firstActivityAt: '2021-04-26T07:45:50.116Z',
        lastActivityAt: '2021-05-02T07:56:58.222Z',
        techniques: ['T1564.001'],
        webUrl: GRAPH_ALERT_GET_EXAMPLE.alertWebUrl,
      },
    ]);
    expect(details.evidence).toEqual([
      { kind: 'device', name: 'tempDns', detail: 'Windows10', verdict: 'unknown', alertCount: 1 },
      { kind: 'file', name: 'MsSense.exe', detail: 'C:\\Program Files\\temp', verdict: 'unknown', alertCount: 1 },
      { kind: 'process', name: 'MsSense.exe', detail: '"MsSense.exe"', verdict: 'unknown', alertCount: 1 },
    ]);
    expect(details.evidenceTotal).toBe(3);
  });

  test('each of the seven kinds is read from its documented shape', () => {
    const details = alertDetailsFromGraph([
      alert('a1', {
        evidence: [
          userEvidence('alice@contoso.com'),
          { '@odata.type': '#microsoft.graph.security.deviceEvidence', deviceDnsName: 'ws-042.contoso.com', mdeDeviceId: 'm1', osPlatform: 'Windows11', version: '22H2' },
          ipEvidence('203.0.113.7'),
          { '@odata.type': '#microsoft.graph.security.mailboxEvidence', primaryAddress: 'alice@contoso.com', displayName: 'Alice Wilber', upn: 'alice@contoso.com' },
          { '@odata.type': '#microsoft.graph.security.fileEvidence', fileDetails: { fileName: 'invoice.pdf.exe', filePath: 'C:\\Users\\alice\\Downloads', sha256: 'AB'.repeat(32) } },
          { '@odata.type': '#microsoft.graph.security.processEvidence', processId: 42, mdeDeviceId: 'm1', processCreationDateTime: '2026-03-02T08:01:00Z', processCommandLine: 'powershell.exe -enc SQBFAFgA', imageFile: { fileName: 'powershell.exe' } },
          { '@odata.type': '#microsoft.graph.security.urlEvidence', url: 'https://evil.example/login' },
        ],
      }),
    ]);
    const byKind = Object.fromEntries(details.evidence.map((item) => [item.kind, [item.name, item.detail]]));
    expect(byKind).toEqual({
      account: ['alice@contoso.com', 'Alice Wilber'],
      device: ['ws-042.contoso.com', 'Windows11 22H2'],
      ip: ['203.0.113.7', 'NL'],
      mailbox: ['alice@contoso.com', 'Alice Wilber'],
      file: ['invoice.pdf.exe', 'C:\\Users\\alice\\Downloads'],
      process: ['powershell.exe', 'powershell.exe -enc SQBFAFgA'],
      url: ['https://evil.example/login', ''],
    });
  });

  test('an on-premises account without a UPN reads DOMAIN\\name', () => {
    const details = alertDetailsFromGraph([
      alert('a1', { evidence: [{ '@odata.type': '#microsoft.graph.security.userEvidence', userAccount: { accountName: 'svc-backup', domainName: 'CONTOSO', userSid: 'S-1-5-21-1' } }] }),
    ]);
    expect(details.evidence[0]).toMatchObject({ kind: 'account', name: 'CONTOSO\\svc-backup', detail: '' });
  });

  test('evidence named by several alerts is one item counting those alerts (twice in one alert counts once); the worst verdict wins', () => {
    const details = alertDetailsFromGraph([
      alert('a1', { evidence: [userEvidence('alice@contoso.com'), userEvidence('ALICE@contoso.com'), ipEvidence('203.0.113.7')] }),
      alert('a2', { evidence: [userEvidence('alice@contoso.com', { verdict: 'malicious' })] }),
      alert('a3', { evidence: [userEvidence('alice@contoso.com'), ipEvidence('198.51.100.1', 'malicious')] }),
    ]);
    expect(details.evidence.map((item) => [item.kind, item.name, item.alertCount, item.verdict])).toEqual([
      ['account', 'alice@contoso.com', 3, 'malicious'],
      ['ip', '198.51.100.1', 1, 'malicious'],
      ['ip', '203.0.113.7', 1, 'unknown'],
    ]);
  });

  test('alerts are ordered by relevance: open before resolved, then severity, then the latest activity', () => {
    const details = alertDetailsFromGraph([
      alert('low-new', { severity: 'low' }),
      alert('high-resolved', { severity: 'high', status: 'resolved' }),
      alert('high-old', { severity: 'high', lastActivityDateTime: '2026-03-01T09:00:00Z' }),
      alert('high-recent', { severity: 'high', lastActivityDateTime: '2026-03-02T09:30:00Z' }),
      alert('medium', { severity: 'Medium', status: 'InProgress' }),
    ]);
    expect(details.alerts.map((item) => item.id)).toEqual(['high-recent', 'high-old', 'medium', 'low-new', 'high-resolved']);
    expect(details.alerts.find((item) => item.id === 'medium')).toMatchObject({ severity: 'medium', status: 'inProgress' });
  });

  test('200 alerts naming 1,000 evidence items keep the most relevant 50 and 100, and say how many there were', () => {
    const alerts = Array.from({ length: 200 }, (_, i) =>
      alert(`a${i}`, {
        severity: i === 150 ? 'high' : 'low',
        evidence: Array.from({ length: 5 }, (_, j) => ipEvidence(`10.0.${i}.${j}`, i === 199 && j === 0 ? 'malicious' : 'unknown')),
      }),
    );
    const details = alertDetailsFromGraph(alerts);
    expect(details.alerts).toHaveLength(MAX_ALERTS_KEPT);
    expect(details.alerts[0]?.id).toBe('a150');
    expect(details.evidence).toHaveLength(MAX_EVIDENCE_KEPT);
    expect(details.evidence[0]?.name).toBe('10.0.199.0');
    expect(details.evidenceTotal).toBe(1000);
  });

  test('attacker text is kept verbatim but bounded and storable', () => {
    for (const hostile of HOSTILE_TEXTS) {
      const [item] = alertDetailsFromGraph([alert('a1', { title: hostile, evidence: [{ '@odata.type': '#microsoft.graph.security.urlEvidence', url: hostile }] })]).alerts;
      expect(item?.title).toBe(hostile.length > MAX_ALERT_TEXT_CHARS ? `${hostile.trim().slice(0, MAX_ALERT_TEXT_CHARS - 1)}…` : hostile.trim());
    }
    for (const { raw, stored } of UNSTORABLE_TEXTS) {
      const details = alertDetailsFromGraph([alert('a1', { title: raw, evidence: [{ '@odata.type': '#microsoft.graph.security.fileEvidence', fileDetails: { fileName: raw } }] })]);
      expect(details.alerts[0]?.title).toBe(stored);
      expect(details.evidence[0]?.name).toBe(stored);
    }
  });

  test('malformed alerts and evidence are skipped, never thrown on', () => {
    const details = alertDetailsFromGraph([
      null,
      'alert',
      { title: 'no id' },
      alert('a1', { severity: 'catastrophic', status: 42, mitreTechniques: 'T1', evidence: [null, 7, { '@odata.type': '#microsoft.graph.security.ipEvidence' }, { '@odata.type': '#microsoft.graph.security.userEvidence', userAccount: 'x' }] }),
    ]);
    expect(details.alerts).toHaveLength(1);
    expect(details.alerts[0]).toMatchObject({ severity: 'unknown', status: 'unknown', techniques: [] });
    expect(details.evidence).toEqual([]);
  });

  test('an incident read with $expand=alerts carries its alert details; one read without has none (unknown, not empty)', () => {
    expect(graphIncidentToDomain(GRAPH_INCIDENT_WITH_ALERTS).alertDetails?.alerts.map((item) => item.id)).toEqual(['da1', 'da2', 'da3']);
    const { alerts: _alerts, ...withoutAlerts } = GRAPH_INCIDENT_WITH_ALERTS;
    expect(graphIncidentToDomain(withoutAlerts).alertDetails).toBeUndefined();
  });
});
