// ARM resources <-> the Defender XDR connector configuration (domain ConnectorConfig). Pure.
// See CONNECTOR.md for the mapping and its sources.
import { createHash } from 'node:crypto';
import type { ConnectorConfig, IntegrationMethod } from '../../domain/connector.ts';
import { MAX_LINE_CHARS, storableText } from '../../domain/untrusted-text.ts';
import { isObject, str, strArray, uniqueSorted, type JsonObject } from '../wire.ts';

export const MTP_CONNECTOR_KIND = 'MicrosoftThreatProtection';
export const INCIDENT_CREATION_RULE_KIND = 'MicrosoftSecurityIncidentCreation';
export const ENTITY_ANALYTICS_SETTING = 'EntityAnalytics';
/** 'Connect entities' syncs on-premises Active Directory users through Defender for Identity. */
export const DEFENDER_ENTITY_PROVIDER = 'ActiveDirectory';

/**
 * productFilter values of the Microsoft incident creation rules for the products Defender XDR
 * integrates (the connector page's "Turn off all Microsoft incident creation rules for these
 * products"). Defender for IoT ('Azure Security Center for IoT') is not one of them.
 */
export const INTEGRATED_PRODUCT_FILTERS = [
  'Microsoft Defender Advanced Threat Protection',
  'Azure Advanced Threat Protection',
  'Office 365 Advanced Threat Protection',
  'Microsoft Cloud App Security',
  'Azure Active Directory Identity Protection',
  'Azure Security Center',
] as const;

export interface ArmResource {
  name: string;
  kind?: string;
  etag?: string;
  properties: JsonObject;
}

export interface ConnectorResources {
  connector: ArmResource | null;
  rules: ArmResource[];
  entityAnalytics: ArmResource | null;
}

export function toArmResource(raw: unknown): ArmResource | null {
  if (!isObject(raw)) return null;
  const name = str(raw.name);
  if (!name) return null;
  const resource: ArmResource = { name, properties: isObject(raw.properties) ? { ...raw.properties } : {} };
  const kind = str(raw.kind);
  if (kind) resource.kind = kind;
  const etag = str(raw.etag);
  if (etag) resource.etag = etag;
  return resource;
}

function enabled(state: unknown): boolean {
  return isObject(state) && str(state.state)?.toLowerCase() === 'enabled';
}

/** Data types of the MicrosoftThreatProtection connector that are not event tables. */
const NON_EVENT_DATA_TYPES = new Set(['incidents', 'alerts']);

/**
 * Event tables: no ARM schema (stable 2025-09-01 or the previews) describes the connector's
 * advanced-hunting event tables. Like the simulators (their CONTRACT.md), we model each table as
 * one more MicrosoftThreatProtection data type next to incidents/alerts:
 * `dataTypes.DeviceProcessEvents = {state: 'Enabled'}`. This function pair is the one place to
 * change if Microsoft documents a shape.
 */
export function eventTablesOf(connector: ArmResource | null): string[] {
  const dataTypes = connector && isObject(connector.properties.dataTypes) ? connector.properties.dataTypes : {};
  return uniqueSorted(Object.keys(dataTypes).filter((key) => !NON_EVENT_DATA_TYPES.has(key) && enabled(dataTypes[key])).map(tableName));
}

/**
 * A table name as the bridge stores and shows it: a data-type key is portal text like any other
 * (domain/untrusted-text.ts), and ends up in approvals, audit entries and cards.
 */
function tableName(key: string): string {
  return storableText(key, MAX_LINE_CHARS);
}

function withEventTables(dataTypes: JsonObject, tables: string[]): JsonObject {
  const wanted = new Set(tables);
  const present = new Set<string>();
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(dataTypes)) {
    // Matched by the stored name, so a key that was made storable is kept as the portal spells it,
    // not written back in its storable spelling. Tables no longer wanted are switched off, not
    // dropped, so the portal keeps seeing the choice.
    const name = tableName(key);
    if (NON_EVENT_DATA_TYPES.has(key)) result[key] = value;
    else if (wanted.has(name)) {
      result[key] = { state: 'Enabled' };
      present.add(name);
    } else result[key] = { state: 'Disabled' };
  }
  for (const table of wanted) if (!present.has(table)) result[table] = { state: 'Enabled' };
  return result;
}

export function integratedRules(rules: ArmResource[]): ArmResource[] {
  return rules.filter(
    (rule) => rule.kind === INCIDENT_CREATION_RULE_KIND && (INTEGRATED_PRODUCT_FILTERS as readonly string[]).includes(str(rule.properties.productFilter) ?? ''),
  );
}

export function configFromResources(resources: ConnectorResources, integrationMethod: IntegrationMethod): ConnectorConfig {
  const dataTypes = resources.connector && isObject(resources.connector.properties.dataTypes) ? resources.connector.properties.dataTypes : {};
  const providers = resources.entityAnalytics ? strArray(resources.entityAnalytics.properties.entityProviders) : [];
  return {
    integrationMethod,
    incidentsAndAlerts: resources.connector !== null && enabled(dataTypes.incidents),
    turnOffIncidentCreationRules: integratedRules(resources.rules).every((rule) => rule.properties.enabled !== true),
    entities: providers.includes(DEFENDER_ENTITY_PROVIDER),
    eventTypes: eventTablesOf(resources.connector),
  };
}

/** Opaque version of everything read: any etag change anywhere makes a snapshot stale. */
export function versionOf(resources: ConnectorResources): string {
  const parts = [
    `c:${resources.connector?.name ?? '-'}:${resources.connector?.etag ?? '-'}`,
    ...integratedRules(resources.rules).map((rule) => `r:${rule.name}:${rule.etag ?? '-'}`).sort(),
    `s:${resources.entityAnalytics?.etag ?? '-'}`,
  ];
  return createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 32);
}

export interface PlannedWrite {
  path: 'dataConnectors' | 'alertRules' | 'settings';
  name: string;
  body: JsonObject;
}

/** The PUTs that turn `current` into `next` (etag in each body: ARM's concurrency check). */
export function planConnectorWrites(current: ConnectorResources, next: ConnectorConfig, tenantId: string, newName: (seed: string) => string): PlannedWrite[] {
  const writes: PlannedWrite[] = [];
  const connector = current.connector;
  const dataTypes = connector && isObject(connector.properties.dataTypes) ? connector.properties.dataTypes : {};
  const wantState = next.incidentsAndAlerts ? 'Enabled' : 'Disabled';
  const connectorChanged =
    connector === null ||
    enabled(dataTypes.incidents) !== next.incidentsAndAlerts ||
    (isObject(dataTypes.alerts) && enabled(dataTypes.alerts) !== next.incidentsAndAlerts) ||
    eventTablesOf(connector).join(',') !== uniqueSorted(next.eventTypes).join(',');
  if (connectorChanged) {
    const properties: JsonObject = {
      ...(connector?.properties ?? {}),
      tenantId: str(connector?.properties.tenantId) ?? tenantId,
      dataTypes: withEventTables({ ...dataTypes, incidents: { state: wantState }, alerts: { state: wantState } }, next.eventTypes),
    };
    writes.push({
      path: 'dataConnectors',
      name: connector?.name ?? newName('connector:MicrosoftThreatProtection'),
      body: { kind: MTP_CONNECTOR_KIND, ...(connector?.etag ? { etag: connector.etag } : {}), properties },
    });
  }

  const wantRulesEnabled = !next.turnOffIncidentCreationRules;
  const existing = integratedRules(current.rules);
  for (const rule of existing) {
    if ((rule.properties.enabled === true) !== wantRulesEnabled) {
      writes.push({
        path: 'alertRules',
        name: rule.name,
        body: { kind: INCIDENT_CREATION_RULE_KIND, ...(rule.etag ? { etag: rule.etag } : {}), properties: { ...rule.properties, enabled: wantRulesEnabled } },
      });
    }
  }
  if (wantRulesEnabled) {
    // Turning the rules back on creates the missing ones (this is what yields the documented duplicates).
    const covered = new Set(existing.map((rule) => str(rule.properties.productFilter)));
    for (const product of INTEGRATED_PRODUCT_FILTERS) {
      if (covered.has(product)) continue;
      writes.push({
        path: 'alertRules',
        name: newName(`rule:${product}`),
        body: { kind: INCIDENT_CREATION_RULE_KIND, properties: { displayName: `Create incidents based on ${product} alerts`, enabled: true, productFilter: product } },
      });
    }
  }

  const providers = current.entityAnalytics ? strArray(current.entityAnalytics.properties.entityProviders) : [];
  if (providers.includes(DEFENDER_ENTITY_PROVIDER) !== next.entities) {
    const nextProviders = next.entities ? uniqueSorted([...providers, DEFENDER_ENTITY_PROVIDER]) : providers.filter((p) => p !== DEFENDER_ENTITY_PROVIDER);
    writes.push({
      path: 'settings',
      name: ENTITY_ANALYTICS_SETTING,
      body: {
        kind: ENTITY_ANALYTICS_SETTING,
        ...(current.entityAnalytics?.etag ? { etag: current.entityAnalytics.etag } : {}),
        properties: { ...(current.entityAnalytics?.properties ?? {}), entityProviders: nextProviders },
      },
    });
  }
  return writes;
}
