// Graph security incident (microsoft.graph.security.incident, v1.0) <-> domain Incident. Pure.
// Sources: microsoft-graph-docs-contrib resources/security-incident.md, security-alert.md,
// api/security-incident-update.md. Responses use camelCase enums; older examples use PascalCase
// (e.g. "TruePositive", "Active"): both are accepted. Text is carried verbatim, never interpreted,
// except that what the store cannot hold is made storable (domain/untrusted-text.ts).
import { PortalError } from '../../domain/errors.ts';
import type {
  AdditionalData,
  Classification,
  Incident,
  IncidentComment,
  IncidentPatch,
  Owner,
  Severity,
  Status,
} from '../../domain/incident.ts';
import { storableComment, storableIncident } from '../../domain/untrusted-text.ts';
import type { PortalLogger } from '../capability.ts';
import { invalidResponse } from '../http/errors.ts';
import { camelEnum, int, isObject, portalInstant, str, strArray, unique, uniqueSorted } from '../wire.ts';
import { alertDetailsFromGraph } from './alert-mapping.ts';

/** Fields PATCH /security/incidents/{id} accepts (documented 2022 + 2025 revisions, plus severity when profiled). */
export interface GraphIncidentPatch {
  displayName?: string;
  description?: string;
  status?: string;
  classification?: string;
  determination?: string;
  resolvingComment?: string;
  assignedTo?: string | null;
  customTags?: string[];
  severity?: string;
}

export interface GraphMappingContext {
  log?: PortalLogger;
  /** additionalData to keep when the payload carries no expanded alerts (it cannot be derived then). */
  knownAdditionalData?: AdditionalData;
}

export const EMPTY_ADDITIONAL_DATA: AdditionalData = { alertsCount: 0, productNames: [], tactics: [], techniques: [] };

const SEVERITY_FROM_GRAPH: Record<string, Severity> = {
  unknown: 'unknown',
  informational: 'informational',
  low: 'low',
  medium: 'medium',
  high: 'high',
  unknownFutureValue: 'unknown',
};

const STATUS_FROM_GRAPH: Record<string, Status> = {
  active: 'active',
  inProgress: 'inProgress',
  awaitingAction: 'awaitingAction',
  resolved: 'resolved',
  redirected: 'redirected',
};

const CLASSIFICATION_FROM_GRAPH: Record<string, Classification> = {
  unknown: 'undetermined',
  truePositive: 'truePositive',
  falsePositive: 'falsePositive',
  informationalExpectedActivity: 'benignPositive',
  unknownFutureValue: 'undetermined',
};

const CLASSIFICATION_TO_GRAPH: Record<Classification, string> = {
  undetermined: 'unknown',
  truePositive: 'truePositive',
  falsePositive: 'falsePositive',
  benignPositive: 'informationalExpectedActivity',
};

/** Graph has no 'new': a new bridge/Sentinel incident is 'active' in Defender. */
const STATUS_TO_GRAPH: Record<Exclude<Status, 'redirected'>, string> = {
  new: 'active',
  active: 'active',
  inProgress: 'inProgress',
  awaitingAction: 'awaitingAction',
  resolved: 'resolved',
};

/** alertDetermination members, both the current list and the older names (notMalicious, notEnoughDataToValidate). */
export const GRAPH_DETERMINATIONS = [
  'unknown', 'apt', 'malware', 'securityPersonnel', 'securityTesting', 'unwantedSoftware', 'other', 'multiStagedAttack',
  'compromisedUser', 'phishing', 'maliciousUserActivity', 'clean', 'insufficientData', 'confirmedUserActivity',
  'lineOfBusinessApplication', 'notMalicious', 'notEnoughDataToValidate',
] as const;

function mapEnum<T>(table: Record<string, T>, raw: unknown, field: string, fallback: T, id: string, log: PortalLogger | undefined): T {
  if (raw === undefined || raw === null) return fallback;
  const value = typeof raw === 'string' ? table[camelEnum(raw)] : undefined;
  if (value !== undefined) return value;
  log?.warn({ portal: 'defender', incidentId: id, field, value: String(raw).slice(0, 64) }, `unknown Graph ${field} value; using '${String(fallback)}'`);
  return fallback;
}

export function graphCommentToDomain(raw: unknown): IncidentComment | null {
  if (!isObject(raw)) return null;
  const text = str(raw.comment);
  if (text === undefined) return null;
  return storableComment({
    text,
    // createdBy/createdTime appear in an older documented example instead of the alertComment names.
    author: str(raw.createdByDisplayName) ?? str(raw.createdBy) ?? '',
    createdAt: portalInstant(raw.createdDateTime) || portalInstant(raw.createdTime),
  });
}

/** Product names, tactics and techniques come from the incident's alerts (only when `$expand=alerts`). */
export function additionalDataFromAlerts(alerts: unknown[]): AdditionalData {
  const objects = alerts.filter(isObject);
  return {
    alertsCount: objects.length,
    productNames: uniqueSorted(
      objects.map((alert) => str(alert.productName) || str(alert.serviceSource) || '').filter((name) => name.length > 0),
    ),
    tactics: uniqueSorted(objects.map((alert) => str(alert.category) ?? '').filter((name) => name.length > 0)),
    techniques: uniqueSorted(objects.flatMap((alert) => strArray(alert.mitreTechniques))),
  };
}

export function ownerFromAssignedTo(assignedTo: unknown): Owner | null {
  const value = str(assignedTo)?.trim();
  if (!value) return null;
  // assignedTo is free text; it is usually a UPN.
  return value.includes('@') ? { upn: value } : { displayName: value };
}

export function assignedToFromOwner(owner: Owner | null): string | null {
  if (owner === null) return null;
  return owner.upn ?? owner.displayName ?? owner.objectId ?? null;
}

export function graphIncidentToDomain(raw: unknown, context: GraphMappingContext = {}): Incident {
  if (!isObject(raw)) throw invalidResponse('defender', 'incident', 'the incident is not a JSON object');
  const id = str(raw.id) ?? (int(raw.id) !== undefined ? String(raw.id) : undefined);
  if (!id) throw invalidResponse('defender', 'incident', 'the incident has no id');
  const log = context.log;

  const alerts = Array.isArray(raw.alerts) ? raw.alerts : undefined;
  const additionalData = alerts ? additionalDataFromAlerts(alerts) : (context.knownAdditionalData ?? EMPTY_ADDITIONAL_DATA);
  const determination = str(raw.determination);
  const resolvingComment = str(raw.resolvingComment);
  const tenantId = str(raw.tenantId);
  const redirectIncidentId = str(raw.redirectIncidentId);

  const incident: Incident = {
    portal: 'defender',
    id,
    providerIncidentId: id,
    title: str(raw.displayName) ?? '',
    description: str(raw.description) ?? '',
    severity: mapEnum(SEVERITY_FROM_GRAPH, raw.severity, 'severity', 'unknown', id, log),
    status: mapEnum(STATUS_FROM_GRAPH, raw.status, 'status', 'active', id, log),
    classification: mapEnum(CLASSIFICATION_FROM_GRAPH, raw.classification, 'classification', 'undetermined', id, log),
    owner: ownerFromAssignedTo(raw.assignedTo),
    tags: unique(strArray(raw.customTags)),
    systemTags: unique(strArray(raw.systemTags)),
    additionalData,
    comments: (Array.isArray(raw.comments) ? raw.comments : []).map(graphCommentToDomain).filter((c): c is IncidentComment => c !== null),
    lastModifiedBy: str(raw.lastModifiedBy) ?? '',
    createdAt: portalInstant(raw.createdDateTime),
    lastUpdatedAt: portalInstant(raw.lastUpdateDateTime),
    webUrl: str(raw.incidentWebUrl) ?? '',
  };
  if (tenantId) incident.tenantId = tenantId;
  if (determination) incident.determination = camelEnum(determination);
  if (resolvingComment) incident.classificationComment = resolvingComment;
  if (redirectIncidentId) incident.redirectIncidentId = redirectIncidentId;
  if (alerts) incident.alertDetails = alertDetailsFromGraph(alerts);
  return storableIncident(incident);
}

/**
 * The PATCH body for a domain patch. Refuses what Graph cannot express: status 'redirected' is set
 * by a merge in the portal. A determination that is not a Graph alertDetermination (e.g. a Sentinel
 * classificationReason) is not sent: determinations are kept per portal, never translated.
 */
export function domainPatchToGraph(patch: IncidentPatch, log?: PortalLogger): GraphIncidentPatch {
  const body: GraphIncidentPatch = {};
  if (patch.title !== undefined) body.displayName = patch.title;
  if (patch.description !== undefined) body.description = patch.description;
  if (patch.severity !== undefined) body.severity = patch.severity;
  if (patch.status !== undefined) {
    if (patch.status === 'redirected') {
      throw new PortalError('defender', 'bad-request', "status 'redirected' cannot be written: Defender sets it when it merges incidents");
    }
    body.status = STATUS_TO_GRAPH[patch.status];
  }
  if (patch.classification !== undefined) body.classification = CLASSIFICATION_TO_GRAPH[patch.classification];
  if (patch.determination !== undefined) {
    const determination = camelEnum(patch.determination);
    if ((GRAPH_DETERMINATIONS as readonly string[]).includes(determination)) body.determination = determination;
    else log?.warn({ portal: 'defender', determination: patch.determination.slice(0, 64) }, 'not a Graph determination; not written');
  }
  if (patch.classificationComment !== undefined) body.resolvingComment = patch.classificationComment;
  if (patch.owner !== undefined) body.assignedTo = assignedToFromOwner(patch.owner);
  if (patch.tags !== undefined) body.customTags = unique(patch.tags);
  return body;
}
