// ARM Microsoft.SecurityInsights incident (stable 2025-09-01) <-> domain Incident. Pure.
// Source: azure-rest-api-specs .../stable/2025-09-01/Incidents.json (IncidentProperties,
// IncidentAdditionalData, IncidentComment) and common IncidentTypes (owner, labels, severity).
// Enums are PascalCase; lower-case variants are accepted. Text is carried verbatim, except that what
// the store cannot hold is made storable (domain/untrusted-text.ts).
//
// lastModifiedBy: the incident's properties have no such field in 2025-09-01; ARM's common resource
// envelope does (`systemData.lastModifiedBy`, documented for every tracked resource). We read that,
// then a `properties.lastModifiedBy` a portal may report, and otherwise leave it '' (unknown) rather
// than guess from the owner or the newest comment, both of which would credit the wrong person.
import { PortalError } from '../../domain/errors.ts';
import type { Classification, Incident, IncidentComment, IncidentPatch, Owner, Severity, Status } from '../../domain/incident.ts';
import { storableComment, storableIncident } from '../../domain/untrusted-text.ts';
import type { PortalLogger } from '../capability.ts';
import { invalidResponse } from '../http/errors.ts';
import { int, isObject, portalInstant, str, strArray, unique, type JsonObject } from '../wire.ts';

export const SENTINEL_CLASSIFICATION_REASONS = ['SuspiciousActivity', 'SuspiciousButExpected', 'IncorrectAlertLogic', 'InaccurateData'] as const;
export type SentinelClassificationReason = (typeof SENTINEL_CLASSIFICATION_REASONS)[number];

/** Which reasons fit which classification (the portal's Close dialog offers exactly these). */
const REASONS_FOR: Record<string, readonly SentinelClassificationReason[]> = {
  TruePositive: ['SuspiciousActivity'],
  BenignPositive: ['SuspiciousButExpected'],
  FalsePositive: ['IncorrectAlertLogic', 'InaccurateData'],
  Undetermined: [],
};

/** BenignPositive requires a reason (400 otherwise); this is the only one that fits it. */
export const DEFAULT_BENIGN_POSITIVE_REASON: SentinelClassificationReason = 'SuspiciousButExpected';

/** The writable part of the incident: what PUT sends (read-only properties are left out). */
export const WRITABLE_ARM_PROPERTIES = [
  'title', 'description', 'severity', 'status', 'classification', 'classificationReason', 'classificationComment',
  'owner', 'labels', 'firstActivityTimeUtc', 'lastActivityTimeUtc',
] as const;

export interface ArmIncidentWrite {
  etag?: string;
  properties: JsonObject;
}

export interface SentinelMappingContext {
  log?: PortalLogger;
  tenantId?: string;
}

const SEVERITY_FROM_ARM: Record<string, Severity> = { high: 'high', medium: 'medium', low: 'low', informational: 'informational' };
const SEVERITY_TO_ARM: Record<Exclude<Severity, 'unknown'>, string> = { high: 'High', medium: 'Medium', low: 'Low', informational: 'Informational' };
const STATUS_FROM_ARM: Record<string, Status> = { new: 'new', active: 'active', closed: 'resolved' };
/** Sentinel has three states: everything open but untouched is New, every worked-on state is Active. */
const STATUS_TO_ARM: Record<Exclude<Status, 'redirected'>, string> = {
  new: 'New',
  active: 'Active',
  inProgress: 'Active',
  awaitingAction: 'Active',
  resolved: 'Closed',
};
const CLASSIFICATION_FROM_ARM: Record<string, Classification> = {
  undetermined: 'undetermined',
  truepositive: 'truePositive',
  falsepositive: 'falsePositive',
  benignpositive: 'benignPositive',
};
const CLASSIFICATION_TO_ARM: Record<Classification, string> = {
  undetermined: 'Undetermined',
  truePositive: 'TruePositive',
  falsePositive: 'FalsePositive',
  benignPositive: 'BenignPositive',
};

function mapEnum<T>(table: Record<string, T>, raw: unknown, field: string, fallback: T, id: string, log: PortalLogger | undefined): T {
  if (raw === undefined || raw === null) return fallback;
  const value = typeof raw === 'string' ? table[raw.toLowerCase()] : undefined;
  if (value !== undefined) return value;
  log?.warn({ portal: 'sentinel', incidentId: id, field, value: String(raw).slice(0, 64) }, `unknown ARM ${field} value; using '${String(fallback)}'`);
  return fallback;
}

function canonicalClassification(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const mapped = CLASSIFICATION_FROM_ARM[raw.toLowerCase()];
  return mapped ? CLASSIFICATION_TO_ARM[mapped] : undefined;
}

export function ownerFromArm(raw: unknown): Owner | null {
  if (!isObject(raw)) return null;
  const owner: Owner = {};
  const objectId = str(raw.objectId);
  const upn = str(raw.userPrincipalName) || str(raw.email);
  const displayName = str(raw.assignedTo);
  if (objectId) owner.objectId = objectId;
  if (upn) owner.upn = upn;
  if (displayName) owner.displayName = displayName;
  return Object.keys(owner).length > 0 ? owner : null;
}

/** null unassigns: an owner with no identifying fields. */
export function ownerToArm(owner: Owner | null): JsonObject {
  if (owner === null) return {};
  const result: JsonObject = {};
  if (owner.objectId) result.objectId = owner.objectId;
  if (owner.upn) {
    result.userPrincipalName = owner.upn;
    if (owner.upn.includes('@')) result.email = owner.upn;
  }
  const assignedTo = owner.displayName ?? owner.upn;
  if (assignedTo) result.assignedTo = assignedTo;
  return result;
}

function lastModifiedByFromArm(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (isObject(raw)) return str(raw.userPrincipalName) || str(raw.email) || str(raw.name) || str(raw.objectId) || '';
  return '';
}

export function armCommentToDomain(raw: unknown): IncidentComment | null {
  if (!isObject(raw)) return null;
  const properties = isObject(raw.properties) ? raw.properties : {};
  const text = str(properties.message);
  if (text === undefined) return null;
  const author = isObject(properties.author) ? properties.author : {};
  const comment: IncidentComment = {
    text,
    author: str(author.name) || str(author.userPrincipalName) || str(author.email) || str(author.objectId) || '',
    createdAt: portalInstant(properties.createdTimeUtc),
  };
  const id = str(raw.name);
  if (id) comment.id = id;
  return storableComment(comment);
}

/**
 * Comments are a separate ARM resource: list pages and single reads return `comments: []`; use
 * the client's listComments for them.
 */
export function armIncidentToDomain(raw: unknown, context: SentinelMappingContext = {}): Incident {
  if (!isObject(raw)) throw invalidResponse('sentinel', 'incident', 'the incident is not a JSON object');
  const id = str(raw.name);
  if (!id) throw invalidResponse('sentinel', 'incident', 'the incident has no name (its id)');
  const properties = isObject(raw.properties) ? raw.properties : {};
  const log = context.log;
  const additional = isObject(properties.additionalData) ? properties.additionalData : {};
  const labels = Array.isArray(properties.labels) ? properties.labels.filter(isObject) : [];
  const labelNames = (type: 'User' | 'AutoAssigned') =>
    unique(
      labels
        .filter((label) => (str(label.labelType) ?? 'User').toLowerCase() === type.toLowerCase())
        .map((label) => str(label.labelName))
        .filter((name): name is string => name !== undefined),
    );

  const incident: Incident = {
    portal: 'sentinel',
    id,
    title: str(properties.title) ?? '',
    description: str(properties.description) ?? '',
    severity: mapEnum(SEVERITY_FROM_ARM, properties.severity, 'severity', 'unknown', id, log),
    status: mapEnum(STATUS_FROM_ARM, properties.status, 'status', 'active', id, log),
    classification: mapEnum(CLASSIFICATION_FROM_ARM, properties.classification, 'classification', 'undetermined', id, log),
    owner: ownerFromArm(properties.owner),
    tags: labelNames('User'),
    systemTags: labelNames('AutoAssigned'),
    ...(int(additional.commentsCount) !== undefined ? { commentsCount: int(additional.commentsCount) } : {}),
    additionalData: {
      alertsCount: int(additional.alertsCount) ?? 0,
      productNames: unique(strArray(additional.alertProductNames)),
      tactics: unique(strArray(additional.tactics)),
      // techniques exist in the preview schemas only; absent in 2025-09-01.
      techniques: unique(strArray(additional.techniques)),
    },
    comments: [],
    lastModifiedBy: lastModifiedByFromArm(isObject(raw.systemData) && str(raw.systemData.lastModifiedBy) ? raw.systemData.lastModifiedBy : properties.lastModifiedBy),
    createdAt: portalInstant(properties.createdTimeUtc),
    lastUpdatedAt: portalInstant(properties.lastModifiedTimeUtc),
    webUrl: str(properties.incidentUrl) ?? '',
  };
  const incidentNumber = int(properties.incidentNumber);
  if (incidentNumber !== undefined) incident.incidentNumber = incidentNumber;
  const providerIncidentId = str(properties.providerIncidentId);
  if (providerIncidentId) incident.providerIncidentId = providerIncidentId;
  const providerName = str(properties.providerName);
  if (providerName) incident.providerName = providerName;
  if (context.tenantId) incident.tenantId = context.tenantId;
  const reason = str(properties.classificationReason);
  if (reason) incident.determination = reason;
  const classificationComment = str(properties.classificationComment);
  if (classificationComment) incident.classificationComment = classificationComment;
  const etag = str(raw.etag);
  if (etag) incident.etag = etag;
  return storableIncident(incident);
}

function pickWritable(properties: JsonObject): JsonObject {
  const result: JsonObject = {};
  for (const key of WRITABLE_ARM_PROPERTIES) if (properties[key] !== undefined && properties[key] !== null) result[key] = properties[key];
  return result;
}

/**
 * Merges a domain patch onto a freshly read incident and returns the PUT body (etag in the body:
 * that is how ARM checks concurrency). Rules enforced before anything is sent:
 * - Closing needs a classification (the patch's or the incident's): ARM answers 400 otherwise.
 * - BenignPositive needs a classificationReason: the patch's determination when it is a Sentinel
 *   reason that fits, else the incident's, else 'SuspiciousButExpected' (the only reason that fits).
 * - Other classifications keep a reason only when it fits them (TruePositive: SuspiciousActivity;
 *   FalsePositive: IncorrectAlertLogic | InaccurateData); a Defender determination is never sent.
 * - AutoAssigned labels are kept as they are; `tags` replaces the User labels.
 */
export function applyPatchToArm(current: unknown, patch: IncidentPatch, log?: PortalLogger): ArmIncidentWrite {
  if (!isObject(current)) throw invalidResponse('sentinel', 'incident', 'the incident is not a JSON object');
  const id = str(current.name) ?? '?';
  const properties = pickWritable(isObject(current.properties) ? current.properties : {});

  if (patch.title !== undefined) properties.title = patch.title;
  if (patch.description !== undefined) properties.description = patch.description;
  if (patch.severity !== undefined) properties.severity = SEVERITY_TO_ARM[patch.severity];
  if (patch.status !== undefined) {
    if (patch.status === 'redirected') {
      throw new PortalError('sentinel', 'bad-request', "status 'redirected' cannot be written to Sentinel: it only exists for merged Defender incidents");
    }
    properties.status = STATUS_TO_ARM[patch.status];
  }
  if (patch.owner !== undefined) properties.owner = ownerToArm(patch.owner);
  if (patch.tags !== undefined) {
    const autoAssigned = (Array.isArray(properties.labels) ? properties.labels : []).filter(
      (label) => isObject(label) && (str(label.labelType) ?? '').toLowerCase() === 'autoassigned',
    );
    properties.labels = [...autoAssigned, ...unique(patch.tags).map((labelName) => ({ labelName, labelType: 'User' }))];
  }
  if (patch.classificationComment !== undefined) properties.classificationComment = patch.classificationComment;

  const classification = patch.classification !== undefined ? CLASSIFICATION_TO_ARM[patch.classification] : canonicalClassification(properties.classification);
  if (classification !== undefined) properties.classification = classification;
  if (patch.classification !== undefined || patch.determination !== undefined || properties.classificationReason !== undefined) {
    const fitting = REASONS_FOR[classification ?? ''] ?? [];
    const fits = (reason: unknown): reason is SentinelClassificationReason => typeof reason === 'string' && fitting.includes(reason as SentinelClassificationReason);
    if (patch.determination !== undefined && !fits(patch.determination)) {
      log?.warn({ portal: 'sentinel', incidentId: id, determination: patch.determination.slice(0, 64) }, 'determination does not fit the Sentinel classification; not written');
    }
    const reason = fits(patch.determination)
      ? patch.determination
      : fits(properties.classificationReason)
        ? properties.classificationReason
        : classification === 'BenignPositive'
          ? DEFAULT_BENIGN_POSITIVE_REASON
          : undefined;
    if (reason === undefined) delete properties.classificationReason;
    else properties.classificationReason = reason;
  }

  if (str(properties.status)?.toLowerCase() === 'closed' && classification === undefined) {
    throw new PortalError(
      'sentinel',
      'bad-request',
      `Closing Sentinel incident ${id} needs a classification (undetermined, truePositive, falsePositive or benignPositive); none was given and the incident has none. Nothing was sent.`,
    );
  }
  for (const required of ['title', 'severity', 'status'] as const) {
    if (typeof properties[required] !== 'string') {
      throw invalidResponse('sentinel', `incident ${id}`, `the incident has no ${required}, which PUT requires`);
    }
  }
  const write: ArmIncidentWrite = { properties };
  const etag = str(current.etag);
  if (etag) write.etag = etag;
  return write;
}
