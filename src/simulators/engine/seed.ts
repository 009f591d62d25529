// The workspace a fresh simulator starts with: the Defender XDR (MicrosoftThreatProtection)
// connector with incidents enabled, the alert-provider connectors, and one Microsoft incident
// creation rule per product, all turned off (the recommended default when the XDR connector is on).
import { createHash } from 'node:crypto';
import { INCIDENT_CREATION_PRODUCTS, SERVICE_SOURCES } from './catalog.ts';
import type { ArmRecord, SimState } from '../state/model.ts';
import type { IntegrationMethod } from '../options.ts';

/** A stable GUID for a seeded resource, so its ARM id is the same on every fresh start. */
export function stableGuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function newEtag(): string {
  return `"${crypto.randomUUID()}"`;
}

export const XDR_CONNECTOR_NAME = stableGuid('connector:MicrosoftThreatProtection');

export function seedState(tenantId: string, method: IntegrationMethod, now: string): SimState {
  const dataConnectors: Record<string, ArmRecord> = {
    [XDR_CONNECTOR_NAME]: {
      name: XDR_CONNECTOR_NAME,
      kind: 'MicrosoftThreatProtection',
      etag: newEtag(),
      lastModifiedTimeUtc: now,
      properties: { tenantId, dataTypes: { incidents: { state: 'Enabled' }, alerts: { state: 'Enabled' } } },
    },
  };
  for (const info of Object.values(SERVICE_SOURCES)) {
    if (!info.alertConnectorKind) continue;
    const name = stableGuid(`connector:${info.alertConnectorKind}`);
    dataConnectors[name] = {
      name,
      kind: info.alertConnectorKind,
      etag: newEtag(),
      lastModifiedTimeUtc: now,
      // Onboarding to the Defender portal disconnects these alert-provider connectors.
      properties: { tenantId, dataTypes: { alerts: { state: method === 'defenderPortal' ? 'Disabled' : 'Enabled' } } },
    };
  }
  const alertRules: Record<string, ArmRecord> = {};
  for (const product of INCIDENT_CREATION_PRODUCTS) {
    const name = stableGuid(`rule:${product}`);
    alertRules[name] = {
      name,
      kind: 'MicrosoftSecurityIncidentCreation',
      etag: newEtag(),
      lastModifiedTimeUtc: now,
      properties: {
        displayName: `Create incidents based on ${product} alerts`,
        description: null,
        enabled: false,
        productFilter: product,
        severitiesFilter: null,
        displayNamesFilter: null,
        displayNamesExcludeFilter: null,
        alertRuleTemplateName: null,
      },
    };
  }
  const settings: Record<string, ArmRecord> = {
    EyesOn: { name: 'EyesOn', kind: 'EyesOn', etag: newEtag(), lastModifiedTimeUtc: now, properties: { isEnabled: true } },
    Anomalies: { name: 'Anomalies', kind: 'Anomalies', etag: newEtag(), lastModifiedTimeUtc: now, properties: { isEnabled: true } },
  };
  return {
    version: 1,
    defender: { nextIncidentId: 1, nextAlertNumber: 1, incidents: {}, alerts: {} },
    sentinel: {
      nextIncidentNumber: 1,
      incidents: {},
      comments: {},
      dataConnectors,
      alertRules,
      settings,
      checkRequirements: { authorizationState: 'Valid', licenseState: 'Valid' },
      pendingImports: {},
    },
  };
}
