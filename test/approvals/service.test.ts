import { describe, test, expect } from '@jest/globals';
import { createApprovalService, lastKnownSnapshotKeyOf } from '../../src/approvals/service.ts';
import { storedOutcome } from '../../src/approvals/stored-records.ts';
import { ApprovalError, type ApprovalOutcome } from '../../src/approvals/types.ts';
import type { ConnectorConfig } from '../../src/domain/connector.ts';
import type { Actor } from '../../src/domain/incident.ts';
import {
  ALICE,
  ANALYST_IDS,
  APPROVER_IDS,
  BASE_CONFIG,
  BOB,
  CAROL,
  MALLORY,
  PAIR_ID,
  VIOLET,
  createFakeConnector,
  createManualClock,
  createMemoryApprovals,
  createMemoryAudit,
  createMemorySettings,
} from './fakes.ts';

function setup(options: { maxAttempts?: number; initial?: ConnectorConfig } = {}) {
  const clock = createManualClock();
  const connector = createFakeConnector(options.initial ?? BASE_CONFIG, clock.now);
  const approvals = createMemoryApprovals(clock.now);
  const audit = createMemoryAudit();
  const settings = createMemorySettings();
  const sleeps: number[] = [];
  let n = 0;
  const service = createApprovalService({
    pairId: PAIR_ID,
    connector,
    approvals,
    audit,
    settings,
    isApprover: (actor: Actor) => APPROVER_IDS.has(actor.objectId),
    isAnalyst: (actor: Actor) => ANALYST_IDS.has(actor.objectId),
    clock: clock.now,
    newId: () => `req-${++n}`,
    retry: { maxAttempts: options.maxAttempts ?? 4, baseDelayMs: 1000, maxDelayMs: 8000 },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  });
  return { clock, connector, approvals, audit, settings, service, sleeps };
}

const ADD_TABLE: ConnectorConfig = { ...BASE_CONFIG, eventTypes: [...BASE_CONFIG.eventTypes, 'CloudAppEvents'] };

async function rejection(promise: Promise<unknown>): Promise<ApprovalError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApprovalError) return error;
    throw error;
  }
  throw new Error('expected the call to be refused');
}

function outcomeOf(request: { outcome: unknown }): ApprovalOutcome {
  const outcome = storedOutcome(request as never);
  if (!outcome) throw new Error('no outcome stored');
  return outcome;
}

describe('approval flow', () => {
  test('request -> approve by a second person -> applied, read back, audited', async () => {
    const { service, connector, audit, settings } = setup();
    const { request, changes, consequences } = await service.request(ALICE, ADD_TABLE, 'Hunt on OAuth abuse');
    expect(request.state).toBe('pending');
    expect(request.baseVersion).toBe('v1');
    expect(request.expiresAt).toBe('2026-03-03T09:00:00.000Z'); // default expiry: 24 h
    expect(changes).toEqual([{ setting: 'eventTypes', added: ['CloudAppEvents'], removed: [] }]);
    expect(consequences.map((c) => c.severity)).toEqual(['info']);

    const final = await service.approve(request.id, BOB);
    expect(final.state).toBe('applied');
    expect(final.decidedBy).toEqual(BOB);
    expect(outcomeOf(final)).toMatchObject({ kind: 'applied', attempts: 1, version: 'v2' });
    expect(connector.current().config.eventTypes).toEqual(['CloudAppEvents', 'DeviceProcessEvents', 'EmailEvents']);
    expect(connector.writes).toHaveLength(1);
    expect(connector.writes[0]?.baseVersion).toBe('v1');

    const actions = audit.entries.filter((e) => e.subject === `approval:${request.id}`).map((e) => [e.action, e.actor.objectId]);
    expect(actions).toEqual([
      ['approval.requested', ALICE.objectId],
      ['approval.approved', BOB.objectId],
      ['connector.applied', 'system:approvals'],
    ]);
    // The applied snapshot is the new drift baseline.
    expect(settings.values.get(lastKnownSnapshotKeyOf(PAIR_ID))).toMatchObject({ version: 'v2' });
  });

  test('the requester cannot approve their own request, even as an approver', async () => {
    const { service, connector } = setup();
    const { request } = await service.request(ALICE, ADD_TABLE, 'reason');
    const error = await rejection(service.approve(request.id, ALICE));
    expect(error.code).toBe('self-approval');
    expect(error.message).toMatch(/four-eyes/);
    expect((await service.get(request.id))?.state).toBe('pending');
    expect(connector.writes).toHaveLength(0);
  });

  test('requesting needs at least the analyst role: a viewer files nothing, an analyst or approver can', async () => {
    const { service, connector, approvals, audit } = setup();
    const refused = await rejection(service.request(VIOLET, ADD_TABLE, 'let me in'));
    expect(refused.code).toBe('not-analyst');
    expect(refused.message).toMatch(/Only analysts can request/);
    expect(approvals.all()).toHaveLength(0);
    expect(audit.entries).toHaveLength(0);
    expect(connector.reads).toBe(0);
    expect(await service.mayRequest(VIOLET)).toBe(false);
    expect(await service.mayRequest(MALLORY)).toBe(true);
    expect(await service.mayRequest(BOB)).toBe(true);
    // An analyst's request still needs an approver: Bob approves Mallory's.
    const { request } = await service.request(MALLORY, ADD_TABLE, 'Hunt on OAuth abuse');
    expect((await service.approve(request.id, BOB)).state).toBe('applied');
  });

  test('a non-approver can neither approve nor reject', async () => {
    const { service, connector } = setup();
    const { request } = await service.request(ALICE, ADD_TABLE, 'reason');
    expect((await rejection(service.approve(request.id, MALLORY))).code).toBe('not-approver');
    expect((await rejection(service.reject(request.id, MALLORY))).code).toBe('not-approver');
    expect((await service.get(request.id))?.state).toBe('pending');
    expect(connector.writes).toHaveLength(0);
  });

  test('reject records who and why; the request cannot be approved afterwards', async () => {
    const { service, audit } = setup();
    const { request } = await service.request(ALICE, ADD_TABLE, 'reason');
    const rejected = await service.reject(request.id, CAROL, '  not during the audit window  ');
    expect(rejected.state).toBe('rejected');
    expect(rejected.decidedBy).toEqual(CAROL);
    expect(outcomeOf(rejected)).toEqual({ kind: 'rejected', reason: 'not during the audit window' });
    expect((await rejection(service.approve(request.id, BOB))).code).toBe('not-pending');
    expect(audit.entries.at(-1)).toMatchObject({ action: 'approval.rejected', details: { reason: 'not during the audit window' } });
  });

  test('concurrent double approval applies once', async () => {
    const { service, connector } = setup();
    const { request } = await service.request(ALICE, ADD_TABLE, 'reason');
    const results = await Promise.allSettled([service.approve(request.id, BOB), service.approve(request.id, CAROL), service.approve(request.id, BOB)]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(refused).toHaveLength(2);
    for (const r of refused) expect((r.reason as ApprovalError).code).toBe('already-decided');
    expect(connector.writes).toHaveLength(1);
    expect((await service.get(request.id))?.state).toBe('applied');
  });

  test('an expired request is refused and moves to expired', async () => {
    const { service, clock, connector, audit } = setup();
    const { request } = await service.request(ALICE, ADD_TABLE, 'reason');
    clock.advance(24 * 60 * 60 * 1000); // exactly at expiry
    const error = await rejection(service.approve(request.id, BOB));
    expect(error.code).toBe('expired');
    expect(error.request?.state).toBe('expired');
    expect(connector.writes).toHaveLength(0);
    expect(audit.entries.at(-1)?.action).toBe('approval.expired');
    expect((await rejection(service.reject(request.id, BOB))).code).toBe('not-pending');
  });

  test('expiry is configurable and expireDue closes overdue requests', async () => {
    const clock = createManualClock();
    const connector = createFakeConnector(BASE_CONFIG, clock.now);
    const approvals = createMemoryApprovals(clock.now);
    const service = createApprovalService({
      pairId: PAIR_ID, connector, approvals, audit: createMemoryAudit(), settings: createMemorySettings(),
      isApprover: () => true, isAnalyst: () => false, clock: clock.now, newId: () => 'short', expiryMs: 60_000,
    });
    const { request } = await service.request(ALICE, ADD_TABLE, 'reason');
    expect(request.expiresAt).toBe('2026-03-02T09:01:00.000Z');
    clock.advance(59_999);
    expect(await service.expireDue()).toEqual([]);
    clock.advance(1);
    expect((await service.expireDue()).map((r) => r.id)).toEqual(['short']);
  });

  test('a stale base is refused at approval and says why', async () => {
    const { service, connector } = setup();
    const { request } = await service.request(ALICE, ADD_TABLE, 'reason');
    connector.changeOutside({ entities: true });
    const error = await rejection(service.approve(request.id, BOB));
    expect(error.code).toBe('stale');
    expect(error.message).toMatch(/changed since this request was made \(version v1, now v2\)/);
    expect(error.request?.state).toBe('stale');
    expect(outcomeOf(error.request!)).toMatchObject({ kind: 'stale', liveVersion: 'v2' });
    expect(connector.writes).toHaveLength(0);
  });

  test('a form built from an older configuration is refused', async () => {
    const { service, connector } = setup();
    connector.changeOutside({ entities: true });
    expect((await rejection(service.request(ALICE, ADD_TABLE, 'r', { formVersion: 'v1' }))).code).toBe('form-outdated');
  });

  test('invalid proposals and reasons are refused with what to fix', async () => {
    const { service } = setup();
    const empty = await rejection(service.request(ALICE, BASE_CONFIG, 'r'));
    expect(empty.code).toBe('invalid-proposal');
    expect(empty.message).toMatch(/changes nothing/);
    const unknown = await rejection(service.request(ALICE, { ...BASE_CONFIG, eventTypes: ['SigninLogs'] }, 'r'));
    expect(unknown.details?.[0]?.message).toMatch(/"SigninLogs" is not an advanced hunting table/);
    expect((await rejection(service.request(ALICE, ADD_TABLE, '   '))).code).toBe('invalid-reason');
    expect((await rejection(service.request(ALICE, ADD_TABLE, 'x'.repeat(501)))).code).toBe('invalid-reason');
  });

  test('a connector that cannot be read refuses the request with what to check', async () => {
    const { service, connector } = setup();
    connector.failReads({ code: 'unavailable', status: 503 });
    const error = await rejection(service.request(ALICE, ADD_TABLE, 'r'));
    expect(error.code).toBe('connector-unavailable');
    expect(error.cause).toBeDefined();
  });
});

describe('faults while applying', () => {
  test('429 then 500 are retried with backoff (Retry-After honoured) and then applied', async () => {
    const { service, connector, sleeps } = setup();
    connector.failWrites({ code: 'throttled', status: 429, retryAfterSeconds: 3 }, { code: 'unavailable', status: 500 });
    const { request } = await service.request(ALICE, ADD_TABLE, 'r');
    const final = await service.approve(request.id, BOB);
    expect(final.state).toBe('applied');
    expect(outcomeOf(final)).toMatchObject({ kind: 'applied', attempts: 3 });
    expect(sleeps).toEqual([3000, 1500]); // Retry-After 3 s; then 1000 * 2^1 * (0.5 + 0.5/2)
    expect(connector.writes).toHaveLength(3);
  });

  test('persistent 5xx fails after the bounded attempts and shows nothing was changed', async () => {
    const { service, connector } = setup({ maxAttempts: 3 });
    connector.failWrites({ code: 'unavailable', status: 500 }, { code: 'unavailable', status: 500 }, { code: 'unavailable', status: 503 });
    const { request } = await service.request(ALICE, ADD_TABLE, 'r');
    const final = await service.approve(request.id, BOB);
    expect(final.state).toBe('failed');
    const outcome = outcomeOf(final);
    expect(outcome).toMatchObject({ kind: 'failed', errorCode: 'unavailable', attempts: 3, applied: [], liveVersion: 'v1' });
    if (outcome.kind !== 'failed') throw new Error('unreachable');
    expect(outcome.notApplied).toEqual([{ setting: 'eventTypes', added: ['CloudAppEvents'], removed: [] }]);
    expect(outcome.message).toMatch(/Nothing was changed/);
    expect(connector.writes).toHaveLength(3);
  });

  test('a write that got part-way before a 500 is finished on top of its own partial result', async () => {
    const { service, connector } = setup();
    const proposed: ConnectorConfig = { ...BASE_CONFIG, entities: true, eventTypes: ['CloudAppEvents', 'DeviceProcessEvents', 'EmailEvents'] };
    connector.failWrites({ code: 'unavailable', status: 500, partial: { entities: true } });
    const { request } = await service.request(ALICE, proposed, 'r');
    const final = await service.approve(request.id, BOB);
    expect(final.state).toBe('applied');
    expect(connector.writes.map((w) => w.baseVersion)).toEqual(['v1', 'v1', 'v2']); // retry hit 409, rebased on our own partial write
    expect(connector.current().config).toEqual(proposed);
  });

  test('a partial write that then fails for good reports what was and was not applied', async () => {
    const { service, connector } = setup({ maxAttempts: 3 });
    const proposed: ConnectorConfig = { ...BASE_CONFIG, entities: true, eventTypes: ['CloudAppEvents', 'DeviceProcessEvents', 'EmailEvents'] };
    // 500 after changing entities; the retry meets 409 (our own partial write) and rebases; then 403.
    connector.failWrites({ code: 'unavailable', status: 500, partial: { entities: true } }, { code: 'forbidden', status: 403 });
    const { request } = await service.request(ALICE, proposed, 'r');
    const final = await service.approve(request.id, BOB);
    expect(final.state).toBe('failed');
    const outcome = outcomeOf(final);
    if (outcome.kind !== 'failed') throw new Error(`expected failed, got ${outcome.kind}`);
    expect(outcome.errorCode).toBe('forbidden');
    expect(connector.writes.map((w) => w.baseVersion)).toEqual(['v1', 'v1', 'v2']);
    expect(outcome.applied).toEqual([{ setting: 'entities', from: false, to: true }]);
    expect(outcome.notApplied).toEqual([{ setting: 'eventTypes', added: ['CloudAppEvents'], removed: [] }]);
    expect(outcome.message).toMatch(/Partly applied: Connect entities: off → on/);
    expect(outcome.liveConfig?.entities).toBe(true);
  });

  test('403 is not retried and names the role to check', async () => {
    const { service, connector, sleeps } = setup();
    connector.failWrites({ code: 'forbidden', status: 403 });
    const { request } = await service.request(ALICE, ADD_TABLE, 'r');
    const final = await service.approve(request.id, BOB);
    expect(final.state).toBe('failed');
    expect(outcomeOf(final)).toMatchObject({ errorCode: 'forbidden', attempts: 1 });
    expect(JSON.stringify(final.outcome)).toMatch(/Microsoft Sentinel Contributor/);
    expect(sleeps).toEqual([]);
  });

  test('409 from a change by someone else during apply ends stale, not applied', async () => {
    const { service, connector, audit } = setup();
    const { request } = await service.request(ALICE, ADD_TABLE, 'r');
    // Someone changes the connector after the approval check but before the write.
    const originalWrite = connector.write.bind(connector);
    let first = true;
    connector.write = async (base, next) => {
      if (first) {
        first = false;
        connector.changeOutside({ turnOffIncidentCreationRules: false });
      }
      return originalWrite(base, next);
    };
    const final = await service.approve(request.id, BOB);
    expect(final.state).toBe('stale');
    expect(outcomeOf(final)).toMatchObject({ kind: 'stale', liveVersion: 'v2' });
    expect(connector.current().config.eventTypes).toEqual(BASE_CONFIG.eventTypes);
    expect(audit.entries.at(-1)?.action).toBe('connector.stale');
  });

  test('a read-back that differs from the approved config is a failure that shows the difference', async () => {
    const { service, connector } = setup();
    connector.ignoreOnWrite({ eventTypes: [] });
    const { request } = await service.request(ALICE, ADD_TABLE, 'r');
    const final = await service.approve(request.id, BOB);
    expect(final.state).toBe('failed');
    expect(outcomeOf(final)).toMatchObject({ errorCode: 'read-back-mismatch', applied: [], notApplied: [{ setting: 'eventTypes' }] });
  });

  test('an unreadable configuration after a failure says to check the connector page', async () => {
    const { service, connector } = setup({ maxAttempts: 1 });
    const { request } = await service.request(ALICE, ADD_TABLE, 'r');
    connector.failReads({ code: 'unavailable' }); // approval's live check
    expect((await rejection(service.approve(request.id, BOB))).code).toBe('connector-unavailable');
    expect((await service.get(request.id))?.state).toBe('pending'); // nothing decided
    connector.failWrites({ code: 'unavailable', status: 500 });
    // The approval's live check succeeds, the write fails, the read-back fails.
    const originalRead = connector.read.bind(connector);
    let reads = 0;
    connector.read = async () => {
      reads += 1;
      if (reads === 2) throw new Error('socket hang up');
      return originalRead();
    };
    const final = await service.approve(request.id, BOB);
    expect(outcomeOf(final)).toMatchObject({ kind: 'failed', applied: null, notApplied: null });
    expect(JSON.stringify(final.outcome)).toMatch(/check the connector page/);
  });
});

describe('drift and status', () => {
  test('a change outside the bridge is announced once and makes pending requests stale', async () => {
    const { service, connector, audit } = setup();
    const first = await service.detectDrift();
    expect(first).toMatchObject({ drifted: false, baseline: true });
    const { request } = await service.request(ALICE, ADD_TABLE, 'r');

    connector.changeOutside({ turnOffIncidentCreationRules: false, eventTypes: ['EmailEvents'] });
    const report = await service.detectDrift();
    expect(report.drifted).toBe(true);
    expect(report.changes).toEqual([
      { setting: 'turnOffIncidentCreationRules', from: true, to: false },
      { setting: 'eventTypes', added: [], removed: ['DeviceProcessEvents'] },
    ]);
    expect(report.announcement?.title).toMatch(/changed outside the bridge/);
    expect(report.announcement?.lines.join('\n')).toMatch(/duplicate incidents/);
    expect(report.staleRequestIds).toEqual([request.id]);
    expect((await service.get(request.id))?.state).toBe('stale');
    expect(audit.entries.at(-1)).toMatchObject({ action: 'connector.drift', subject: 'connector:defender-xdr' });

    const again = await service.detectDrift();
    expect(again.drifted).toBe(false);
  });

  test('the bridge\'s own apply is not drift', async () => {
    const { service } = setup();
    await service.detectDrift();
    const { request } = await service.request(ALICE, ADD_TABLE, 'r');
    await service.approve(request.id, BOB);
    expect((await service.detectDrift()).drifted).toBe(false);
  });

  test('an explicit last-known snapshot is compared with the live one', async () => {
    const { service, connector } = setup();
    const old = connector.current();
    connector.changeOutside({ entities: true });
    const report = await service.detectDrift(old);
    expect(report.changes).toEqual([{ setting: 'entities', from: false, to: true }]);
  });

  test('status shows config, drift warnings, prerequisites and pending requests', async () => {
    const { service, connector } = setup();
    connector.checkRequirements = async () => [{ name: 'Microsoft Defender XDR solution installed', ok: true }];
    await service.status(); // baseline
    await service.request(ALICE, ADD_TABLE, 'r');
    connector.changeOutside({ entities: true });
    const status = await service.status();
    expect(status.snapshot.version).toBe('v2');
    expect(status.driftWarnings).toEqual(['Changed outside the bridge: Connect entities: off → on']);
    expect(status.requirements).toEqual([{ name: 'Microsoft Defender XDR solution installed', ok: true }]);
    expect(status.pending).toHaveLength(1);
    expect(status.pairId).toBe(PAIR_ID);
  });
});

describe('history', () => {
  test('shows who requested, who decided, when, the diff and the outcome', async () => {
    const { service, clock } = setup();
    const a = await service.request(ALICE, ADD_TABLE, 'first');
    clock.advance(60_000);
    await service.approve(a.request.id, BOB);
    clock.advance(60_000);
    const b = await service.request(MALLORY, { ...ADD_TABLE, entities: true }, 'second');
    await service.reject(b.request.id, CAROL, 'no');

    const history = await service.history(10);
    expect(history.map((h) => [h.request.id, h.request.state])).toEqual([
      [b.request.id, 'rejected'],
      [a.request.id, 'applied'],
    ]);
    const applied = history[1]!;
    expect(applied.request.requester).toEqual(ALICE);
    expect(applied.request.decidedBy).toEqual(BOB);
    expect(applied.request.decidedAt).toBe('2026-03-02T09:01:00.000Z');
    expect(applied.events.map((e) => e.action)).toEqual(['approval.requested', 'approval.approved', 'connector.applied']);
    expect(applied.events[0]?.details).toMatchObject({ reason: 'first', changes: [{ setting: 'eventTypes', added: ['CloudAppEvents'] }] });
    expect(applied.events[2]?.details).toMatchObject({ outcome: { kind: 'applied' } });
    expect(history[0]!.events.map((e) => [e.action, e.actor.displayName])).toEqual([
      ['approval.requested', MALLORY.displayName],
      ['approval.rejected', CAROL.displayName],
    ]);
  });
});

describe('two pairs over one store', () => {
  /** Two customers' services: their own connectors, the same repositories (as start-bridge.ts wires them). */
  function twoPairs() {
    const clock = createManualClock();
    const approvals = createMemoryApprovals(clock.now);
    const audit = createMemoryAudit();
    const settings = createMemorySettings();
    let n = 0;
    const serviceOf = (pairId: string) => {
      const connector = createFakeConnector(BASE_CONFIG, clock.now);
      const service = createApprovalService({
        pairId,
        connector,
        approvals,
        audit,
        settings,
        isApprover: (actor: Actor) => APPROVER_IDS.has(actor.objectId),
        isAnalyst: (actor: Actor) => ANALYST_IDS.has(actor.objectId),
        clock: clock.now,
        newId: () => `req-${++n}`,
        expiryMs: 60_000,
      });
      return { service, connector };
    };
    return { clock, approvals, audit, settings, a: serviceOf('contoso'), b: serviceOf('fabrikam') };
  }

  test("one pair's request is not found through the other's service, and never changes its connector", async () => {
    const { a, b } = twoPairs();
    const { request } = await a.service.request(ALICE, ADD_TABLE, 'Contoso needs OAuth hunting');
    expect(request.pairId).toBe('contoso');
    expect(await b.service.get(request.id)).toBeNull();
    expect((await rejection(b.service.approve(request.id, BOB))).code).toBe('not-found');
    expect((await rejection(b.service.reject(request.id, BOB))).code).toBe('not-found');
    expect(b.connector.writes).toHaveLength(0);
    expect((await a.service.get(request.id))?.state).toBe('pending');
  });

  test('approve on A changes A only; status, history and audit entries stay apart', async () => {
    const { a, b, audit } = twoPairs();
    const fromB = await b.service.request(MALLORY, { ...BASE_CONFIG, entities: true }, 'Fabrikam wants entities');
    const fromA = await a.service.request(ALICE, ADD_TABLE, 'Contoso needs OAuth hunting');
    await a.service.approve(fromA.request.id, BOB);
    expect(a.connector.current().config.eventTypes).toContain('CloudAppEvents');
    expect(b.connector.current().config).toEqual(BASE_CONFIG);
    expect((await a.service.history()).map((h) => h.request.id)).toEqual([fromA.request.id]);
    expect((await b.service.history()).map((h) => [h.request.id, h.request.state])).toEqual([[fromB.request.id, 'pending']]);
    expect((await b.service.status()).pending.map((p) => p.id)).toEqual([fromB.request.id]);
    expect((await a.service.status()).pending).toEqual([]);
    for (const entry of audit.entries) expect(entry.pairId).toBe(entry.subject === `approval:${fromB.request.id}` ? 'fabrikam' : 'contoso');
  });

  test('drift on one pair is reported for that pair only, and stales only its requests', async () => {
    const { a, b } = twoPairs();
    await a.service.detectDrift();
    await b.service.detectDrift();
    const pendingA = await a.service.request(ALICE, ADD_TABLE, 'a');
    const pendingB = await b.service.request(ALICE, ADD_TABLE, 'b');
    b.connector.changeOutside({ entities: true });
    const [driftA, driftB] = [await a.service.detectDrift(), await b.service.detectDrift()];
    expect(driftA).toMatchObject({ pairId: 'contoso', drifted: false });
    expect(driftB).toMatchObject({ pairId: 'fabrikam', drifted: true, staleRequestIds: [pendingB.request.id] });
    expect((await a.service.get(pendingA.request.id))?.state).toBe('pending');
  });

  test('expiry closes each pair’s own overdue requests', async () => {
    const { a, b, clock } = twoPairs();
    const fromA = await a.service.request(ALICE, ADD_TABLE, 'a');
    const fromB = await b.service.request(ALICE, ADD_TABLE, 'b');
    clock.advance(60_000);
    expect((await a.service.expireDue()).map((r) => r.id)).toEqual([fromA.request.id]);
    expect((await b.service.get(fromB.request.id))?.state).toBe('pending');
    expect((await b.service.expireDue()).map((r) => r.id)).toEqual([fromB.request.id]);
  });
});
