// The change-event stream as a consumer sees it: typed events, delivered at least once and in
// order, redelivered after a consumer throws, and not lost across a restart of the engine.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { ChangeEvent } from '../../src/domain/change-events.ts';
import { startHarness, waitFor, type SyncHarness } from './support/harness.ts';

let h: SyncHarness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('change events', () => {
  test("the pair's first-start backfill walks both portals and the watcher says it is done", async () => {
    // Benchmarks wait for it before counting idle listings; the walk's own pages are not the idle cost.
    await waitFor('the backfill done', () => h.engine.watcherStatus()['default']?.backfilled);
    expect(h.engine.watcherStatus()['default']).toMatchObject({ backfilled: true, holdsLease: true });
  });

  test('are typed and say what changed, where, by whom and when', async () => {
    const incident = await h.newIncident('Event shape');
    const created = await waitFor('the created event', () => h.eventsFor(incident.linkId).find((e) => e.kind === 'created'));
    expect(created).toMatchObject({ kind: 'created', linkId: incident.linkId, pairId: 'default', incident: { linkId: incident.linkId, defender: { id: incident.defenderId } } });
    expect(typeof created.id).toBe('string');
    expect(Number.isInteger(created.seq)).toBe(true);
    expect(Number.isNaN(Date.parse(created.occurredAt))).toBe(false);
  });

  test('a consumer that throws gets the same event again, and later events only after it', async () => {
    const seen: ChangeEvent[] = [];
    let failures = 0;
    const unsubscribe = h.engine.api.subscribe({
      name: 'flaky-consumer',
      async handle(event) {
        seen.push(event);
        if (event.kind === 'updated' && failures === 0) {
          failures++;
          throw new Error('teams is briefly unavailable');
        }
      },
    });
    try {
      const incident = await h.newIncident('Flaky consumer');
      h.control.analystUpdateDefenderIncident(incident.defenderId, { displayName: 'Redelivered' }, 'alex.wilber@contoso.example');
      const update = await waitFor('the update to be delivered twice', () => {
        const deliveries = seen.filter((e) => e.linkId === incident.linkId && e.kind === 'updated');
        return deliveries.length >= 2 ? deliveries : null;
      });
      expect(update[1]!.id).toBe(update[0]!.id);
      expect(update[1]!.seq).toBe(update[0]!.seq);
      // In order: sequence numbers never go backwards except for the one redelivery.
      const seqs = seen.map((e) => e.seq);
      const backwards = seqs.filter((seq, index) => index > 0 && seq < seqs[index - 1]!).length;
      expect(backwards).toBe(0);
    } finally {
      unsubscribe();
    }
  });

  test('no event is lost across a restart: changes made while stopped are delivered after it', async () => {
    const incident = await h.newIncident('Restart');
    await h.engine.stop();
    h.control.analystUpdateDefenderIncident(incident.defenderId, { displayName: 'Changed while stopped' }, 'alex.wilber@contoso.example');
    h.control.analystCommentSentinel(incident.sentinelName, 'Commented while stopped', 'lee.gu@contoso.example');
    await h.restartEngine();
    await waitFor('the title on Sentinel', () => h.sentinel(incident.sentinelName).title === 'Changed while stopped');
    await waitFor('both changes delivered', () => {
      const changes = h.eventsFor(incident.linkId).flatMap((e) => e.changes);
      return changes.some((c) => c.field === 'title' && c.to === 'Changed while stopped') && changes.some((c) => c.field === 'comment' && c.to === 'Commented while stopped');
    });
    await h.afterPolls(2);
    // At least once, and here exactly once: the consumer's offset was kept across the restart.
    const ids = h.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(h.defender(incident.defenderId).comments.filter((c) => c.comment.includes('Commented while stopped'))).toHaveLength(1);
  });
});
