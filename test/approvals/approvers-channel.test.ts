import { describe, expect, test } from '@jest/globals';
import { createApproversChannels, pairApproversChannelKeyOf } from '../../src/approvals/approvers-channel.ts';
import { SETTING_KEYS } from '../../src/store/ports.ts';
import type { Actor } from '../../src/domain/incident.ts';
import { APPROVER_IDS, BOB, MALLORY, createManualClock, createMemoryAudit, createMemorySettings } from './fakes.ts';

function setup() {
  const settings = createMemorySettings();
  const audit = createMemoryAudit();
  const channels = createApproversChannels({ settings, audit, isApprover: async (actor: Actor) => APPROVER_IDS.has(actor.objectId), clock: createManualClock().now });
  return { settings, audit, channels };
}

describe("approvers' channels", () => {
  test("a pair's own channel wins over the one for every pair; other pairs use the shared one", async () => {
    const { channels, settings, audit } = setup();
    expect(await channels.channelOf('contoso')).toBeNull();
    await channels.set(BOB, { kind: 'every-pair' }, '19:soc@thread.tacv2');
    await channels.set(BOB, { kind: 'pair', pairId: 'contoso' }, '19:contoso@thread.tacv2');
    expect(await channels.channelOf('contoso')).toEqual({ conversationId: '19:contoso@thread.tacv2', scope: 'pair' });
    expect(await channels.channelOf('fabrikam')).toEqual({ conversationId: '19:soc@thread.tacv2', scope: 'every-pair' });
    expect(settings.values.get(SETTING_KEYS.approversConversationId)).toBe('19:soc@thread.tacv2');
    expect(settings.values.get(pairApproversChannelKeyOf('contoso'))).toBe('19:contoso@thread.tacv2');
    expect(audit.entries.map((e) => [e.action, e.pairId, e.details['scope']])).toEqual([
      ['approvals.channel-set', null, 'every-pair'],
      ['approvals.channel-set', 'contoso', 'pair'],
    ]);
  });

  test('only approvers choose a channel', async () => {
    const { channels } = setup();
    await expect(channels.set(MALLORY, { kind: 'pair', pairId: 'contoso' }, '19:x')).rejects.toMatchObject({ code: 'not-approver' });
    expect(await channels.channelOf('contoso')).toBeNull();
  });
});
