// A large incident as Graph serves it with `$expand=alerts`: `count` alerts, each naming
// `evidencePerAlert` distinct processes, with text made by `text(alert, evidence)` (evidence -1 is
// the alert's title). Shared by bench/bot.ts (card size and rendering time) and the card tests.
export type AlertText = (alert: number, evidence: number) => string;

export const ORDINARY_TEXT: AlertText = (alert, evidence) => (evidence < 0 ? `Suspicious process spawned by winword.exe on host ${alert}` : `powershell.exe -enc payload-${alert}-${evidence}`);

export function graphAlertsOf(count: number, evidencePerAlert: number, text: AlertText = ORDINARY_TEXT): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    '@odata.type': '#microsoft.graph.security.alert',
    id: `da${i}`,
    title: text(i, -1),
    serviceSource: 'microsoftDefenderForEndpoint',
    severity: ['low', 'medium', 'high'][i % 3],
    status: i % 4 === 0 ? 'resolved' : 'new',
    firstActivityDateTime: '2026-03-02T08:00:00Z',
    lastActivityDateTime: '2026-03-02T09:00:00Z',
    mitreTechniques: ['T1059.001', 'T1105', 'T1027', 'T1204.002', 'T1566.001', 'T1071.001', 'T1547.001'],
    alertWebUrl: `https://security.microsoft.com/alerts/da${i}?tid=b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c`,
    evidence: Array.from({ length: evidencePerAlert }, (_, j) => ({
      '@odata.type': '#microsoft.graph.security.processEvidence',
      processId: i * 100 + j,
      mdeDeviceId: `device-${i}`,
      processCommandLine: text(i, j),
      imageFile: { fileName: `${text(i, j).split(' ')[0]}` },
    })),
  }));
}
