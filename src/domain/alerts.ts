// An incident's alerts and the evidence they name, as Defender XDR lists them (Graph
// `$expand=alerts`, microsoft.graph.security.alert and its alertEvidence). The portal mapping
// builds it (src/portals/defender/alert-mapping.ts); cards, notices and the sync engine read it.
// Pure: imports nothing of ours but the incident model's severity.
//
// Bounds. An incident can hold hundreds of alerts and thousands of evidence entries, and every
// stored view is copied into each change event, so what is kept is bounded: the most relevant
// MAX_ALERTS_KEPT alerts and MAX_EVIDENCE_KEPT evidence items, each string cut at the lengths
// below. Cards show fewer still. The incident's own alert count (additionalData.alertsCount) and
// `evidenceTotal` say how many there were in all.
import { SEVERITIES, type Severity } from './incident.ts';

/** Graph alertStatus members; anything else reads 'unknown'. */
export const ALERT_STATUSES = ['new', 'inProgress', 'resolved', 'unknown'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export interface IncidentAlert {
  id: string;
  title: string;
  /** Graph serviceSource as served (microsoftDefenderForEndpoint, dataLossPrevention, ...). */
  serviceSource: string;
  severity: Severity;
  status: AlertStatus;
  /** ISO-8601; '' when Defender gave no usable instant. */
  firstActivityAt: string;
  lastActivityAt: string;
  /** MITRE ATT&CK technique ids (T1059.001). */
  techniques: string[];
  /** alertWebUrl as served; host-checked wherever it becomes a link. */
  webUrl: string;
}

/** The evidence an analyst triages by; other alertEvidence types (registry keys, cloud apps, ...) are not kept. */
export const EVIDENCE_KINDS = ['account', 'device', 'ip', 'mailbox', 'file', 'process', 'url'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

/** Graph evidenceVerdict members, worst first; anything else reads 'unknown'. */
export const EVIDENCE_VERDICTS = ['malicious', 'suspicious', 'unknown', 'noThreatsFound'] as const;
export type EvidenceVerdict = (typeof EVIDENCE_VERDICTS)[number];

export interface EvidenceItem {
  kind: EvidenceKind;
  /** What names it: an account's UPN or DOMAIN\name, a device's DNS name, an address, a file or process image name, a URL. */
  name: string;
  /** A second fact, or '': a file's folder, a process's command line, a device's OS, an IP's country. */
  detail: string;
  /** The worst verdict any alert gave it. */
  verdict: EvidenceVerdict;
  /** How many of the incident's alerts name it. */
  alertCount: number;
}

export interface AlertDetails {
  /** The most relevant alerts first (compareAlerts), at most MAX_ALERTS_KEPT. */
  alerts: IncidentAlert[];
  /** Distinct evidence, most relevant first (compareEvidence), at most MAX_EVIDENCE_KEPT. */
  evidence: EvidenceItem[];
  /** How many distinct evidence items the alerts named, kept or not. */
  evidenceTotal: number;
}

export const MAX_ALERTS_KEPT = 50;
export const MAX_EVIDENCE_KEPT = 100;
/** Longest alert title, evidence name or detail kept (UTF-16 code units); cards show far less. */
export const MAX_ALERT_TEXT_CHARS = 512;
export const MAX_TECHNIQUES_KEPT = 20;

const SEVERITY_ORDER: readonly Severity[] = ['unknown', ...SEVERITIES];

function severityRank(severity: Severity): number {
  return SEVERITY_ORDER.indexOf(severity);
}

/** An alert still being worked on outranks a resolved one. */
export function isOpenAlert(alert: IncidentAlert): boolean {
  return alert.status !== 'resolved';
}

/** Open before resolved, then higher severity, then the most recent activity, then id (a stable order). */
export function compareAlerts(a: IncidentAlert, b: IncidentAlert): number {
  return (
    Number(isOpenAlert(b)) - Number(isOpenAlert(a)) ||
    severityRank(b.severity) - severityRank(a.severity) ||
    compareText(b.lastActivityAt, a.lastActivityAt) ||
    compareText(a.id, b.id)
  );
}

/** Worse verdict first, then named by more alerts, then by kind (accounts first), then by name. */
export function compareEvidence(a: EvidenceItem, b: EvidenceItem): number {
  return (
    EVIDENCE_VERDICTS.indexOf(a.verdict) - EVIDENCE_VERDICTS.indexOf(b.verdict) ||
    b.alertCount - a.alertCount ||
    EVIDENCE_KINDS.indexOf(a.kind) - EVIDENCE_KINDS.indexOf(b.kind) ||
    compareText(a.name, b.name)
  );
}

/** The worse of two verdicts. */
export function worseVerdict(a: EvidenceVerdict, b: EvidenceVerdict): EvidenceVerdict {
  return EVIDENCE_VERDICTS.indexOf(a) <= EVIDENCE_VERDICTS.indexOf(b) ? a : b;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
