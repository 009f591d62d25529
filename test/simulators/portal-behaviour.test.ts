import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startTestSims, waitFor } from './helpers.ts';
import type { TestSims } from './helpers.ts';

let sims: TestSims;
beforeAll(async () => {
  sims = await startTestSims();
});
afterAll(async () => {
  await sims.stop();
});
beforeEach(() => {
  sims.control.reset();
  sims.control.configure({ integrationMethod: 'defenderPortal', coalesceWindowMs: 0, nativeSync: true, azurePortalDelayMs: 50 });
});

const XDR_CONNECTOR = async () => {
  const list = await sims.arm('GET', '/dataConnectors');
  return list.json.value.find((c: { kind: string }) => c.kind === 'MicrosoftThreatProtection');
};

function raise(extra: Record<string, unknown> = {}) {
  return sims.control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: 'Suspicious PowerShell command line', severity: 'medium', category: 'Execution', ...extra } as never);
}

describe('Defender -> Sentinel incident flow', () => {
  test('defenderPortal method: the incident appears in Sentinel at once as Microsoft XDR with the Graph id, numbered sequentially', () => {
    const first = raise();
    const second = raise({ title: 'Credential dumping tool detected' });
    const a = sims.control.sentinelCounterpart(first.incidentId);
    const b = sims.control.sentinelCounterpart(second.incidentId);
    expect(a).toMatchObject({ providerName: 'Microsoft XDR', providerIncidentId: first.incidentId, title: 'Suspicious PowerShell command line', severity: 'Medium', status: 'New' });
    expect(a!.alertProductNames).toEqual(['Microsoft Defender for Endpoint']);
    expect(a!.tactics).toEqual(['Execution']);
    expect(b!.incidentNumber).toBe(a!.incidentNumber + 1);
  });

  test('azurePortal method: the incident appears only after the configured delay', async () => {
    sims.control.configure({ integrationMethod: 'azurePortal', azurePortalDelayMs: 150 });
    const raisedAt = Date.now();
    const { incidentId } = raise();
    expect(sims.control.sentinelCounterpart(incidentId)).toBeUndefined();
    await waitFor(() => sims.control.sentinelCounterpart(incidentId), 'the delayed import');
    expect(Date.now() - raisedAt).toBeGreaterThanOrEqual(140);
  });

  test('with the connector\'s incidents data type Disabled, nothing flows', async () => {
    const connector = await XDR_CONNECTOR();
    const disabled = await sims.arm('PUT', `/dataConnectors/${connector.name}`, {
      kind: 'MicrosoftThreatProtection',
      etag: connector.etag,
      properties: { ...connector.properties, dataTypes: { ...connector.properties.dataTypes, incidents: { state: 'Disabled' } } },
    });
    expect(disabled.status).toBe(200);
    try {
      const { incidentId } = raise();
      expect(sims.control.sentinelCounterpart(incidentId)).toBeUndefined();
      expect(sims.control.sentinelIncidents()).toEqual([]);
    } finally {
      await sims.arm('PUT', `/dataConnectors/${connector.name}`, { kind: 'MicrosoftThreatProtection', properties: connector.properties });
    }
  });

  test('Defender-portal onboarding disconnects the alert-provider connectors', async () => {
    const list = await sims.arm('GET', '/dataConnectors');
    const providers = list.json.value.filter((c: { kind: string }) => c.kind !== 'MicrosoftThreatProtection');
    expect(providers.length).toBeGreaterThanOrEqual(5);
    expect(providers.every((c: { properties: { dataTypes: { alerts: { state: string } } } }) => c.properties.dataTypes.alerts.state === 'Disabled')).toBe(true);
  });
});

describe('native mirroring', () => {
  test('Defender field changes (title, description, tags, escalated severity) mirror to Sentinel with last-modified-by; status does not', async () => {
    const { incidentId } = raise({ correlationKey: 'chain' });
    const before = sims.control.sentinelCounterpart(incidentId)!;
    await sims.graph('PATCH', `/v1.0/security/incidents/${incidentId}`, { displayName: 'Renamed by bridge', customTags: ['bridge'], status: 'resolved', classification: 'truePositive' });
    const after = sims.control.sentinelCounterpart(incidentId)!;
    expect(after).toMatchObject({ title: 'Renamed by bridge', labels: [{ labelName: 'bridge', labelType: 'User' }], status: 'New' });
    expect(after.classification).toBeNull();
    expect(after.lastModifiedBy).toEqual({ name: 'API-App:app-writer', type: 'Application' });
    expect(after.etag).not.toBe(before.etag);
    raise({ correlationKey: 'chain', serviceSource: 'microsoftDefenderForIdentity', severity: 'high', category: 'CredentialAccess' });
    const escalated = sims.control.sentinelCounterpart(incidentId)!;
    expect(escalated.severity).toBe('High');
    expect(escalated.alertsCount).toBe(2);
    expect(escalated.alertProductNames).toEqual(['Microsoft Defender for Endpoint', 'Microsoft Defender for Identity']);
  });

  test('Sentinel changes to synced fields mirror to Defender with the Sentinel user as lastModifiedBy; owner does not', async () => {
    const { incidentId } = raise();
    const sentinel = sims.control.sentinelCounterpart(incidentId)!;
    const [user] = sims.control.directory();
    sims.control.analystUpdateSentinelIncident(sentinel.name, { title: 'Edited in Sentinel', severity: 'High', labels: ['vip'], owner: { objectId: user!.objectId } }, user!.userPrincipalName);
    const defender = sims.control.defenderIncidents().find((incident) => incident.id === incidentId)!;
    expect(defender).toMatchObject({ displayName: 'Edited in Sentinel', severity: 'high', customTags: ['vip'], lastModifiedBy: user!.userPrincipalName, assignedTo: null });
    // The mirror lands after the change it carries, never at the same instant, even with no window.
    const edited = sims.control.sentinelCounterpart(incidentId)!;
    expect(Date.parse(defender.lastUpdateDateTime)).toBeGreaterThan(Date.parse(edited.lastModifiedTimeUtc));
  });

  test('a Defender change mirrored to Sentinel is stamped after the change', async () => {
    const { incidentId } = raise();
    await sims.graph('PATCH', `/v1.0/security/incidents/${incidentId}`, { displayName: 'Renamed in Defender' });
    const defender = sims.control.defenderIncidents().find((incident) => incident.id === incidentId)!;
    const sentinel = sims.control.sentinelCounterpart(incidentId)!;
    expect(sentinel.title).toBe('Renamed in Defender');
    expect(Date.parse(sentinel.lastModifiedTimeUtc)).toBeGreaterThan(Date.parse(defender.lastUpdateDateTime));
  });

  test('only NEW comments mirror, both ways; edits never do', async () => {
    const { incidentId } = raise();
    const sentinel = sims.control.sentinelCounterpart(incidentId)!;
    await sims.graph('POST', `/v1.0/security/incidents/${incidentId}/comments`, { '@odata.type': 'microsoft.graph.security.alertComment', comment: 'from Defender' });
    expect(sims.control.sentinelComments(sentinel.name).map((c) => c.message)).toEqual(['from Defender']);
    const put = await sims.arm('PUT', `/incidents/${sentinel.name}/comments/c1`, { properties: { message: 'from Sentinel' } });
    expect(put.status).toBe(201);
    const defenderComments = () => sims.control.defenderIncidents().find((incident) => incident.id === incidentId)!.comments.map((c) => c.comment);
    expect(defenderComments()).toEqual(['from Defender', 'from Sentinel']);
    await sims.arm('PUT', `/incidents/${sentinel.name}/comments/c1`, { properties: { message: 'edited in Sentinel' } });
    expect(defenderComments()).toEqual(['from Defender', 'from Sentinel']);
    expect(sims.control.sentinelComments(sentinel.name).map((c) => c.message)).toEqual(['from Defender', 'edited in Sentinel']);
  });

  test('changes within the coalescing window arrive as one update carrying the latest values', async () => {
    sims.control.configure({ coalesceWindowMs: 200 });
    const { incidentId } = raise();
    const initial = sims.control.sentinelCounterpart(incidentId)!;
    for (const name of ['first', 'second', 'third']) await sims.graph('PATCH', `/v1.0/security/incidents/${incidentId}`, { displayName: name });
    // Watch every state Sentinel passes through: only the initial title and the latest one may appear.
    const titlesSeen = new Set<string>();
    const etagsSeen = new Set<string>();
    const mirrored = await waitFor(() => {
      const current = sims.control.sentinelCounterpart(incidentId)!;
      titlesSeen.add(current.title);
      etagsSeen.add(current.etag);
      return current.etag !== initial.etag ? current : undefined;
    }, 'the coalesced mirror');
    expect(mirrored.title).toBe('third');
    expect([...titlesSeen]).toEqual([initial.title, 'third']);
    expect(etagsSeen.size).toBe(2); // one update, not three
  });

  test('with native sync off, incidents still flow but changes and comments are not mirrored', async () => {
    await sims.http('POST', '/_sim/native-sync', { body: { enabled: false } });
    const { incidentId } = raise();
    const sentinel = sims.control.sentinelCounterpart(incidentId)!;
    await sims.graph('PATCH', `/v1.0/security/incidents/${incidentId}`, { displayName: 'not mirrored' });
    await sims.graph('POST', `/v1.0/security/incidents/${incidentId}/comments`, { comment: 'not mirrored' });
    expect(sims.control.sentinelCounterpart(incidentId)!.title).toBe(sentinel.title);
    expect(sims.control.sentinelComments(sentinel.name)).toEqual([]);
  });
});

describe('incident creation rules and merging', () => {
  test('an enabled Microsoft incident creation rule makes a separate Azure Sentinel incident per alert (the documented duplicates)', async () => {
    const rules = (await sims.arm('GET', '/alertRules')).json.value;
    const mde = rules.find((r: { properties: { productFilter?: string } }) => r.properties.productFilter === 'Microsoft Defender Advanced Threat Protection');
    const { lastModifiedUtc: _ignored, ...properties } = mde.properties;
    await sims.arm('PUT', `/alertRules/${mde.name}`, { kind: mde.kind, etag: mde.etag, properties: { ...properties, enabled: true } });
    try {
      const { incidentId } = raise();
      raise({ serviceSource: 'microsoftDefenderForIdentity' }); // no rule enabled for this product
      const all = sims.control.sentinelIncidents();
      const duplicates = all.filter((incident) => incident.providerName === 'Azure Sentinel');
      expect(duplicates).toHaveLength(1);
      expect(duplicates[0]!.title).toBe('Suspicious PowerShell command line');
      expect(duplicates[0]!.relatedAnalyticRuleIds).toEqual([`${sims.scope}/alertRules/${mde.name}`]);
      expect(all.filter((incident) => incident.providerName === 'Microsoft XDR').map((i) => i.providerIncidentId)).toContain(incidentId);
    } finally {
      await sims.arm('PUT', `/alertRules/${mde.name}`, { kind: mde.kind, properties: { ...properties, enabled: false } });
    }
  });

  test('merge: the source becomes redirected with redirectIncidentId and its alerts move', async () => {
    const a = raise();
    const b = raise({ serviceSource: 'microsoftDefenderForOffice365', severity: 'high', category: 'InitialAccess' });
    const merged = await sims.http('POST', `/_sim/incidents/${a.incidentId}/merge`, { body: { into: b.incidentId } });
    expect(merged.status).toBe(200);
    const source = await sims.graph('GET', `/v1.0/security/incidents/${a.incidentId}?$expand=alerts`);
    expect(source.json).toMatchObject({ status: 'redirected', redirectIncidentId: b.incidentId, alerts: [] });
    const target = await sims.graph('GET', `/v1.0/security/incidents/${b.incidentId}?$expand=alerts`);
    expect(target.json.alerts.map((alert: { id: string }) => alert.id).sort()).toEqual([a.alertId, b.alertId].sort());
    expect(sims.control.sentinelCounterpart(b.incidentId)!.alertsCount).toBe(2);
    expect((await sims.http('POST', `/_sim/incidents/${a.incidentId}/merge`, { body: { into: b.incidentId } })).status).toBe(400);
  });
});
