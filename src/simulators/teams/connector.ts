// The simulated Bot Connector: the serviceUrl of the activities the simulated Teams delivers, where
// a bot sends, replies and updates (Bot Framework REST API v3). It records every call and message,
// and answers as Teams does for the conversations it knows:
// - a chat: the bot may post only while its app is installed there, else 403
//   BotNotInConversationRoster ("The bot is not part of the conversation roster.");
// - a channel a test declared: standard channels take the bot's posts; private and shared channels
//   only when the app was added to that channel (botInRoster), else the same 403;
// - anything else: 404 ConversationNotFound.
// Plain HTTP on loopback (chosen): botbuilder's connector client trusts only the system CAs, and the
// simulators' CA is not one; the Agents Playground's connector is plain HTTP on loopback too.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { baseConversation, type ConnectorCall, type SentMessage, type TeamsService } from './service.ts';

export const CONNECTOR_BASE_PATH = '/teams';
const MAX_BODY_BYTES = 1024 * 1024;

type Route =
  | { op: 'send'; conversationId: string }
  | { op: 'reply' | 'update'; conversationId: string; activityId: string }
  | { op: 'member'; conversationId: string; memberId: string }
  | { op: 'members'; conversationId: string };

function parseRoute(method: string, path: string): Route | null {
  if (!path.startsWith(`${CONNECTOR_BASE_PATH}/v3/conversations/`)) return null;
  const parts = path.slice(`${CONNECTOR_BASE_PATH}/v3/conversations/`.length).split('/').map((part) => decodeURIComponent(part));
  const [conversationId, collection, item, extra] = parts;
  if (!conversationId || extra !== undefined) return null;
  if (collection === 'activities' && item === undefined && method === 'POST') return { op: 'send', conversationId };
  if (collection === 'activities' && item && method === 'POST') return { op: 'reply', conversationId, activityId: item };
  if (collection === 'activities' && item && method === 'PUT') return { op: 'update', conversationId, activityId: item };
  if (collection === 'members' && item && method === 'GET') return { op: 'member', conversationId, memberId: item };
  if (collection === 'members' && item === undefined && method === 'GET') return { op: 'members', conversationId };
  return null;
}

const errorBody = (code: string, message: string) => ({ error: { code, message } });

export interface RunningConnector {
  url: string;
  close(): Promise<void>;
}

export async function startConnector(teams: TeamsService, clock: () => Date, host = '127.0.0.1'): Promise<RunningConnector> {
  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const method = (req.method ?? 'GET').toUpperCase();
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    const route = parseRoute(method, new URL(req.url ?? '/', 'http://connector').pathname);
    const call: ConnectorCall = { at: clock().toISOString(), method, op: route?.op ?? 'unknown', conversationId: baseConversation(route?.conversationId ?? ''), status: 0 };
    if (route && 'activityId' in route) call.activityId = route.activityId;
    const finish = (status: number, body: unknown, errorCode?: string) => {
      call.status = status;
      if (errorCode) call.errorCode = errorCode;
      teams.calls.push(call);
      answer(status, body);
    };
    if (!route) return finish(404, errorBody('NotFound', `The simulated Bot Connector does not serve ${method} ${req.url}.`), 'NotFound');

    const access = teams.access(route.conversationId);
    if (access.kind === 'unknown') return finish(404, errorBody('ConversationNotFound', 'Conversation not found.'), 'ConversationNotFound');
    const inRoster = access.kind === 'chat' ? access.botInRoster : access.channel.type === 'standard' || access.channel.botInRoster;
    if (!inRoster) return finish(403, errorBody('BotNotInConversationRoster', 'The bot is not part of the conversation roster.'), 'BotNotInConversationRoster');

    const conversationId = baseConversation(route.conversationId);
    if (route.op === 'member' || route.op === 'members') {
      const members = access.kind === 'chat' ? access.chat.members : [];
      const shape = (member: (typeof members)[number]) => ({ id: `29:${member.userId}`, aadObjectId: member.userId, name: member.displayName, userPrincipalName: member.userPrincipalName, email: member.userPrincipalName });
      if (route.op === 'members') return finish(200, members.map(shape));
      const member = members.find((candidate) => `29:${candidate.userId}` === route.memberId || candidate.userId === route.memberId);
      return member ? finish(200, shape(member)) : finish(404, errorBody('MemberNotFoundInConversation', 'The member is not part of the conversation.'), 'MemberNotFoundInConversation');
    }

    let activity: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      activity = parsed as Record<string, unknown>;
    } catch {
      return finish(400, errorBody('BadSyntax', 'The body is not a JSON activity.'), 'BadSyntax');
    }

    if (route.op === 'update') {
      const message = teams.messages.get(route.activityId);
      if (!message || message.conversationId !== conversationId) return finish(404, errorBody('ActivityNotFoundInConversation', 'The activity does not exist in this conversation.'), 'ActivityNotFoundInConversation');
      message.activity = activity;
      message.updates += 1;
      return finish(200, { id: message.id });
    }
    // A thread reply names its root in the conversation id (channels) or as the activity it
    // answers. botbuilder's proactive turns reply to a fresh uuid that names no message: Teams
    // then posts a new message, and so does this connector.
    const threadRoot = route.conversationId.includes(';messageid=') ? route.conversationId.split(';messageid=')[1] : route.op === 'reply' ? route.activityId : undefined;
    const root = threadRoot !== undefined ? teams.messages.get(threadRoot) : undefined;
    const message: SentMessage = { id: teams.nextMessageId(), conversationId, activity, updates: 0 };
    if (root && root.conversationId === conversationId && access.kind === 'channel') message.threadRootId = root.id;
    teams.messages.set(message.id, message);
    return finish(201, { id: message.id });
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413, { 'content-type': 'application/json' });
        res.end(JSON.stringify(errorBody('RequestEntityTooLarge', `The body exceeds ${MAX_BODY_BYTES} bytes.`)));
        return;
      }
      handle(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}${CONNECTOR_BASE_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
