import { describe, expect, test } from '@jest/globals';
import type { AlertDetails, IncidentAlert } from '../../src/domain/alerts.ts';
import type { Incident } from '../../src/domain/incident.ts';
import { CodedError } from '../../src/domain/errors.ts';
import { formatBridgeComment } from '../../src/domain/attribution.ts';
import { parseSyncedSnapshot, reconcile, type ReconcileResult, type SyncedSnapshot } from '../../src/sync/reconcile.ts';
import {
  ALL_WRITABLE,
  applyResult,
  at,
  BRIDGE_IDENTITY,
  comment,
  defenderIncident,
  EVERYTHING_WRITABLE,
  run,
  sentinelIncident,
  settle,
  WRITABLE,
} from './fixtures.ts';

function expectQuiet(result: ReconcileResult): void {
  expect(result.writes).toEqual({ defender: {}, sentinel: {} });
  expect(result.comments).toEqual({ toDefender: [], toSentinel: [] });
  expect(result.changes).toEqual([]);
  expect(result.notWritable).toEqual([]);
  expect(result.conflicts).toEqual([]);
}

/** Polls once more after applying `result`, and expects nothing left to do. */
function expectSettledAfter(pair: { defender: Incident; sentinel: Incident | null }, result: ReconcileResult, writable = WRITABLE): void {
  const applied = applyResult(pair, result, at(50));
  expectQuiet(run({ defender: applied.defender, sentinel: applied.sentinel, snapshot: result.nextSnapshot, writable }));
}

describe('first sight', () => {
  test('equivalent portals: nothing written, every field announced as created, comments recorded as history', () => {
    const defender = defenderIncident({ status: 'active', comments: [comment('triage started', -5)] });
    const sentinel = sentinelIncident({ status: 'new', comments: [comment('older sentinel note', -3)] });
    const result = run({ defender, sentinel, snapshot: null });

    expect(result.writes).toEqual({ defender: {}, sentinel: {} });
    expect(result.comments).toEqual({ toDefender: [], toSentinel: [] });
    expect(result.conflicts).toEqual([]);
    const fields = result.changes.map((change) => change.field);
    expect(fields).toEqual(['title', 'description', 'severity', 'status', 'classification', 'owner', 'tags', 'productNames', 'additionalData']);
    expect(result.changes.every((change) => change.from === null && change.portal === 'defender')).toBe(true);
    // Defender 'active' and Sentinel 'new' are the same state: canonical 'new' expresses both.
    expect(result.nextSnapshot.status).toBe('new');
    expect(result.nextSnapshot.sentinelSeen).toBe(true);
    expectSettledAfter({ defender, sentinel }, result);
  });

  test('differing portals: the later lastUpdatedAt wins per field and the loser is written', () => {
    const defender = defenderIncident({ title: 'Old title', lastUpdatedAt: at(1) });
    const sentinel = sentinelIncident({ title: 'Renamed in Sentinel', lastUpdatedAt: at(2) });
    const result = run({ defender, sentinel, snapshot: null });

    expect(result.writes.defender).toEqual({ title: 'Renamed in Sentinel' });
    expect(result.writes.sentinel).toEqual({});
    expect(result.conflicts).toEqual([{ field: 'title', winner: 'sentinel', winnerValue: 'Renamed in Sentinel', loserValue: 'Old title' }]);
    expect(result.changes.find((change) => change.field === 'title')).toMatchObject({
      from: null,
      to: 'Renamed in Sentinel',
      portal: 'sentinel',
      overridden: { portal: 'defender', value: 'Old title' },
    });
    expectSettledAfter({ defender, sentinel }, result);
  });

  test('a tie goes to Defender, the incident source', () => {
    const defender = defenderIncident({ severity: 'high', lastUpdatedAt: at(3) });
    const sentinel = sentinelIncident({ severity: 'low', lastUpdatedAt: at(3) });
    const result = run({ defender, sentinel, snapshot: null });
    expect(result.writes.sentinel).toEqual({ severity: 'high' });
    expect(result.conflicts[0]).toMatchObject({ field: 'severity', winner: 'defender' });
  });

  test('no Sentinel counterpart yet: nothing written, snapshot follows Defender', () => {
    const defender = defenderIncident({ tags: ['ransomware'], comments: [comment('first look', 0)] });
    const result = run({ defender, sentinel: null, snapshot: null });
    expect(result.writes).toEqual({ defender: {}, sentinel: {} });
    expect(result.comments).toEqual({ toDefender: [], toSentinel: [] });
    expect(result.changes.length).toBeGreaterThan(0);
    expect(result.nextSnapshot).toMatchObject({ sentinelSeen: false, tags: ['ransomware'], status: 'active' });

    // Defender changes while Sentinel is still missing: announced, still nothing written.
    const renamed = defenderIncident({ title: 'Renamed', tags: ['ransomware'], comments: [comment('first look', 0)], lastUpdatedAt: at(2), lastModifiedBy: 'bob@contoso.com' });
    const next = run({ defender: renamed, sentinel: null, snapshot: result.nextSnapshot });
    expect(next.writes).toEqual({ defender: {}, sentinel: {} });
    expect(next.changes).toEqual([{ field: 'title', from: 'Multi-stage incident on one endpoint', to: 'Renamed', portal: 'defender', by: 'bob@contoso.com' }]);
  });

  test('Sentinel appearing later: New matches Active, its comments are history, Defender-side news still reaches it', () => {
    const defender = defenderIncident({ comments: [comment('first look', 0)] });
    const early = run({ defender, sentinel: null, snapshot: null });
    const later = defenderIncident({ comments: [comment('first look', 0), comment('added before Sentinel existed', 4)], lastUpdatedAt: at(4) });
    const sentinel = sentinelIncident({ status: 'new', comments: [comment('first look', 0)], lastUpdatedAt: at(5) });
    const result = run({ defender: later, sentinel, snapshot: early.nextSnapshot });

    expect(result.writes).toEqual({ defender: {}, sentinel: {} });
    expect(result.changes.filter((change) => change.field === 'status')).toEqual([]);
    expect(result.comments.toSentinel.map((copy) => copy.text)).toEqual(['added before Sentinel existed']);
    expect(result.comments.toDefender).toEqual([]);
    expect(result.nextSnapshot.sentinelSeen).toBe(true);
    expectSettledAfter({ defender: later, sentinel }, result);
  });
});

describe('one portal changed a field: it is copied to the other', () => {
  const cases: Array<{ field: keyof Incident; from: unknown; to: unknown; patch: Record<string, unknown> }> = [
    { field: 'title', from: 'Multi-stage incident on one endpoint', to: 'Ransomware on FIN-01', patch: { title: 'Ransomware on FIN-01' } },
    { field: 'description', from: 'Suspicious PowerShell activity', to: 'Confirmed encryption', patch: { description: 'Confirmed encryption' } },
    { field: 'classification', from: 'undetermined', to: 'falsePositive', patch: { classification: 'falsePositive' } },
    { field: 'owner', from: null, to: { upn: 'bob@contoso.com' }, patch: { owner: { upn: 'bob@contoso.com' } } },
  ];
  for (const { field, to, patch } of cases) {
    for (const source of ['defender', 'sentinel'] as const) {
      test(`${field}: ${source} -> ${source === 'defender' ? 'sentinel' : 'defender'}`, () => {
        const { pair, snapshot } = settle(defenderIncident(), sentinelIncident());
        const edited = { ...pair[source], [field]: to, lastUpdatedAt: at(10), lastModifiedBy: 'bob@contoso.com' } as Incident;
        const defender = source === 'defender' ? edited : pair.defender;
        const sentinel = source === 'sentinel' ? edited : pair.sentinel;
        const result = run({ defender, sentinel, snapshot });
        const target = source === 'defender' ? 'sentinel' : 'defender';

        expect(result.writes[target]).toMatchObject(patch);
        expect(result.writes[source]).toEqual({});
        expect(result.changes).toEqual([expect.objectContaining({ field, to, portal: source, by: 'bob@contoso.com' })]);
        expect(result.conflicts).toEqual([]);
        expectSettledAfter({ defender, sentinel }, result);
      });
    }
  }

  test('severity: Defender -> Sentinel is written', () => {
    const { pair, snapshot } = settle(defenderIncident(), sentinelIncident());
    const defender = { ...pair.defender, severity: 'high' as const, lastUpdatedAt: at(10) };
    const result = run({ defender, sentinel: pair.sentinel, snapshot });
    expect(result.writes.sentinel).toEqual({ severity: 'high' });
    expect(result.notWritable).toEqual([]);
    expectSettledAfter({ defender, sentinel: pair.sentinel }, result);
  });

  test('severity: Sentinel -> Defender is not writable through Graph; reported once, never reverted while waiting', () => {
    const { pair, snapshot } = settle(defenderIncident(), sentinelIncident());
    const sentinel = { ...pair.sentinel, severity: 'high' as const, lastUpdatedAt: at(10), lastModifiedBy: 'sam@contoso.com' };
    const result = run({ defender: pair.defender, sentinel, snapshot });
    expect(result.writes).toEqual({ defender: {}, sentinel: {} });
    expect(result.notWritable).toEqual([{ portal: 'defender', field: 'severity', value: 'high' }]);
    expect(result.changes).toEqual([expect.objectContaining({ field: 'severity', from: 'medium', to: 'high', portal: 'sentinel' })]);

    // Next poll: Defender still shows 'medium' (native sync has not carried it). Not a change, no revert.
    const waiting = run({ defender: pair.defender, sentinel, snapshot: result.nextSnapshot });
    expect(waiting.writes).toEqual({ defender: {}, sentinel: {} });
    expect(waiting.changes).toEqual([]);
    expect(waiting.notWritable).toEqual([]);
    expect(waiting.awaitingNativeSync).toEqual([{ portal: 'defender', field: 'severity', value: 'high' }]);

    // The portals' own sync delivers it: quiet, and no longer awaited.
    // (last-modified-by is one of the fields the products sync; it names who made the change.)
    const mirrored = { ...pair.defender, severity: 'high' as const, lastUpdatedAt: at(12), lastModifiedBy: 'sam@contoso.com' };
    const done = run({ defender: mirrored, sentinel, snapshot: waiting.nextSnapshot });
    expectQuiet(done);
    expect(done.awaitingNativeSync).toEqual([]);
    expect(done.nextSnapshot.awaiting).toEqual({});

    // A later genuine change on Defender is still seen.
    const raised = { ...pair.defender, severity: 'low' as const, lastUpdatedAt: at(30) };
    const afterWait = run({ defender: raised, sentinel, snapshot: waiting.nextSnapshot });
    expect(afterWait.writes.sentinel).toEqual({ severity: 'low' });
  });

  test('severity: Sentinel -> Defender is written when the profile allows it', () => {
    const { pair, snapshot } = settle(defenderIncident(), sentinelIncident(), EVERYTHING_WRITABLE);
    const sentinel = { ...pair.sentinel, severity: 'high' as const, lastUpdatedAt: at(10) };
    const result = run({ defender: pair.defender, sentinel, snapshot, writable: EVERYTHING_WRITABLE });
    expect(result.writes.defender).toEqual({ severity: 'high' });
  });

  test("Defender severity 'unknown' is no value, never a change", () => {
    const { pair, snapshot } = settle(defenderIncident({ severity: 'high' }), sentinelIncident({ severity: 'high' }));
    const defender = { ...pair.defender, severity: 'unknown' as const, lastUpdatedAt: at(10) };
    expectQuiet(run({ defender, sentinel: pair.sentinel, snapshot }));
  });

  test('tags: Defender and Sentinel edits reach the other side as full sets', () => {
    const { pair, snapshot } = settle(defenderIncident({ tags: ['a', 'b'] }), sentinelIncident({ tags: ['a', 'b'] }));
    const sentinel = { ...pair.sentinel, tags: ['a', 'b', 'c'], lastUpdatedAt: at(10) };
    const result = run({ defender: pair.defender, sentinel, snapshot });
    expect(result.writes.defender).toEqual({ tags: ['a', 'b', 'c'] });
    expect(result.changes).toEqual([expect.objectContaining({ field: 'tags', from: ['a', 'b'], to: ['a', 'b', 'c'], portal: 'sentinel' })]);

    const defender = { ...pair.defender, tags: ['b'], lastUpdatedAt: at(11) };
    const removal = run({ defender, sentinel: pair.sentinel, snapshot });
    expect(removal.writes.sentinel).toEqual({ tags: ['b'] });
  });
});

describe('status and classification projection', () => {
  test("Defender 'inProgress' is written to Sentinel as Active, and Sentinel Active then agrees", () => {
    const { pair, snapshot } = settle(defenderIncident(), sentinelIncident());
    const defender = { ...pair.defender, status: 'inProgress' as const, lastUpdatedAt: at(10) };
    const result = run({ defender, sentinel: pair.sentinel, snapshot });
    expect(result.writes.sentinel).toEqual({ status: 'active' });
    expect(result.nextSnapshot.status).toBe('inProgress');
    expectSettledAfter({ defender, sentinel: pair.sentinel }, result);
  });

  test("Sentinel New -> Active is a change Defender already shows: announced, nothing written", () => {
    const { pair, snapshot } = settle(defenderIncident(), sentinelIncident({ status: 'new' }));
    const sentinel = { ...pair.sentinel, status: 'active' as const, lastUpdatedAt: at(10) };
    const result = run({ defender: pair.defender, sentinel, snapshot });
    expect(result.writes).toEqual({ defender: {}, sentinel: {} });
    expect(result.changes).toEqual([expect.objectContaining({ field: 'status', from: 'new', to: 'active', portal: 'sentinel' })]);
  });

  test('Sentinel closed -> Defender resolved, with classification and a translated determination', () => {
    const { pair, snapshot } = settle(defenderIncident(), sentinelIncident());
    const sentinel = {
      ...pair.sentinel,
      status: 'resolved' as const,
      classification: 'benignPositive' as const,
      determination: 'SuspiciousButExpected',
      classificationComment: 'pen test',
      lastUpdatedAt: at(10),
    };
    const result = run({ defender: pair.defender, sentinel, snapshot });
    expect(result.writes.defender).toEqual({ status: 'resolved', classification: 'benignPositive', determination: 'other', classificationComment: 'pen test' });
    expectSettledAfter({ defender: pair.defender, sentinel }, result);
  });

  test('Defender resolved -> the Sentinel write carries the classification Sentinel requires to close', () => {
    const { pair, snapshot } = settle(defenderIncident({ classification: 'truePositive' }), sentinelIncident({ classification: 'truePositive' }));
    const defender = { ...pair.defender, status: 'resolved' as const, determination: 'malware', lastUpdatedAt: at(10) };
    const result = run({ defender, sentinel: pair.sentinel, snapshot });
    expect(result.writes.sentinel).toEqual({ status: 'resolved', classification: 'truePositive' });
  });

  test('Defender classification with determination: Sentinel gets its own classificationReason vocabulary', () => {
    const { pair, snapshot } = settle(defenderIncident(), sentinelIncident());
    const defender = { ...pair.defender, classification: 'falsePositive' as const, determination: 'notEnoughDataToValidate', lastUpdatedAt: at(10) };
    const result = run({ defender, sentinel: pair.sentinel, snapshot });
    expect(result.writes.sentinel).toEqual({ classification: 'falsePositive', determination: 'InaccurateData' });
  });

  test('owners are the same person by case-insensitive UPN, so Sentinel filling in the object id is not a change', () => {
    const { pair, snapshot } = settle(defenderIncident({ owner: { upn: 'Bob@Contoso.com' } }), sentinelIncident({ owner: { upn: 'Bob@Contoso.com' } }));
    const sentinel = { ...pair.sentinel, owner: { upn: 'bob@contoso.com', objectId: '0b2e2c3a-4f5e-4d6c-8b7a-9a8b7c6d5e4f', displayName: 'Bob' }, lastUpdatedAt: at(10) };
    const result = run({ defender: pair.defender, sentinel, snapshot });
    expectQuiet(result);
    expect(result.nextSnapshot.owner).toMatchObject({ objectId: '0b2e2c3a-4f5e-4d6c-8b7a-9a8b7c6d5e4f' });
  });
});

describe('conflicts', () => {
  test('both changed the same field differently: later lastUpdatedAt wins, loser recorded', () => {
    const { pair, snapshot } = settle(defenderIncident(), sentinelIncident());
    const defender = { ...pair.defender, title: 'Defender title', lastUpdatedAt: at(10), lastModifiedBy: 'dana@contoso.com' };
    const sentinel = { ...pair.sentinel, title: 'Sentinel title', lastUpdatedAt: at(11), lastModifiedBy: 'sam@contoso.com' };
    const result = run({ defender, sentinel, snapshot });
    expect(result.writes).toEqual({ defender: { title: 'Sentinel title' }, sentinel: {} });
    expect(result.conflicts).toEqual([{ field: 'title', winner: 'sentinel', winnerValue: 'Sentinel title', loserValue: 'Defender title' }]);
    expect(result.changes).toEqual([
      {
        field: 'title',
        from: 'Multi-stage incident on one endpoint',
        to: 'Sentinel title',
        portal: 'sentinel',
        by: 'sam@contoso.com',
        overridden: { portal: 'defender', value: 'Defender title' },
      },
    ]);
    expectSettledAfter({ defender, sentinel }, result);
  });

  test('a tie goes to Defender', () => {
    const { pair, snapshot } = settle(defenderIncident(), sentinelIncident());
    const defender = { ...pair.defender, classification: 'truePositive' as const, lastUpdatedAt: at(10) };
    const sentinel = { ...pair.sentinel, classification: 'falsePositive' as const, lastUpdatedAt: at(10) };
    const result = run({ defender, sentinel, snapshot });
    expect(result.writes.sentinel).toMatchObject({ classification: 'truePositive' });
    expect(result.conflicts[0]).toMatchObject({ winner: 'defender', loserValue: 'falsePositive' });
  });

  test('both changed to equivalent values: nothing written, announced once, credited to the earlier portal', () => {
    const { pair, snapshot } = settle(defenderIncident(), sentinelIncident());
    const defender = { ...pair.defender, status: 'inProgress' as const, lastUpdatedAt: at(10), lastModifiedBy: 'dana@contoso.com' };
    const sentinel = { ...pair.sentinel, status: 'active' as const, lastUpdatedAt: at(11) };
    const result = run({ defender, sentinel, snapshot });
    expect(result.writes).toEqual({ defender: {}, sentinel: {} });
    expect(result.conflicts).toEqual([]);
    expect(result.changes).toEqual([expect.objectContaining({ field: 'status', to: 'inProgress', portal: 'defender', by: 'dana@contoso.com' })]);
    expect(result.nextSnapshot.status).toBe('inProgress');
  });

  test('concurrent edits of different fields both survive', () => {
    const { pair, snapshot } = settle(defenderIncident(), sentinelIncident());
    const defender = { ...pair.defender, owner: { upn: 'dana@contoso.com' }, lastUpdatedAt: at(10) };
    const sentinel = { ...pair.sentinel, title: 'Sentinel title', lastUpdatedAt: at(11) };
    const result = run({ defender, sentinel, snapshot });
    expect(result.writes).toEqual({ defender: { title: 'Sentinel title' }, sentinel: { owner: { upn: 'dana@contoso.com' } } });
    expect(result.conflicts).toEqual([]);
  });
});

describe('tags merge per element', () => {
  test('concurrent additions on both portals both survive', () => {
    const { pair, snapshot } = settle(defenderIncident({ tags: ['a'] }), sentinelIncident({ tags: ['a'] }));
    const defender = { ...pair.defender, tags: ['a', 'from-defender'], lastUpdatedAt: at(10) };
    const sentinel = { ...pair.sentinel, tags: ['a', 'from-sentinel'], lastUpdatedAt: at(11) };
    const result = run({ defender, sentinel, snapshot });
    expect(result.nextSnapshot.tags).toEqual(['a', 'from-defender', 'from-sentinel']);
    expect(result.writes.defender.tags).toEqual(['a', 'from-defender', 'from-sentinel']);
    expect(result.writes.sentinel.tags).toEqual(['a', 'from-defender', 'from-sentinel']);
    expect(result.conflicts).toEqual([]);
    expect(result.changes.map((change) => [change.portal, change.to])).toEqual([
      ['defender', ['a', 'from-defender']],
      ['sentinel', ['a', 'from-sentinel']],
    ]);
    expectSettledAfter({ defender, sentinel }, result);
  });

  test('a removal on one portal and an addition on the other combine', () => {
    const { pair, snapshot } = settle(defenderIncident({ tags: ['a', 'b'] }), sentinelIncident({ tags: ['a', 'b'] }));
    const defender = { ...pair.defender, tags: ['b'], lastUpdatedAt: at(10) };
    const sentinel = { ...pair.sentinel, tags: ['a', 'b', 'c'], lastUpdatedAt: at(11) };
    const result = run({ defender, sentinel, snapshot });
    expect(result.nextSnapshot.tags).toEqual(['b', 'c']);
  });

  test('a tag the portals already mirrored to each other is announced once and not written', () => {
    const { pair, snapshot } = settle(defenderIncident({ tags: ['a'] }), sentinelIncident({ tags: ['a'] }));
    const defender = { ...pair.defender, tags: ['a', 'x'], lastUpdatedAt: at(10) };
    const sentinel = { ...pair.sentinel, tags: ['x', 'a'], lastUpdatedAt: at(11) };
    const result = run({ defender, sentinel, snapshot });
    expect(result.writes).toEqual({ defender: {}, sentinel: {} });
    expect(result.changes).toEqual([expect.objectContaining({ field: 'tags', portal: 'defender', to: ['a', 'x'] })]);
  });
});

describe('comments', () => {
  function settled(comments: { defender?: ReturnType<typeof comment>[]; sentinel?: ReturnType<typeof comment>[] } = {}) {
    return settle(defenderIncident({ comments: comments.defender ?? [] }), sentinelIncident({ comments: comments.sentinel ?? [] }));
  }

  test('a new comment is copied to the other portal once, text without attribution', () => {
    const { pair, snapshot } = settled();
    const defender = { ...pair.defender, comments: [comment('  Isolated   the host\n', 10, 'Dana')], lastUpdatedAt: at(10) };
    const result = run({ defender, sentinel: pair.sentinel, snapshot });
    expect(result.comments.toSentinel).toEqual([
      expect.objectContaining({ text: '  Isolated   the host\n', author: 'Dana', source: 'defender', fingerprint: 'Isolated the host' }),
    ]);
    expect(result.comments.toDefender).toEqual([]);
    expect(result.changes).toEqual([{ field: 'comment', from: null, to: '  Isolated   the host\n', portal: 'defender', by: 'Dana' }]);
    expectSettledAfter({ defender, sentinel: pair.sentinel }, result);
  });

  test('Sentinel -> Defender too', () => {
    const { pair, snapshot } = settled();
    const sentinel = { ...pair.sentinel, comments: [comment('Called the user', 10, 'Sam')], lastUpdatedAt: at(10) };
    const result = run({ defender: pair.defender, sentinel, snapshot });
    expect(result.comments.toDefender.map((copy) => copy.text)).toEqual(['Called the user']);
  });

  test('a comment the portals already mirrored is never copied again, and announced once', () => {
    const { pair, snapshot } = settled();
    const defender = { ...pair.defender, comments: [comment('Isolated the host', 10, 'Dana')], lastUpdatedAt: at(10) };
    const sentinel = { ...pair.sentinel, comments: [comment('Isolated the host', 11, 'Dana')], lastUpdatedAt: at(11) };
    const result = run({ defender, sentinel, snapshot });
    expect(result.comments).toEqual({ toDefender: [], toSentinel: [] });
    expect(result.changes).toEqual([expect.objectContaining({ field: 'comment', portal: 'defender' })]);
  });

  test("the bridge's own comments (attributed) are never copied, in either direction", () => {
    const { pair, snapshot } = settled();
    const attributed = formatBridgeComment({ kind: 'comment', author: 'Dana', text: 'posted from Teams' });
    const defender = { ...pair.defender, comments: [comment(attributed, 10)], lastUpdatedAt: at(10) };
    expectQuiet(run({ defender, sentinel: pair.sentinel, snapshot }));
  });

  test('multiset: repeated identical comments are copied until both portals hold as many', () => {
    const { pair, snapshot } = settled({ defender: [comment('ack', 1)], sentinel: [comment('ack', 1)] });
    const defender = { ...pair.defender, comments: [comment('ack', 1), comment('ack', 10), comment('ack', 11)], lastUpdatedAt: at(11) };
    const sentinel = { ...pair.sentinel, comments: [comment('ack', 1), comment('ack', 12)], lastUpdatedAt: at(12) };
    const result = run({ defender, sentinel, snapshot });
    // Defender gained two, Sentinel one: one of Defender's is matched, one copied.
    expect(result.comments.toSentinel).toHaveLength(1);
    expect(result.comments.toDefender).toEqual([]);
    const applied = applyResult({ defender, sentinel }, result, at(13));
    const count = (incident: Incident | null) => incident?.comments.filter((item) => item.text.endsWith('ack')).length;
    expect(count(applied.defender)).toBe(3);
    expect(count(applied.sentinel)).toBe(3);
    expectQuiet(run({ ...applied, snapshot: result.nextSnapshot }));
  });

  test("the native mirror of an original arriving after the bridge's copy is absorbed, not copied back", () => {
    const { pair, snapshot } = settled();
    const defender = { ...pair.defender, comments: [comment('Isolated the host', 10, 'Dana')], lastUpdatedAt: at(10) };
    const first = run({ defender, sentinel: pair.sentinel, snapshot });
    const applied = applyResult({ defender, sentinel: pair.sentinel }, first, at(11));
    // Native sync now delivers the original to Sentinel and the bridge's copy to Defender.
    const bridgeCopy = applied.sentinel!.comments.at(-1)!;
    const sentinel = { ...applied.sentinel!, comments: [...applied.sentinel!.comments, comment('Isolated the host', 12, 'Dana')], lastUpdatedAt: at(12) };
    const defenderMirrored = { ...applied.defender, comments: [...applied.defender.comments, { ...bridgeCopy, createdAt: at(12) }], lastUpdatedAt: at(12) };
    expectQuiet(run({ defender: defenderMirrored, sentinel, snapshot: first.nextSnapshot }));
  });

  test('an edited comment (new text, old creation time) is not copied', () => {
    const { pair, snapshot } = settled({ defender: [comment('Isolated the hots', -30)], sentinel: [comment('Isolated the hots', -30)] });
    const defender = { ...pair.defender, comments: [comment('Isolated the host', -30)], lastUpdatedAt: at(30) };
    const result = run({ defender, sentinel: pair.sentinel, snapshot });
    expect(result.comments).toEqual({ toDefender: [], toSentinel: [] });
    expect(result.changes).toEqual([]);
  });

  test('comments present at first sight are history, not copied', () => {
    const result = run({
      defender: defenderIncident({ comments: [comment('only in Defender', 0)] }),
      sentinel: sentinelIncident({ comments: [comment('only in Sentinel', 0)] }),
      snapshot: null,
    });
    expect(result.comments).toEqual({ toDefender: [], toSentinel: [] });
  });

  test('copies carry deterministic idempotency keys', () => {
    const { pair, snapshot } = settled();
    const defender = { ...pair.defender, comments: [comment('a', 10), comment('a', 11)], lastUpdatedAt: at(11) };
    const one = run({ defender, sentinel: pair.sentinel, snapshot });
    const two = run({ defender, sentinel: pair.sentinel, snapshot });
    const keys = one.comments.toSentinel.map((copy) => copy.key);
    expect(keys).toEqual(two.comments.toSentinel.map((copy) => copy.key));
    expect(new Set(keys).size).toBe(2);
  });
});

describe('portal-maintained facts', () => {
  test('product names are announced once when Defender changes and Sentinel catches up', () => {
    const { pair, snapshot } = settle(defenderIncident(), sentinelIncident());
    const data = { ...pair.defender.additionalData, productNames: ['microsoftDefenderForEndpoint', 'microsoftDefenderForIdentity'], alertsCount: 2 };
    const defender = { ...pair.defender, additionalData: data, lastUpdatedAt: at(10), lastModifiedBy: 'Microsoft Defender XDR' };
    const first = run({ defender, sentinel: pair.sentinel, snapshot });
    expect(first.writes).toEqual({ defender: {}, sentinel: {} });
    expect(first.changes.map((change) => change.field)).toEqual(['productNames', 'additionalData', 'lastModifiedBy']);

    const sentinel = { ...pair.sentinel, additionalData: data, lastUpdatedAt: at(11), lastModifiedBy: 'Microsoft Defender XDR' };
    expectQuiet(run({ defender, sentinel, snapshot: first.nextSnapshot }));
  });

  test("last-modified-by naming the bridge itself is never announced", () => {
    const { pair, snapshot } = settle(defenderIncident(), sentinelIncident());
    const defender = { ...pair.defender, lastModifiedBy: BRIDGE_IDENTITY, lastUpdatedAt: at(10) };
    expectQuiet(run({ defender, sentinel: pair.sentinel, snapshot }));
  });

  test('last-modified-by is folded into the change it accompanies', () => {
    const { pair, snapshot } = settle(defenderIncident(), sentinelIncident());
    const defender = { ...pair.defender, title: 'x', lastModifiedBy: 'dana@contoso.com', lastUpdatedAt: at(10) };
    const result = run({ defender, sentinel: pair.sentinel, snapshot });
    expect(result.changes).toEqual([expect.objectContaining({ field: 'title', by: 'dana@contoso.com' })]);
  });
});

describe("Defender's alerts and evidence", () => {
  const alert = (id: string, status: IncidentAlert['status'] = 'new'): IncidentAlert => ({
    id,
    title: `Alert ${id}`,
    serviceSource: 'microsoftDefenderForEndpoint',
    severity: 'medium',
    status,
    firstActivityAt: at(0),
    lastActivityAt: at(0),
    techniques: [],
    webUrl: '',
  });
  const details = (alerts: IncidentAlert[], evidence: AlertDetails['evidence'] = []): AlertDetails => ({ alerts, evidence, evidenceTotal: evidence.length });
  const device = { kind: 'device' as const, name: 'ws-1', detail: '', verdict: 'unknown' as const, alertCount: 1 };

  test('a new alert is announced once (ids before and after), with no write; Sentinel never reports alerts', () => {
    const { pair, snapshot } = settle(defenderIncident({ alertDetails: details([alert('a1')]) }), sentinelIncident());
    const defender = { ...pair.defender, alertDetails: details([alert('a1'), alert('a2')]), lastUpdatedAt: at(10), lastModifiedBy: 'Microsoft Defender XDR' };
    const result = run({ defender, sentinel: pair.sentinel, snapshot });
    expect(result.writes).toEqual({ defender: {}, sentinel: {} });
    const change = result.changes.find((candidate) => candidate.field === 'alerts');
    expect(change).toMatchObject({ portal: 'defender', from: { ids: ['a1'] }, to: { ids: ['a1', 'a2'] } });
    expectQuiet(run({ defender, sentinel: { ...pair.sentinel, lastUpdatedAt: at(11) }, snapshot: result.nextSnapshot }));
  });

  test('evidence added to an alert, or an alert resolved, is a change too; the same alerts read again are not', () => {
    const { pair, snapshot } = settle(defenderIncident({ alertDetails: details([alert('a1')]) }), sentinelIncident());
    const withEvidence = { ...pair.defender, alertDetails: details([alert('a1')], [device]), lastUpdatedAt: at(10) };
    expect(run({ defender: withEvidence, sentinel: pair.sentinel, snapshot }).changes.map((change) => change.field)).toContain('alerts');
    const resolved = { ...pair.defender, alertDetails: details([alert('a1', 'resolved')]), lastUpdatedAt: at(10) };
    expect(run({ defender: resolved, sentinel: pair.sentinel, snapshot }).changes.map((change) => change.field)).toContain('alerts');
    expectQuiet(run({ defender: { ...pair.defender, alertDetails: details([alert('a1')]) }, sentinel: pair.sentinel, snapshot }));
    // An ongoing alert's last activity moving is not news.
    expectQuiet(run({ defender: { ...pair.defender, alertDetails: details([{ ...alert('a1'), lastActivityAt: at(30) }]) }, sentinel: pair.sentinel, snapshot }));
  });

  test('a view read without its alerts (a PATCH answer) forgets nothing and announces nothing', () => {
    const { pair, snapshot } = settle(defenderIncident({ alertDetails: details([alert('a1')]) }), sentinelIncident());
    const { alertDetails: _omitted, ...withoutAlerts } = pair.defender;
    const result = run({ defender: withoutAlerts, sentinel: pair.sentinel, snapshot });
    expectQuiet(result);
    expect(result.nextSnapshot.maintained.alerts).toEqual(snapshot.maintained.alerts);
  });

  test('a snapshot stored before alerts were read is valid; the first read of the alerts is the starting point, not news', () => {
    const { pair, snapshot } = settle(defenderIncident(), sentinelIncident());
    const { alerts: _none, ...maintained } = snapshot.maintained;
    const older = parseSyncedSnapshot(JSON.parse(JSON.stringify({ ...snapshot, maintained })));
    expect(older?.maintained.alerts).toBeUndefined();
    const result = run({ defender: { ...pair.defender, alertDetails: details([alert('a1')]) }, sentinel: pair.sentinel, snapshot: older });
    expectQuiet(result);
    expect(result.nextSnapshot.maintained.alerts?.announced.ids).toEqual(['a1']);
  });
});

describe('merged incidents', () => {
  test('a redirected Defender incident returns the merge target and writes nothing', () => {
    const { pair, snapshot } = settle(defenderIncident(), sentinelIncident());
    const defender = { ...pair.defender, status: 'redirected' as const, redirectIncidentId: '31', title: 'changed too', lastUpdatedAt: at(10) };
    const result = reconcile({ defender, sentinel: pair.sentinel, snapshot, writable: WRITABLE });
    expect(result.merged).toEqual({ into: '31' });
    expect(result.writes).toEqual({ defender: {}, sentinel: {} });
    expect(result.comments).toEqual({ toDefender: [], toSentinel: [] });
    expect(result.changes).toContainEqual(expect.objectContaining({ field: 'status', to: 'redirected', portal: 'defender' }));
  });

  test('not merged: no flag', () => {
    expect(run({ defender: defenderIncident(), sentinel: sentinelIncident(), snapshot: null }).merged).toBeUndefined();
  });
});

describe('input checks and the stored snapshot', () => {
  test('swapped or mismatched incidents are refused with a coded error', () => {
    expect(() => reconcile({ defender: sentinelIncident(), sentinel: null, snapshot: null, writable: WRITABLE })).toThrow(CodedError);
    expect(() => reconcile({ defender: defenderIncident(), sentinel: sentinelIncident({ providerIncidentId: '30' }), snapshot: null, writable: WRITABLE })).toThrow(
      /mirrors Defender incident 30, not 29/,
    );
  });

  test('parseSyncedSnapshot reads what reconcile stores, after a JSON round trip', () => {
    const { snapshot } = settle(defenderIncident({ comments: [comment('x', 0)] }), sentinelIncident());
    const stored = JSON.parse(JSON.stringify(snapshot)) as unknown;
    expect(parseSyncedSnapshot(stored)).toEqual(snapshot);
    expect(parseSyncedSnapshot({})).toBeNull();
    expect(parseSyncedSnapshot(null)).toBeNull();
  });

  test('parseSyncedSnapshot refuses a corrupt snapshot, naming the broken parts', () => {
    const { snapshot } = settle(defenderIncident(), sentinelIncident());
    const broken = { ...snapshot, status: 'open', tags: 'a,b' } as unknown as SyncedSnapshot;
    expect(() => parseSyncedSnapshot(broken)).toThrow(/status, tags/);
    expect(() => parseSyncedSnapshot({ schemaVersion: 99 })).toThrow(/schemaVersion/);
    expect(() => parseSyncedSnapshot([])).toThrow(CodedError);
  });

  test('every writable set is honoured: nothing is written to a portal that can write nothing', () => {
    const { pair, snapshot } = settle(defenderIncident(), sentinelIncident());
    const sentinel = { ...pair.sentinel, title: 'New', tags: ['t'], lastUpdatedAt: at(10) };
    const result = run({ defender: pair.defender, sentinel, snapshot, writable: { defender: new Set(), sentinel: ALL_WRITABLE } });
    expect(result.writes.defender).toEqual({});
    expect(result.notWritable.map((item) => item.field).sort()).toEqual(['tags', 'title']);
  });
});
