// Properties of reconcile over arbitrary agreed incident pairs, capability profiles and concurrent
// analyst edits on both portals (some already mirrored by the portals' own sync).
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { EDITABLE_FIELDS, type EditableField } from '../../src/domain/incident.ts';
import { reconcile, type ReconcileResult } from '../../src/sync/reconcile.ts';
import { applyResult, at, EVERYTHING_WRITABLE } from './fixtures.ts';
import {
  agreedPairArbitrary,
  applyEdits,
  editArbitrary,
  fingerprintCounts,
  nativeMirror,
  portalsAgree,
  unrelatedPairArbitrary,
  writableArbitrary,
  type Edit,
  type Pair,
  type Writable,
} from './model.ts';

const RUNS = { numRuns: 300 };

// No bridgeIdentities: the engine does not configure them, so echoes must be recognised without.
function poll(pair: Pair, snapshot: ReconcileResult['nextSnapshot'] | null, writable: Writable): ReconcileResult {
  return reconcile({ defender: pair.defender, sentinel: pair.sentinel, snapshot, writable });
}

function apply(pair: Pair, result: ReconcileResult, when: string): Pair {
  const applied = applyResult(pair, result, when);
  return { defender: applied.defender, sentinel: applied.sentinel! };
}

function quiet(result: ReconcileResult): boolean {
  return (
    Object.keys(result.writes.defender).length === 0 &&
    Object.keys(result.writes.sentinel).length === 0 &&
    result.comments.toDefender.length === 0 &&
    result.comments.toSentinel.length === 0 &&
    result.changes.length === 0 &&
    result.notWritable.length === 0 &&
    result.conflicts.length === 0
  );
}

/** Agreed pair -> first-sight snapshot -> analysts' edits -> one reconcile -> writes and copies applied. */
const scenario = fc.record({
  base: agreedPairArbitrary,
  edits: fc.array(editArbitrary, { minLength: 1, maxLength: 6 }),
  writable: fc.oneof(writableArbitrary, fc.constant(EVERYTHING_WRITABLE as Writable)),
});

function runScenario({ base, edits, writable }: { base: Pair; edits: Edit[]; writable: Writable }) {
  const first = poll(base, null, writable);
  const edited = applyEdits(base, edits);
  const result = poll(edited, first.nextSnapshot, writable);
  const applied = apply(edited, result, at(30));
  return { first, edited, result, applied };
}

describe('reconcile properties', () => {
  test('an agreed pair needs nothing at first sight and nothing afterwards', () => {
    fc.assert(
      fc.property(agreedPairArbitrary, writableArbitrary, (pair, writable) => {
        const first = poll(pair, null, writable);
        expect(first.writes).toEqual({ defender: {}, sentinel: {} });
        expect(first.conflicts).toEqual([]);
        expect(quiet(poll(pair, first.nextSnapshot, writable))).toBe(true);
      }),
      RUNS,
    );
  });

  test('convergence: after the writes, the portals agree on every field not reported as not writable', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const { result, applied } = runScenario(input);
        const blocked = new Set(result.notWritable.map((item) => item.field));
        for (const field of EDITABLE_FIELDS) {
          if (!blocked.has(field)) expect({ field, agree: portalsAgree(field, applied) }).toEqual({ field, agree: true });
        }
        // Fields both APIs can write never need the other route.
        for (const item of result.notWritable) expect(input.writable[item.portal].has(item.field)).toBe(false);
      }),
      RUNS,
    );
  });

  test('idempotence: the next poll writes, copies and announces nothing', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const { result, applied } = runScenario(input);
        const again = poll(applied, result.nextSnapshot, input.writable);
        expect(again.writes).toEqual({ defender: {}, sentinel: {} });
        expect(again.comments).toEqual({ toDefender: [], toSentinel: [] });
        expect(again.changes).toEqual([]);
        expect(again.notWritable).toEqual([]);
      }),
      RUNS,
    );
  });

  test('no echo loops: the portals mirroring the same values and comments afterwards produces nothing', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const { result, applied } = runScenario(input);
        const mirrored = nativeMirror(applied, result, at(31));
        const afterMirror = poll(mirrored, result.nextSnapshot, input.writable);
        expect(afterMirror.writes).toEqual({ defender: {}, sentinel: {} });
        expect(afterMirror.comments).toEqual({ toDefender: [], toSentinel: [] });
        expect(afterMirror.changes).toEqual([]);
        // And it stays that way.
        expect(quiet(poll(mirrored, afterMirror.nextSnapshot, input.writable))).toBe(true);
      }),
      RUNS,
    );
  });

  test('comment copies never duplicate: each portal ends with as many of each comment as the fuller one had', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const { edited, applied } = runScenario(input);
        const before = { defender: fingerprintCounts(edited.defender), sentinel: fingerprintCounts(edited.sentinel) };
        const after = { defender: fingerprintCounts(applied.defender), sentinel: fingerprintCounts(applied.sentinel) };
        for (const fingerprint of new Set([...before.defender.keys(), ...before.sentinel.keys()])) {
          const expected = Math.max(before.defender.get(fingerprint) ?? 0, before.sentinel.get(fingerprint) ?? 0);
          expect({ fingerprint, defender: after.defender.get(fingerprint) ?? 0, sentinel: after.sentinel.get(fingerprint) ?? 0 }).toEqual({
            fingerprint,
            defender: expected,
            sentinel: expected,
          });
        }
      }),
      RUNS,
    );
  });

  test('concurrent edits to different fields on the two portals both survive', () => {
    const scalarEdit = editArbitrary.filter((edit) => !['comment', 'tagAdd', 'tagRemove'].includes(edit.kind));
    fc.assert(
      fc.property(agreedPairArbitrary, scalarEdit, scalarEdit, (base, left, right) => {
        fc.pre(left.kind !== right.kind);
        const defenderEdit = { ...left, side: 'defender' as const, mirrored: false };
        const sentinelEdit = { ...right, side: 'sentinel' as const, mirrored: false };
        const first = poll(base, null, EVERYTHING_WRITABLE);
        const edited = applyEdits(base, [defenderEdit, sentinelEdit]);
        const result = poll(edited, first.nextSnapshot, EVERYTHING_WRITABLE);
        const applied = apply(edited, result, at(30));
        expect(result.conflicts).toEqual([]);
        // Each portal now shows both edits: the edited portal's value reached the other one.
        for (const [edit, source] of [[defenderEdit, 'defender'], [sentinelEdit, 'sentinel']] as const) {
          const field = edit.kind as EditableField;
          expect(portalsAgree(field, applied)).toBe(true);
          expect(applied[source][field as 'title']).toEqual(edited[source][field as 'title']);
        }
      }),
      RUNS,
    );
  });

  test('conflicts follow the rule: the later portal wins, ties go to Defender', () => {
    const titleEdit = fc.record({ defender: fc.string({ maxLength: 6 }), sentinel: fc.string({ maxLength: 6 }), order: fc.constantFrom('defender-later', 'sentinel-later', 'tie') });
    fc.assert(
      fc.property(agreedPairArbitrary, titleEdit, (base, edit) => {
        fc.pre(edit.defender !== edit.sentinel && edit.defender !== base.defender.title && edit.sentinel !== base.sentinel.title);
        const first = poll(base, null, EVERYTHING_WRITABLE);
        const defenderAt = edit.order === 'defender-later' ? at(12) : at(11);
        const sentinelAt = edit.order === 'sentinel-later' ? at(12) : at(11);
        const edited = {
          defender: { ...base.defender, title: edit.defender, lastUpdatedAt: defenderAt },
          sentinel: { ...base.sentinel, title: edit.sentinel, lastUpdatedAt: sentinelAt },
        };
        const result = poll(edited, first.nextSnapshot, EVERYTHING_WRITABLE);
        const winner = edit.order === 'sentinel-later' ? 'sentinel' : 'defender';
        expect(result.nextSnapshot.title).toBe(edit[winner]);
        expect(result.conflicts).toEqual([
          { field: 'title', winner, winnerValue: edit[winner], loserValue: edit[winner === 'defender' ? 'sentinel' : 'defender'] },
        ]);
      }),
      RUNS,
    );
  });

  test('first sight of unrelated portals: one reconcile brings them into agreement, then quiet', () => {
    fc.assert(
      fc.property(unrelatedPairArbitrary, fc.oneof(writableArbitrary, fc.constant(EVERYTHING_WRITABLE as Writable)), (pair, writable) => {
        const first = poll(pair, null, writable);
        expect(first.comments).toEqual({ toDefender: [], toSentinel: [] });
        const applied = apply(pair, first, at(5));
        const blocked = new Set(first.notWritable.map((item) => item.field));
        for (const field of EDITABLE_FIELDS) {
          if (!blocked.has(field)) expect({ field, agree: portalsAgree(field, applied) }).toEqual({ field, agree: true });
        }
        expect(quiet(poll(applied, first.nextSnapshot, writable))).toBe(true);
      }),
      RUNS,
    );
  });

  test('over many polls with edits, writes and native mirroring in between, the pair settles and stays quiet', () => {
    const round = fc.record({ edits: fc.array(editArbitrary, { maxLength: 4 }), mirror: fc.boolean() });
    fc.assert(
      fc.property(agreedPairArbitrary, writableArbitrary, fc.array(round, { minLength: 1, maxLength: 5 }), (base, writable, rounds) => {
        let snapshot = poll(base, null, writable).nextSnapshot;
        let pair = base;
        rounds.forEach((step, index) => {
          const start = 10 + index * 20;
          pair = applyEdits(pair, step.edits, start);
          const result = poll(pair, snapshot, writable);
          pair = apply(pair, result, at(start + 10));
          if (step.mirror) pair = nativeMirror(pair, result, at(start + 11));
          snapshot = result.nextSnapshot;
        });
        const settled = poll(pair, snapshot, writable);
        pair = apply(pair, settled, at(500));
        const again = poll(pair, settled.nextSnapshot, writable);
        expect(again.writes).toEqual({ defender: {}, sentinel: {} });
        expect(again.comments).toEqual({ toDefender: [], toSentinel: [] });
        expect(again.changes).toEqual([]);
        expect(again.notWritable).toEqual([]);
      }),
      RUNS,
    );
  });

  test('the stored snapshot survives a JSON round trip unchanged (it is stored as jsonb)', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const { result } = runScenario(input);
        expect(JSON.parse(JSON.stringify(result.nextSnapshot))).toEqual(result.nextSnapshot);
      }),
      { numRuns: 100 },
    );
  });
});
