// Microsoft Graph v1.0's Teams API as far as a bot that opens war rooms needs it: create a group
// chat, read it, list the organisation's app catalog, install an app in a chat. Application
// permissions, errors ("Missing role permissions on the request. API requires one of '…'. Roles on
// the request '…'.") and the Teams service limit (30 requests per second per app per tenant) as
// documented; what the documentation leaves open is marked (chosen) in CONTRACT.md, "Microsoft Teams".
// Installing an app in a chat makes the simulated Teams tell the bot (teams/delivery.ts).
import { createRouter } from '../http/router.ts';
import { isPlainObject, parseJsonBody } from '../http/types.ts';
import type { SimRequest, SimResponse } from '../http/types.ts';
import type { AppTokenClaims } from '../entra/tokens.ts';
import type { SigningKey } from '../entra/signing-key.ts';
import type { SimDirectory } from '../directory/directory.ts';
import type { SlidingWindowLimiter } from '../throttle.ts';
import type { ChatMember, SimChat, TeamsService } from '../teams/service.ts';
import { graphError } from './errors.ts';
import { authenticateGraph } from './authenticate.ts';

export interface TeamworkGraphDeps {
  baseUrl: () => string;
  tenantId: string;
  key: SigningKey;
  clock: () => Date;
  directory: SimDirectory;
  teams: TeamsService;
  /** Per app per tenant, one-second window. */
  limiter: SlidingWindowLimiter;
  /** Called after an app was installed in a chat and the 201 is on its way: Teams tells the bot. */
  onInstalled: (chat: SimChat) => void;
  onAuthenticated: (request: SimRequest, appId: string) => void;
}

/** Paths this handler serves. */
export function isTeamworkPath(path: string): boolean {
  return /^\/v1\.0\/(chats|appCatalogs)(\/|$)/i.test(path);
}

/** Microsoft Graph throttling limits, "Microsoft Teams service limits": 30 rps per app per tenant. */
export const TEAMS_REQUESTS_PER_SECOND = 30;
/** Limits and specifications for Microsoft Teams: a group chat holds at most 250 people. */
export const MAX_CHAT_MEMBERS = 250;
/** (chosen) Graph documents no length for a chat's topic; the simulator refuses longer ones. */
export const MAX_CHAT_TOPIC_LENGTH = 250;

// Application permissions of each API (least privileged first), from its Learn page.
const CREATE_CHAT = ['Chat.Create'];
const READ_CHAT = ['Chat.ReadBasic.All', 'Chat.Read.All', 'Chat.ReadWrite.All'];
const LIST_CATALOG = ['AppCatalog.Read.All', 'AppCatalog.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const INSTALL_ANY_APP = ['TeamsAppInstallation.ReadWriteForChat.All', 'TeamsAppInstallation.ReadWriteAndConsentForChat.All'];
const INSTALL_SELF = ['TeamsAppInstallation.ReadWriteSelfForChat.All', 'TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All'];

const MEMBER_TYPE = '#microsoft.graph.aadUserConversationMember';
const MEMBER_ROLES = new Set(['owner', 'guest']);

export function createTeamworkGraphHandler(deps: TeamworkGraphDeps): (request: SimRequest) => Promise<SimResponse> {
  const { teams, directory } = deps;
  const error = (request: SimRequest, status: number, code: string, message: string, headers: Record<string, string> = {}) => graphError(request, deps.clock(), status, code, message, headers);
  const forbidden = (request: SimRequest, claims: AppTokenClaims, required: readonly string[]) =>
    error(request, 403, 'Forbidden', `Missing role permissions on the request. API requires one of '${required.join(', ')}'. Roles on the request '${claims.roles.join(', ')}'.`);
  const holdsAny = (claims: AppTokenClaims, roles: readonly string[]) => roles.some((role) => claims.roles.includes(role));
  const context = (fragment: string) => `${deps.baseUrl()}/v1.0/$metadata#${fragment}`;
  /** A bind URL of Graph's own (graph.microsoft.com or this simulator), with its path. */
  const bindPath = (value: unknown): string | null => {
    if (typeof value !== 'string') return null;
    try {
      const url = new URL(value);
      const origins = new Set(['https://graph.microsoft.com', new URL(deps.baseUrl()).origin]);
      return origins.has(url.origin) ? decodeURIComponent(url.pathname) : null;
    } catch {
      return null;
    }
  };
  const ownChat = (id: string) => {
    const chat = teams.chat(id);
    return chat && chat.tenantId.toLowerCase() === deps.tenantId.toLowerCase() ? chat : undefined;
  };
  const serializeChat = (chat: SimChat) => ({
    id: chat.id,
    topic: chat.topic,
    createdDateTime: chat.createdDateTime,
    lastUpdatedDateTime: chat.createdDateTime,
    chatType: chat.chatType,
    webUrl: chat.webUrl,
    tenantId: chat.tenantId,
    onlineMeetingInfo: null,
    viewpoint: null,
  });

  function createChat(request: SimRequest): SimResponse {
    const parsed = parseJsonBody(request);
    if (!parsed.ok) return error(request, 400, 'BadRequest', parsed.message);
    const body = parsed.value;
    if (!isPlainObject(body)) return error(request, 400, 'BadRequest', 'The request body must be a chat object.');
    if (body.chatType !== 'group') {
      return error(request, 400, 'BadRequest', body.chatType === 'oneOnOne' ? 'One-on-one chats are not simulated; create a group chat.' : "chatType must be 'group' or 'oneOnOne'.");
    }
    if (body.topic !== undefined && body.topic !== null && typeof body.topic !== 'string') return error(request, 400, 'BadRequest', 'topic must be a string.');
    const topic = typeof body.topic === 'string' ? body.topic : '';
    if (topic.length > MAX_CHAT_TOPIC_LENGTH) return error(request, 400, 'BadRequest', `The topic is longer than ${MAX_CHAT_TOPIC_LENGTH} characters.`);
    if (!Array.isArray(body.members) || body.members.length < 2) return error(request, 400, 'BadRequest', 'A group chat needs at least two members, every participant listed.');
    if (body.members.length > MAX_CHAT_MEMBERS) return error(request, 400, 'BadRequest', `A group chat can have at most ${MAX_CHAT_MEMBERS} members; the request lists ${body.members.length}.`);
    const members: ChatMember[] = [];
    for (const item of body.members as unknown[]) {
      if (!isPlainObject(item) || item['@odata.type'] !== MEMBER_TYPE) return error(request, 400, 'BadRequest', `Every member must be a ${MEMBER_TYPE}.`);
      const roles = item.roles;
      if (!Array.isArray(roles) || roles.length !== 1 || !MEMBER_ROLES.has(String(roles[0]))) {
        return error(request, 400, 'BadRequest', "Every member needs the role 'owner' (or 'guest' for a guest of the tenant).");
      }
      const path = bindPath(item['user@odata.bind']);
      const key = path === null ? null : /^\/v1\.0\/users\('((?:[^']|'')+)'\)$/i.exec(path)?.[1]?.replaceAll("''", "'");
      if (!key) return error(request, 400, 'BadRequest', "user@odata.bind must be https://graph.microsoft.com/v1.0/users('<id or userPrincipalName>').");
      const user = directory.findUser(key);
      if (!user) return error(request, 404, 'NotFound', `User '${key}' was not found in tenant ${deps.tenantId}.`);
      if (members.some((member) => member.userId === user.objectId)) return error(request, 400, 'BadRequest', 'Duplicate chat members is specified.');
      members.push({ userId: user.objectId, userPrincipalName: user.userPrincipalName, displayName: user.displayName, roles: [String(roles[0])] });
    }
    const chat = teams.createChat(deps.tenantId, topic, members, deps.clock());
    return {
      status: 201,
      headers: { location: `${deps.baseUrl()}/v1.0/chats('${encodeURIComponent(chat.id)}')` },
      json: { '@odata.context': context('chats/$entity'), ...serializeChat(chat) },
    };
  }

  function listCatalog(request: SimRequest): SimResponse {
    const params = request.url.searchParams;
    for (const name of params.keys()) {
      if (name.startsWith('$') && name !== '$filter') return error(request, 400, 'BadRequest', `Query option '${name}' is not supported by this simulator.`);
    }
    let apps = teams.catalogApps();
    const filter = params.get('$filter');
    if (filter !== null) {
      const match = /^\s*(externalId|id|distributionMethod)\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter);
      if (!match) return error(request, 400, 'BadRequest', `Invalid filter clause: only "externalId eq '…'", "id eq '…'" or "distributionMethod eq '…'" are simulated.`);
      const property = (match[1] as string).toLowerCase();
      const value = (match[2] as string).replaceAll("''", "'").toLowerCase();
      apps = apps.filter((app) => (property === 'externalid' ? app.externalId : property === 'id' ? app.id : app.distributionMethod).toLowerCase() === value);
    }
    return {
      status: 200,
      json: {
        '@odata.context': context('appCatalogs/teamsApps'),
        value: apps.map((app) => ({ id: app.id, externalId: app.externalId, displayName: app.displayName, distributionMethod: app.distributionMethod })),
      },
    };
  }

  function installApp(request: SimRequest, claims: AppTokenClaims, chatId: string): SimResponse {
    const parsed = parseJsonBody(request);
    if (!parsed.ok) return error(request, 400, 'BadRequest', parsed.message);
    const path = isPlainObject(parsed.value) ? bindPath(parsed.value['teamsApp@odata.bind']) : null;
    const catalogId = path === null ? undefined : /^\/v1\.0\/appCatalogs\/teamsApps\/([^/]+)$/i.exec(path)?.[1];
    if (!catalogId) return error(request, 400, 'BadRequest', 'teamsApp@odata.bind must be https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/<catalog app id>.');
    const app = teams.catalogApp(catalogId);
    // (chosen) "Self" permissions install only the Teams app whose bot is the calling app.
    const mayInstall = holdsAny(claims, INSTALL_ANY_APP) || (holdsAny(claims, INSTALL_SELF) && app !== undefined && app.botId.toLowerCase() === claims.appid.toLowerCase());
    if (!mayInstall) return forbidden(request, claims, [...INSTALL_SELF, ...INSTALL_ANY_APP]);
    const chat = ownChat(chatId);
    if (!chat) return error(request, 404, 'NotFound', `Chat '${chatId}' was not found.`);
    if (!app) return error(request, 404, 'NotFound', `The app '${catalogId}' was not found in the app catalog.`);
    if (teams.install(chat.id, app.id) === 'conflict') return error(request, 409, 'Conflict', 'The app is already installed in this chat.');
    deps.onInstalled(chat);
    return { status: 201 };
  }

  type Route = (request: SimRequest, params: Record<string, string>, claims: AppTokenClaims) => SimResponse;
  const routes: Array<{ method: string; pattern: string; roles: readonly string[] | null; run: Route }> = [
    { method: 'POST', pattern: '/v1.0/chats', roles: CREATE_CHAT, run: (request) => createChat(request) },
    {
      method: 'GET', pattern: '/v1.0/chats/:id', roles: READ_CHAT,
      run: (request, params) => {
        const chat = ownChat(params.id as string);
        return chat ? { status: 200, json: { '@odata.context': context('chats/$entity'), ...serializeChat(chat) } } : error(request, 404, 'NotFound', `Chat '${params.id}' was not found.`);
      },
    },
    // Who may install what depends on the app installed (Self permissions): checked in installApp.
    { method: 'POST', pattern: '/v1.0/chats/:id/installedApps', roles: null, run: (request, params, claims) => installApp(request, claims, params.id as string) },
    { method: 'GET', pattern: '/v1.0/appCatalogs/teamsApps', roles: LIST_CATALOG, run: (request) => listCatalog(request) },
  ];
  const callers = new WeakMap<SimRequest, AppTokenClaims>();
  const router = createRouter();
  for (const route of routes) {
    router.add(route.method, route.pattern, (request, params) => {
      const claims = callers.get(request) as AppTokenClaims;
      if (route.roles !== null && !holdsAny(claims, route.roles)) return forbidden(request, claims, route.roles);
      return route.run(request, params, claims);
    });
  }

  return async (request) => {
    const match = router.match(request.method, request.path);
    if (match.kind === 'not-found') return error(request, 400, 'BadRequest', `Resource not found for the segment '${request.path}'.`);
    if (match.kind === 'method-not-allowed') return error(request, 405, 'MethodNotAllowed', `Method ${request.method} is not allowed here; use ${match.allowed.join(', ')}.`);
    const auth = await authenticateGraph(request, { key: deps.key, tenantId: deps.tenantId, now: deps.clock() });
    if (!auth.ok) return auth.response;
    deps.onAuthenticated(request, auth.claims.appid);
    const throttle = deps.limiter.take(`${deps.tenantId}/${auth.claims.appid}`.toLowerCase(), deps.clock().getTime(), TEAMS_REQUESTS_PER_SECOND);
    if (!throttle.allowed) {
      return error(request, 429, 'TooManyRequests', 'Too many requests for the Teams service; retry after the time in Retry-After.', { 'retry-after': String(throttle.retryAfterSeconds) });
    }
    callers.set(request, auth.claims);
    return match.handler(request, match.params);
  };
}
