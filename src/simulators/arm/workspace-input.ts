// Validation of workspace configuration resources: data connectors (MicrosoftThreatProtection and
// the alert-provider kinds), MicrosoftSecurityIncidentCreation alert rules, and Ueba/EntityAnalytics settings.
import { isPlainObject } from '../http/types.ts';
import { ARM_SEVERITIES, INCIDENT_CREATION_PRODUCTS } from '../engine/catalog.ts';

export const DATA_TYPE_STATES = ['Enabled', 'Disabled'] as const;
/** MtpProvider enum (2025-10-01-preview): providers whose alerts can be filtered. */
export const MTP_FILTERED_PROVIDERS = ['microsoftDefenderForCloudApps', 'microsoftDefenderForIdentity'] as const;
/**
 * Simulator extension (no ARM property exists for "Connect events"): advanced-hunting tables are
 * modelled as extra MicrosoftThreatProtection data types, each `{state}` like incidents/alerts.
 * See CONTRACT.md.
 */
export const ADVANCED_HUNTING_TABLES = [
  'DeviceInfo', 'DeviceNetworkInfo', 'DeviceProcessEvents', 'DeviceNetworkEvents', 'DeviceFileEvents', 'DeviceRegistryEvents',
  'DeviceLogonEvents', 'DeviceImageLoadEvents', 'DeviceEvents', 'DeviceFileCertificateInfo', 'EmailEvents', 'EmailUrlInfo',
  'EmailAttachmentInfo', 'EmailPostDeliveryEvents', 'UrlClickEvents', 'IdentityLogonEvents', 'IdentityQueryEvents',
  'IdentityDirectoryEvents', 'CloudAppEvents', 'AlertInfo', 'AlertEvidence',
] as const;
export const ALERT_CONNECTOR_KINDS = [
  'MicrosoftDefenderAdvancedThreatProtection',
  'AzureAdvancedThreatProtection',
  'OfficeATP',
  'MicrosoftCloudAppSecurity',
  'AzureActiveDirectory',
] as const;
export const UEBA_DATA_SOURCES = ['AuditLogs', 'AzureActivity', 'SecurityEvent', 'SigninLogs'] as const;
export const ENTITY_PROVIDERS = ['ActiveDirectory', 'AzureActiveDirectory'] as const;
export const SETTING_KINDS = ['Anomalies', 'EyesOn', 'EntityAnalytics', 'Ueba'] as const;
/** Rule kinds stored opaquely (validated only for `enabled`), so clients listing rules see realistic data. */
export const OPAQUE_RULE_KINDS = ['Scheduled', 'NRT', 'Fusion', 'MLBehaviorAnalytics', 'ThreatIntelligence'] as const;

export interface ParsedResource {
  kind: string;
  etag?: string;
  properties: Record<string, unknown>;
}

function envelope(body: unknown): { kind: string; etag?: string; properties: Record<string, unknown> } | string {
  if (!isPlainObject(body)) return 'The request body must be a JSON object.';
  if (typeof body.kind !== 'string' || body.kind === '') return "'kind' is required.";
  if (!isPlainObject(body.properties)) return "'properties' is required and must be an object.";
  if (body.etag !== undefined && body.etag !== null && typeof body.etag !== 'string') return "'etag' must be a string.";
  const parsed: { kind: string; etag?: string; properties: Record<string, unknown> } = { kind: body.kind, properties: body.properties };
  if (typeof body.etag === 'string') parsed.etag = body.etag;
  return parsed;
}

function dataTypeState(value: unknown, path: string): string | undefined {
  if (!isPlainObject(value) || !(DATA_TYPE_STATES as readonly string[]).includes(String(value.state))) {
    return `'${path}.state' must be 'Enabled' or 'Disabled'.`;
  }
  return undefined;
}

export function parseDataConnectorPut(body: unknown): ParsedResource | string {
  const parsed = envelope(body);
  if (typeof parsed === 'string') return parsed;
  const { kind, properties } = parsed;
  if (typeof properties.tenantId !== 'string' || properties.tenantId === '') return "'properties.tenantId' is required.";
  const dataTypes = properties.dataTypes;
  if (!isPlainObject(dataTypes)) return "'properties.dataTypes' is required and must be an object.";
  if (kind === 'MicrosoftThreatProtection') {
    const incidents = dataTypeState(dataTypes.incidents, 'properties.dataTypes.incidents');
    if (incidents) return incidents;
    for (const [name, value] of Object.entries(dataTypes)) {
      if (name === 'incidents') continue;
      if (name !== 'alerts' && !(ADVANCED_HUNTING_TABLES as readonly string[]).includes(name)) {
        return `'properties.dataTypes.${name}' is not a MicrosoftThreatProtection data type; use incidents, alerts or an advanced-hunting table (${ADVANCED_HUNTING_TABLES.join(', ')}).`;
      }
      const problem = dataTypeState(value, `properties.dataTypes.${name}`);
      if (problem) return problem;
    }
    if (properties.filteredProviders !== undefined && properties.filteredProviders !== null) {
      const filtered = properties.filteredProviders;
      if (!isPlainObject(filtered) || !Array.isArray(filtered.alerts) || !filtered.alerts.every((p) => (MTP_FILTERED_PROVIDERS as readonly unknown[]).includes(p))) {
        return `'properties.filteredProviders.alerts' must be an array of ${MTP_FILTERED_PROVIDERS.join(', ')}.`;
      }
    }
    return parsed;
  }
  if ((ALERT_CONNECTOR_KINDS as readonly string[]).includes(kind)) {
    const alerts = dataTypeState(dataTypes.alerts, 'properties.dataTypes.alerts');
    return alerts ?? parsed;
  }
  return `Data connector kind '${kind}' is not simulated; supported kinds: MicrosoftThreatProtection, ${ALERT_CONNECTOR_KINDS.join(', ')}.`;
}

function optionalStringArray(value: unknown, path: string, members?: readonly string[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && (!members || members.includes(item)))) {
    return members ? `'${path}' must be an array of ${members.join(', ')}.` : `'${path}' must be an array of strings.`;
  }
  return undefined;
}

export function parseAlertRulePut(body: unknown): ParsedResource | string {
  const parsed = envelope(body);
  if (typeof parsed === 'string') return parsed;
  const { kind, properties } = parsed;
  if (typeof properties.enabled !== 'boolean') return "'properties.enabled' is required and must be a boolean.";
  if (kind === 'MicrosoftSecurityIncidentCreation') {
    if (typeof properties.displayName !== 'string' || properties.displayName === '') return "'properties.displayName' is required.";
    if (!(INCIDENT_CREATION_PRODUCTS as readonly unknown[]).includes(properties.productFilter)) {
      return `'properties.productFilter' is required and must be one of: ${INCIDENT_CREATION_PRODUCTS.join('; ')}.`;
    }
    const problem =
      optionalStringArray(properties.severitiesFilter, 'properties.severitiesFilter', ARM_SEVERITIES) ??
      optionalStringArray(properties.displayNamesFilter, 'properties.displayNamesFilter') ??
      optionalStringArray(properties.displayNamesExcludeFilter, 'properties.displayNamesExcludeFilter');
    if (problem) return problem;
    // Unset optional properties come back as null, as in the spec's example response.
    const defaults = { severitiesFilter: null, displayNamesFilter: null, description: null, alertRuleTemplateName: null };
    return { ...parsed, properties: { ...defaults, ...properties } };
  }
  if ((OPAQUE_RULE_KINDS as readonly string[]).includes(kind)) return parsed;
  return `Alert rule kind '${kind}' is not simulated; supported kinds: MicrosoftSecurityIncidentCreation, ${OPAQUE_RULE_KINDS.join(', ')}.`;
}

export function parseSettingPut(name: string, body: unknown): ParsedResource | string {
  const parsed = envelope(body);
  if (typeof parsed === 'string') return parsed;
  if (!(SETTING_KINDS as readonly string[]).includes(parsed.kind)) return `'kind' must be one of ${SETTING_KINDS.join(', ')}.`;
  if (parsed.kind !== name) return `The setting named '${name}' must have kind '${name}', not '${parsed.kind}'.`;
  if (parsed.kind === 'Ueba') {
    return optionalStringArray(parsed.properties.dataSources, 'properties.dataSources', UEBA_DATA_SOURCES) ?? parsed;
  }
  if (parsed.kind === 'EntityAnalytics') {
    return optionalStringArray(parsed.properties.entityProviders, 'properties.entityProviders', ENTITY_PROVIDERS) ?? parsed;
  }
  // Anomalies and EyesOn only carry a read-only isEnabled; PUT turns them on.
  return { ...parsed, properties: { isEnabled: true } };
}
