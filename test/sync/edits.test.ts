// The write path over fakes with real concurrency: edit jobs of one incident run at the same time,
// portal calls interleave, and a comment write can land while its answer is lost.
import { describe, expect, test } from '@jest/globals';
import { commentFingerprint, commentRef } from '../../src/sync/fingerprint.ts';
import { applyEdit, verifyEdit } from '../../src/sync/edits.ts';
import { recordCommentSent } from '../../src/sync/outcome.ts';
import { QUEUES } from '../../src/sync/sync-context.ts';
import { analyst, startEditBench } from './support/edit-bench.ts';
import { createRecordingMetrics } from '../fakes/recording-metrics.ts';

const count = (texts: string[], body: string) => texts.filter((text) => commentFingerprint(text) === body).length;

describe('concurrent edits of one incident', () => {
  test.each([2, 50])('%i analysts tagging at the same moment: every tag reaches both portals, each outcome written', async (n) => {
    const bench = await startEditBench({ delay: () => 1 + Math.random() * 2 });
    const tags = Array.from({ length: n }, (_, i) => `T-${i}`);
    const ids = await Promise.all(tags.map((tag, i) => bench.submit({ tagsAdd: [tag] }, analyst(i))));
    await bench.applyAll(ids);
    expect([...bench.portals.defender.incident.tags].sort()).toEqual([...tags].sort());
    expect([...bench.portals.sentinel.incident.tags].sort()).toEqual([...tags].sort());
    for (const id of ids) {
      expect(await bench.outcome(id)).toMatchObject({ state: 'completed', perPortal: { defender: { tags: { state: 'written' } }, sentinel: { tags: { state: 'written' } } } });
    }
  });

  test('a Sentinel label a portal user adds while the bridge writes is kept (the delta is re-applied on the fresh read)', async () => {
    const bench = await startEditBench();
    const id = await bench.submit({ tagsAdd: ['raceS'] });
    // A portal user labels the incident after the bridge read it and before its PUT: a Conflict.
    bench.portals.sentinel.beforeWrite = () => bench.portals.portalUser('sentinel', (incident) => ({ tags: [...incident.tags, 'portalS'] }));
    await bench.applyAll([id]);
    expect([...bench.portals.sentinel.incident.tags].sort()).toEqual(['portalS', 'raceS']);
  });
});

describe('an edit of an incident the bridge has not synced yet', () => {
  test("a portal user's change made before it is kept: the edit's own writes do not make the other portal look newer", async () => {
    // Linked, not yet synced (its first sync job still queued), when a Sentinel user retitles it
    // and an analyst tags it from Teams. The first sync has no snapshot to tell which side changed
    // the title; run after the edit's writes it saw Defender as the newer side and put the old
    // title back on Sentinel.
    const bench = await startEditBench({ unsynced: true });
    bench.portals.portalUser('sentinel', () => ({ title: 'Retitled in Sentinel' }));
    const id = await bench.submit({ tagsAdd: ['triaged'] });
    await bench.applyAll([id]);
    expect({ defender: bench.portals.defender.incident.title, sentinel: bench.portals.sentinel.incident.title }).toEqual({ defender: 'Retitled in Sentinel', sentinel: 'Retitled in Sentinel' });
    expect(bench.portals.defender.incident.tags).toContain('triaged');
    expect(bench.portals.sentinel.incident.tags).toContain('triaged');
  });
});

describe('comments', () => {
  test('the same text from two requests is two comments on each portal, both reported written', async () => {
    const bench = await startEditBench();
    const first = await bench.submit({ comment: 'Called the user' }, analyst(1));
    await bench.applyAll([first]);
    const second = await bench.submit({ comment: 'Called the user' }, analyst(1));
    await bench.applyAll([second]);
    expect(count(bench.portals.defender.incident.comments.map((c) => c.text), 'Called the user')).toBe(2);
    expect(count(bench.portals.sentinel.incident.comments.map((c) => c.text), 'Called the user')).toBe(2);
    expect((await bench.outcome(second)).perPortal.defender.comment).toEqual({ state: 'written' });
  });

  test('a comment whose answer was lost is found by its ref and not written again', async () => {
    const bench = await startEditBench();
    bench.portals.defender.loseCommentAnswers = 1;
    const id = await bench.submit({ comment: 'Isolated the host' });
    await bench.applyAll([id]);
    expect(count(bench.portals.defender.incident.comments.map((c) => c.text), 'Isolated the host')).toBe(1);
    expect(count(bench.portals.sentinel.incident.comments.map((c) => c.text), 'Isolated the host')).toBe(1);
    expect(await bench.outcome(id)).toMatchObject({ state: 'completed', perPortal: { defender: { comment: { state: 'written' } } } });
  });

  test('a comment sent moments ago that does not show yet is looked for again, not sent again at once', async () => {
    const bench = await startEditBench({ commentSettleSeconds: 60 });
    const id = await bench.submit({ comment: 'Reset password' });
    const stored = await bench.context.store.editRequests.get(id);
    // A try that sent the comment and died before it landed.
    const ref = commentRef(id, 'comment');
    await bench.context.store.editRequests.update(id, { outcome: recordCommentSent(stored!.outcome!, 'defender', ref, new Date().toISOString()) });
    await expect(applyEdit(bench.context, id)).rejects.toThrow(/not there yet/);
    expect(count(bench.portals.defender.incident.comments.map((c) => c.text), 'Reset password')).toBe(0);
  });
});

describe('outcome', () => {
  test('a failure does not end the edit while a field the portals own sync carries is unverified', async () => {
    const bench = await startEditBench();
    bench.portals.sentinel.refuseWrites = 1;
    const id = await bench.submit({ severity: 'high', status: 'inProgress' });
    await bench.applyAll([id]);
    const first = await bench.outcome(id);
    expect(first.perPortal.sentinel.severity).toMatchObject({ state: 'failed' });
    expect(first.perPortal.defender.severity).toEqual({ state: 'viaOtherRoute', verified: false });
    expect(first.state).toBe('accepted');
    expect(bench.queue.sent.filter((job) => job.queue === QUEUES.verifyEdit)).toHaveLength(1);

    // The portals' own sync carries the severity to Defender; the verification sees it.
    bench.portals.portalUser('defender', () => ({ severity: 'high' }));
    await verifyEdit(bench.context, id, 0);
    const after = await bench.outcome(id);
    expect(after.perPortal.defender.severity).toEqual({ state: 'viaOtherRoute', verified: true });
    expect(after.state).toBe('partial');
  });
});

describe('final outcomes are counted once per request', () => {
  test('an edit that completes is counted once, and a try of its job that runs again counts nothing', async () => {
    const metrics = createRecordingMetrics();
    const bench = await startEditBench({ metrics });
    const id = await bench.submit({ tagsAdd: ['counted'] });
    await bench.applyAll([id]);
    await bench.applyAll([id]);
    expect(metrics.editOutcomes).toEqual(['completed']);
  });

  test('two verifications of one request that run at once: one finishes it, the other neither replaces nor recounts it', async () => {
    const metrics = createRecordingMetrics();
    const bench = await startEditBench({ metrics });
    bench.portals.sentinel.refuseWrites = 1;
    const id = await bench.submit({ severity: 'high' });
    await bench.applyAll([id]);
    expect((await bench.outcome(id)).state).toBe('accepted');
    bench.portals.portalUser('defender', () => ({ severity: 'high' }));
    const events = async () => (await bench.context.store.changeEvents.readPending('outcome-probe', 1000)).filter((event) => event.kind === 'edit-outcome' && event.outcome?.state === 'partial');
    // A verification job queued twice (its answer was lost): both tries hold the same lease name.
    await Promise.all([verifyEdit(bench.context, id, 0), verifyEdit(bench.context, id, 0)]);
    expect((await bench.outcome(id)).state).toBe('partial');
    expect(metrics.editOutcomes).toEqual(['partial']);
    expect(await events()).toHaveLength(1);
  });
});
