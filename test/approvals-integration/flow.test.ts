// Connector change approvals against the REAL simulators, the REAL Sentinel connector client and
// the REAL store (PGlite). The workspace uses Azure-portal integration, where the Microsoft incident
// creation rules may be turned on (the Defender portal does not support them).
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { ApprovalError } from '../../src/approvals/types.ts';
import type { ConnectorConfig } from '../../src/domain/connector.ts';
import { ALICE, BOB, CAROL, MALLORY, outcomeOf, settle, startIntegrationHarness, type IntegrationHarness } from './harness.ts';

let h: IntegrationHarness;

beforeAll(async () => {
  h = await startIntegrationHarness({ integrationMethod: 'azurePortal', name: 'flow' });
});

afterAll(async () => {
  await h?.close();
});

beforeEach(async () => {
  await settle(h);
});

/** A proposal relative to the live configuration. */
async function propose(change: (config: ConnectorConfig) => Partial<ConnectorConfig>): Promise<{ base: ConnectorConfig; proposed: ConnectorConfig }> {
  const base = (await h.connector.read()).config;
  return { base, proposed: { ...base, ...change(base) } };
}

function toggleTable(config: ConnectorConfig, table: string): string[] {
  return config.eventTypes.includes(table) ? config.eventTypes.filter((t) => t !== table) : [...config.eventTypes, table];
}

async function refusal(promise: Promise<unknown>): Promise<ApprovalError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApprovalError) return error;
    throw error;
  }
  throw new Error('expected an ApprovalError');
}

describe('connector approvals against the simulators', () => {
  test('the whole flow: status, request, approve, applied through ARM, read back, confirmed, audited', async () => {
    const status = await h.service.status();
    expect(status.snapshot.config.integrationMethod).toBe('azurePortal');
    expect(status.requirements).toEqual([{ name: 'Permissions', ok: true }, { name: 'Licence', ok: true }]);

    const { base, proposed } = await propose((c) => ({ entities: !c.entities, eventTypes: toggleTable(c, 'CloudAppEvents') }));
    const { request, changes } = await h.service.request(ALICE, proposed, 'Hunt OAuth consent abuse', { formVersion: status.snapshot.version });
    expect(request.state).toBe('pending');
    expect(changes.map((c) => c.setting).sort()).toEqual(['entities', 'eventTypes']);

    const mark = h.mark();
    const done = await h.service.approve(request.id, BOB);
    expect(done.state).toBe('applied');
    expect(outcomeOf(done)).toMatchObject({ kind: 'applied', attempts: 1 });

    // ARM really changed: the connector's data types and the EntityAnalytics setting, nothing else.
    expect(h.connectorWrites(mark)).toEqual([
      expect.stringMatching(/^PUT dataConnectors\/[\w-]+ 200$/),
      expect.stringMatching(/^PUT settings\/EntityAnalytics 20[01]$/), // 201 when the setting is created
    ]);
    const live = await h.outside.read();
    expect(live.config).toEqual({ ...proposed, eventTypes: [...proposed.eventTypes].sort() });
    expect(live.config.entities).toBe(!base.entities);
    expect(outcomeOf(done).version).toBe(live.version);

    // The bridge's own change is not drift.
    const drift = await h.service.detectDrift();
    expect(drift).toMatchObject({ drifted: false, deferred: false });
  });

  test('turning the incident creation rules on warns of duplicates, and then an alert does create a duplicate Azure Sentinel incident', async () => {
    const { proposed } = await propose(() => ({ turnOffIncidentCreationRules: false, incidentsAndAlerts: true }));
    const { request, consequences } = await h.service.request(ALICE, proposed, 'Rule-level filtering for MDE alerts');
    expect(consequences).toContainEqual({ severity: 'critical', text: expect.stringMatching(/can create duplicate incidents for these products: .*Defender for Endpoint/) });

    const mark = h.mark();
    expect((await h.service.approve(request.id, CAROL)).state).toBe('applied');
    // One PUT per integrated product's MicrosoftSecurityIncidentCreation rule (six; IoT is not integrated).
    expect(h.connectorWrites(mark).filter((w) => w.startsWith('PUT alertRules/'))).toHaveLength(6);

    const before = new Set(h.sims.control.sentinelIncidents().map((i) => i.name));
    const { incidentId } = h.sims.control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: 'Suspicious PowerShell', severity: 'high' });
    const fresh = () => h.sims.control.sentinelIncidents().filter((i) => !before.has(i.name));
    // Azure-portal integration imports the XDR incident asynchronously (azurePortalDelayMs, 0 here).
    await waitFor(async () => fresh().some((i) => i.providerName === 'Microsoft XDR'));
    // The documented duplicate: the XDR incident and a separate one from the creation rule.
    expect(fresh().map((i) => i.providerName).sort()).toEqual(['Azure Sentinel', 'Microsoft XDR']);
    expect(fresh().find((i) => i.providerName === 'Microsoft XDR')?.providerIncidentId).toBe(incidentId);
    expect(fresh().find((i) => i.providerName === 'Azure Sentinel')?.relatedAnalyticRuleIds[0]).toMatch(/\/alertRules\//);

    // Back to the recommended setting: no more duplicates.
    const back = await h.service.request(ALICE, { ...proposed, turnOffIncidentCreationRules: true }, 'Back to recommended');
    expect((await h.service.approve(back.request.id, BOB)).state).toBe('applied');
    const before2 = new Set(h.sims.control.sentinelIncidents().map((i) => i.name));
    h.sims.control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: 'Another alert', severity: 'high', correlationKey: 'other' });
    const fresh2 = () => h.sims.control.sentinelIncidents().filter((i) => !before2.has(i.name));
    await waitFor(async () => fresh2().length > 0);
    expect(fresh2().map((i) => i.providerName)).toEqual(['Microsoft XDR']);
  });

  test('self-approval and a non-approver are refused, and nothing is written', async () => {
    const { proposed } = await propose((c) => ({ eventTypes: toggleTable(c, 'UrlClickEvents') }));
    const { request } = await h.service.request(ALICE, proposed, 'Phishing clicks');
    const mark = h.mark();

    const self = await refusal(h.service.approve(request.id, ALICE));
    expect(self.code).toBe('self-approval');
    expect(self.message).toMatch(/four-eyes/);
    const outsider = await refusal(h.service.approve(request.id, MALLORY));
    expect(outsider.code).toBe('not-approver');
    expect((await refusal(h.service.reject(request.id, MALLORY))).code).toBe('not-approver');

    expect(h.connectorWrites(mark)).toEqual([]);
    expect((await h.service.get(request.id))?.state).toBe('pending');
  });

  test('two approvers clicking at once: the change is applied once', async () => {
    const { proposed } = await propose((c) => ({ eventTypes: toggleTable(c, 'IdentityLogonEvents') }));
    const { request } = await h.service.request(ALICE, proposed, 'Lateral movement hunting');
    const mark = h.mark();

    const results = await Promise.allSettled([h.service.approve(request.id, BOB), h.service.approve(request.id, CAROL)]);
    const applied = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(applied).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(['already-decided', 'not-pending']).toContain((refused[0]!.reason as ApprovalError).code);

    // One set of writes: the single connector PUT.
    expect(h.connectorWrites(mark)).toEqual([expect.stringMatching(/^PUT dataConnectors\/[\w-]+ 200$/)]);
    const final = await h.service.get(request.id);
    expect(final?.state).toBe('applied');
    const approvals = (await h.service.history(5)).find((i) => i.request.id === request.id)!.events.filter((e) => e.action === 'approval.approved');
    expect(approvals).toHaveLength(1);
  });

  test('an expired request is refused and says why', async () => {
    const { proposed } = await propose((c) => ({ eventTypes: toggleTable(c, 'DeviceLogonEvents') }));
    const { request } = await h.service.request(ALICE, proposed, 'Logon hunting');
    h.clock.advance(24 * 3600_000 + 1000); // the default life is 24 hours
    const mark = h.mark();

    const error = await refusal(h.service.approve(request.id, BOB));
    expect(error.code).toBe('expired');
    expect(error.message).toMatch(/expired at .*ask for a new one/);
    expect(error.request?.state).toBe('expired');
    expect(h.connectorWrites(mark)).toEqual([]);
  });

  test('a stale base is refused: the connector changed through ARM between request and approval', async () => {
    const { proposed } = await propose((c) => ({ eventTypes: toggleTable(c, 'EmailUrlInfo') }));
    const { request } = await h.service.request(ALICE, proposed, 'Email URL hunting');
    // Someone changes the connector in the portal.
    const live = await h.outside.read();
    await h.outside.write(live, { ...live.config, entities: !live.config.entities });
    const mark = h.mark();

    const error = await refusal(h.service.approve(request.id, BOB));
    expect(error.code).toBe('stale');
    expect(error.message).toMatch(/changed since this request was made/);
    expect(error.request?.state).toBe('stale');
    expect(h.connectorWrites(mark)).toEqual([]);
  });

  test('a change racing our write (real etag conflict, 409) makes the request stale, not half-applied', async () => {
    const { proposed } = await propose((c) => ({ eventTypes: toggleTable(c, 'DeviceFileEvents') }));
    const { request } = await h.service.request(ALICE, proposed, 'File events');
    // Our PUT is held for a moment; meanwhile someone else changes the same connector resource.
    h.sims.control.addFault({ api: 'arm', method: 'PUT', pathPattern: '/dataConnectors/', latencyMs: 800, count: 1 });
    const approving = h.service.approve(request.id, BOB);
    await waitFor(async () => (await h.service.get(request.id))?.state === 'applying');
    const live = await h.outside.read();
    await h.outside.write(live, { ...live.config, eventTypes: toggleTable(live.config, 'AlertInfo') });

    const done = await approving;
    expect(done.state).toBe('stale');
    expect(outcomeOf(done).message).toMatch(/changed by someone else while applying/);
    const after = await h.outside.read();
    expect(after.config.eventTypes.includes('DeviceFileEvents')).toBe(request.baseConfig.eventTypes.includes('DeviceFileEvents'));
  });

  describe('ARM faults during apply', () => {
    test('429: the pipeline honours Retry-After and the change is applied once', async () => {
      const { proposed } = await propose((c) => ({ eventTypes: toggleTable(c, 'EmailEvents') }));
      const { request } = await h.service.request(ALICE, proposed, 'Email events');
      h.sims.control.addFault({ api: 'arm', method: 'PUT', pathPattern: '/dataConnectors/', status: 429, retryAfterSeconds: 7, count: 1 });
      const mark = h.mark();

      const done = await h.service.approve(request.id, BOB);
      expect(done.state).toBe('applied');
      expect(h.pipelineSleeps).toContain(7000);
      expect(h.connectorWrites(mark)).toEqual([expect.stringMatching(/^PUT dataConnectors\/\S+ 429$/), expect.stringMatching(/^PUT dataConnectors\/\S+ 200$/)]);
    });

    test('429 beyond the pipeline\'s retries: the service backs off (Retry-After) and tries again', async () => {
      const { proposed } = await propose((c) => ({ eventTypes: toggleTable(c, 'EmailEvents') }));
      const { request } = await h.service.request(ALICE, proposed, 'Email events again');
      // 1 attempt + 3 pipeline retries all throttled; the service's second attempt goes through.
      h.sims.control.addFault({ api: 'arm', method: 'PUT', pathPattern: '/dataConnectors/', status: 429, retryAfterSeconds: 3, count: 4 });

      const done = await h.service.approve(request.id, BOB);
      expect(done.state).toBe('applied');
      expect(outcomeOf(done)).toMatchObject({ kind: 'applied', attempts: 2 });
      expect(h.serviceSleeps).toEqual([3000]);
    });

    test('409 while nothing changed (no etag moved): retried, then applied', async () => {
      const { proposed } = await propose((c) => ({ eventTypes: toggleTable(c, 'DeviceInfo') }));
      const { request } = await h.service.request(ALICE, proposed, 'Device inventory');
      h.sims.control.addFault({ api: 'arm', method: 'PUT', pathPattern: '/dataConnectors/', status: 409, count: 1, body: { error: { code: 'Conflict', message: 'Another operation is in progress' } } });
      const mark = h.mark();

      const done = await h.service.approve(request.id, BOB);
      expect(done.state).toBe('applied');
      expect(outcomeOf(done)).toMatchObject({ attempts: 2 });
      expect(h.connectorWrites(mark).map((w) => w.split(' ')[2])).toEqual(['409', '200']);
    });

    test('500 part-way (connector written, setting failing): finished on top of our own partial write', async () => {
      const { proposed } = await propose((c) => ({ entities: !c.entities, eventTypes: toggleTable(c, 'DeviceEvents') }));
      const { request } = await h.service.request(ALICE, proposed, 'Entities and device events');
      // The setting PUT fails 4 times: the pipeline gives up once; the service retries.
      h.sims.control.addFault({ api: 'arm', method: 'PUT', pathPattern: '/settings/EntityAnalytics', status: 500, count: 4 });
      const mark = h.mark();

      const done = await h.service.approve(request.id, BOB);
      expect(done.state).toBe('applied');
      const writes = h.connectorWrites(mark);
      // The connector PUT happened once; the setting was retried until it went through.
      expect(writes.filter((w) => w.startsWith('PUT dataConnectors/'))).toHaveLength(1);
      expect(writes.filter((w) => w.startsWith('PUT settings/EntityAnalytics')).map((w) => w.split(' ')[2])).toEqual(['500', '500', '500', '500', '200']);
      expect((await h.outside.read()).config.entities).toBe(proposed.entities);
    });

    test('500 that does not go away: failed, and the outcome lists what was and was not applied', async () => {
      const { proposed } = await propose((c) => ({ entities: !c.entities, eventTypes: toggleTable(c, 'DeviceRegistryEvents') }));
      const { request } = await h.service.request(ALICE, proposed, 'Registry events');
      h.sims.control.addFault({ api: 'arm', method: 'PUT', pathPattern: '/settings/EntityAnalytics', status: 500, count: 1000 });

      const done = await h.service.approve(request.id, BOB);
      h.sims.control.clearFaults();
      expect(done.state).toBe('failed');
      const outcome = outcomeOf(done);
      expect(outcome).toMatchObject({ kind: 'failed', errorCode: 'unavailable', attempts: 4 });
      expect(outcome.message).toMatch(/Partly applied: Event tables/);
      expect(outcome.applied).toEqual([expect.objectContaining({ setting: 'eventTypes' })]);
      expect(outcome.notApplied).toEqual([expect.objectContaining({ setting: 'entities' })]);
      // The partial state is ours: it is the new baseline, not drift.
      expect((await h.service.detectDrift()).drifted).toBe(false);
    });
  });

  test('a change made outside the bridge is detected once, announced, and makes pending requests stale', async () => {
    const { proposed } = await propose((c) => ({ eventTypes: toggleTable(c, 'AlertEvidence') }));
    const { request } = await h.service.request(ALICE, proposed, 'Alert evidence');
    const live = await h.outside.read();
    await h.outside.write(live, { ...live.config, turnOffIncidentCreationRules: !live.config.turnOffIncidentCreationRules });

    const status = await h.service.status();
    expect(status.driftWarnings).toEqual([expect.stringMatching(/^Changed outside the bridge: Microsoft incident creation rules/)]);

    const drift = await h.service.detectDrift();
    expect(drift.drifted).toBe(true);
    expect(drift.changes).toEqual([expect.objectContaining({ setting: 'turnOffIncidentCreationRules' })]);
    expect(drift.staleRequestIds).toEqual([request.id]);
    expect(drift.announcement?.title).toMatch(/changed outside the bridge/);
    expect(drift.announcement?.lines.join('\n')).toMatch(/Microsoft incident creation rules/);
    expect((await h.service.get(request.id))?.state).toBe('stale');
    // Announced once.
    expect((await h.service.detectDrift()).drifted).toBe(false);
    const entries = await h.opened.store.audit.list({ subject: 'connector:defender-xdr', limit: 100 }); // oldest first
    expect(entries.at(-1)).toMatchObject({ action: 'connector.drift', details: { staleRequestIds: [request.id] } });
  });

  test('the audit trail: who requested, who approved or rejected, when, the diff and the outcome', async () => {
    const { proposed } = await propose((c) => ({ eventTypes: toggleTable(c, 'IdentityQueryEvents') }));
    const applied = await h.service.request(ALICE, proposed, 'LDAP recon');
    await h.service.approve(applied.request.id, BOB);
    const next = await propose((c) => ({ eventTypes: toggleTable(c, 'IdentityDirectoryEvents') }));
    const rejected = await h.service.request(MALLORY, next.proposed, 'Mine instead');
    await h.service.reject(rejected.request.id, CAROL, 'Duplicate of the LDAP recon request');

    const history = await h.service.history(10);
    const a = history.find((i) => i.request.id === applied.request.id)!;
    expect(a.events.map((e) => [e.action, e.actor.displayName])).toEqual([
      ['approval.requested', ALICE.displayName],
      ['approval.approved', BOB.displayName],
      ['connector.applied', 'incident-bridge approvals'],
    ]);
    expect(a.events[0]!.details).toMatchObject({ reason: 'LDAP recon', changes: [{ setting: 'eventTypes' }] });
    expect(a.events[2]!.details).toMatchObject({ outcome: { kind: 'applied' } });
    for (const e of a.events) expect(Number.isNaN(Date.parse(e.at))).toBe(false);
    expect(a.request).toMatchObject({ state: 'applied', decidedBy: { objectId: BOB.objectId }, requester: { objectId: ALICE.objectId } });

    const r = history.find((i) => i.request.id === rejected.request.id)!;
    expect(r.events.map((e) => e.action)).toEqual(['approval.requested', 'approval.rejected']);
    expect(r.events[1]!.details).toEqual({ reason: 'Duplicate of the LDAP recon request' });
    expect(r.request.state).toBe('rejected');
  });

  test('a missing licence shows in the status prerequisites', async () => {
    h.sims.control.setCheckRequirements({ licenseState: 'Invalid' });
    try {
      const status = await h.service.status();
      expect(status.requirements).toEqual([
        { name: 'Permissions', ok: true },
        { name: 'Licence', ok: false, detail: expect.stringMatching(/^the tenant needs a Microsoft Defender XDR .*licence/) },
      ]);
    } finally {
      h.sims.control.setCheckRequirements({ licenseState: 'Valid' });
    }
  });
});

/** Polls a condition (the state we wait for), never a fixed sleep as the assertion. */
async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
