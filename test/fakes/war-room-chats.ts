// War room chats in memory (the bot's WarRoomChats port): records what was asked, hands out chat
// ids, and fails or holds a call when a test says so.
import type { WarRoomChats } from '../../src/bot/ports.ts';

export interface FakeChat {
  tenantId: string;
  chatId: string;
  webUrl: string;
  topic: string;
  members: readonly string[];
  installed: boolean;
}

export interface FakeWarRoomChats extends WarRoomChats {
  readonly chats: FakeChat[];
  readonly installs: string[];
  /** Thrown by the next createGroupChat / installApp. */
  failNext: Partial<Record<'createGroupChat' | 'installApp', Error>>;
  /** When set, createGroupChat waits for it first (a slow Graph). */
  gate: Promise<void> | null;
}

export function createFakeWarRoomChats(): FakeWarRoomChats {
  const chats: FakeChat[] = [];
  const installs: string[] = [];
  let next = 1;
  const fake: FakeWarRoomChats = {
    chats,
    installs,
    failNext: {},
    gate: null,
    async createGroupChat(tenantId, request) {
      if (fake.gate) await fake.gate;
      const failure = fake.failNext.createGroupChat;
      if (failure) {
        delete fake.failNext.createGroupChat;
        throw failure;
      }
      const chatId = `19:warroom${next++}@thread.v2`;
      const chat = { tenantId, chatId, webUrl: `https://teams.microsoft.com/l/chat/${encodeURIComponent(chatId)}/0?tenantId=${tenantId}`, topic: request.topic, members: [...request.members], installed: false };
      chats.push(chat);
      return { chatId, webUrl: chat.webUrl };
    },
    async installApp(_tenantId, chatId) {
      const failure = fake.failNext.installApp;
      if (failure) {
        delete fake.failNext.installApp;
        throw failure;
      }
      installs.push(chatId);
      const chat = chats.find((candidate) => candidate.chatId === chatId);
      if (chat) chat.installed = true;
      return 'installed';
    },
  };
  return fake;
}
