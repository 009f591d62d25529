// Every fault kind the portals produce, injected through the simulators' fault API while the real
// engine syncs: the change still reaches the other portal, exactly once, and nothing is lost.
// Time is compressed: a 2 s per-request timeout, 0.3 s polls, short-lived tokens.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import type { DirectoryUser } from '../../src/simulators/index.ts';
import { PAIR_ID, startHarness, TEST_REQUEST_TIMEOUT_MS, waitFor, type SyncHarness } from './support/harness.ts';

let h: SyncHarness;
let analyst: DirectoryUser;

// Below MSAL's refresh margin, so every call needs a fresh token: expiry is met constantly.
const TOKEN_LIFETIME_SECONDS = 2;

beforeAll(async () => {
  h = await startHarness({ simulators: { tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS } });
  analyst = h.control.directory()[2]!;
});
afterEach(() => {
  h.control.clearFaults();
});
afterAll(async () => {
  await h?.close();
});

const served = (api: 'graph' | 'arm', status: number) => h.control.requests().recent.filter((r) => r.api === api && r.status === status).length;

describe('faults', () => {
  test('429 with Retry-After on the Graph write', async () => {
    const incident = await h.newIncident('Fault 429');
    h.control.addFault({ api: 'graph', method: 'PATCH', status: 429, retryAfterSeconds: 1, count: 2 });
    h.control.analystUpdateSentinelIncident(incident.sentinelName, { title: 'After throttling' }, analyst.userPrincipalName);
    await waitFor('the title on Defender', () => h.defender(incident.defenderId).displayName === 'After throttling');
    expect(served('graph', 429)).toBeGreaterThanOrEqual(2);
  });

  test('5xx on the ARM write', async () => {
    const incident = await h.newIncident('Fault 5xx');
    h.control.addFault({ api: 'arm', method: 'PUT', pathPattern: '/incidents/[^/]+$', status: 500, count: 3 });
    h.control.analystUpdateDefenderIncident(incident.defenderId, { displayName: 'After 5xx' }, analyst.userPrincipalName);
    await waitFor('the title on Sentinel', () => h.sentinel(incident.sentinelName).title === 'After 5xx');
    expect(served('arm', 500)).toBeGreaterThanOrEqual(3);
  });

  test('timeouts: responses slower than the client timeout', async () => {
    const incident = await h.newIncident('Fault timeout');
    h.control.addFault({ api: 'arm', method: 'PUT', pathPattern: '/incidents/[^/]+$', latencyMs: TEST_REQUEST_TIMEOUT_MS + 1_000, count: 2 });
    h.control.analystCommentDefender(incident.defenderId, 'Written despite timeouts', analyst.userPrincipalName);
    h.control.analystUpdateDefenderIncident(incident.defenderId, { description: 'After timeouts' }, analyst.userPrincipalName);
    await waitFor('the description on Sentinel', () => h.sentinel(incident.sentinelName).description === 'After timeouts', 40_000);
    await waitFor('the comment on Sentinel', () => h.sentinelComments(incident.sentinelName).some((c) => c.message.endsWith('Written despite timeouts')), 40_000);
    await h.afterPolls(2);
    // A timed-out PUT may still have been applied; the retry rewrites the same comment id, never a second one.
    expect(h.sentinelComments(incident.sentinelName).filter((c) => c.message.includes('Written despite timeouts'))).toHaveLength(1);
  }, 60_000);

  test('Conflict on the Sentinel PUT (stale etag): re-read, re-apply, retry', async () => {
    const incident = await h.newIncident('Fault conflict');
    h.control.addFault({
      api: 'arm',
      method: 'PUT',
      pathPattern: '/incidents/[^/]+$',
      status: 409,
      count: 4,
      body: { error: { code: 'Conflict', message: `Newer version of resource '${incident.sentinelName}' exists. Data was not saved` } },
    });
    h.control.analystUpdateDefenderIncident(incident.defenderId, { customTags: ['after-conflict'] }, analyst.userPrincipalName);
    await waitFor('the label on Sentinel', () => h.sentinel(incident.sentinelName).labels.some((l) => l.labelName === 'after-conflict'));
    expect(served('arm', 409)).toBeGreaterThanOrEqual(4);
  });

  test('token expiry: tokens shorter-lived than the test are re-acquired', async () => {
    const incident = await h.newIncident('Fault token expiry');
    const tokensBefore = h.requestCounts().entra;
    // Outlive the tokens issued so far, measured by the portal's own clock advancing.
    const start = Date.now();
    await waitFor('the issued tokens to expire', () => Date.now() - start > TOKEN_LIFETIME_SECONDS * 1000 && h.requestCounts().entra > tokensBefore, 20_000);
    h.control.analystUpdateSentinelIncident(incident.sentinelName, { description: 'After token expiry' }, analyst.userPrincipalName);
    await waitFor('the description on Defender', () => h.defender(incident.defenderId).description === 'After token expiry');
    // New tokens were fetched along the way. A request that raced its token's expiry may be refused
    // with 401 (the simulators check exp to the second); the engine retries it and converges.
    expect(h.requestCounts().entra).toBeGreaterThan(tokensBefore);
  });

  test('a portal down for "minutes": the watcher reports it, recovers and converges', async () => {
    const incident = await h.newIncident('Fault outage');
    h.control.addFault({ api: 'graph', status: 503, count: 100_000 });
    h.control.analystUpdateSentinelIncident(incident.sentinelName, { title: 'Changed during the outage' }, analyst.userPrincipalName);
    h.control.analystCommentSentinel(incident.sentinelName, 'Noted during the outage', analyst.userPrincipalName);
    await waitFor('the watcher to report the outage', () => (h.engine.watcherStatus()[PAIR_ID]?.consecutiveFailures ?? 0) >= 2, 40_000);
    expect(h.engine.health()[`watcher:${PAIR_ID}`]).toMatchObject({ ok: false });
    h.control.clearFaults();
    await waitFor('the title on Defender', () => h.defender(incident.defenderId).displayName === 'Changed during the outage', 60_000);
    await waitFor('the comment on Defender', () => h.defender(incident.defenderId).comments.some((c) => c.comment.endsWith('Noted during the outage')), 30_000);
    await waitFor('the watcher to be healthy again', () => h.engine.health()[`watcher:${PAIR_ID}`]?.ok === true);
    await h.afterPolls(2);
    expect(h.defender(incident.defenderId).comments.filter((c) => c.comment.includes('Noted during the outage'))).toHaveLength(1);
  }, 120_000);
});
