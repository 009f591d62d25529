// Microsoft Teams as the Graph chat API and the Bot Framework see it: the organisation's app
// catalog (the bridge's Teams app), group chats and their members, apps installed in chats, the
// conversations a bot is in (chats where its app is installed, and channels a test declares with
// their type: standard, private or shared), and the messages a bot sent. One per simulator process,
// shared by every tenant: chat ids are global, and each chat remembers its tenant.
//
// Installing the app in a chat is what makes Teams tell the bot: the install delivers the Bot
// Framework `installationUpdate` (action add) and `conversationUpdate` (the bot in membersAdded)
// to the bot's messaging endpoint (delivery.ts), with the simulated Bot Connector (connector.ts) as
// their serviceUrl. See CONTRACT.md, "Microsoft Teams".
import { createHash, randomUUID } from 'node:crypto';

/** The bridge's app as the organisation's catalog lists it (Graph teamsApp). */
export interface SimTeamsApp {
  /** The manifest id (Graph teamsApp.externalId). */
  externalId: string;
  displayName: string;
  /** The app's bot (Azure Bot app id); its Teams member id is 28:<botId>. Default LOCAL_BOT_ID. */
  botId?: string;
}

/** The bot id of an app that has none (a bot running without BOT_ID, in local mode). */
export const LOCAL_BOT_ID = 'local-bot';

export interface CatalogApp extends Required<SimTeamsApp> {
  /** The catalog's own id for the app, generated when it was published: not the manifest id. */
  id: string;
  distributionMethod: 'organization';
}

export interface ChatMember {
  userId: string;
  userPrincipalName: string;
  displayName: string;
  roles: string[];
}

export interface SimChat {
  id: string;
  tenantId: string;
  topic: string;
  chatType: 'group';
  createdDateTime: string;
  webUrl: string;
  members: ChatMember[];
  /** Installation id -> catalog app id. */
  installedApps: Map<string, string>;
}

export const CHANNEL_TYPES = ['standard', 'private', 'shared'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** A team channel a test declares, with its type and whether the bot was added to it. */
export interface SimChannel {
  id: string;
  tenantId: string;
  teamId: string;
  type: ChannelType;
  /** Private and shared channels have their own roster: the app must be added to each. */
  botInRoster: boolean;
}

/** One message the bot sent, replied or updated through the simulated Bot Connector. */
export interface SentMessage {
  id: string;
  conversationId: string;
  /** Set on replies in a channel thread: the root message. */
  threadRootId?: string;
  activity: Record<string, unknown>;
  updates: number;
}

/** One call the bot made to the simulated Bot Connector, with what it answered. */
export interface ConnectorCall {
  at: string;
  method: string;
  op: 'send' | 'reply' | 'update' | 'member' | 'members' | 'unknown';
  /** The conversation itself (a channel thread's calls name the channel). */
  conversationId: string;
  activityId?: string;
  status: number;
  errorCode?: string;
}

export interface DeliveredActivity {
  at: string;
  type: string;
  conversationId: string;
  status: number | 'unreachable';
}

export type ConversationAccess =
  | { kind: 'chat'; chat: SimChat; botInRoster: boolean }
  | { kind: 'channel'; channel: SimChannel }
  | { kind: 'unknown' };

export interface TeamsService {
  catalogApps(): CatalogApp[];
  /** The app the catalog lists under this id, if any. */
  catalogApp(id: string): CatalogApp | undefined;
  createChat(tenantId: string, topic: string, members: ChatMember[], at: Date): SimChat;
  chat(id: string): SimChat | undefined;
  chats(tenantId?: string): SimChat[];
  /** Installs a catalog app in a chat; 'conflict' when it is installed there already. */
  install(chatId: string, catalogId: string): { installationId: string } | 'conflict';
  isBotInstalled(chat: SimChat): boolean;
  declareChannel(channel: SimChannel): void;
  access(conversationId: string): ConversationAccess;
  /** The bot's Teams member id: 28:<botId> of the first catalog app. */
  botMemberId(): string;
  messages: Map<string, SentMessage>;
  calls: ConnectorCall[];
  deliveries: DeliveredActivity[];
  nextMessageId(): string;
}

/** The catalog id Teams would generate for an app: stable per manifest id, and not equal to it. */
export function catalogIdFor(externalId: string): string {
  const hex = createHash('sha256').update(`catalog:${externalId.toLowerCase()}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A channel thread is addressed as "<channel id>;messageid=<root>": the conversation is the channel. */
export function baseConversation(conversationId: string): string {
  const cut = conversationId.indexOf(';');
  return cut === -1 ? conversationId : conversationId.slice(0, cut);
}

export function createTeamsService(apps: readonly SimTeamsApp[]): TeamsService {
  const catalog: CatalogApp[] = apps.map((app) => ({ ...app, botId: app.botId ?? LOCAL_BOT_ID, id: catalogIdFor(app.externalId), distributionMethod: 'organization' }));
  const chats = new Map<string, SimChat>();
  const channels = new Map<string, SimChannel>();
  let messageSeq = 0;

  function isBotInstalled(chat: SimChat): boolean {
    return [...chat.installedApps.values()].some((catalogId) => catalog.some((app) => app.id === catalogId));
  }

  return {
    catalogApps: () => catalog.map((app) => ({ ...app })),
    catalogApp: (id) => catalog.find((app) => app.id.toLowerCase() === id.toLowerCase()),
    createChat(tenantId, topic, members, at) {
      const id = `19:${randomUUID().replaceAll('-', '')}@thread.v2`;
      // Graph's chat.webUrl has this form (an opaque link into Teams for the chat and tenant).
      const webUrl = `https://teams.microsoft.com/l/chat/${encodeURIComponent(id)}/0?tenantId=${encodeURIComponent(tenantId)}`;
      const chat: SimChat = { id, tenantId, topic, chatType: 'group', createdDateTime: at.toISOString(), webUrl, members, installedApps: new Map() };
      chats.set(id, chat);
      return chat;
    },
    chat: (id) => chats.get(id),
    chats: (tenantId) => [...chats.values()].filter((chat) => tenantId === undefined || chat.tenantId.toLowerCase() === tenantId.toLowerCase()),
    install(chatId, catalogId) {
      const chat = chats.get(chatId);
      if (!chat) throw new Error(`no chat ${chatId}`);
      if ([...chat.installedApps.values()].includes(catalogId)) return 'conflict';
      const installationId = Buffer.from(`${chatId}##${catalogId}`).toString('base64');
      chat.installedApps.set(installationId, catalogId);
      return { installationId };
    },
    isBotInstalled,
    declareChannel(channel) {
      channels.set(channel.id, { ...channel });
    },
    access(conversationId) {
      const id = baseConversation(conversationId);
      const chat = chats.get(id);
      if (chat) return { kind: 'chat', chat, botInRoster: isBotInstalled(chat) };
      const channel = channels.get(id);
      if (channel) return { kind: 'channel', channel };
      return { kind: 'unknown' };
    },
    botMemberId: () => `28:${catalog[0]?.botId ?? ''}`,
    messages: new Map(),
    calls: [],
    deliveries: [],
    nextMessageId: () => `${Date.now()}${String(++messageSeq).padStart(4, '0')}`,
  };
}
