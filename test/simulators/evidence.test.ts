// Alert evidence in the simulators: what the control API and the sample scenario put on alerts is
// served in Graph's documented shapes, on alerts_v2 and on incidents read with $expand=alerts.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createScenarioPlanner, SCENARIO_SOURCES } from '../../src/simulators/scenario/planner.ts';
import type { ScenarioAlert } from '../../src/simulators/scenario/planner.ts';
import { EVIDENCE_TYPES } from '../../src/simulators/engine/evidence.ts';
import { expectCoversShape, startTestSims } from './helpers.ts';
import type { TestSims } from './helpers.ts';
import { GRAPH_EVIDENCE_EXAMPLES } from './fixtures/documented-examples.ts';

let sims: TestSims;
beforeAll(async () => {
  sims = await startTestSims();
});
afterAll(async () => {
  await sims.stop();
});
beforeEach(() => {
  sims.control.reset();
});

const ALICE = { '@odata.type': '#microsoft.graph.security.userEvidence', userAccount: { accountName: 'alice', domainName: 'CONTOSO', userPrincipalName: 'alice@contoso.com' } };

/** Every alert the planner raises in `steps` steps. */
function plannedAlerts(seed: number, steps: number): ScenarioAlert[] {
  const planner = createScenarioPlanner(seed);
  const open: { id: string; severity: string; correlationKey: string | null }[] = [];
  const alerts: ScenarioAlert[] = [];
  for (let i = 0; i < steps; i++) {
    const event = planner.next(open);
    if (event.kind !== 'alert') continue;
    alerts.push(event.alert);
    if (!open.some((incident) => incident.correlationKey === event.alert.correlationKey)) open.push({ id: String(open.length + 1), severity: event.alert.severity, correlationKey: event.alert.correlationKey });
  }
  return alerts;
}

describe('evidence raised through the control API', () => {
  test('is served on alerts_v2 and with $expand=alerts, completed with the base properties Graph always sends', async () => {
    const { alertId, incidentId } = sims.control.raiseAlert({
      serviceSource: 'microsoftDefenderForIdentity',
      title: 'Suspected DCSync attack',
      severity: 'high',
      evidence: [ALICE, { '@odata.type': 'microsoft.graph.security.ipEvidence', ipAddress: '203.0.113.7', verdict: 'malicious', roles: ['attacker'] }],
    });
    const alert = (await sims.graph('GET', `/v1.0/security/alerts_v2/${alertId}`)).json;
    expect(alert.evidence).toEqual([
      { '@odata.type': '#microsoft.graph.security.userEvidence', createdDateTime: alert.createdDateTime, verdict: 'unknown', remediationStatus: 'none', remediationStatusDetails: null, roles: [], detailedRoles: [], tags: [], userAccount: ALICE.userAccount },
      { '@odata.type': '#microsoft.graph.security.ipEvidence', createdDateTime: alert.createdDateTime, verdict: 'malicious', remediationStatus: 'none', remediationStatusDetails: null, roles: ['attacker'], detailedRoles: [], tags: [], ipAddress: '203.0.113.7' },
    ]);
    const incident = (await sims.graph('GET', `/v1.0/security/incidents/${incidentId}?$expand=alerts`)).json;
    expect(incident.alerts[0].evidence).toEqual(alert.evidence);
  });

  test.each([
    [[{ ipAddress: '1.2.3.4' }], "evidence[0]: '@odata.type' must be"],
    [[{ '@odata.type': '#microsoft.graph.security.somethingEvidence' }], "evidence[0]: '@odata.type' must be"],
    [[ALICE, { '@odata.type': '#microsoft.graph.security.ipEvidence' }], "evidence[1]: a ipEvidence needs 'ipAddress'"],
    [[{ ...ALICE, verdict: 'evil' }], "evidence[0]: 'verdict' must be one of"],
    [[{ ...ALICE, roles: ['villain'] }], "evidence[0]: 'roles' must be a list of"],
    ['not a list', "'evidence' must be an array"],
  ])('bad evidence %j is refused with 400 naming the problem, and no alert is raised', async (evidence, message) => {
    const response = await sims.http('POST', '/_sim/alerts', { body: { serviceSource: 'microsoftDefenderForEndpoint', title: 't', severity: 'low', evidence } });
    expect(response.status).toBe(400);
    expect(response.json.error).toContain(message);
    expect(sims.control.defenderIncidents()).toEqual([]);
  });

  test('resolving an incident resolves its alerts', async () => {
    const { alertId, incidentId } = sims.control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: 'x', severity: 'low', evidence: [ALICE] });
    await sims.graph('PATCH', `/v1.0/security/incidents/${incidentId}`, { status: 'resolved', classification: 'truePositive', determination: 'malware' });
    const alert = (await sims.graph('GET', `/v1.0/security/alerts_v2/${alertId}`)).json;
    expect(alert.status).toBe('resolved');
    expect(alert.resolvedDateTime).toEqual(expect.any(String));
  });
});

describe('the sample scenario', () => {
  test('every source raises evidence of documented types, each shown kind in its documented shape', () => {
    const alerts = plannedAlerts(7, 400);
    expect(new Set(alerts.map((alert) => alert.serviceSource))).toEqual(new Set(SCENARIO_SOURCES));
    const seen = new Set<string>();
    for (const alert of alerts) {
      expect(alert.evidence.length).toBeGreaterThan(0);
      for (const evidence of alert.evidence as Record<string, unknown>[]) {
        const type = String(evidence['@odata.type']).replace('#microsoft.graph.security.', '');
        expect(EVIDENCE_TYPES).toContain(type);
        seen.add(type);
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(GRAPH_EVIDENCE_EXAMPLES).sort());
  });

  test('the alerts of one story (correlation key) name the same user, as one attack does', () => {
    const usersByKey = new Map<string, Set<string>>();
    for (const alert of plannedAlerts(11, 300)) {
      const users = usersByKey.get(alert.correlationKey) ?? new Set<string>();
      for (const evidence of alert.evidence as Record<string, unknown>[]) {
        const account = (evidence['userAccount'] ?? null) as { userPrincipalName?: string } | null;
        if (account?.userPrincipalName) users.add(account.userPrincipalName);
        if (typeof evidence['primaryAddress'] === 'string') users.add(evidence['primaryAddress']);
      }
      usersByKey.set(alert.correlationKey, users);
    }
    expect([...usersByKey.values()].every((users) => users.size <= 1)).toBe(true);
  });

  test('served alerts carry it in the documented shapes, and multi-alert incidents name the same thing in several alerts', async () => {
    for (let i = 0; i < 60; i++) sims.control.scenario.step();
    const served = (await sims.graph('GET', '/v1.0/security/incidents?$expand=alerts&$top=50', undefined, { prefer: 'include-unknown-enum-members' })).json.value as { alerts: { evidence: Record<string, unknown>[] }[] }[];
    for (const incident of served) {
      for (const alert of incident.alerts) {
        for (const evidence of alert.evidence) expectCoversShape(evidence, GRAPH_EVIDENCE_EXAMPLES[String(evidence['@odata.type']).replace('#microsoft.graph.security.', '')]);
      }
    }
    const namedTwice = served.some((incident) => {
      const counts = new Map<string, number>();
      for (const alert of incident.alerts) {
        const named = new Set(alert.evidence.map((evidence) => JSON.stringify(evidence['userAccount'] ?? evidence['ipAddress'] ?? evidence['deviceDnsName'] ?? null)));
        for (const key of named) counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...counts.entries()].some(([key, n]) => key !== 'null' && n >= 2);
    });
    expect(served.some((incident) => incident.alerts.length >= 3)).toBe(true);
    expect(namedTwice).toBe(true);
  });
});
