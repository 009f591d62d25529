// What Teams sends a bot when its app is installed in a group chat: an `installationUpdate`
// (action "add") and a `conversationUpdate` with the bot in membersAdded, in no guaranteed order
// (Microsoft Learn, "Conversation events in your Teams bot" and "Proactive installation of apps
// using Graph API"). Both carry the chat as conversation (conversationType groupChat, the tenant),
// the bot as recipient (28:<bot id>) and the simulated Bot Connector as serviceUrl, so whatever the
// bot sends back is recorded there. Delivered to the bot's messaging endpoint over HTTP, without a
// Bot Framework token: only a bot with authentication off (local mode) accepts them.
import { randomUUID } from 'node:crypto';
import type { SimChat, TeamsService } from './service.ts';

export interface DeliveryDeps {
  teams: TeamsService;
  /** The bot's messaging endpoint (…/api/messages), once known; unset: nothing is delivered. */
  botEndpoint: () => string | undefined;
  /** The simulated Bot Connector's base URL: the activities' serviceUrl. */
  connectorUrl: () => string;
  clock: () => Date;
  onError: (error: unknown, context: string) => void;
}

export function installActivities(chat: SimChat, deps: Pick<DeliveryDeps, 'teams' | 'connectorUrl' | 'clock'>): Array<Record<string, unknown>> {
  const at = deps.clock().toISOString();
  const app = deps.teams.catalogApps()[0];
  const installer = chat.members[0];
  const common = {
    timestamp: at,
    localTimestamp: at,
    channelId: 'msteams',
    serviceUrl: `${deps.connectorUrl()}/`,
    // (chosen) The member who created the chat: Graph records no person for an app's install.
    from: installer ? { id: `29:${installer.userId}`, aadObjectId: installer.userId, name: installer.displayName } : { id: 'unknown' },
    conversation: { isGroup: true, conversationType: 'groupChat', tenantId: chat.tenantId, id: chat.id },
    recipient: { id: deps.teams.botMemberId(), name: app?.displayName ?? 'Bot' },
    channelData: { tenant: { id: chat.tenantId } },
    locale: 'en-US',
  };
  return [
    { ...common, type: 'installationUpdate', action: 'add', id: randomUUID() },
    { ...common, type: 'conversationUpdate', id: randomUUID(), membersAdded: [{ id: deps.teams.botMemberId() }] },
  ];
}

/** Sends both install activities at once (Teams guarantees no order); records how the bot answered. */
export async function deliverInstall(chat: SimChat, deps: DeliveryDeps): Promise<void> {
  const endpoint = deps.botEndpoint();
  if (!endpoint) return;
  await Promise.all(
    installActivities(chat, deps).map(async (activity) => {
      const record = (status: number | 'unreachable') =>
        deps.teams.deliveries.push({ at: deps.clock().toISOString(), type: String(activity.type), conversationId: chat.id, status });
      try {
        const response = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
        await response.arrayBuffer();
        record(response.status);
      } catch (error) {
        record('unreachable');
        deps.onError(error, `delivering ${String(activity.type)} for chat ${chat.id} to ${endpoint}`);
      }
    }),
  );
}
