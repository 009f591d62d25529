// Graph alerts (microsoft.graph.security.alert, as `$expand=alerts` serves them on an incident) and
// their evidence (alertEvidence and its derived types) -> the domain's AlertDetails. Pure.
// Sources: microsoft-graph-docs-contrib resources/security-alert.md, security-alertevidence.md,
// security-userevidence.md, -deviceevidence.md, -ipevidence.md, -mailboxevidence.md,
// -fileevidence.md, -processevidence.md, -urlevidence.md, security-useraccount.md,
// security-filedetails.md, and the response example of api/security-alert-get.md (see
// src/simulators/CONTRACT.md, "Alerts and evidence").
//
// Everything here is attacker-influenced (file names, command lines, URLs, account names come
// from the attack itself): text is carried verbatim, cut to MAX_ALERT_TEXT_CHARS and made storable,
// never interpreted. Evidence the bridge does not show (registry keys, cloud applications, ...)
// and entries that name nothing are left out.
import {
  ALERT_STATUSES,
  compareAlerts,
  compareEvidence,
  EVIDENCE_VERDICTS,
  MAX_ALERT_TEXT_CHARS,
  MAX_ALERTS_KEPT,
  MAX_EVIDENCE_KEPT,
  MAX_TECHNIQUES_KEPT,
  worseVerdict,
  type AlertDetails,
  type AlertStatus,
  type EvidenceItem,
  type EvidenceKind,
  type EvidenceVerdict,
  type IncidentAlert,
} from '../../domain/alerts.ts';
import { SEVERITIES, type Severity } from '../../domain/incident.ts';
import { storableText } from '../../domain/untrusted-text.ts';
import { camelEnum, int, isObject, portalInstant, str, strArray, type JsonObject } from '../wire.ts';

/** alertWebUrl may be long, but a link longer than this is never put on a card (cards/safe-links.ts). */
const MAX_URL_CHARS = 2048;
const MAX_TECHNIQUE_CHARS = 32;

function text(value: unknown, max = MAX_ALERT_TEXT_CHARS): string {
  const raw = str(value)?.trim();
  return raw ? storableText(raw, max) : '';
}

function member<T extends string>(members: readonly T[], value: unknown, fallback: T): T {
  const raw = str(value);
  if (raw === undefined) return fallback;
  const wanted = camelEnum(raw);
  return members.find((candidate) => candidate === wanted) ?? fallback;
}

function alertFromGraph(raw: JsonObject): IncidentAlert | null {
  const id = text(raw.id, 256);
  if (!id) return null;
  return {
    id,
    title: text(raw.title) || '(untitled alert)',
    serviceSource: text(raw.serviceSource, 128),
    severity: member<Severity>([...SEVERITIES, 'unknown'], raw.severity, 'unknown'),
    status: member<AlertStatus>(ALERT_STATUSES, raw.status, 'unknown'),
    firstActivityAt: portalInstant(raw.firstActivityDateTime),
    lastActivityAt: portalInstant(raw.lastActivityDateTime),
    techniques: [...new Set(strArray(raw.mitreTechniques).map((technique) => text(technique, MAX_TECHNIQUE_CHARS)).filter(Boolean))].slice(0, MAX_TECHNIQUES_KEPT),
    webUrl: text(raw.alertWebUrl, MAX_URL_CHARS),
  };
}

/** One evidence entry as the bridge shows it, with the key that finds the same thing in other alerts. */
interface ReadEvidence {
  key: string;
  item: Omit<EvidenceItem, 'alertCount'>;
}

/** `DOMAIN\account`, the way Windows and Defender write an on-premises account. */
function domainAccount(account: JsonObject): string {
  const name = text(account.accountName);
  const domain = text(account.domainName);
  return name && domain ? `${domain}\\${name}` : name;
}

function readAccount(account: JsonObject): { name: string; detail: string; key: string } | null {
  const upn = text(account.userPrincipalName);
  const onPremises = domainAccount(account);
  const displayName = text(account.displayName);
  const name = upn || onPremises || displayName || text(account.azureAdUserId) || text(account.userSid);
  if (!name) return null;
  // The UPN first: alerts name the same person with or without the other ids, rarely without it.
  const key = (upn || text(account.azureAdUserId) || onPremises || text(account.userSid) || displayName).toLowerCase();
  return { name, detail: displayName && displayName !== name ? displayName : '', key };
}

/** Type-specific reading of one alertEvidence entry; null for types not shown and entries naming nothing. */
function readEvidence(raw: JsonObject): ReadEvidence | null {
  const type = (str(raw['@odata.type']) ?? '').replace(/^#/, '');
  const verdict = member<EvidenceVerdict>(EVIDENCE_VERDICTS, raw.verdict, 'unknown');
  const make = (kind: EvidenceKind, name: string, detail: string, key: string): ReadEvidence | null =>
    name ? { key: `${kind}:${key || name.toLowerCase()}`, item: { kind, name, detail, verdict } } : null;
  switch (type) {
    case 'microsoft.graph.security.userEvidence': {
      const account = isObject(raw.userAccount) ? readAccount(raw.userAccount) : null;
      return account ? make('account', account.name, account.detail, account.key) : null;
    }
    case 'microsoft.graph.security.deviceEvidence': {
      const name = text(raw.deviceDnsName) || text(raw.mdeDeviceId) || text(raw.azureAdDeviceId);
      const os = [text(raw.osPlatform, 64), text(raw.version, 64)].filter((part) => part && part !== 'Other').join(' ');
      return make('device', name, os, (text(raw.mdeDeviceId) || text(raw.azureAdDeviceId) || name).toLowerCase());
    }
    case 'microsoft.graph.security.ipEvidence': {
      const address = text(raw.ipAddress, 64);
      return make('ip', address, text(raw.countryLetterCode, 8), address.toLowerCase());
    }
    case 'microsoft.graph.security.mailboxEvidence': {
      const address = text(raw.primaryAddress) || text(raw.upn);
      const displayName = text(raw.displayName);
      return make('mailbox', address || displayName, address && displayName !== address ? displayName : '', (address || displayName).toLowerCase());
    }
    case 'microsoft.graph.security.fileEvidence': {
      const details = isObject(raw.fileDetails) ? raw.fileDetails : {};
      const name = text(details.fileName);
      const folder = text(details.filePath);
      const hash = text(details.sha256, 64) || text(details.sha1, 40);
      return make('file', name, folder, hash.toLowerCase() || `${folder}\\${name}`.toLowerCase());
    }
    case 'microsoft.graph.security.processEvidence': {
      const image = isObject(raw.imageFile) ? raw.imageFile : {};
      const commandLine = text(raw.processCommandLine);
      const name = text(image.fileName) || commandLine;
      const id = [text(raw.mdeDeviceId, 128), String(int(raw.processId) ?? ''), text(raw.processCreationDateTime, 64)].join('|');
      return make('process', name, commandLine !== name ? commandLine : '', id === '||' ? `${name}|${commandLine}`.toLowerCase() : id.toLowerCase());
    }
    case 'microsoft.graph.security.urlEvidence': {
      const url = text(raw.url, MAX_URL_CHARS);
      return make('url', url, '', url);
    }
    default:
      return null;
  }
}

/**
 * The alerts (most relevant first) and the distinct evidence they name, each with how many alerts
 * name it; both bounded (domain/alerts.ts). Malformed alerts and evidence entries are skipped.
 */
export function alertDetailsFromGraph(rawAlerts: readonly unknown[]): AlertDetails {
  const alerts: IncidentAlert[] = [];
  const evidence = new Map<string, EvidenceItem>();
  for (const raw of rawAlerts) {
    if (!isObject(raw)) continue;
    const alert = alertFromGraph(raw);
    if (alert) alerts.push(alert);
    const namedHere = new Set<string>();
    for (const entry of Array.isArray(raw.evidence) ? raw.evidence : []) {
      const read = isObject(entry) ? readEvidence(entry) : null;
      if (!read) continue;
      const known = evidence.get(read.key);
      const counted = namedHere.has(read.key);
      namedHere.add(read.key);
      if (!known) evidence.set(read.key, { ...read.item, alertCount: 1 });
      else evidence.set(read.key, { ...known, verdict: worseVerdict(known.verdict, read.item.verdict), alertCount: known.alertCount + (counted ? 0 : 1) });
    }
  }
  const items = [...evidence.values()];
  return {
    alerts: alerts.sort(compareAlerts).slice(0, MAX_ALERTS_KEPT),
    evidence: items.sort(compareEvidence).slice(0, MAX_EVIDENCE_KEPT),
    evidenceTotal: items.length,
  };
}
