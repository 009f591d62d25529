// The words an analyst reads for the domain's values: one mapping for the incident card, the change
// notices, /list and the bot's replies, so that the same incident never reads "Active" in one
// place and "new" in another, and no raw enum value ("truePositive", "inProgress") reaches a person.
// Pure; imports only the domain.
import type { AlertStatus, EvidenceKind, EvidenceVerdict } from './alerts.ts';
import type { FieldName } from './edits.ts';
import type { Classification, Owner, Portal, Severity, Status } from './incident.ts';

export const PORTAL_NAMES: Record<Portal, string> = { defender: 'Defender', sentinel: 'Sentinel' };

export const SEVERITY_WORDS: Record<Severity, string> = {
  informational: 'Informational',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  unknown: 'Unknown',
};

export const CLASSIFICATION_WORDS: Record<Classification, string> = {
  undetermined: 'Not classified',
  truePositive: 'True positive',
  falsePositive: 'False positive',
  benignPositive: 'Benign positive',
};

/** Defender's words, which the card uses for both portals. */
const STATUS_WORDS: Record<Status, string> = {
  // 'new' is Sentinel's only: see statusWord.
  new: 'Active',
  active: 'Active',
  inProgress: 'In progress',
  awaitingAction: 'Awaiting action',
  resolved: 'Resolved',
  redirected: 'Merged',
};

/**
 * A status as the card words it, whichever portal shows it. Sentinel has its own three: New, "an
 * active incident which isn't being handled currently", is what Defender calls Active; Active, "an
 * active incident which is being handled", is Defender's In progress; Closed is Resolved (ARM
 * KnownIncidentStatus descriptions). Undefined for a value that is no status.
 */
export function statusWord(portal: Portal, status: unknown): string | undefined {
  if (portal === 'sentinel' && status === 'active') return STATUS_WORDS.inProgress;
  return wordOf(STATUS_WORDS, status);
}

/** Defender's words for an alert's status. */
export const ALERT_STATUS_WORDS: Record<AlertStatus, string> = {
  new: 'New',
  inProgress: 'In progress',
  resolved: 'Resolved',
  unknown: 'Unknown status',
};

/** Headings of the card's evidence groups, in the portal's words. */
export const EVIDENCE_KIND_WORDS: Record<EvidenceKind, string> = {
  account: 'Accounts',
  device: 'Devices',
  ip: 'IP addresses',
  mailbox: 'Mailboxes',
  file: 'Files',
  process: 'Processes',
  url: 'URLs',
};

/** An automated investigation's verdict on evidence; nothing is said of 'unknown'. */
export const EVIDENCE_VERDICT_WORDS: Record<EvidenceVerdict, string> = {
  malicious: 'Malicious',
  suspicious: 'Suspicious',
  unknown: '',
  noThreatsFound: 'No threats found',
};

/** How an edit's fields are named in its outcome, on the card and in notices. */
export const FIELD_WORDS: Record<FieldName, string> = {
  severity: 'severity',
  tagsAdd: 'tags added',
  tagsRemove: 'tags removed',
  tags: 'tags',
  comment: 'comment',
  status: 'status',
  classification: 'classification',
  owner: 'owner',
};

/** The word for an owner that is nobody. */
export const UNASSIGNED = 'Unassigned';

/**
 * How an owner is named everywhere: the display name when known, else the UPN (else, for an owner
 * known only by Entra object id, that id). The same person may be better known elsewhere, e.g.
 * Graph's assignedTo is a bare UPN where Sentinel's owner has a name: `sameElsewhere` lists other
 * descriptions (the other portal's owner) to take the name from when they match by UPN or object id.
 */
export function ownerWord(owner: Owner | null | undefined, sameElsewhere: readonly (Owner | null | undefined)[] = []): string {
  if (!owner) return UNASSIGNED;
  const same = [owner, ...sameElsewhere.filter((other): other is Owner => !!other && isSamePerson(owner, other))];
  const name = same.map((o) => o.displayName?.trim()).find((value) => !!value);
  return name || owner.upn?.trim() || owner.objectId?.trim() || UNASSIGNED;
}

function isSamePerson(a: Owner, b: Owner): boolean {
  const equal = (x: string | undefined, y: string | undefined): boolean => !!x && !!y && x.trim().toLowerCase() === y.trim().toLowerCase();
  return equal(a.upn, b.upn) || equal(a.objectId, b.objectId);
}

/**
 * The entry for a known value; undefined for anything else (callers escape and show it raw).
 * Own entries only: a value such as "constructor" must not find Object.prototype's.
 */
export function wordOf<K extends string, V = string>(words: Record<K, V>, value: unknown): V | undefined {
  return typeof value === 'string' && Object.hasOwn(words, value) ? words[value as K] : undefined;
}
