// The write path against the simulators with real concurrency and injected faults: concurrent
// edits of one incident lose nothing, a Sentinel Conflict re-applies the analyst's delta on the
// fresh resource, and a comment whose answer was lost is written once.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Actor } from '../../src/domain/incident.ts';
import type { EditOutcome } from '../../src/domain/edits.ts';
import { commentFingerprint } from '../../src/sync/fingerprint.ts';
import { ANALYST, startHarness, TEST_REQUEST_TIMEOUT_MS, waitFor, type SyncHarness } from './support/harness.ts';

let h: SyncHarness;

beforeAll(async () => {
  // Rate limits high enough that a burst of 50 edits is not a minute of 429s (the budget is not under test here).
  h = await startHarness({ simulators: { graphRequestsPerMinute: 100_000 } });
  // A comment write whose answer is lost may land for 15 s here, not the production 120 s.
  h.context.commentSettleSeconds = 15;
}, 90_000);
afterAll(async () => {
  await h?.close();
});

const analyst = (n: number): Actor => ({ objectId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, displayName: `Analyst ${n}` });
const sentinelTags = (name: string) => h.sentinel(name).labels.filter((label) => label.labelType === 'User').map((label) => label.labelName).sort();
const wait = (requestId: string, ms = 120_000): Promise<EditOutcome> => h.finalOutcome(requestId, ms);

describe('concurrent edits of one incident', () => {
  test.each([2, 50])('%i tag edits at the same moment: every tag in both portals, every outcome written after a read-back', async (n) => {
    const incident = await h.newIncident(`Concurrent tag edits x${n}`);
    const tags = Array.from({ length: n }, (_, i) => `T-${n}-${i}`);
    const submitted = await Promise.all(
      tags.map((tag, i) => h.engine.api.submitEdit({ idempotencyKey: `tag-${incident.defenderId}-${i}`, linkId: incident.linkId, changes: { tagsAdd: [tag] }, actor: analyst(i) })),
    );
    const outcomes = await Promise.all(submitted.map((result) => wait(result.requestId)));
    expect([...h.defender(incident.defenderId).customTags].sort()).toEqual([...tags].sort());
    expect(sentinelTags(incident.sentinelName)).toEqual([...tags].sort());
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ state: 'completed', converged: true, perPortal: { defender: { tags: { state: 'written' } }, sentinel: { tags: { state: 'written' } } } });
    }
  }, 240_000);
});

describe('a Sentinel Conflict', () => {
  test("re-applies the analyst's delta to the fresh resource: a label a portal user added meanwhile is kept", async () => {
    const incident = await h.newIncident('Sentinel conflict race');
    const user = h.control.directory()[0]!;
    // The bridge's PUT is slow; a portal user labels the incident while it is under way.
    h.control.addFault({ api: 'arm', method: 'PUT', pathPattern: `/incidents/${incident.sentinelName}$`, latencyMs: 4_000, count: 1 });
    const since = new Date().toISOString();
    const { requestId } = await h.engine.api.submitEdit({ idempotencyKey: `race-${incident.defenderId}`, linkId: incident.linkId, changes: { tagsAdd: ['raceS'] }, actor: ANALYST });
    // The edit read Sentinel; its (slow) PUT follows at once.
    await waitFor('the edit to read the Sentinel incident', () =>
      h.control.requests().recent.some((r) => r.api === 'arm' && r.method === 'GET' && r.at >= since && new URL(r.url, 'https://x').pathname.endsWith(`/incidents/${incident.sentinelName}`)),
    );
    h.control.analystUpdateSentinelIncident(incident.sentinelName, { labels: [...sentinelTags(incident.sentinelName), 'portalS'] }, user.userPrincipalName);
    const outcome = await wait(requestId);
    expect(outcome.perPortal.sentinel.tags).toEqual({ state: 'written' });
    await waitFor('both portals to show both tags', () => sentinelTags(incident.sentinelName).join() === 'portalS,raceS' && [...h.defender(incident.defenderId).customTags].sort().join() === 'portalS,raceS');
  }, 60_000);
});

describe('comments whose answer is lost', () => {
  const bodies = (texts: string[], body: string) => texts.filter((text) => commentFingerprint(text) === body).length;
  /** The simulator finished a comment POST on the incident at least `heldMs` after `since` (the held one). */
  const heldPostServed = (defenderId: string, since: number, heldMs: number) =>
    waitFor('the held comment POST to be served', () =>
      h.control.requests().recent.some((r) => r.api === 'graph' && r.method === 'POST' && r.url.includes(`/incidents/${defenderId}/comments`) && Date.parse(r.at) >= since + heldMs),
    );

  test('a Graph comment POST that is applied but answers after the client timeout is written once in each portal', async () => {
    const incident = await h.newIncident('Lost comment answer');
    const since = Date.now();
    h.control.addFault({ api: 'graph', method: 'POST', pathPattern: `/incidents/${incident.defenderId}/comments$`, latencyMs: TEST_REQUEST_TIMEOUT_MS + 1_500, answerLate: true, count: 1 });
    const { requestId } = await h.engine.api.submitEdit({ idempotencyKey: `lost-${incident.defenderId}`, linkId: incident.linkId, changes: { comment: 'Blocked the sender' }, actor: ANALYST });
    const outcome = await wait(requestId);
    expect(outcome).toMatchObject({ state: 'completed', perPortal: { defender: { comment: { state: 'written' } }, sentinel: { comment: { state: 'written' } } } });
    await heldPostServed(incident.defenderId, since, TEST_REQUEST_TIMEOUT_MS + 1_500);
    await h.afterPolls(3);
    expect(bodies(h.defender(incident.defenderId).comments.map((c) => c.comment), 'Blocked the sender')).toBe(1);
    expect(bodies(h.sentinelComments(incident.sentinelName).map((c) => c.message), 'Blocked the sender')).toBe(1);
  }, 60_000);

  test('a Graph comment POST that lands only after the client gave up is looked for, not written again', async () => {
    const incident = await h.newIncident('Late comment');
    // Served (written) only well after the timeout: the job's retries find nothing at first and
    // must not write it again before it lands.
    const since = Date.now();
    h.control.addFault({ api: 'graph', method: 'POST', pathPattern: `/incidents/${incident.defenderId}/comments$`, latencyMs: TEST_REQUEST_TIMEOUT_MS + 6_000, count: 1 });
    const { requestId } = await h.engine.api.submitEdit({ idempotencyKey: `late-${incident.defenderId}`, linkId: incident.linkId, changes: { comment: 'Reimaged the laptop' }, actor: ANALYST });
    const outcome = await wait(requestId);
    expect(outcome.perPortal.defender.comment).toEqual({ state: 'written' });
    await heldPostServed(incident.defenderId, since, TEST_REQUEST_TIMEOUT_MS + 6_000);
    await h.afterPolls(3);
    expect(bodies(h.defender(incident.defenderId).comments.map((c) => c.comment), 'Reimaged the laptop')).toBe(1);
    expect(bodies(h.sentinelComments(incident.sentinelName).map((c) => c.message), 'Reimaged the laptop')).toBe(1);
  }, 60_000);

  test('the same text in two requests is two comments in each portal', async () => {
    const incident = await h.newIncident('Same text twice');
    for (const key of ['first', 'second']) {
      const { requestId } = await h.engine.api.submitEdit({ idempotencyKey: `${key}-${incident.defenderId}`, linkId: incident.linkId, changes: { comment: 'Still investigating' }, actor: ANALYST });
      expect((await wait(requestId)).perPortal.defender.comment).toEqual({ state: 'written' });
    }
    await h.afterPolls(3);
    expect(bodies(h.defender(incident.defenderId).comments.map((c) => c.comment), 'Still investigating')).toBe(2);
    expect(bodies(h.sentinelComments(incident.sentinelName).map((c) => c.message), 'Still investigating')).toBe(2);
  }, 60_000);
});
