import { describe, test, expect } from '@jest/globals';
import {
  consequencesOf,
  diffConnectorConfig,
  isChangeInEffect,
  isProgressToward,
  validateProposal,
  worstSeverity,
} from '../../src/approvals/diff.ts';
import { DEFENDER_XDR_EVENT_TABLES } from '../../src/approvals/connector-facts.ts';
import { canDecide, canTransition, decide } from '../../src/approvals/state-machine.ts';
import { INTEGRATION_METHOD_NOT_WRITABLE, type ConnectorConfig } from '../../src/domain/connector.ts';
import { ALICE, BASE_CONFIG, BOB } from './fakes.ts';

const with_ = (patch: Partial<ConnectorConfig>): ConnectorConfig => ({ ...BASE_CONFIG, ...patch });

describe('diffConnectorConfig', () => {
  test('lists exact per-setting changes, with added and removed tables', () => {
    const proposed = with_({
      integrationMethod: 'defenderPortal',
      entities: true,
      eventTypes: ['AlertInfo', 'EmailEvents'],
    });
    expect(diffConnectorConfig(BASE_CONFIG, proposed)).toEqual([
      { setting: 'integrationMethod', from: 'azurePortal', to: 'defenderPortal' },
      { setting: 'entities', from: false, to: true },
      { setting: 'eventTypes', added: ['AlertInfo'], removed: ['DeviceProcessEvents'] },
    ]);
  });

  test('is empty for equal configs, whatever the table order', () => {
    expect(diffConnectorConfig(BASE_CONFIG, with_({ eventTypes: ['EmailEvents', 'DeviceProcessEvents'] }))).toEqual([]);
  });

  test('isChangeInEffect and isProgressToward judge partial results', () => {
    const proposed = with_({ entities: true, eventTypes: ['CloudAppEvents', 'EmailEvents'] });
    const [entities, tables] = diffConnectorConfig(BASE_CONFIG, proposed);
    const halfway = with_({ entities: true });
    expect(isChangeInEffect(entities!, halfway)).toBe(true);
    expect(isChangeInEffect(tables!, halfway)).toBe(false);
    expect(isProgressToward(BASE_CONFIG, halfway, proposed)).toBe(true);
    expect(isProgressToward(BASE_CONFIG, with_({ incidentsAndAlerts: false }), proposed)).toBe(false);
    expect(isProgressToward(BASE_CONFIG, with_({ eventTypes: ['DeviceProcessEvents', 'EmailEvents', 'AlertInfo'] }), proposed)).toBe(false);
  });
});

describe('consequencesOf', () => {
  const texts = (proposed: ConnectorConfig, base = BASE_CONFIG) => consequencesOf(diffConnectorConfig(base, proposed), base, proposed);

  test('turning incident creation rules back on warns of duplicates for the products', () => {
    const c = texts(with_({ turnOffIncidentCreationRules: false }));
    expect(c).toHaveLength(1);
    expect(c[0]).toEqual({
      severity: 'critical',
      text: 'Turning Microsoft incident creation rules back on can create duplicate incidents for these products: Microsoft Defender for Endpoint, Microsoft Defender for Identity, Microsoft Defender for Office 365, Microsoft Defender for Cloud Apps, Microsoft Entra ID Protection.',
    });
  });

  test('switching to Defender portal integration names the connectors it disconnects', () => {
    const c = texts(with_({ integrationMethod: 'defenderPortal' }));
    expect(c[0]?.severity).toBe('critical');
    expect(c[0]?.text).toBe(
      'Switching to Defender portal integration disconnects these alert-provider connectors: Defender for Cloud Apps (alerts), Endpoint, Identity, Office 365, Entra ID Protection.',
    );
  });

  test('disconnecting incidents & alerts says the bridge can no longer link new incidents', () => {
    const c = texts(with_({ incidentsAndAlerts: false }));
    expect(c[0]).toEqual({ severity: 'critical', text: 'Incidents stop flowing into Sentinel; the bridge can no longer link new incidents.' });
    expect(worstSeverity(c)).toBe('critical');
  });

  test('removing tables says their data is no longer collected; adding them mentions cost', () => {
    const c = texts(with_({ eventTypes: ['EmailEvents', 'UrlClickEvents'] }));
    expect(c.map((x) => x.severity)).toEqual(['warning', 'info']);
    expect(c[0]?.text).toMatch(/^Data is no longer collected for these tables: DeviceProcessEvents\./);
    expect(c[1]?.text).toMatch(/UrlClickEvents.*billed/);
  });

  test('entities off is a warning, on is information', () => {
    expect(texts(with_({ entities: true }))[0]?.severity).toBe('info');
    expect(texts(with_({ entities: false }), with_({ entities: true }))[0]?.severity).toBe('warning');
  });
});

describe('validateProposal', () => {
  test('accepts a documented change and normalises the table list', () => {
    const result = validateProposal(BASE_CONFIG, with_({ eventTypes: ['EmailEvents', 'AlertInfo', 'EmailEvents', 'DeviceProcessEvents'] }));
    expect(result).toEqual({ ok: true, config: with_({ eventTypes: ['AlertInfo', 'DeviceProcessEvents', 'EmailEvents'] }) });
  });

  test('settings inherited through the prototype are not part of the proposal', () => {
    const inherited = Object.create(with_({ entities: !BASE_CONFIG.entities })) as object;
    const result = validateProposal(BASE_CONFIG, inherited);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.field)).toEqual(expect.arrayContaining(['integrationMethod', 'entities', 'eventTypes']));
  });

  test('every documented table is accepted', () => {
    const all = DEFENDER_XDR_EVENT_TABLES.map((t) => t.name);
    expect(all).toHaveLength(21);
    expect(validateProposal(BASE_CONFIG, with_({ eventTypes: all })).ok).toBe(true);
  });

  test('refuses unknown, TVM and wrongly cased table names with what to do', () => {
    const result = validateProposal(BASE_CONFIG, with_({ eventTypes: ['SigninLogs', 'DeviceTvmSoftwareInventory', 'deviceevents'] }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.message)).toEqual([
      '"SigninLogs" is not an advanced hunting table the Defender XDR connector can stream.',
      '"DeviceTvmSoftwareInventory": Defender Vulnerability Management tables are not ingested into Microsoft Sentinel.',
      '"deviceevents" is not a table name; did you mean DeviceEvents? (names are case-sensitive)',
    ]);
  });

  test('refuses an empty diff', () => {
    const result = validateProposal(BASE_CONFIG, { ...BASE_CONFIG });
    expect(result).toEqual({ ok: false, errors: [{ field: 'proposal', message: 'The proposal changes nothing: it equals the current configuration.' }] });
  });

  test('refuses incident creation rules on with Defender portal integration', () => {
    const result = validateProposal(with_({ integrationMethod: 'defenderPortal' }), with_({ integrationMethod: 'defenderPortal', turnOffIncidentCreationRules: false }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.field)).toEqual(['turnOffIncidentCreationRules']);
  });

  test('refuses a change of integration method, saying where it is made instead (ARM has no setting for it)', () => {
    const result = validateProposal(BASE_CONFIG, with_({ integrationMethod: 'defenderPortal', entities: true }));
    expect(result).toEqual({ ok: false, errors: [{ field: 'integrationMethod', message: INTEGRATION_METHOD_NOT_WRITABLE }] });
  });

  test('refuses malformed input safely', () => {
    for (const bad of [null, 'x', [], { ...BASE_CONFIG, entities: 'yes' }, { ...BASE_CONFIG, eventTypes: 'EmailEvents' }, { ...BASE_CONFIG, integrationMethod: 'both' }]) {
      expect(validateProposal(BASE_CONFIG, bad).ok).toBe(false);
    }
  });
});

describe('state machine', () => {
  const now = new Date('2026-03-02T10:00:00.000Z');
  const base = { state: 'pending' as const, requester: ALICE, expiresAt: '2026-03-03T09:00:00.000Z', now };

  test('rules apply in a fixed order', () => {
    expect(decide({ ...base, decision: 'approve', actor: BOB, actorIsApprover: true })).toEqual({ allowed: true, to: 'approved' });
    expect(decide({ ...base, decision: 'approve', actor: { ...ALICE, objectId: ALICE.objectId.toUpperCase() }, actorIsApprover: true })).toMatchObject({ allowed: false, refusal: 'self-approval' });
    expect(decide({ ...base, decision: 'reject', actor: BOB, actorIsApprover: false })).toMatchObject({ allowed: false, refusal: 'not-approver' });
    expect(decide({ ...base, decision: 'approve', actor: BOB, actorIsApprover: true, now: new Date('2026-03-03T09:00:00.000Z') })).toMatchObject({ refusal: 'expired', to: 'expired' });
    expect(decide({ ...base, decision: 'approve', actor: BOB, actorIsApprover: true, baseVersion: 'v1', liveVersion: 'v2' })).toMatchObject({ refusal: 'stale', to: 'stale' });
    expect(decide({ ...base, state: 'applied', decision: 'approve', actor: BOB, actorIsApprover: true })).toMatchObject({ refusal: 'not-pending' });
  });

  test('buttons are for approvers other than the requester, while pending', () => {
    expect(canDecide({ ...base, actor: BOB, actorIsApprover: true })).toBe(true);
    expect(canDecide({ ...base, actor: ALICE, actorIsApprover: true })).toBe(false);
    expect(canDecide({ ...base, actor: BOB, actorIsApprover: false })).toBe(false);
    expect(canDecide({ ...base, state: 'rejected', actor: BOB, actorIsApprover: true })).toBe(false);
  });

  test('transitions follow the documented graph', () => {
    expect(canTransition('pending', 'approved')).toBe(true);
    expect(canTransition('approved', 'applying')).toBe(true);
    expect(canTransition('applying', 'applied')).toBe(true);
    expect(canTransition('pending', 'applied')).toBe(false);
    expect(canTransition('rejected', 'approved')).toBe(false);
  });
});
