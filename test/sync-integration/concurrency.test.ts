// Comments with the portals' own mirroring ON, concurrent edits on both portals between two polls,
// and Defender merges, against the real engine and simulators.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import type { DirectoryUser } from '../../src/simulators/index.ts';
import type { FieldChange } from '../../src/domain/change-events.ts';
import { startHarness, waitFor, type LinkedIncident, type SyncHarness } from './support/harness.ts';

let h: SyncHarness;
let ann: DirectoryUser;
let bob: DirectoryUser;

beforeAll(async () => {
  h = await startHarness();
  [ann, bob] = h.control.directory() as [DirectoryUser, DirectoryUser];
});
afterEach(() => {
  h.control.setNativeSync(false);
});
afterAll(async () => {
  await h?.close();
});

function changesOf(incident: LinkedIncident, field: FieldChange['field'], linkId = incident.linkId): FieldChange[] {
  return h
    .eventsFor(linkId)
    .filter((event) => event.kind === 'updated')
    .flatMap((event) => event.changes)
    .filter((change) => change.field === field);
}

describe('comments with the portals own mirroring ON', () => {
  test.each(['defender', 'sentinel'] as const)('a comment made on %s ends up exactly once on each side and is announced once', async (origin) => {
    const incident = await h.newIncident(`Native comments from ${origin}`);
    h.control.setNativeSync(true);
    const text = `Contained from ${origin}`;
    if (origin === 'defender') h.control.analystCommentDefender(incident.defenderId, text, ann.userPrincipalName);
    else h.control.analystCommentSentinel(incident.sentinelName, text, ann.userPrincipalName);
    await waitFor('the comment to be announced', () => changesOf(incident, 'comment').length > 0);
    await h.afterPolls(3);
    const onDefender = h.defender(incident.defenderId).comments.filter((c) => c.comment.includes(text));
    const onSentinel = h.sentinelComments(incident.sentinelName).filter((c) => c.message.includes(text));
    expect(onDefender).toHaveLength(1);
    expect(onSentinel).toHaveLength(1);
    expect(changesOf(incident, 'comment')).toHaveLength(1);
    // The simulator mirrors within the same millisecond, so both copies carry the same creation
    // instant and the documented tie-break (Defender) may credit either side; the author is kept.
    expect(changesOf(incident, 'comment')[0]!.by).toBe(ann.userPrincipalName);
  });
});

describe('concurrent edits between two polls', () => {
  test('different fields on the two portals both survive', async () => {
    const incident = await h.newIncident('Concurrent, different fields');
    // Same tick: no poll can see one without the other.
    h.control.analystUpdateDefenderIncident(incident.defenderId, { displayName: 'Renamed in Defender' }, ann.userPrincipalName);
    h.control.analystUpdateSentinelIncident(incident.sentinelName, { description: 'Described in Sentinel' }, bob.userPrincipalName);
    await waitFor('both portals to show both edits', () => {
      const defender = h.defender(incident.defenderId);
      const sentinel = h.sentinel(incident.sentinelName);
      return defender.displayName === 'Renamed in Defender' && sentinel.title === 'Renamed in Defender' && defender.description === 'Described in Sentinel' && sentinel.description === 'Described in Sentinel';
    });
    await h.afterPolls(2);
    expect(changesOf(incident, 'title')).toEqual([expect.objectContaining({ portal: 'defender', to: 'Renamed in Defender' })]);
    expect(changesOf(incident, 'description')).toEqual([expect.objectContaining({ portal: 'sentinel', to: 'Described in Sentinel' })]);
    expect(changesOf(incident, 'title')[0]!.overridden).toBeUndefined();
  });

  test('the same field: the later lastUpdatedAt wins and the loser is recorded in the event', async () => {
    const incident = await h.newIncident('Concurrent, same field');
    h.control.analystUpdateDefenderIncident(incident.defenderId, { displayName: 'Defender says' }, ann.userPrincipalName);
    // Strictly later on Sentinel (timestamps have millisecond resolution).
    const before = h.defender(incident.defenderId).lastUpdateDateTime;
    await waitFor('the clock to move past the Defender edit', () => new Date().toISOString() > before, 1_000);
    h.control.analystUpdateSentinelIncident(incident.sentinelName, { title: 'Sentinel says' }, bob.userPrincipalName);
    await waitFor('both portals to agree on the title', () => h.defender(incident.defenderId).displayName === 'Sentinel says' && h.sentinel(incident.sentinelName).title === 'Sentinel says');
    await h.afterPolls(2);
    const titles = changesOf(incident, 'title');
    expect(titles).toHaveLength(1);
    expect(titles[0]).toMatchObject({ portal: 'sentinel', to: 'Sentinel says', overridden: { portal: 'defender', value: 'Defender says' } });
    expect(h.defender(incident.defenderId).displayName).toBe('Sentinel says');
  });

  test('tags edited on both portals are merged per tag', async () => {
    const incident = await h.newIncident('Concurrent tags');
    h.control.analystUpdateDefenderIncident(incident.defenderId, { customTags: ['from-defender'] }, ann.userPrincipalName);
    h.control.analystUpdateSentinelIncident(incident.sentinelName, { labels: ['from-sentinel'] }, bob.userPrincipalName);
    const both = 'from-defender,from-sentinel';
    await waitFor('both tags on both portals', () => {
      const defender = [...h.defender(incident.defenderId).customTags].sort().join();
      const sentinel = h.sentinel(incident.sentinelName).labels.filter((l) => l.labelType === 'User').map((l) => l.labelName).sort().join();
      return defender === both && sentinel === both;
    });
  });
});

describe('merges', () => {
  test('the link moves to the survivor, a merged event is emitted, and later changes are announced on the survivor', async () => {
    const source = await h.newIncident('Merge source', { correlationKey: 'merge-source' });
    const target = await h.newIncident('Merge target', { correlationKey: 'merge-target' });
    h.control.mergeIncidents(source.defenderId, target.defenderId);

    const merged = await waitFor('a merged event', () => h.events.find((event) => event.kind === 'merged' && event.linkId === target.linkId));
    expect(merged.changes).toEqual([expect.objectContaining({ field: 'status', to: 'redirected', portal: 'defender' })]);
    const sourceLink = await h.link(source.defenderId);
    expect(sourceLink?.mergedIntoLinkId).toBe(target.linkId);
    // Whoever asks for the merged incident is shown the survivor.
    expect((await h.engine.api.findIncident(source.defenderId))?.linkId).toBe(target.linkId);

    // The survivor's alerts were recomputed (two alerts now): announced on the survivor's link.
    await waitFor('the survivor to show both alerts', () => changesOf(target, 'additionalData').some((c) => (c.to as { alertsCount: number }).alertsCount === 2));
    h.control.analystUpdateDefenderIncident(target.defenderId, { displayName: 'After the merge' }, ann.userPrincipalName);
    await waitFor('the rename on Sentinel', () => h.sentinel(target.sentinelName).title === 'After the merge');
    await waitFor('the rename announced on the survivor', () => changesOf(target, 'title').some((c) => c.to === 'After the merge'));
    // Nothing is announced on the merged link after the merge event.
    expect(h.eventsFor(source.linkId).filter((event) => event.seq > merged.seq)).toHaveLength(0);
  });
});
