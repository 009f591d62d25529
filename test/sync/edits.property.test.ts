// Property: any interleaving of concurrent tag, comment and field edits from several analysts, and
// of portal users' changes on both portals, converges to the union of the tags added minus those
// removed, with every comment present once per request (or per portal user) on each portal.
// Interleavings come from per-call delays drawn from a generated seed; the jobs run concurrently.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { EditChanges } from '../../src/domain/edits.ts';
import { commentFingerprint } from '../../src/sync/fingerprint.ts';
import { syncLink } from '../../src/sync/link-sync.ts';
import { analyst, startEditBench } from './support/edit-bench.ts';

const ADDABLE = ['a', 'b', 'c', 'Phishing'];
const INITIAL = ['x', 'y', 'z'];
const ANALYST_TEXTS = ['ack', 'Isolated the host', 'Called the user'];

type Step =
  | { by: 'analyst'; who: number; changes: EditChanges }
  | { by: 'sentinelUser'; tag: string }
  | { by: 'user'; portal: 'defender' | 'sentinel'; text: string };

const analystStep: fc.Arbitrary<Step> = fc.record({
  by: fc.constant('analyst' as const),
  who: fc.integer({ min: 1, max: 4 }),
  changes: fc.oneof(
    fc.record({ tagsAdd: fc.subarray(ADDABLE, { minLength: 1, maxLength: 2 }) }),
    fc.record({ tagsRemove: fc.subarray(INITIAL, { minLength: 1, maxLength: 2 }) }),
    fc.record({ comment: fc.constantFrom(...ANALYST_TEXTS) }),
    fc.record({ severity: fc.constantFrom('low' as const, 'high' as const) }),
    fc.record({ status: fc.constantFrom('inProgress' as const, 'active' as const) }),
  ),
});
// Graph has no etag: a Defender portal user's tag edit racing a bridge PATCH can be overwritten by
// any writer, so portal users tag on Sentinel (etag-protected) and comment on both portals.
const userStep: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ by: fc.constant('sentinelUser' as const), tag: fc.constantFrom('u1', 'u2') }),
  // Distinct per portal: the same words on both portals are one comment to reconcile (by design).
  fc.constantFrom('defender' as const, 'sentinel' as const).chain((portal) => fc.record({ by: fc.constant('user' as const), portal: fc.constant(portal), text: fc.constantFrom(`${portal} note 1`, `${portal} note 2`) })),
);

function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return (state / 2 ** 32) * 3;
  };
}

describe('edit properties', () => {
  test('concurrent edits from analysts and portal users converge: tags union minus removals, each comment once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(analystStep, analystStep, userStep), { minLength: 2, maxLength: 7 }), fc.integer(), fc.array(fc.nat(6), { maxLength: 7 }), async (steps, seed, starts) => {
        const bench = await startEditBench({ delay: seeded(seed) });
        bench.portals.portalUser('defender', () => ({ tags: [...INITIAL] }));
        bench.portals.portalUser('sentinel', () => ({ tags: [...INITIAL] }));
        await syncLink(bench.context, bench.linkId, { fresh: true });

        const requests: string[] = [];
        const expectedComments = new Map<string, number>();
        const more = (text: string) => expectedComments.set(text, (expectedComments.get(text) ?? 0) + 1);
        await Promise.all(
          steps.map(async (step, index) => {
            await new Promise((resolve) => setTimeout(resolve, starts[index] ?? 0));
            if (step.by === 'analyst') {
              if (step.changes.comment) more(step.changes.comment);
              const id = await bench.submit(step.changes, analyst(step.who));
              requests.push(id);
              await bench.applyAll([id]);
            } else if (step.by === 'sentinelUser') {
              bench.portals.portalUser('sentinel', (incident) => ({ tags: incident.tags.includes(step.tag) ? incident.tags : [...incident.tags, step.tag] }));
            } else {
              more(step.text);
              bench.portals.portalUser(step.portal, (incident) => ({ comments: [...incident.comments, { text: step.text, author: 'portal user', createdAt: new Date().toISOString() }] }));
            }
          }),
        );
        // The watcher's syncs carry the portal users' changes across.
        await syncLink(bench.context, bench.linkId, { fresh: true });
        await syncLink(bench.context, bench.linkId, { fresh: true });

        const added = new Set(steps.flatMap((step) => (step.by === 'analyst' ? (step.changes.tagsAdd ?? []) : step.by === 'sentinelUser' ? [step.tag] : [])));
        const removed = new Set(steps.flatMap((step) => (step.by === 'analyst' ? (step.changes.tagsRemove ?? []) : [])));
        const expected = [...new Set([...INITIAL, ...added])].filter((tag) => !removed.has(tag)).sort();
        for (const portal of ['defender', 'sentinel'] as const) {
          expect([...bench.portals[portal].incident.tags].sort()).toEqual(expected);
          const fingerprints = bench.portals[portal].incident.comments.map((comment) => commentFingerprint(comment.text));
          for (const [text, times] of expectedComments) expect(fingerprints.filter((f) => f === text)).toHaveLength(times);
        }
        // Every API write is confirmed; only Defender's severity waits for the portals' own sync.
        for (const id of requests) {
          const outcome = await bench.outcome(id);
          const states = (['defender', 'sentinel'] as const).flatMap((portal) => Object.values(outcome.perPortal[portal]).map((field) => field?.state));
          expect(states.every((state) => state === 'written' || state === 'viaOtherRoute')).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
