// Projections of the simulated Defender data onto the Graph v1.0 wire shapes.
import { GRAPH_EVOLVABLE_STATUSES, SERVICE_SOURCES } from '../engine/catalog.ts';
import type { DefenderAlert, DefenderIncident } from '../state/model.ts';

export interface SerializeContext {
  /** Whether the request sent `Prefer: include-unknown-enum-members`. */
  includeUnknownEnumMembers: boolean;
}

function incidentStatus(status: string, context: SerializeContext): string {
  if (!context.includeUnknownEnumMembers && (GRAPH_EVOLVABLE_STATUSES as readonly string[]).includes(status)) return 'unknownFutureValue';
  return status;
}

function serviceSource(wire: string, context: SerializeContext): string {
  const info = Object.values(SERVICE_SOURCES).find((candidate) => candidate.wire === wire);
  return info?.evolvable && !context.includeUnknownEnumMembers ? 'unknownFutureValue' : wire;
}

export function incidentWebUrl(incident: DefenderIncident): string {
  return `https://security.microsoft.com/incident2/${incident.id}/overview?tid=${incident.tenantId}`;
}

export function serializeAlert(alert: DefenderAlert, context: SerializeContext): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.security.alert',
    id: alert.id,
    providerAlertId: alert.providerAlertId,
    incidentId: alert.incidentId,
    status: alert.status,
    severity: alert.severity,
    classification: alert.classification,
    determination: alert.determination,
    serviceSource: serviceSource(alert.serviceSource, context),
    detectionSource: alert.detectionSource,
    productName: alert.productName,
    detectorId: alert.detectorId,
    tenantId: alert.tenantId,
    title: alert.title,
    description: alert.description,
    recommendedActions: alert.recommendedActions,
    category: alert.category,
    assignedTo: alert.assignedTo,
    alertWebUrl: `https://security.microsoft.com/alerts/${alert.id}?tid=${alert.tenantId}`,
    incidentWebUrl: `https://security.microsoft.com/incidents/${alert.incidentId}?tid=${alert.tenantId}`,
    actorDisplayName: null,
    threatDisplayName: null,
    threatFamilyName: null,
    mitreTechniques: [...alert.mitreTechniques],
    createdDateTime: alert.createdDateTime,
    lastUpdateDateTime: alert.lastUpdateDateTime,
    resolvedDateTime: alert.resolvedDateTime,
    firstActivityDateTime: alert.firstActivityDateTime,
    lastActivityDateTime: alert.lastActivityDateTime,
    comments: [],
    evidence: alert.evidence,
    systemTags: [],
  };
}

export function serializeIncident(
  incident: DefenderIncident,
  context: SerializeContext,
  expandedAlerts?: readonly DefenderAlert[],
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    '@odata.type': '#microsoft.graph.security.incident',
    id: incident.id,
    incidentWebUrl: incidentWebUrl(incident),
    redirectIncidentId: incident.redirectIncidentId,
    displayName: incident.displayName,
    tenantId: incident.tenantId,
    createdDateTime: incident.createdDateTime,
    lastUpdateDateTime: incident.lastUpdateDateTime,
    assignedTo: incident.assignedTo,
    classification: incident.classification,
    determination: incident.determination,
    status: incidentStatus(incident.status, context),
    severity: incident.severity,
    customTags: [...incident.customTags],
    systemTags: [...incident.systemTags],
    description: incident.description,
    summary: incident.summary,
    lastModifiedBy: incident.lastModifiedBy,
    resolvingComment: incident.resolvingComment,
    priorityScore: incident.priorityScore,
    comments: incident.comments.map((comment) => ({ ...comment })),
  };
  if (expandedAlerts) body.alerts = expandedAlerts.map((alert) => serializeAlert(alert, context));
  return body;
}
