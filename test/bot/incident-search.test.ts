// The compose box's incident search (composeExtension/query) through the real Application: what
// it finds, how it pages, how it refuses hostile input, what it shows per incident, and that a card
// sent from the compose box gets no help text in return.
import { describe, expect, test } from '@jest/globals';
import type { Activity } from 'botbuilder';
import { sampleView } from '../fakes/bridge.ts';
import { ALICE, BOT, CHAT_ID, TENANT, messageActivity } from './support/activities.ts';
import { createHarness, textsOf } from './support/harness.ts';
import { MAX_SEARCH_RESULTS, SEARCH_COMMAND_ID, SEARCH_PARAMETER } from '../../src/bot/routes/incident-search.ts';
import { createTenantPolicy } from '../../src/bot/tenant-policy.ts';

interface SearchAnswer {
  type: string;
  attachmentLayout?: string;
  text?: string;
  attachments?: Array<{ contentType: string; content: Record<string, unknown>; preview: { contentType: string; content: { title: string; text: string } } }>;
}

function queryActivity(text: string | undefined, options: { count?: unknown; skip?: unknown; parameters?: unknown[]; tenant?: string } = {}): Partial<Activity> {
  return {
    type: 'invoke',
    name: 'composeExtension/query',
    id: `q-${Math.random()}`,
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/teams/',
    from: ALICE,
    recipient: BOT,
    conversation: { id: CHAT_ID, conversationType: 'personal', tenantId: options.tenant ?? TENANT } as Activity['conversation'],
    channelData: { tenant: { id: options.tenant ?? TENANT } },
    value: {
      commandId: SEARCH_COMMAND_ID,
      parameters: options.parameters ?? (text === undefined ? [{ name: 'initialRun', value: 'true' }] : [{ name: SEARCH_PARAMETER, value: text }]),
      queryOptions: { count: options.count ?? 25, skip: options.skip ?? 0 },
    },
  };
}

async function search(h: ReturnType<typeof createHarness>, text: string | undefined, options: Parameters<typeof queryActivity>[1] = {}): Promise<SearchAnswer> {
  const replies = await h.turn(queryActivity(text, options));
  const response = replies.find((reply) => reply.type === 'invokeResponse');
  const value = response?.value as { status: number; body: { composeExtension: SearchAnswer } };
  expect(value.status).toBe(200);
  return value.body.composeExtension;
}

const titlesOf = (answer: SearchAnswer) => (answer.attachments ?? []).map((attachment) => attachment.preview.content.title);

function withIncidents() {
  const h = createHarness();
  h.bridge.put(sampleView({ linkId: 'link-2', defenderId: '30', sentinelNumber: 1043, title: 'Ransomware on FIN-LAPTOP-07', tags: ['ransomware'], severity: 'high' }));
  h.bridge.put(sampleView({ linkId: 'link-3', defenderId: '31', sentinelNumber: 1044, title: 'Phishing mail with 100%_off invoice', tags: ['vip'] }));
  return h;
}

describe('incident search from the compose box', () => {
  test('the first run lists the newest incidents, each as its card with a one-line preview', async () => {
    const h = withIncidents();
    const answer = await search(h, undefined);
    expect(answer.type).toBe('result');
    expect(answer.attachmentLayout).toBe('list');
    expect(titlesOf(answer)).toEqual(['Incident 29 · Medium', 'Incident 30 · High', 'Incident 31 · Medium']);
    const [first] = answer.attachments ?? [];
    expect(first?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(first?.content['refresh']).toMatchObject({ action: { verb: 'refreshCard', data: { linkId: 'link-1' } } });
    expect(first?.preview.contentType).toBe('application/vnd.microsoft.card.thumbnail');
    expect(first?.preview.content.text).toBe('Suspicious sign-in from unfamiliar location · Active · Unassigned');
  });

  test('finds by number, Sentinel number, title words, tag and owner', async () => {
    const h = withIncidents();
    expect(titlesOf(await search(h, '30'))).toEqual(['Incident 30 · High']);
    expect(titlesOf(await search(h, '#1044'))).toEqual(['Incident 31 · Medium']);
    expect(titlesOf(await search(h, 'laptop ransomware'))).toEqual(['Incident 30 · High']);
    expect(titlesOf(await search(h, 'VIP'))).toEqual(['Incident 31 · Medium']);
    expect(titlesOf(await search(h, '100%_off'))).toEqual(['Incident 31 · Medium']);
    expect((await search(h, 'nothing-like-this')).attachments).toEqual([]);
  });

  test('pages with skip and count; the count is bounded to 25, and nonsense paging falls back to the first page', async () => {
    const h = createHarness();
    for (let i = 0; i < 40; i += 1) h.bridge.put(sampleView({ linkId: `link-p${i}`, defenderId: String(100 + i), sentinelNumber: 2000 + i }));
    const first = await search(h, 'suspicious', { count: 10, skip: 0 });
    const second = await search(h, 'suspicious', { count: 10, skip: 10 });
    expect(titlesOf(first)).toHaveLength(10);
    expect(titlesOf(second)).toHaveLength(10);
    expect(titlesOf(first).filter((title) => titlesOf(second).includes(title))).toEqual([]);
    expect(titlesOf(await search(h, 'suspicious', { count: 1000 }))).toHaveLength(MAX_SEARCH_RESULTS);
    expect(titlesOf(await search(h, 'suspicious', { count: 'many', skip: -5 }))).toHaveLength(MAX_SEARCH_RESULTS);
    expect(h.bridge.lastListFilter).toMatchObject({ limit: MAX_SEARCH_RESULTS, offset: 0 });
    expect(titlesOf(await search(h, 'suspicious', { count: 5, skip: 10_000 }))).toHaveLength(0);
    expect(h.bridge.lastListFilter).toMatchObject({ offset: 500 });
  });

  test('hostile and oversized searches are answered with a message, never an error', async () => {
    const h = withIncidents();
    expect(await search(h, 'bad\u0007word')).toEqual({ type: 'message', text: 'The search contains a control character (U+0007); type it again.' });
    expect((await search(h, 'a\u202Eb')).text).toMatch(/text-direction character/);
    expect((await search(h, 'x'.repeat(5000))).text).toMatch(/fewer words/);
    expect((await search(h, 'a b c d e f g h i')).text).toMatch(/at most 8 words/);
    expect((await search(h, 'y'.repeat(101))).text).toMatch(/at most 100 characters/);
    expect((await search(h, 'half \ud800 emoji')).text).toMatch(/lone UTF-16 surrogate/);
    // Markup in what was typed finds nothing and is never echoed as markup.
    expect((await search(h, '<at>ceo</at> [x](https://evil)')).attachments).toEqual([]);
    // Parameters of another shape are ignored: the newest incidents are listed.
    expect(titlesOf(await search(h, undefined, { parameters: [{ name: SEARCH_PARAMETER, value: { $ne: 1 } }, 'junk', null] }))).toHaveLength(3);
  });

  test('only the incidents the conversation\'s tenant may see are found', async () => {
    const h = createHarness({ tenants: createTenantPolicy({ allowedTenants: [], pairs: [{ id: 'contoso', tenantId: TENANT, sharedWith: [] }, { id: 'fabrikam', tenantId: 'tenant-b', sharedWith: [] }] }) });
    h.bridge.put(sampleView({ linkId: 'link-c', pairId: 'contoso', defenderId: '50' }));
    h.bridge.put(sampleView({ linkId: 'link-f', pairId: 'fabrikam', defenderId: '51' }));
    expect(titlesOf(await search(h, 'suspicious'))).toEqual(['Incident 50 · Medium']);
  });

  test('hostile incident text is escaped in the preview', async () => {
    const h = createHarness();
    h.bridge.put(sampleView({ linkId: 'link-h', defenderId: '66', title: '[Approve](https://evil) <at>CEO</at> ${secret} {{DATE(x)}}' }));
    const [found] = (await search(h, '66')).attachments ?? [];
    const text = found?.preview.content.text ?? '';
    expect(text).not.toContain('](');
    expect(text).not.toContain('<');
    expect(text).not.toContain('${');
    expect(text).not.toContain('{{');
    expect(text).not.toContain('\\'); // no backslash escapes, which plain-text clients show
    expect(text).toContain('‹at›CEO‹/at›');
  });

  test('a card sent from the compose box into the bot\'s chat gets no help text', async () => {
    const h = createHarness();
    const card = [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard' } }];
    expect(textsOf(await h.turn({ ...messageActivity(''), text: '', attachments: card }))).toEqual([]);
    // As the Agents Playground sends it: the markup that places the card, and nothing to read.
    const placed = '\n<span class="inline-compose-card" itemid="0" itemtype="http://schema.skype.com/InputExtension">\n  <span content="0" itemprop="cardId"></span>\n</span>\n';
    expect(textsOf(await h.turn({ ...messageActivity(''), text: placed, attachments: card }))).toEqual([]);
    // A question typed with a card still gets an answer.
    expect(textsOf(await h.turn({ ...messageActivity(''), text: '/help', attachments: card })).join('')).toMatch(/Incident bridge/);
    // An empty message without a card still gets help.
    expect(textsOf(await h.turn(messageActivity(''))).join('')).toMatch(/Incident bridge/);
  });
});
