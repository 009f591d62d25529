// A mock Bot Connector service: the HTTP API a bot calls at a conversation reference's serviceUrl
// (Bot Framework REST API v3, as botbuilder's ConnectorClient calls it). It implements only what
// incident-bridge uses, and enforces Teams' documented rate limits so the bot's send path can be
// measured and tested against them. Dev/test only: it imports nothing from src/.
//
// Routes (conversation ids arrive URL-encoded; a thread is "<channel id>;messageid=<root id>"):
//   POST /v3/conversations/{id}/activities               send; answers { id }
//   POST /v3/conversations/{id}/activities/{activityId}  reply to an activity; answers { id }
//   PUT  /v3/conversations/{id}/activities/{activityId}  update in place; answers { id }
//   GET  /v3/conversations/{id}/members/{userId}         roster lookup (TeamsInfo.getMember)
//
// Limits (MicrosoftDocs/msteams-docs, msteams-platform/bots/how-to/rate-limit.md):
//   per bot per conversation: 7 / 1 s, 8 / 2 s, 60 / 30 s, 1,800 / hour;
//   per app per tenant: "30–50" requests per second, configurable here (default 30, the low end).
// Every call counts ("All requests are subject to the same rate limiting policy, including sending
// messages, channel enumerations, and roster fetches"). Windows slide: a call is refused when the
// accepted calls in the last W ms already reach the limit. Refused calls are not counted, and get
// 429 with Retry-After (whole seconds until the oldest call leaves the window; Teams' exact value
// is undocumented, so clients must also back off on their own).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WindowLimit {
  windowMs: number;
  max: number;
}

export const TEAMS_CONVERSATION_LIMITS: readonly WindowLimit[] = [
  { windowMs: 1000, max: 7 },
  { windowMs: 2000, max: 8 },
  { windowMs: 30_000, max: 60 },
  { windowMs: 3_600_000, max: 1800 },
];

export const DEFAULT_TENANT_REQUESTS_PER_SECOND = 30;

export type ConnectorOperation = 'send' | 'reply' | 'update' | 'member' | 'other';

export interface ConnectorCall {
  method: string;
  op: ConnectorOperation;
  /** The conversation without its thread part. */
  conversationId: string;
  tenantId: string;
  /** Updated message (update), thread root (reply). */
  targetId?: string;
  status: number;
  /** Milliseconds since the mock started (its clock). */
  at: number;
}

export interface StoredMessage {
  id: string;
  conversationId: string;
  /** Root message when this is a threaded reply. */
  threadRootId?: string;
  /** The latest body the bot sent (post or update). */
  activity: Record<string, unknown>;
  /** How often it was updated in place. */
  updates: number;
}

export interface InjectedFailure {
  status: number;
  /** Retry-After header value (seconds or HTTP date). */
  retryAfter?: string;
  errorCode?: string;
  /** Only calls of this operation (any when unset). */
  op?: ConnectorOperation;
  conversationId?: string;
}

export interface MockConnectorOptions {
  tenantRequestsPerSecond?: number;
  conversationLimits?: readonly WindowLimit[];
  /** Added before every answer, to look like a network hop (default 0). */
  latencyMs?: number;
  /** Clock in milliseconds; default performance.now. */
  now?: () => number;
  /** Roster answers for GET members, by the id asked (Teams id, UPN or object id); default: a member named after the id. */
  members?: Record<string, { id?: string; name?: string; userPrincipalName?: string; email?: string; aadObjectId?: string }>;
  /** Only `members` are in the conversations: anyone else is answered 404 MemberNotFoundInConversation, as Teams does. */
  rosterOnly?: boolean;
}

export interface MockConnector {
  /** serviceUrl to put in conversation references (ends with '/'). */
  readonly url: string;
  readonly calls: ConnectorCall[];
  readonly messages: Map<string, StoredMessage>;
  /** Failures consumed in order by the next matching calls (before rate limits apply). */
  readonly failures: InjectedFailure[];
  /** The bot was removed from the conversation: every call answers 403 BotNotInConversationRoster. */
  removeBot(conversationId: string): void;
  /** The conversation was deleted: every call answers 404 ConversationNotFound. */
  deleteConversation(conversationId: string): void;
  /** A user deleted the message: updates of it answer 404. */
  deleteMessage(activityId: string): void;
  /** Top-level messages (cards) in a conversation, oldest first. */
  topLevel(conversationId: string): StoredMessage[];
  /** Replies in the thread of `rootId`, oldest first. */
  repliesTo(rootId: string): StoredMessage[];
  /** Calls by outcome: accepted per operation, and refusals. */
  count(filter?: (call: ConnectorCall) => boolean): { send: number; reply: number; update: number; member: number; throttled: number; refused: number; total: number };
  /** The mock's clock: milliseconds since it started, as ConnectorCall.at. */
  now(): number;
  /** The largest number of accepted calls seen in any window, per limit (conversations: the worst one). */
  peakUsage(): { tenantPerSecond: number; conversation: Record<string, number> };
  close(): Promise<void>;
}

function base(conversationId: string): string {
  const cut = conversationId.indexOf(';');
  return cut === -1 ? conversationId : conversationId.slice(0, cut);
}

function threadRoot(conversationId: string): string | undefined {
  const match = /;messageid=([^;]+)/.exec(conversationId);
  return match?.[1];
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function tenantOfBody(body: Record<string, unknown> | undefined): string | undefined {
  const conversation = asRecord(body?.['conversation']);
  if (typeof conversation?.['tenantId'] === 'string') return conversation['tenantId'];
  const tenant = asRecord(asRecord(body?.['channelData'])?.['tenant']);
  return typeof tenant?.['id'] === 'string' ? tenant['id'] : undefined;
}

/** Sliding windows of accepted call times, per key. */
function createWindows(limits: readonly WindowLimit[]) {
  const longest = Math.max(...limits.map((limit) => limit.windowMs));
  const times = new Map<string, number[]>();
  const peaks = new Map<number, number>();
  const inWindow = (list: number[], now: number, windowMs: number) => {
    let count = 0;
    for (let i = list.length - 1; i >= 0 && list[i]! > now - windowMs; i -= 1) count += 1;
    return count;
  };
  return {
    /** ms until a call would be allowed; 0 when allowed now. */
    waitMs(key: string, now: number): number {
      const list = times.get(key) ?? [];
      let wait = 0;
      for (const limit of limits) {
        const count = inWindow(list, now, limit.windowMs);
        if (count >= limit.max) {
          // The call that must leave the window before one more fits.
          const leaving = list[list.length - limit.max]!;
          wait = Math.max(wait, leaving + limit.windowMs - now);
        }
      }
      return wait;
    },
    record(key: string, now: number): void {
      const list = times.get(key) ?? [];
      list.push(now);
      while (list.length > 0 && list[0]! <= now - longest) list.shift();
      times.set(key, list);
      for (const limit of limits) peaks.set(limit.windowMs, Math.max(peaks.get(limit.windowMs) ?? 0, inWindow(list, now, limit.windowMs)));
    },
    peaks,
  };
}

function parseRoute(method: string, path: string): { op: ConnectorOperation; conversationId: string; activityId?: string; userId?: string } | null {
  const match = /^\/v3\/conversations\/([^/]+)\/(activities|members)(?:\/([^/]+))?\/?$/.exec(path);
  if (!match) return null;
  const conversationId = decodeURIComponent(match[1]!);
  const tail = match[3] === undefined ? undefined : decodeURIComponent(match[3]);
  if (match[2] === 'members') return method === 'GET' && tail ? { op: 'member', conversationId, userId: tail } : null;
  if (method === 'POST' && tail === undefined) return { op: threadRoot(conversationId) ? 'reply' : 'send', conversationId };
  if (method === 'POST' && tail !== undefined) return { op: 'reply', conversationId, activityId: tail };
  if (method === 'PUT' && tail !== undefined) return { op: 'update', conversationId, activityId: tail };
  return null;
}

export async function startMockConnector(options: MockConnectorOptions = {}): Promise<MockConnector> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const clock = () => now() - started;
  const tenantRps = options.tenantRequestsPerSecond ?? DEFAULT_TENANT_REQUESTS_PER_SECOND;
  const conversationWindows = createWindows(options.conversationLimits ?? TEAMS_CONVERSATION_LIMITS);
  const tenantWindows = createWindows([{ windowMs: 1000, max: tenantRps }]);
  const latencyMs = options.latencyMs ?? 0;
  const calls: ConnectorCall[] = [];
  const messages = new Map<string, StoredMessage>();
  const failures: InjectedFailure[] = [];
  const removed = new Set<string>();
  const deleted = new Set<string>();
  const deletedMessages = new Set<string>();
  const tenantOfConversation = new Map<string, string>();
  let nextId = 1;

  function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const send = () => {
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      res.end(JSON.stringify(body));
    };
    if (latencyMs > 0) setTimeout(send, latencyMs);
    else send();
  }

  const errorBody = (code: string, message: string) => ({ error: { code, message } });

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const method = req.method ?? 'GET';
    const route = parseRoute(method, new URL(req.url ?? '/', 'http://mock').pathname);
    if (!route) {
      answer(res, 404, errorBody('NotFound', `The mock connector does not implement ${method} ${req.url}.`));
      return;
    }
    let body: Record<string, unknown> | undefined;
    try {
      body = raw ? asRecord(JSON.parse(raw)) : undefined;
    } catch {
      answer(res, 400, errorBody('BadSyntax', 'The body is not JSON.'));
      return;
    }
    const conversationId = base(route.conversationId);
    const tenantId = tenantOfBody(body) ?? tenantOfConversation.get(conversationId) ?? 'unknown-tenant';
    tenantOfConversation.set(conversationId, tenantId);
    const at = clock();
    if (route.op === 'reply' && !threadRoot(route.conversationId)) {
      // CloudAdapter's proactive turns always reply to their continuation activity, whose id is a
      // fresh uuid. An id that names no message of this conversation starts a new top-level post,
      // as in Teams channels; a known message id puts the reply in its thread.
      const known = messages.get(route.activityId!);
      if (!known || known.conversationId !== conversationId) route.op = 'send';
    }
    const targetId = route.op === 'reply' ? (threadRoot(route.conversationId) ?? route.activityId) : route.op === 'send' ? undefined : route.activityId;
    const record = (status: number) => {
      const call: ConnectorCall = { method, op: route.op, conversationId, tenantId, status, at };
      if (targetId !== undefined) call.targetId = targetId;
      calls.push(call);
    };

    if (removed.has(conversationId)) {
      record(403);
      answer(res, 403, errorBody('BotNotInConversationRoster', 'The bot is not part of the conversation roster.'));
      return;
    }
    if (deleted.has(conversationId)) {
      record(404);
      answer(res, 404, errorBody('ConversationNotFound', 'Conversation not found.'));
      return;
    }
    const injected = failures.findIndex((failure) => (failure.op === undefined || failure.op === route.op) && (failure.conversationId === undefined || failure.conversationId === conversationId));
    if (injected !== -1) {
      const [failure] = failures.splice(injected, 1);
      record(failure!.status);
      answer(res, failure!.status, errorBody(failure!.errorCode ?? 'Injected', 'Injected failure.'), failure!.retryAfter !== undefined ? { 'retry-after': failure!.retryAfter } : {});
      return;
    }
    const waitMs = Math.max(conversationWindows.waitMs(conversationId, at), tenantWindows.waitMs(tenantId, at));
    if (waitMs > 0) {
      record(429);
      answer(res, 429, errorBody('TooManyRequests', 'Too many requests.'), { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) });
      return;
    }

    if (route.op === 'update' && (deletedMessages.has(route.activityId!) || !messages.has(route.activityId!))) {
      record(404);
      answer(res, 404, errorBody('ActivityNotFound', 'The activity does not exist.'));
      return;
    }
    conversationWindows.record(conversationId, at);
    tenantWindows.record(tenantId, at);
    record(200);

    switch (route.op) {
      case 'member': {
        const known = options.members?.[route.userId!];
        if (!known && options.rosterOnly) {
          answer(res, 404, errorBody('MemberNotFoundInConversation', 'The member is not part of the conversation.'));
          return;
        }
        answer(res, 200, { id: route.userId, name: known?.name ?? route.userId, ...known });
        return;
      }
      case 'update': {
        const message = messages.get(route.activityId!)!;
        message.activity = body ?? {};
        message.updates += 1;
        answer(res, 200, { id: message.id });
        return;
      }
      case 'send':
      case 'reply': {
        const id = `m-${nextId++}`;
        const message: StoredMessage = { id, conversationId, activity: body ?? {}, updates: 0 };
        if (route.op === 'reply' && targetId !== undefined) message.threadRootId = targetId;
        messages.set(id, message);
        answer(res, 201, { id });
        return;
      }
      default:
        answer(res, 404, errorBody('NotFound', 'Not implemented.'));
    }
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  return {
    url,
    calls,
    messages,
    failures,
    removeBot: (conversationId) => void removed.add(base(conversationId)),
    deleteConversation: (conversationId) => void deleted.add(base(conversationId)),
    deleteMessage: (activityId) => void deletedMessages.add(activityId),
    topLevel: (conversationId) => [...messages.values()].filter((message) => message.conversationId === base(conversationId) && message.threadRootId === undefined),
    repliesTo: (rootId) => [...messages.values()].filter((message) => message.threadRootId === rootId),
    count(filter = () => true) {
      const selected = calls.filter(filter);
      const accepted = (op: ConnectorOperation) => selected.filter((call) => call.op === op && call.status < 300).length;
      return {
        send: accepted('send'),
        reply: accepted('reply'),
        update: accepted('update'),
        member: accepted('member'),
        throttled: selected.filter((call) => call.status === 429).length,
        refused: selected.filter((call) => call.status >= 300).length,
        total: selected.length,
      };
    },
    now: clock,
    peakUsage() {
      return {
        tenantPerSecond: tenantWindows.peaks.get(1000) ?? 0,
        conversation: Object.fromEntries([...conversationWindows.peaks].map(([windowMs, peak]) => [`${windowMs / 1000}s`, peak])),
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
