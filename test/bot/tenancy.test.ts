// Who the bot answers, and what each conversation sees: only Teams activities from served tenants,
// and in an MSSP customer's tenant only that customer's pair (plus pairs shared with it).
import { describe, expect, test } from '@jest/globals';
import type { Activity } from 'botbuilder';
import { createTenantPolicy, scopeOfActivity } from '../../src/bot/tenant-policy.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { sampleView } from '../fakes/bridge.ts';
import { ALICE, invokeActivity, membersAddedActivity, messageActivity, BOT } from './support/activities.ts';
import { cardsOf, createHarness, invokeAnswerOf, textsOf } from './support/harness.ts';

const SOC = 'tenant-mssp';
const CONTOSO = 'tenant-contoso';
const FABRIKAM = 'tenant-fabrikam';
const PAIRS = [
  { id: 'contoso', tenantId: CONTOSO, sharedWith: [] as string[] },
  { id: 'fabrikam', tenantId: FABRIKAM, sharedWith: [] as string[] },
];

/** The same activity as sent from another tenant (Teams states it on the conversation and in channelData). */
function fromTenant<T extends Partial<Activity>>(activity: T, tenantId: string): T {
  const channelData = { ...(activity.channelData as Record<string, unknown>), tenant: { id: tenantId } };
  return { ...activity, conversation: { ...activity.conversation, tenantId } as Activity['conversation'], channelData };
}

/** Two customers whose incidents have the same Defender id (each tenant numbers its own). */
function mssp(pairs = PAIRS) {
  const h = createHarness({ tenants: createTenantPolicy({ botTenantId: SOC, allowedTenants: [], pairs }) });
  h.bridge.put(sampleView({ linkId: 'link-contoso', pairId: 'contoso', defenderId: '29', title: 'Contoso: password spray' }));
  h.bridge.put(sampleView({ linkId: 'link-fabrikam', pairId: 'fabrikam', defenderId: '29', title: 'Fabrikam: ransomware on FS01' }));
  return h;
}

const allText = (replies: Partial<Activity>[]) => JSON.stringify(replies);

describe('the tenant gate', () => {
  test.each([
    ['an unknown tenant', fromTenant(messageActivity('/list'), 'tenant-stranger')],
    ['a webchat activity from a served tenant', { ...fromTenant(messageActivity('/list'), SOC), channelId: 'webchat' }],
    ['an activity naming no tenant', { ...messageActivity('/list'), conversation: { id: 'a:chat', conversationType: 'personal' } as Activity['conversation'], channelData: {} }],
  ])('%s gets a short refusal for /list, /incident and /connector status, and no data', async (_name, activity) => {
    const h = mssp();
    for (const text of ['/list', '/incident 29', '/connector status', '/subscribe']) {
      const replies = await h.turn({ ...activity, text, id: `refused-${text}` });
      expect(textsOf(replies)).toEqual(['Sorry, this bot serves only the Microsoft Teams organisations it is set up for.']);
      expect(allText(replies)).not.toMatch(/Contoso|Fabrikam|password spray|ransomware/);
    }
    expect(await h.store.subscriptions.listForConversation(activity.conversation?.id ?? '')).toEqual([]);
  });

  test('a card click from an unknown tenant gets a 403 error response, not the card', async () => {
    const h = mssp();
    const replies = await h.turn(fromTenant(invokeActivity('refreshCard', { linkId: 'link-contoso' }), 'tenant-stranger'));
    const answer = replies.find((reply) => reply.type === 'invokeResponse')?.value as { status: number; body: { statusCode: number; type: string } };
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ statusCode: 403, type: 'application/vnd.microsoft.error' });
    expect(allText(replies)).not.toMatch(/Contoso|password spray/);
  });

  test('installing the bot in an unknown tenant stores no conversation and says nothing', async () => {
    const h = mssp();
    const replies = await h.turn(fromTenant(membersAddedActivity([BOT]), 'tenant-stranger'));
    expect(replies).toEqual([]);
    expect(await h.store.conversations.listActive()).toEqual([]);
  });

  test('refusals are logged with tenant, channel and activity type, never the message text', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({ level: 'info', destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } });
    const policy = createTenantPolicy({ botTenantId: SOC, allowedTenants: [], pairs: PAIRS });
    const h = createHarness({ tenants: policy, log });
    await h.turn({ ...fromTenant(messageActivity('/incident 29 secret-words'), 'tenant-stranger'), channelId: 'webchat' });
    const refused = lines.find((line) => line['msg'] === 'activity refused: channel or tenant not served');
    expect(refused).toMatchObject({ tenantId: 'tenant-stranger', channelId: 'webchat', activityType: 'message' });
    expect(JSON.stringify(lines)).not.toContain('secret-words');
  });

  test('the Agents Playground (msteams, its default tenant, allowed in env/.env.local) is served', () => {
    const policy = createTenantPolicy({ allowedTenants: ['00000000-0000-0000-0000-0000000000001'], pairs: [{ id: 'default', tenantId: '00000000-0000-4000-8000-000000000001', sharedWith: [] }] });
    expect(scopeOfActivity(policy, fromTenant(messageActivity('/list'), '00000000-0000-0000-0000-0000000000001'))).toEqual({ kind: 'all' });
  });
});

describe('what a conversation sees (two MSSP customers)', () => {
  test("/list in a customer's tenant lists only its pair; the SOC's lists both", async () => {
    const h = mssp();
    const contoso = allText(await h.turn(fromTenant(messageActivity('/list'), CONTOSO)));
    expect(contoso).toContain('password spray');
    expect(contoso).not.toContain('ransomware');
    expect(h.bridge.lastListFilter?.pairIds).toEqual(['contoso']);
    const soc = allText(await h.turn(fromTenant(messageActivity('/list'), SOC)));
    expect(soc).toContain('password spray');
    expect(soc).toContain('ransomware');
  });

  test("/list tenant=<another customer> shows nothing of it", async () => {
    const h = mssp();
    const replies = await h.turn(fromTenant(messageActivity('/list tenant=fabrikam'), CONTOSO));
    expect(allText(replies)).not.toMatch(/ransomware|Fabrikam/);
  });

  test('/incident resolves a shared id to the conversation\'s own pair, and another pair\'s link id to nothing', async () => {
    const h = mssp();
    const fabrikam = cardsOf(await h.turn(fromTenant(messageActivity('/incident 29'), FABRIKAM)));
    expect(JSON.stringify(fabrikam)).toContain('ransomware');
    expect(JSON.stringify(fabrikam)).not.toContain('password spray');
    const probing = await h.turn(fromTenant(messageActivity('/incident link-contoso'), FABRIKAM));
    expect(cardsOf(probing)).toEqual([]);
    expect(allText(probing)).not.toContain('password spray');
  });

  test("a card action on another customer's incident neither shows nor edits it", async () => {
    const h = mssp();
    for (const [verb, data] of [['refreshCard', { linkId: 'link-contoso' }], ['setSeverity', { linkId: 'link-contoso', severity: 'high' }]] as const) {
      const replies = await h.turn(fromTenant(invokeActivity(verb, data, { from: ALICE }), FABRIKAM));
      expect(invokeAnswerOf(replies).type).toBe('application/vnd.microsoft.activity.message');
      expect(allText(replies)).not.toContain('password spray');
    }
    expect(h.bridge.submitCalls).toEqual([]);
  });

  test("/severity on another customer's incident is not found, and nothing is written", async () => {
    const h = mssp();
    await h.turn(fromTenant(messageActivity('/severity link-contoso high'), FABRIKAM));
    expect(h.bridge.submitCalls).toEqual([]);
  });

  test('a pair shared with another customer is visible there too', async () => {
    const h = mssp([{ ...PAIRS[0]!, sharedWith: ['fabrikam'] }, PAIRS[1]!]);
    const fabrikam = allText(await h.turn(fromTenant(messageActivity('/list'), FABRIKAM)));
    expect(fabrikam).toContain('password spray');
    expect(fabrikam).toContain('ransomware');
    const contoso = allText(await h.turn(fromTenant(messageActivity('/list'), CONTOSO)));
    expect(contoso).not.toContain('ransomware');
  });
});
