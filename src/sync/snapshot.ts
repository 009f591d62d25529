// The synced snapshot: what both portals last agreed on for one linked incident, stored (as JSON)
// with the link and handed back to reconcile on the next poll. Pure.
import { CodedError } from '../domain/errors.ts';
import {
  CLASSIFICATIONS,
  EDITABLE_FIELDS,
  SEVERITIES,
  STATUSES,
  type Classification,
  type EditableField,
  type Owner,
  type Portal,
  type Severity,
  type Status,
} from '../domain/incident.ts';

export const SNAPSHOT_SCHEMA_VERSION = 1;

/** The analyst-editable fields, as canonical values (see projection.ts for how each portal shows them). */
export interface SyncedFieldValues {
  title: string;
  description: string;
  severity: Severity;
  status: Status;
  classification: Classification;
  owner: Owner | null;
  tags: string[];
}

/** Alert-derived facts the portals maintain themselves (never written by the bridge). */
export interface AlertFacts {
  alertsCount: number;
  tactics: string[];
  techniques: string[];
}

/**
 * What an incident's alerts show on a card, as a fact to announce changes of: the ids of the alerts
 * the bridge keeps, and a digest of everything a card shows of them and their evidence (so a new
 * alert, an alert resolved, or evidence added to one is a change). Defender's only.
 */
export interface AlertsFact {
  ids: string[];
  digest: string;
}

/**
 * A portal-maintained fact: what was last announced, and what each portal last showed. The two
 * portals may legitimately disagree (each counts alerts its own way), so a change is announced
 * when a portal's value moves AND differs from what was already announced; a portal catching up
 * (native sync) is silent.
 */
export interface ObservedFact<V> {
  announced: V;
  defender?: V;
  sentinel?: V;
}

export interface CommentTally {
  /** Comments with this fingerprint NOT written by the bridge, as last seen on each portal. */
  defender: number;
  sentinel: number;
  /**
   * Native mirrors still expected: after the bridge copied an original to a portal, the portals'
   * own sync may deliver the same original there too. Each entry is the latest creation instant
   * (ISO-8601) such a mirror can carry; one arriving in time is absorbed instead of copied back.
   */
  echoes?: Partial<Record<Portal, string[]>>;
}

export type AwaitingValues = { [F in EditableField]?: Partial<Record<Portal, SyncedFieldValues[F]>> };

export interface SyncedSnapshot extends SyncedFieldValues {
  schemaVersion: typeof SNAPSHOT_SCHEMA_VERSION;
  /** false until the Sentinel counterpart has been seen once (the connector creates it minutes later). */
  sentinelSeen: boolean;
  /** Ride along with classification, as the portal that set the classification wrote them. */
  determination?: string;
  classificationComment?: string;
  /**
   * A portal still showing an older value of a field its API cannot write: the portals' own sync
   * is expected to carry the agreed value. Until then that old value is not a change.
   */
  awaiting: AwaitingValues;
  maintained: {
    productNames: ObservedFact<string[]>;
    additionalData: ObservedFact<AlertFacts>;
    lastModifiedBy: ObservedFact<string>;
    /** Absent in snapshots stored before alerts were read, and until Defender's alerts are first read. */
    alerts?: ObservedFact<AlertsFact>;
  };
  /** Keyed by fingerprintKey(commentFingerprint(text)). */
  comments: Record<string, CommentTally>;
  /** Each portal's lastUpdatedAt when this snapshot was taken. */
  seenAt: { defender: string; sentinel?: string };
  /**
   * Portals the bridge writes (fields or comment copies) on the strength of this snapshot. Their
   * next last-modified-by change is the bridge's own write showing through, not news.
   */
  bridgeWrote?: Portal[];
}

export type SnapshotErrorCode = 'invalid-snapshot';

/**
 * Reads a stored snapshot. An empty object or null means "never synced" (first sight) and yields
 * null. Anything else that is not a snapshot of this schema throws, naming the broken part: a
 * corrupt snapshot must not be silently treated as first sight, which would re-announce the
 * incident and forget which comments were already copied.
 */
export function parseSyncedSnapshot(value: unknown): SyncedSnapshot | null {
  if (value === null || value === undefined) return null;
  if (!isRecord(value)) throw invalid('it is not a JSON object');
  if (Object.keys(value).length === 0) return null;
  if (value.schemaVersion !== SNAPSHOT_SCHEMA_VERSION) {
    throw invalid(`schemaVersion is ${JSON.stringify(value.schemaVersion)}, expected ${SNAPSHOT_SCHEMA_VERSION}`);
  }
  const checks: Array<[boolean, string]> = [
    [typeof value.sentinelSeen === 'boolean', 'sentinelSeen'],
    [typeof value.title === 'string', 'title'],
    [typeof value.description === 'string', 'description'],
    [value.severity === 'unknown' || (SEVERITIES as readonly unknown[]).includes(value.severity), 'severity'],
    [(STATUSES as readonly unknown[]).includes(value.status), 'status'],
    [(CLASSIFICATIONS as readonly unknown[]).includes(value.classification), 'classification'],
    [value.determination === undefined || typeof value.determination === 'string', 'determination'],
    [value.classificationComment === undefined || typeof value.classificationComment === 'string', 'classificationComment'],
    [value.owner === null || isOwner(value.owner), 'owner'],
    [isStringArray(value.tags), 'tags'],
    [isRecord(value.awaiting) && Object.keys(value.awaiting).every((key) => (EDITABLE_FIELDS as readonly string[]).includes(key)), 'awaiting'],
    [isMaintained(value.maintained), 'maintained'],
    [isRecord(value.comments) && Object.values(value.comments).every(isTally), 'comments'],
    [isRecord(value.seenAt) && typeof value.seenAt.defender === 'string', 'seenAt'],
    [value.bridgeWrote === undefined || (Array.isArray(value.bridgeWrote) && value.bridgeWrote.every((portal) => portal === 'defender' || portal === 'sentinel')), 'bridgeWrote'],
  ];
  const broken = checks.filter(([ok]) => !ok).map(([, name]) => name);
  if (broken.length > 0) throw invalid(`these parts are missing or malformed: ${broken.join(', ')}`);
  return value as unknown as SyncedSnapshot;
}

function invalid(detail: string): CodedError<SnapshotErrorCode> {
  return new CodedError(
    'invalid-snapshot',
    `The stored sync snapshot cannot be read (${detail}). Check the link's snapshot column; clearing it to {} makes the next poll treat the incident as first seen.`,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isOwner(value: unknown): value is Owner {
  if (!isRecord(value)) return false;
  return ['objectId', 'upn', 'displayName'].every((key) => value[key] === undefined || typeof value[key] === 'string');
}

function isFact(value: unknown, check: (item: unknown) => boolean): boolean {
  if (!isRecord(value) || !check(value.announced)) return false;
  return (value.defender === undefined || check(value.defender)) && (value.sentinel === undefined || check(value.sentinel));
}

function isAlertFacts(value: unknown): boolean {
  return isRecord(value) && typeof value.alertsCount === 'number' && isStringArray(value.tactics) && isStringArray(value.techniques);
}

function isAlertsFact(value: unknown): boolean {
  return isRecord(value) && isStringArray(value.ids) && typeof value.digest === 'string';
}

function isMaintained(value: unknown): boolean {
  return (
    isRecord(value) &&
    isFact(value.productNames, isStringArray) &&
    isFact(value.additionalData, isAlertFacts) &&
    isFact(value.lastModifiedBy, (item) => typeof item === 'string') &&
    (value.alerts === undefined || isFact(value.alerts, isAlertsFact))
  );
}

function isTally(value: unknown): boolean {
  if (!isRecord(value)) return false;
  if (!Number.isInteger(value.defender) || !Number.isInteger(value.sentinel)) return false;
  if (value.echoes === undefined) return true;
  return isRecord(value.echoes) && Object.values(value.echoes).every(isStringArray);
}
