// Projections of the simulated Sentinel workspace onto the ARM wire shapes of the 2025-09-01 spec
// (and the preview additions when a preview api-version is used).
import { isPreview } from './api-versions.ts';
import type { ArmRecord, SentinelComment, SentinelIncident } from '../state/model.ts';

export interface ArmContext {
  /** ARM id of the Microsoft.SecurityInsights scope of the workspace. */
  scope: string;
  apiVersion: string;
  commentsCount: (incidentName: string) => number;
}

function systemData(incident: SentinelIncident): Record<string, unknown> {
  return {
    createdBy: incident.createdBy.name,
    createdByType: incident.createdBy.type,
    createdAt: incident.createdTimeUtc,
    lastModifiedBy: incident.lastModifiedBy.name,
    lastModifiedByType: incident.lastModifiedBy.type,
    lastModifiedAt: incident.lastModifiedTimeUtc,
  };
}

export function incidentUrl(id: string): string {
  return `https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident${id}`;
}

export function serializeIncident(incident: SentinelIncident, context: ArmContext): Record<string, unknown> {
  const id = `${context.scope}/incidents/${incident.name}`;
  const additionalData: Record<string, unknown> = {
    alertsCount: incident.alertsCount,
    bookmarksCount: 0,
    commentsCount: context.commentsCount(incident.name),
    alertProductNames: [...incident.alertProductNames],
    tactics: [...incident.tactics],
  };
  // `techniques` is in the preview IncidentAdditionalData only.
  if (isPreview(context.apiVersion)) additionalData.techniques = [...incident.techniques];
  if (incident.providerIncidentUrl) additionalData.providerIncidentUrl = incident.providerIncidentUrl;
  const properties: Record<string, unknown> = {
    title: incident.title,
    severity: incident.severity,
    status: incident.status,
    owner: { ...incident.owner },
    labels: incident.labels.map((label) => ({ ...label })),
    createdTimeUtc: incident.createdTimeUtc,
    lastModifiedTimeUtc: incident.lastModifiedTimeUtc,
    incidentNumber: incident.incidentNumber,
    incidentUrl: incidentUrl(id),
    providerName: incident.providerName,
    providerIncidentId: incident.providerIncidentId,
    relatedAnalyticRuleIds: [...incident.relatedAnalyticRuleIds],
    additionalData,
  };
  if (incident.description !== null) properties.description = incident.description;
  if (incident.classification !== null) properties.classification = incident.classification;
  if (incident.classificationReason !== null) properties.classificationReason = incident.classificationReason;
  if (incident.classificationComment !== null) properties.classificationComment = incident.classificationComment;
  if (incident.firstActivityTimeUtc !== null) properties.firstActivityTimeUtc = incident.firstActivityTimeUtc;
  if (incident.lastActivityTimeUtc !== null) properties.lastActivityTimeUtc = incident.lastActivityTimeUtc;
  return { id, name: incident.name, etag: incident.etag, type: 'Microsoft.SecurityInsights/incidents', systemData: systemData(incident), properties };
}

export function serializeComment(incidentName: string, comment: SentinelComment, context: ArmContext): Record<string, unknown> {
  return {
    id: `${context.scope}/incidents/${incidentName}/comments/${comment.name}`,
    name: comment.name,
    etag: comment.etag,
    type: 'Microsoft.SecurityInsights/incidents/comments',
    properties: {
      message: comment.message,
      createdTimeUtc: comment.createdTimeUtc,
      lastModifiedTimeUtc: comment.lastModifiedTimeUtc,
      author: { ...comment.author },
    },
  };
}

export function serializeRecord(collection: 'dataConnectors' | 'alertRules' | 'settings', record: ArmRecord, context: ArmContext): Record<string, unknown> {
  const properties: Record<string, unknown> = structuredClone(record.properties);
  if (collection === 'alertRules') properties.lastModifiedUtc = record.lastModifiedTimeUtc;
  return {
    id: `${context.scope}/${collection}/${record.name}`,
    name: record.name,
    etag: record.etag,
    type: `Microsoft.SecurityInsights/${collection}`,
    kind: record.kind,
    properties,
  };
}
