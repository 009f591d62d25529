// The portal engine's modules on their own, without the HTTP layers: each is driven through its
// own deps, and what it reports to the others (events) is recorded.
import { describe, expect, test } from '@jest/globals';
import { SERVICE_SOURCES, XDR_PROVIDER_NAME } from '../../src/simulators/engine/catalog.ts';
import { createConnectorFlow } from '../../src/simulators/engine/connector-flow.ts';
import { DEFENDER_SYSTEM_ACTOR, alertsOf, createDefenderPortal } from '../../src/simulators/engine/defender.ts';
import type { DefenderEvents } from '../../src/simulators/engine/defender.ts';
import { SimError } from '../../src/simulators/engine/errors.ts';
import type { MirroredComment } from '../../src/simulators/engine/mirror.ts';
import { seedState } from '../../src/simulators/engine/seed.ts';
import { addSentinelIncident, appendSentinelComment, createSentinelStore } from '../../src/simulators/engine/sentinel-store.ts';
import type { NewSentinelIncident, SentinelWrite } from '../../src/simulators/engine/sentinel-store.ts';
import { createTimerSet } from '../../src/simulators/engine/timers.ts';
import type { RuntimeConfig } from '../../src/simulators/options.ts';
import type { ChangeActor, SimState } from '../../src/simulators/state/model.ts';
import { waitFor } from './helpers.ts';

const TENANT = '11111111-2222-4333-8444-555555555555';
const MDE = SERVICE_SOURCES.microsoftDefenderForEndpoint!;
const MDI = SERVICE_SOURCES.microsoftDefenderForIdentity!;
const USER: ChangeActor = { name: 'ann@contoso.example', type: 'User' };

function freshState(): SimState {
  return seedState(TENANT, 'defenderPortal', new Date().toISOString());
}

function runtime(overrides: Partial<RuntimeConfig> = {}): RuntimeConfig {
  return {
    integrationMethod: 'defenderPortal',
    azurePortalDelayMs: 0,
    coalesceWindowMs: 0,
    graphWritableFields: [],
    graphRequestsPerMinute: 150,
    nativeSync: true,
    ...overrides,
  };
}

type Recorded = [string, ...unknown[]];

function recordingDefender(state: SimState) {
  const events: Recorded[] = [];
  const listener: DefenderEvents = {
    incidentCreated: (incident) => events.push(['created', incident.id]),
    incidentChanged: (id, comment) => events.push(comment ? ['changed', id, comment] : ['changed', id]),
    incidentRedirected: (id) => events.push(['redirected', id]),
    alertRaised: (alert, source) => events.push(['alert', alert.incidentId, source.wire]),
  };
  const defender = createDefenderPortal({ tenantId: TENANT, clock: () => new Date(), state: () => state, changed: () => {}, events: listener });
  return { defender, events };
}

function write(overrides: Partial<SentinelWrite> = {}): SentinelWrite {
  return {
    title: 'Suspicious sign-in',
    description: null,
    severity: 'Medium',
    status: 'New',
    classification: null,
    classificationReason: null,
    classificationComment: null,
    owner: { objectId: null, email: null, assignedTo: null, userPrincipalName: null, ownerType: null },
    labels: [],
    firstActivityTimeUtc: null,
    lastActivityTimeUtc: null,
    ...overrides,
  };
}

function recordingStore(state: SimState) {
  const events: Array<[string, MirroredComment?]> = [];
  const store = createSentinelStore({
    clock: () => new Date(),
    state: () => state,
    directory: () => [{ objectId: 'oid-ann', userPrincipalName: 'ann@contoso.example', displayName: 'Ann' }],
    changed: () => {},
    events: { incidentChanged: (name, comment) => events.push(comment ? [name, comment] : [name]) },
  });
  return { store, events };
}

describe('timers', () => {
  test('a failing callback is reported with its context, never thrown', async () => {
    const reported: Array<[unknown, string]> = [];
    const timers = createTimerSet((error, context) => reported.push([error, context]));
    timers.schedule(0, 'importing incident 7', () => {
      throw new Error('boom');
    });
    await waitFor(() => reported.length > 0, 'the error report');
    expect(reported[0]![1]).toBe('importing incident 7');
    expect((reported[0]![0] as Error).message).toBe('boom');
  });

  test('clear cancels what has not run yet', async () => {
    const timers = createTimerSet(() => {});
    const ran: string[] = [];
    timers.schedule(0, 'first', () => ran.push('cancelled'));
    timers.clear();
    timers.schedule(0, 'second', () => ran.push('kept'));
    await waitFor(() => ran.includes('kept'), 'the timer scheduled after clear');
    expect(ran).toEqual(['kept']);
  });
});

describe('Defender portal', () => {
  test('correlated alerts join one incident, which escalates; creation is reported once, the join as a change', () => {
    const state = freshState();
    const { defender, events } = recordingDefender(state);
    const first = defender.raiseAlert({ serviceSource: MDE, title: 'PowerShell', severity: 'low', category: 'Execution', correlationKey: 'k' });
    const second = defender.raiseAlert({ serviceSource: MDI, title: 'Pass the hash', severity: 'high', category: 'LateralMovement', correlationKey: 'k' });
    expect(second.incidentId).toBe(first.incidentId);
    const incident = state.defender.incidents[first.incidentId]!;
    expect(incident.severity).toBe('high');
    expect(incident.displayName).toBe('Multi-stage incident involving Execution & LateralMovement reported by multiple sources');
    expect(alertsOf(state.defender, incident).map((alert) => alert.id)).toEqual([first.alertId, second.alertId]);
    expect(events).toEqual([
      ['created', first.incidentId],
      ['alert', first.incidentId, MDE.wire],
      ['changed', first.incidentId],
      ['alert', first.incidentId, MDI.wire],
    ]);
  });

  test('an update is reported only when a mirrored field changed; a comment always is, with its author', () => {
    const state = freshState();
    const { defender, events } = recordingDefender(state);
    const { incidentId } = defender.raiseAlert({ serviceSource: MDE, title: 'PowerShell', severity: 'low' });
    events.length = 0;
    defender.updateDefenderIncident(incidentId, { status: 'inProgress' }, 'API-App:bridge');
    expect(events).toEqual([]);
    expect(state.defender.incidents[incidentId]!.lastModifiedBy).toBe('API-App:bridge');
    defender.updateDefenderIncident(incidentId, { customTags: ['vip'] }, 'API-App:bridge');
    defender.addDefenderComment(incidentId, 'looking', 'ann@contoso.example');
    expect(events).toEqual([['changed', incidentId], ['changed', incidentId, { text: 'looking', author: 'ann@contoso.example' }]]);
  });

  test('a merge redirects the source, moves its alerts, and reports both incidents', () => {
    const state = freshState();
    const { defender, events } = recordingDefender(state);
    const source = defender.raiseAlert({ serviceSource: MDE, title: 'A', severity: 'high' });
    const target = defender.raiseAlert({ serviceSource: MDE, title: 'B', severity: 'low' });
    events.length = 0;
    defender.mergeDefenderIncidents(source.incidentId, target.incidentId);
    expect(state.defender.incidents[source.incidentId]).toMatchObject({ status: 'redirected', redirectIncidentId: target.incidentId, alertIds: [], lastModifiedBy: DEFENDER_SYSTEM_ACTOR });
    expect(state.defender.incidents[target.incidentId]).toMatchObject({ severity: 'high', alertIds: [target.alertId, source.alertId] });
    expect(events).toEqual([['redirected', source.incidentId], ['changed', source.incidentId], ['changed', target.incidentId]]);
    expect(() => defender.mergeDefenderIncidents(source.incidentId, target.incidentId)).toThrow(SimError);
  });
});

describe('Sentinel store', () => {
  test('a stale etag is a conflict; without one the last write wins; owners resolve against the directory', () => {
    const state = freshState();
    const { store } = recordingStore(state);
    const { incident, created } = store.putSentinelIncident('inc-1', write(), USER);
    expect(created).toBe(true);
    const firstEtag = incident.etag;
    store.putSentinelIncident('inc-1', write({ etag: firstEtag, owner: { objectId: null, email: null, assignedTo: null, userPrincipalName: 'ANN@contoso.example', ownerType: null } }), USER);
    expect(state.sentinel.incidents['inc-1']!.owner).toMatchObject({ objectId: 'oid-ann', assignedTo: 'Ann', ownerType: 'User' });
    expect(() => store.putSentinelIncident('inc-1', write({ etag: firstEtag }), USER)).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(store.putSentinelIncident('inc-1', write({ title: 'Renamed' }), USER).created).toBe(false);
    expect(state.sentinel.incidents['inc-1']!.title).toBe('Renamed');
  });

  test('updates are reported only for mirrored fields; new comments are, edits are not; a comment keeps the etag', () => {
    const state = freshState();
    const { store, events } = recordingStore(state);
    store.putSentinelIncident('inc-1', write(), USER);
    store.putSentinelIncident('inc-1', write({ status: 'Active' }), USER);
    expect(events).toEqual([]);
    store.putSentinelIncident('inc-1', write({ status: 'Active', severity: 'High' }), USER);
    expect(events).toEqual([['inc-1']]);
    const etag = state.sentinel.incidents['inc-1']!.etag;
    store.putSentinelComment('inc-1', 'c-1', 'first', { userPrincipalName: 'ann@contoso.example', name: 'Ann' });
    store.putSentinelComment('inc-1', 'c-1', 'edited', { userPrincipalName: 'ann@contoso.example', name: 'Ann' });
    expect(events).toEqual([['inc-1'], ['inc-1', { text: 'first', author: 'ann@contoso.example' }]]);
    expect(state.sentinel.comments['inc-1']!.map((comment) => comment.message)).toEqual(['edited']);
    expect(state.sentinel.incidents['inc-1']!.etag).toBe(etag);
    expect(() => store.putSentinelComment('missing', 'c', 'x', {})).toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(store.deleteSentinelComment('inc-1', 'c-1')).toBe(true);
    expect(store.deleteSentinelIncident('inc-1')).toBe(true);
    expect(store.deleteSentinelIncident('inc-1')).toBe(false);
  });

  test("providers' incidents are numbered in sequence; their comments move the incident's modified time", () => {
    const state = freshState();
    const fields: NewSentinelIncident = {
      ...write(),
      labels: [],
      providerName: 'Azure Sentinel',
      providerIncidentUrl: null,
      alertsCount: 0,
      alertProductNames: [],
      tactics: [],
      techniques: [],
      relatedAnalyticRuleIds: [],
      createdBy: USER,
      lastModifiedBy: USER,
    };
    const a = addSentinelIncident(state.sentinel, fields, '2025-01-01T00:00:00.000Z');
    const b = addSentinelIncident(state.sentinel, { ...fields, providerIncidentId: '42' }, '2025-01-01T00:00:00.000Z');
    expect([a.incidentNumber, a.providerIncidentId, b.incidentNumber, b.providerIncidentId]).toEqual([1, '1', 2, '42']);
    appendSentinelComment(state.sentinel, a.name, 'note', { name: 'Defender' }, '2025-01-02T00:00:00.000Z');
    expect(state.sentinel.incidents[a.name]!.lastModifiedTimeUtc).toBe('2025-01-02T00:00:00.000Z');
    expect(state.sentinel.comments[a.name]!.map((comment) => comment.message)).toEqual(['note']);
  });
});

describe('connector flow', () => {
  function setup(config: Partial<RuntimeConfig> = {}) {
    const state = freshState();
    const errors: string[] = [];
    const flow = createConnectorFlow({
      clock: () => new Date(),
      runtime: runtime(config),
      securityInsightsScope: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/ws/providers/Microsoft.SecurityInsights',
      state: () => state,
      changed: () => {},
      onError: (_error, context) => errors.push(context),
    });
    const defender = createDefenderPortal({
      tenantId: TENANT,
      clock: () => new Date(),
      state: () => state,
      changed: () => {},
      events: {
        incidentCreated: flow.defenderIncidentCreated,
        incidentChanged: (id, comment) => flow.requestMirror('toSentinel', id, comment),
        incidentRedirected: flow.defenderIncidentRedirected,
        alertRaised: flow.applyIncidentCreationRules,
      },
    });
    return { state, flow, defender, errors };
  }

  test('Defender portal method: a new incident is imported at once as Microsoft XDR', () => {
    const { flow, defender } = setup();
    const { incidentId } = defender.raiseAlert({ serviceSource: MDE, title: 'PowerShell', severity: 'medium', category: 'Execution' });
    expect(flow.sentinelCounterpart(incidentId)).toMatchObject({ providerName: XDR_PROVIDER_NAME, providerIncidentId: incidentId, severity: 'Medium', tactics: ['Execution'] });
  });

  test('Azure portal method: the import is persisted, cancelled by a merge, and resumed after a load', async () => {
    const { state, flow, defender } = setup({ integrationMethod: 'azurePortal', azurePortalDelayMs: 60_000 });
    const kept = defender.raiseAlert({ serviceSource: MDE, title: 'Kept', severity: 'low' });
    const merged = defender.raiseAlert({ serviceSource: MDE, title: 'Merged', severity: 'low' });
    expect(Object.keys(state.sentinel.pendingImports).sort()).toEqual([kept.incidentId, merged.incidentId].sort());
    defender.mergeDefenderIncidents(merged.incidentId, kept.incidentId);
    expect(Object.keys(state.sentinel.pendingImports)).toEqual([kept.incidentId]);
    // As after a restart: the timers are gone, the due time (now past) is in the state.
    flow.stop();
    state.sentinel.pendingImports[kept.incidentId] = new Date(Date.now() - 1000).toISOString();
    flow.resume();
    await waitFor(() => flow.sentinelCounterpart(kept.incidentId), 'the resumed import');
    expect(state.sentinel.pendingImports).toEqual({});
    expect(flow.sentinelCounterpart(merged.incidentId)).toBeUndefined();
  });

  test('coalescing: changes and comments within the window arrive as one update with the latest values', async () => {
    const { state, flow, defender } = setup({ coalesceWindowMs: 50 });
    const { incidentId } = defender.raiseAlert({ serviceSource: MDE, title: 'PowerShell', severity: 'low' });
    defender.updateDefenderIncident(incidentId, { displayName: 'First name' }, 'API-App:bridge');
    defender.addDefenderComment(incidentId, 'one', 'ann@contoso.example');
    defender.updateDefenderIncident(incidentId, { displayName: 'Latest name' }, 'API-App:bridge');
    defender.addDefenderComment(incidentId, 'two', 'Bob');
    const target = flow.sentinelCounterpart(incidentId)!;
    expect(target.title).toBe('PowerShell');
    await waitFor(() => target.title === 'Latest name', 'the coalesced mirror');
    expect(state.sentinel.comments[target.name]!.map((comment) => [comment.message, comment.author])).toEqual([
      ['one', { name: 'ann@contoso.example', userPrincipalName: 'ann@contoso.example', email: 'ann@contoso.example' }],
      ['two', { name: 'Bob' }],
    ]);
  });

  test('an enabled incident creation rule makes the documented duplicate, naming the rule', () => {
    const { state, flow, defender } = setup({ integrationMethod: 'azurePortal', azurePortalDelayMs: 60_000 });
    const rule = Object.values(state.sentinel.alertRules).find((candidate) => candidate.properties.productFilter === MDE.creationRuleProduct)!;
    rule.properties.enabled = true;
    defender.raiseAlert({ serviceSource: MDE, title: 'PowerShell', severity: 'high' });
    defender.raiseAlert({ serviceSource: MDI, title: 'Other product', severity: 'high' });
    const duplicates = Object.values(state.sentinel.incidents);
    expect(duplicates).toHaveLength(1);
    expect(duplicates[0]).toMatchObject({ providerName: 'Azure Sentinel', title: 'PowerShell', severity: 'High', relatedAnalyticRuleIds: [expect.stringMatching(new RegExp(`/alertRules/${rule.name}$`))] });
    flow.stop();
  });
});
