// An alert whose title holds a lone surrogate and a NUL, raised through the simulators' control
// API next to ordinary incidents: the pair keeps syncing, every incident gets its link, the hostile
// one is stored with U+FFFD in place of what PostgreSQL refuses, and its card renders.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { renderIncidentCard } from '../../src/cards/incident-card.ts';
import { buildChangeNoticeText } from '../../src/cards/change-notice.ts';
import { assertValidCard } from '../../src/cards/validate-card.ts';
import { toIncidentView } from '../../src/sync/events.ts';
import { httpsJson } from '../simulators/helpers.ts';
import { PAIR_ID, startHarness, waitFor, type SyncHarness } from './support/harness.ts';

const HOSTILE_TITLE = 'file name \ud800.exe and \u0000 NUL';
const STORED_TITLE = 'file name \uFFFD.exe and \uFFFD NUL';
/** Teams' limit for a bot message, cards included (Microsoft Learn, "Format cards in Teams"). */
const MAX_CARD_BYTES = 28 * 1024;

let h: SyncHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

test('a lone surrogate and a NUL in a title neither stop the pair nor reach the store', async () => {
  const before = await h.newIncident('Ordinary incident before');
  const raised = await httpsJson(
    h.sims.caCertPem,
    `${h.sims.url}/_sim/alerts`,
    'POST',
    { 'content-type': 'application/json' },
    JSON.stringify({ serviceSource: 'microsoftDefenderForEndpoint', title: HOSTILE_TITLE, description: 'desc \udc00', severity: 'high' }),
  );
  expect(raised.status).toBe(201);
  const hostileId = raised.json.incidentId as string;
  const after = await h.newIncident('Ordinary incident after');

  const link = await waitFor('the hostile incident linked and synced with Sentinel', async () => {
    const found = await h.link(hostileId);
    return found?.sentinelView && found.snapshot['sentinelSeen'] === true ? found : null;
  });
  expect(link.defenderView?.title).toBe(STORED_TITLE);
  expect(link.sentinelView?.title).toBe(STORED_TITLE);
  expect(link.defenderView?.description).toBe('desc \uFFFD');
  // The portals keep what they had: the bridge wrote nothing back over the title.
  expect(h.defender(hostileId).displayName).toBe(HOSTILE_TITLE);

  for (const ordinary of [before, after]) expect((await h.link(ordinary.defenderId))?.sentinelView).not.toBeNull();
  await h.afterPolls(2);
  const status = h.engine.watcherStatus()[PAIR_ID];
  expect(status?.consecutiveFailures).toBe(0);
  expect(status?.lastError).toBeUndefined();
  expect(await h.store.quarantine.list(PAIR_ID)).toEqual([]);

  // /list shows each incident once, with its title; no row without a stored view.
  const listed = await h.store.links.list({ pairId: PAIR_ID });
  expect(listed.every((row) => row.defenderView !== null || row.sentinelView !== null)).toBe(true);
  expect(listed.map((row) => row.defenderId).sort()).toEqual([before.defenderId, hostileId, after.defenderId].sort());

  const view = toIncidentView(link);
  const card = renderIncidentCard(view, { mode: 'analyst', now: new Date().toISOString(), allowedLinkHosts: [] });
  assertValidCard(card);
  const json = JSON.stringify(card);
  expect(Buffer.byteLength(json, 'utf8')).toBeLessThanOrEqual(MAX_CARD_BYTES);
  expect(json).not.toMatch(/\\u(0000|d[89a-f][0-9a-f]{2})/);
  expect(json).toContain('file name \uFFFD.exe');
  for (const event of h.eventsFor(link.linkId)) expect(buildChangeNoticeText(event)).not.toMatch(/[\u0000]|[\ud800-\udbff](?![\udc00-\udfff])/);
});
