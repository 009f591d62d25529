// The incident card's collapsible Alerts and Evidence sections: a pure view model of the most
// relevant alerts and evidence (domain/alerts.ts orders them), plus "+N more" and the Defender link
// for the rest. The card shows `limits` of each; incident-card.ts shrinks them until the card fits
// Teams' message size (card-size.ts).
//
// Evidence is the attack's own text (file names, command lines, URLs, account names). It is shown
// as indicators are shared among analysts, defanged: "hxxps://evil[.]example/x", "invoice[.]pdf[.]exe",
// "10[.]0[.]0[.]5". A defanged value is never a link, a host or a mail address to Teams' Markdown,
// whatever the client autolinks; analysts paste it into tools that refang it. Then it is escaped
// like every other untrusted text (escape.ts). Alert titles are escaped like incident titles; an
// alert's link is its alertWebUrl, host-checked (safe-links.ts).
import { EVIDENCE_KINDS, type AlertDetails, type EvidenceItem, type IncidentAlert } from '../domain/alerts.ts';
import { ALERT_STATUS_WORDS, EVIDENCE_KIND_WORDS, EVIDENCE_VERDICT_WORDS, SEVERITY_WORDS, wordOf } from '../domain/display-words.ts';
import type { IncidentView } from '../domain/change-events.ts';
import { parseInstant, relativeTime, SEVERITY_MARKERS } from './card-text.ts';
import { escapeForTextBlock } from './escape.ts';
import { friendlyProductName } from './product-names.ts';
import { safeOpenUrl } from './safe-links.ts';

export interface SectionLimits {
  alerts: number;
  evidence: number;
}

/** What a card shows when it has room: a screenful of each. */
export const DEFAULT_SECTION_LIMITS: SectionLimits = { alerts: 8, evidence: 16 };

const TEXT_MAX = {
  alertTitle: 120,
  source: 40,
  techniquesShown: 5,
  technique: 16,
  evidenceName: 80,
  evidenceDetail: 80,
} as const;

export interface AlertRowViewModel {
  /** "🔴 Suspicious PowerShell command line", escaped. */
  title: string;
  /** "Defender for Endpoint · High · New · MITRE T1059.001, T1105" */
  facts: string;
  /** "First activity 3 h ago · last 5 min ago" */
  activity: string;
  /** The alert in Defender, host-checked; '' when it has no acceptable link. */
  url: string;
}

export interface EvidenceGroupViewModel {
  /** "Devices" */
  heading: string;
  /** "ws-042[.]contoso[.]com — Windows11 · 3 alerts · Malicious", defanged and escaped. */
  items: { text: string }[];
}

export interface AlertSectionsViewModel {
  /** False when the incident's alerts were not read (a Sentinel-only incident): no sections. */
  hasAlertDetails: boolean;
  /** "Alerts (200)" */
  alertsToggle: string;
  alerts: AlertRowViewModel[];
  /** "+192 more alerts in Defender", or ''. */
  moreAlerts: string;
  /** "Evidence (1,000)" */
  evidenceToggle: string;
  evidence: EvidenceGroupViewModel[];
  /** "+984 more in Defender", or ''. */
  moreEvidence: string;
  /** The incident in Defender, for the rest; '' when it has no acceptable link. */
  defenderUrl: string;
}

const EMPTY: AlertSectionsViewModel = {
  hasAlertDetails: false,
  alertsToggle: '',
  alerts: [],
  moreAlerts: '',
  evidenceToggle: '',
  evidence: [],
  moreEvidence: '',
  defenderUrl: '',
};

/**
 * Indicator text as analysts share it, so that nothing in it is a link: "http" schemes become
 * "hxxp" and every dot "[.]". Applied before escaping (the brackets are escaped with the rest).
 */
export function defang(value: string): string {
  return value.replace(/\bhttp(s?)(?=:)/gi, (_match, secure: string) => `hxxp${secure}`).replace(/\./g, '[.]');
}

function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

function alertRow(alert: IncidentAlert, nowMs: number, allowedLinkHosts: readonly string[]): AlertRowViewModel {
  const severity = wordOf(SEVERITY_WORDS, alert.severity) !== undefined ? alert.severity : 'unknown';
  const techniques = alert.techniques.slice(0, TEXT_MAX.techniquesShown).map((technique) => escapeForTextBlock(technique, TEXT_MAX.technique));
  const moreTechniques = alert.techniques.length - techniques.length;
  const facts = [
    alert.serviceSource ? escapeForTextBlock(friendlyProductName(alert.serviceSource), TEXT_MAX.source) : '',
    SEVERITY_WORDS[severity],
    wordOf(ALERT_STATUS_WORDS, alert.status) ?? ALERT_STATUS_WORDS.unknown,
    techniques.length > 0 ? `MITRE ${techniques.join(', ')}${moreTechniques > 0 ? ` +${moreTechniques}` : ''}` : '',
  ].filter(Boolean);
  const first = parseInstant(alert.firstActivityAt);
  const last = parseInstant(alert.lastActivityAt);
  const activity = [first !== null ? `First activity ${relativeTime(first, nowMs)}` : '', last !== null ? `last ${relativeTime(last, nowMs)}` : ''].filter(Boolean).join(' · ');
  return {
    title: `${SEVERITY_MARKERS[severity]} ${escapeForTextBlock(alert.title, TEXT_MAX.alertTitle) || '(untitled alert)'}`,
    facts: facts.join(' · '),
    activity: activity ? activity.charAt(0).toUpperCase() + activity.slice(1) : 'No activity time given',
    url: safeOpenUrl(alert.webUrl, allowedLinkHosts) ?? '',
  };
}

function evidenceText(item: EvidenceItem): string {
  const name = escapeForTextBlock(defang(item.name), TEXT_MAX.evidenceName);
  const detail = item.detail ? escapeForTextBlock(defang(item.detail), TEXT_MAX.evidenceDetail) : '';
  const verdict = wordOf(EVIDENCE_VERDICT_WORDS, item.verdict) ?? '';
  return [detail ? `${name} — ${detail}` : name, count(item.alertCount, 'alert'), verdict].filter(Boolean).join(' · ');
}

/** The sections for `view` showing at most `limits` alerts and evidence items. */
export function buildAlertSections(view: IncidentView, limits: SectionLimits, nowMs: number, allowedLinkHosts: readonly string[]): AlertSectionsViewModel {
  const details: AlertDetails | undefined = view.defender?.alertDetails;
  if (!details) return EMPTY;
  const alertsTotal = Math.max(view.defender?.additionalData.alertsCount ?? 0, details.alerts.length);
  const alerts = details.alerts.slice(0, Math.max(0, limits.alerts)).map((alert) => alertRow(alert, nowMs, allowedLinkHosts));
  const shownEvidence = details.evidence.slice(0, Math.max(0, limits.evidence));
  const evidence = EVIDENCE_KINDS.map((kind) => ({
    heading: EVIDENCE_KIND_WORDS[kind],
    items: shownEvidence.filter((item) => item.kind === kind).map((item) => ({ text: evidenceText(item) })),
  })).filter((group) => group.items.length > 0);
  const evidenceTotal = Math.max(details.evidenceTotal, details.evidence.length);
  const hiddenAlerts = alertsTotal - alerts.length;
  const hiddenEvidence = evidenceTotal - shownEvidence.length;
  return {
    hasAlertDetails: true,
    alertsToggle: `Alerts (${alertsTotal.toLocaleString('en-US')})`,
    alerts,
    moreAlerts: hiddenAlerts > 0 ? `+${count(hiddenAlerts, 'more alert')} in Defender` : '',
    evidenceToggle: `Evidence (${evidenceTotal.toLocaleString('en-US')})`,
    evidence,
    moreEvidence: hiddenEvidence > 0 ? `+${hiddenEvidence.toLocaleString('en-US')} more in Defender` : '',
    defenderUrl: safeOpenUrl(view.defender?.webUrl, allowedLinkHosts) ?? '',
  };
}
