// Property: whatever strings Graph and ARM send (every Unicode plane, lone surrogates, NUL, 1 MB
// values), the mappings make them storable, the real store (PGlite) keeps them exactly, and the
// incident card and change notice render as valid JSON cards within Teams' size limit. Once through
// the mapping functions directly, once end to end: simulators -> portal clients -> PGlite -> cards.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { buildChangeNoticeText } from '../../src/cards/change-notice.ts';
import { renderIncidentCard } from '../../src/cards/incident-card.ts';
import { assertValidCard } from '../../src/cards/validate-card.ts';
import type { Incident } from '../../src/domain/incident.ts';
import { isStorableText } from '../../src/domain/untrusted-text.ts';
import { createDefenderClient, createSentinelClient } from '../../src/portals/index.ts';
import { graphIncidentToDomain } from '../../src/portals/defender/mapping.ts';
import { armIncidentToDomain } from '../../src/portals/sentinel/mapping.ts';
import { createPgliteDb } from '../../src/store/pglite-db.ts';
import { migrate } from '../../src/store/migrate.ts';
import type { Store } from '../../src/store/ports.ts';
import { createSqlStore } from '../../src/store/store.ts';
import type { ChangeEvent, IncidentView } from '../../src/domain/change-events.ts';
import { ARM_XDR_INCIDENT, GRAPH_INCIDENT_WITH_ALERTS } from '../portals/fixtures/examples.ts';
import { startTestSims, TENANT_ID, WRITER, SUBSCRIPTION_ID, RESOURCE_GROUP, WORKSPACE, waitFor, type TestSims } from '../simulators/helpers.ts';
import { hostileString, hostileStringOrHuge } from '../support/hostile-strings.ts';

/** Teams' limit for a bot message, cards included (Microsoft Learn, "Format cards in Teams"). */
const MAX_CARD_BYTES = 28 * 1024;
const NOW = '2026-03-01T12:00:00.000Z';
const ESCAPED_UNSTORABLE = /\\u(0000|d[89a-f][0-9a-f]{2})/;

let store: Store;
let linkSeq = 0;

beforeAll(async () => {
  const db = await createPgliteDb({ schema: 'untrusted_text' });
  await migrate(db);
  store = createSqlStore(db);
});
afterAll(async () => {
  await store?.close();
});

function everyString(value: unknown, visit: (text: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) value.forEach((item) => everyString(item, visit));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      visit(key);
      everyString(item, visit);
    }
  }
}

/** Stores the views on a new link, reads it back, and renders its card and a change notice. */
async function storeAndRender(defender: Incident, sentinel: Incident | null, raw: string): Promise<void> {
  for (const view of [defender, sentinel]) everyString(view, (text) => expect(isStorableText(text)).toBe(true));
  const saved = await store.links.save(
    { linkId: `link-${++linkSeq}`, pairId: 'fuzz', defenderId: `d-${linkSeq}`, snapshot: {}, defenderView: defender, sentinelView: sentinel, syncState: {} },
    null,
  );
  if (!saved.ok) throw new Error(`save failed: ${saved.reason}`);
  const read = await store.links.get(saved.link.linkId);
  expect(read?.defenderView).toEqual(defender);
  expect(read?.sentinelView).toEqual(sentinel);

  const view: IncidentView = { linkId: saved.link.linkId, pairId: 'fuzz', defender, sentinel, syncState: { defender: 'inSync', sentinel: 'inSync' } };
  for (const mode of ['analyst', 'readOnly'] as const) {
    const card = renderIncidentCard(view, { mode, now: NOW });
    assertValidCard(card);
    const json = JSON.stringify(card);
    expect(JSON.parse(json)).toEqual(card);
    expect(json).not.toMatch(ESCAPED_UNSTORABLE);
    expect(Buffer.byteLength(json, 'utf8')).toBeLessThanOrEqual(MAX_CARD_BYTES);
  }
  // A notice renders the raw text too (an event's from/to are whatever reconcile saw).
  const event: ChangeEvent = {
    id: 'e',
    seq: 1,
    kind: 'updated',
    linkId: view.linkId,
    pairId: 'fuzz',
    incident: view,
    changes: [
      { field: 'title', from: raw, to: defender.title, portal: 'defender', by: raw },
      { field: 'tags', from: [raw], to: defender.tags, portal: 'sentinel', by: defender.lastModifiedBy },
      { field: 'comment', from: null, to: raw, portal: 'defender', by: raw },
    ],
    occurredAt: NOW,
  };
  const notice = buildChangeNoticeText(event);
  expect(isStorableText(notice)).toBe(true);
  expect(Buffer.byteLength(notice, 'utf8')).toBeLessThanOrEqual(MAX_CARD_BYTES);
}

describe('arbitrary strings in portal responses', () => {
  test('Graph and ARM DTOs -> mapping -> PGlite -> cards', async () => {
    const texts = fc.record({
      title: hostileStringOrHuge(),
      description: hostileStringOrHuge(),
      tag: hostileString(),
      owner: hostileString(),
      comment: hostileStringOrHuge(),
      author: hostileString(),
      product: hostileString(),
      modifiedBy: hostileString(),
    });
    await fc.assert(
      fc.asyncProperty(texts, async (t) => {
        const defender = graphIncidentToDomain({
          ...GRAPH_INCIDENT_WITH_ALERTS,
          displayName: t.title,
          description: t.description,
          customTags: [t.tag, 'ok'],
          systemTags: [t.tag],
          assignedTo: t.owner,
          lastModifiedBy: t.modifiedBy,
          resolvingComment: t.comment,
          determination: t.tag,
          comments: [{ comment: t.comment, createdByDisplayName: t.author, createdDateTime: '2025-05-01T10:05:00Z' }],
          alerts: [{ id: 'a', productName: t.product, category: t.tag, mitreTechniques: [t.tag] }],
        });
        const sentinel = armIncidentToDomain({
          ...ARM_XDR_INCIDENT,
          systemData: { lastModifiedBy: t.modifiedBy },
          properties: {
            ...ARM_XDR_INCIDENT.properties,
            title: t.title,
            description: t.description,
            owner: { objectId: t.owner, userPrincipalName: t.owner, assignedTo: t.author },
            labels: [{ labelName: t.tag, labelType: 'User' }, { labelName: t.product, labelType: 'AutoAssigned' }],
            classificationComment: t.comment,
            additionalData: { ...ARM_XDR_INCIDENT.properties.additionalData, alertProductNames: [t.product], tactics: [t.tag], techniques: [t.tag] },
          },
        });
        await storeAndRender(defender, sentinel, t.title);
      }),
      { numRuns: 60 },
    );
  });
});

describe('arbitrary strings end to end through the simulators', () => {
  let sims: TestSims;
  let clients: { defender: ReturnType<typeof createDefenderClient>; sentinel: ReturnType<typeof createSentinelClient> };
  beforeAll(async () => {
    sims = await startTestSims({ azurePortalDelayMs: 0 });
    const common = { tenantId: TENANT_ID, clientId: WRITER.clientId, clientSecret: WRITER.clientSecret, authorityHost: sims.url, caCertPem: sims.caCertPem };
    clients = {
      defender: createDefenderClient({ ...common, graphEndpoint: sims.url }),
      sentinel: createSentinelClient({ ...common, armEndpoint: sims.url, subscriptionId: SUBSCRIPTION_ID, resourceGroup: RESOURCE_GROUP, workspace: WORKSPACE }),
    };
  });
  afterAll(async () => {
    await sims?.stop();
  });

  test('/_sim/alerts -> Graph and ARM clients -> PGlite -> cards', async () => {
    await fc.assert(
      fc.asyncProperty(hostileStringOrHuge().filter((title) => title.length > 0), hostileString(), async (title, description) => {
        const raised = await sims.http('POST', '/_sim/alerts', { body: { serviceSource: 'microsoftDefenderForEndpoint', title, description, severity: 'high' } });
        expect(raised.status).toBe(201);
        const id = raised.json.incidentId as string;
        const defender = await clients.defender.get(id);
        expect(defender).not.toBeNull();
        const name = (await waitFor(() => sims.control.sentinelCounterpart(id), 'the Sentinel counterpart')).name;
        const sentinel = await clients.sentinel.get(name);
        await storeAndRender(defender!, sentinel, title);
      }),
      { numRuns: 12 },
    );
  });
});
