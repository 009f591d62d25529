import { describe, expect, test } from '@jest/globals';
import { buildIncidentListViewModel, MAX_LIST_CARD_BYTES, renderIncidentListCard, type IncidentListOptions } from '../../src/cards/incident-list.ts';
import { assertValidCard } from '../../src/cards/validate-card.ts';
import type { IncidentView } from '../../src/domain/change-events.ts';
import { defenderIncident, hostileView, SIM_HOST, typicalView } from './fixtures/incidents.ts';

const options: IncidentListOptions = {
  limit: 25,
  maxLimit: 25,
  openCommand: (view) => ({ text: `/incident ${view.linkId}`, displayText: `/incident ${view.defender?.id ?? view.linkId}` }),
};

function numbered(count: number, view: (i: number) => IncidentView = () => typicalView()): IncidentView[] {
  return Array.from({ length: count }, (_, i) => {
    const base = view(i);
    return { ...base, linkId: `link-${i}`, defender: base.defender && { ...base.defender, id: String(100 + i) } };
  });
}

describe('the /list card', () => {
  test('rows read in the card words, with the owner by name and the severity marker', () => {
    const vm = buildIncidentListViewModel([typicalView()], 1, options);
    expect(vm.header).toBe('1 incident matches');
    expect(vm.rows).toEqual([
      {
        title: '🟠 Multi\\-stage incident involving Initial access \\& Execution on one endpoint',
        facts: 'Defender 29 · Sentinel 412 · Medium · Active · Jane Doe',
        opens: [{ text: '/incident link-29', displayText: '/incident 29' }],
        links: [{ title: 'Open in Defender', url: 'https://security.microsoft.com/incident2/29/overview?tid=11111111-2222-3333-4444-555555555555' }],
      },
    ]);
  });

  test('hostile titles and names stay text; links go only to allowed hosts', () => {
    const card = renderIncidentListCard([hostileView()], options);
    assertValidCard(card);
    const text = JSON.stringify(card);
    expect(text).not.toContain('<at>');
    expect(text).not.toContain('](https://evil');
    expect(text).not.toContain('https://evil.example/incident2');
    const local = renderIncidentListCard([typicalView({ defender: defenderIncident({ webUrl: `https://${SIM_HOST}/incident2/29` }) })], { ...options, allowedLinkHosts: [SIM_HOST] });
    expect(JSON.stringify(local)).toContain(`https://${SIM_HOST}/incident2/29`);
  });

  test('a row whose incident the command cannot name gets no "Open card" button', () => {
    const card = renderIncidentListCard([typicalView()], { ...options, openCommand: () => null });
    assertValidCard(card);
    expect(JSON.stringify(card)).not.toContain('Action.Submit');
    expect(JSON.stringify(card)).toContain('Open in Defender');
  });

  test('as many ordinary incidents as /list may show fit one card whole', () => {
    const card = renderIncidentListCard(numbered(25), options);
    assertValidCard(card);
    expect(Buffer.byteLength(JSON.stringify(card))).toBeLessThanOrEqual(MAX_LIST_CARD_BYTES);
    expect(card.body?.[0]).toMatchObject({ text: '25 incidents match' });
  });

  test('hostile titles of long graphemes are cut by rows, never past the card size Teams takes, and the header says so', () => {
    // Family emoji (11 UTF-16 units each, 25 bytes of UTF-8) and markup that escaping doubles.
    const heavy = (i: number) => typicalView({ defender: defenderIncident({ title: `${'👩‍👩‍👧‍👦'.repeat(60)}${'[*]'.repeat(20)} ${i}` }) });
    const card = renderIncidentListCard(numbered(25, heavy), options);
    assertValidCard(card);
    expect(Buffer.byteLength(JSON.stringify(card))).toBeLessThanOrEqual(MAX_LIST_CARD_BYTES);
    const header = String((card.body?.[0] as { text: string }).text);
    expect(header).toMatch(/^Showing \d+ of 25 incidents$/);
    expect(card.body?.[1]).toMatchObject({ text: 'A card holds no more; narrow the filter to see the rest.' });
  });
});

describe('the /list card names the customer', () => {
  test("each row starts with its pair's customer, escaped; rows say nothing more when none is given", () => {
    const views = [{ ...typicalView(), pairId: 'cust-001' }, { ...typicalView(), linkId: 'link-x', pairId: 'cust-002' }];
    const names: Record<string, string> = { 'cust-001': 'Contoso Ltd', 'cust-002': 'Fabrikam [x](https://evil.example)' };
    const vm = buildIncidentListViewModel(views, 2, { ...options, customerOf: (pairId) => names[pairId] ?? null });
    expect(vm.rows[0]?.facts).toBe('Contoso Ltd · Defender 29 · Sentinel 412 · Medium · Active · Jane Doe');
    expect(vm.rows[1]?.facts).toMatch(/^Fabrikam \\\[x\\\]/);
    expect(vm.rows[1]?.facts).not.toContain('](');
    expect(buildIncidentListViewModel(views, 2, { ...options, customerOf: () => null }).rows[0]?.facts).toBe('Defender 29 · Sentinel 412 · Medium · Active · Jane Doe');
  });
});
