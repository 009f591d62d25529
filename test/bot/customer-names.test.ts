// An MSSP's incidents in Teams say whose they are: the incident card's Customer fact, /list rows,
// and subscriptions (/subscribe, /subscriptions) name each pair by its configured display name;
// tenant= takes the name as well as the id. With one unnamed pair nothing is added.
import { describe, expect, test } from '@jest/globals';
import type { Activity } from 'botbuilder';
import { createTenantPolicy } from '../../src/bot/tenant-policy.ts';
import { createCustomerNames } from '../../src/domain/pair-names.ts';
import { sampleView } from '../fakes/bridge.ts';
import { messageActivity, TENANT } from './support/activities.ts';
import { cardsOf, createHarness, textBlocksOf, textsOf } from './support/harness.ts';

const PAIRS = [
  { id: 'cust-001', name: 'Contoso Ltd', tenantId: 'tenant-contoso', sharedWith: [] as string[] },
  { id: 'cust-002', name: 'Fabrikam', tenantId: 'tenant-fabrikam', sharedWith: [] as string[] },
];

function mssp() {
  const h = createHarness({
    tenants: createTenantPolicy({ allowedTenants: [TENANT], pairs: PAIRS }),
    customers: createCustomerNames(PAIRS),
  });
  h.bridge.put(sampleView({ linkId: 'link-contoso', pairId: 'cust-001', defenderId: '41', title: 'Contoso: password spray' }));
  h.bridge.put(sampleView({ linkId: 'link-fabrikam', pairId: 'cust-002', defenderId: '42', title: 'Fabrikam: ransomware on FS01' }));
  return h;
}

function factsOf(card: unknown): Record<string, string> {
  const facts: Record<string, string> = {};
  JSON.stringify(card, (key, value: unknown) => {
    if (key === 'facts' && Array.isArray(value)) for (const fact of value as { title: string; value: string }[]) facts[fact.title] = fact.value;
    return value;
  });
  return facts;
}

const shown = (replies: Partial<Activity>[]) => textsOf(replies).join('\n').replace(/\\(.)/g, '$1');

describe('customer names', () => {
  test('the incident card says which customer the incident belongs to', async () => {
    const h = mssp();
    expect(factsOf(cardsOf(await h.turn(messageActivity('/incident 41')))[0])['Customer']).toBe('Contoso Ltd');
    expect(factsOf(cardsOf(await h.turn(messageActivity('/incident 42')))[0])['Customer']).toBe('Fabrikam');
  });

  test('/list names each row’s customer, and tenant= takes a name', async () => {
    const h = mssp();
    const rows = textBlocksOf(cardsOf(await h.turn(messageActivity('/list')))[0]);
    expect(rows).toEqual(expect.arrayContaining([expect.stringMatching(/^Contoso Ltd · Defender 41 · /), expect.stringMatching(/^Fabrikam · Defender 42 · /)]));
    const fabrikam = textBlocksOf(cardsOf(await h.turn(messageActivity('/list tenant=fabrikam')))[0]);
    expect(fabrikam.some((t) => t.includes('ransomware'))).toBe(true);
    expect(fabrikam.some((t) => t.includes('password spray'))).toBe(false);
  });

  test('/subscribe tenant=<name> stores the pair id and the replies name the customer', async () => {
    const h = mssp();
    const reply = shown(await h.turn(messageActivity('/subscribe tenant=Fabrikam,cust-001')));
    expect(reply).toMatch(/^Subscribed \(id `[^`]+`\): tenant Fabrikam \(cust-002\) or Contoso Ltd \(cust-001\)\./);
    const [subscription] = await h.store.subscriptions.listForConversation(messageActivity('/x').conversation!.id);
    expect(subscription?.filters.pairIds).toEqual(['cust-002', 'cust-001']);
    expect(shown(await h.turn(messageActivity('/subscriptions')))).toContain('tenant Fabrikam (cust-002) or Contoso Ltd (cust-001)');
  });

  test("a customer's conversation learns nothing of another customer from its subscription replies", async () => {
    const h = mssp();
    const inContoso = (text: string): Partial<Activity> => {
      const activity = messageActivity(text);
      return { ...activity, conversation: { ...activity.conversation, tenantId: 'tenant-contoso' } as Activity['conversation'], channelData: { tenant: { id: 'tenant-contoso' } } };
    };
    const byName = shown(await h.turn(inContoso('/subscribe tenant=Fabrikam')));
    expect(byName).toContain('tenant Fabrikam.');
    expect(byName).not.toContain('cust-002');
    const byId = shown(await h.turn(inContoso('/subscribe tenant=cust-002')));
    expect(byId).toContain('tenant cust-002.');
    expect(byId).not.toContain('Fabrikam');
    expect(shown(await h.turn(inContoso('/subscriptions')))).not.toMatch(/Fabrikam \(|\(cust-002\)/);
  });

  test('with one pair and no name, cards and replies add nothing', async () => {
    const h = createHarness();
    const card = cardsOf(await h.turn(messageActivity('/incident 29')))[0];
    expect(factsOf(card)['Customer']).toBeUndefined();
    const rows = textBlocksOf(cardsOf(await h.turn(messageActivity('/list')))[0]);
    expect(rows.some((t) => t.startsWith('Defender 29 · '))).toBe(true);
  });
});
