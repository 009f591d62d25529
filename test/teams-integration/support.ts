// Talking to the product as the simulated Teams would: activities posted to the bot's endpoint with
// the simulated Bot Connector as serviceUrl, so everything the bot sends back is recorded there.
import { randomUUID } from 'node:crypto';
import type { ProductBot } from '../e2e/support/product.ts';
import type { SentMessage } from '../../src/simulators/index.ts';

/** env/.env.local's ALLOWED_TENANTS: the Agents Playground's tenant, a directory tenant in the simulators. */
export const TEAMS_TENANT = '00000000-0000-0000-0000-0000000000001';
export const TEAM_ID = '19:soc-team@thread.tacv2';
/** The bridge's bot in the simulated Teams when it runs without BOT_ID. */
const BOT = { id: '28:local-bot', name: 'Incident Bridge' };

export function messagesIn(product: ProductBot, conversationId: string): SentMessage[] {
  return product.simulators.teams.messages().filter((message) => message.conversationId === conversationId);
}

export function textOf(message: SentMessage | undefined): string {
  return JSON.stringify(message?.activity ?? {});
}

/** What Teams posts to the bot when `upn` @mentions it in a channel (of `channelType`, when Teams says one). */
export async function sayInChannel(product: ProductBot, channelId: string, text: string, options: { upn: string; channelType?: 'private' | 'shared' }): Promise<number> {
  const user = product.simulators.directoryFor(TEAMS_TENANT).findUser(options.upn);
  const mention = `<at>${BOT.name}</at>`;
  const response = await fetch(product.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'message',
      id: randomUUID(),
      channelId: 'msteams',
      serviceUrl: `${product.simulators.teams.connectorUrl}/`,
      from: { id: `29:${user?.objectId}`, aadObjectId: user?.objectId, name: user?.displayName },
      recipient: BOT,
      conversation: { id: channelId, conversationType: 'channel', tenantId: TEAMS_TENANT, isGroup: true },
      channelData: { tenant: { id: TEAMS_TENANT }, team: { id: TEAM_ID }, channel: { id: channelId, ...(options.channelType ? { type: options.channelType } : {}) } },
      text: `${mention} ${text}`,
      entities: [{ type: 'mention', text: mention, mentioned: BOT }],
    }),
  });
  return response.status;
}
