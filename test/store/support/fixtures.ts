// Test data builders and polling helpers shared by the store tests.
import { randomUUID } from 'node:crypto';
import type { Actor, Incident, Portal } from '../../../src/domain/incident.ts';
import type { ConnectorConfig } from '../../../src/domain/connector.ts';
import type { LinkDraft, NewApprovalRequest, TriageRecord } from '../../../src/store/ports.ts';

/** A short unique id: tests share one store per backend and isolate by id, not by truncation. */
export function uid(prefix = 'x'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export const analyst: Actor = { objectId: '00000000-0000-0000-0000-00000000a11c', upn: 'alice@contoso.example', displayName: 'Alice' };
export const approver: Actor = { objectId: '00000000-0000-0000-0000-0000000000b0', upn: 'bob@contoso.example', displayName: 'Bob' };

export function incident(portal: Portal, overrides: Partial<Incident> = {}): Incident {
  return {
    portal,
    id: portal === 'defender' ? '29' : '3f1c2a9e-0000-4000-8000-000000000001',
    title: 'Multi-stage incident on one endpoint',
    description: 'Suspicious activity',
    severity: 'medium',
    status: 'active',
    classification: 'undetermined',
    owner: null,
    tags: [],
    systemTags: [],
    additionalData: { alertsCount: 2, productNames: ['Microsoft Defender for Endpoint'], tactics: [], techniques: [] },
    comments: [],
    lastModifiedBy: 'Microsoft 365 Defender',
    createdAt: '2024-05-01T10:00:00.000Z',
    lastUpdatedAt: '2024-05-01T10:05:00.000Z',
    webUrl: 'https://security.microsoft.com/incidents/29',
    ...overrides,
  };
}

export function linkDraft(overrides: Partial<LinkDraft> = {}): LinkDraft {
  return {
    linkId: uid('link'),
    pairId: uid('pair'),
    defenderId: uid('def'),
    snapshot: { severity: 'medium' },
    defenderView: incident('defender'),
    sentinelView: null,
    syncState: { defender: 'inSync', sentinel: 'pending' },
    ...overrides,
  };
}

export const connectorConfig: ConnectorConfig = {
  integrationMethod: 'azurePortal',
  incidentsAndAlerts: true,
  turnOffIncidentCreationRules: true,
  entities: false,
  eventTypes: ['DeviceProcessEvents'],
};

export function approvalDraft(overrides: Partial<NewApprovalRequest> = {}): NewApprovalRequest {
  return {
    id: uid('appr'),
    pairId: 'soc',
    requester: analyst,
    reason: 'Collect process events for hunting',
    baseVersion: 'etag-1',
    baseConfig: connectorConfig,
    proposedConfig: { ...connectorConfig, entities: true },
    diff: [{ field: 'entities', from: false, to: true }],
    consequences: ['UEBA data sources are connected'],
    expiresAt: '2030-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** Polls `probe` until it returns a value other than undefined (waiting for state, not for time). */
export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** An open, unassigned incident's triage record, created an hour before `createdAt`'s default. */
export function triageRecordDraft(overrides: Partial<TriageRecord> = {}): Omit<TriageRecord, 'updatedAt'> {
  return {
    linkId: uid('link'),
    pairId: 'default',
    ref: '29',
    title: 'Suspicious sign-in',
    severity: 'medium',
    open: true,
    assigned: false,
    acknowledged: false,
    createdAt: '2026-03-02T09:00:00.000Z',
    acknowledgedAt: null,
    acknowledgedOnFirstSight: false,
    resolvedAt: null,
    subject: { pairId: 'default', sides: [] },
    ...overrides,
  };
}
