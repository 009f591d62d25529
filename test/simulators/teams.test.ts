// The simulated Teams: Graph's chat, catalog and installedApps endpoints (permissions, bodies,
// errors, the 30 rps limit), the install events delivered to a bot, and the Bot Connector that
// records what the bot sends and refuses conversations the bot is not in (BotNotInConversationRoster).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { catalogIdFor, PLAYGROUND_USER_PRINCIPAL_NAME } from '../../src/simulators/index.ts';
import { READER, TENANT_ID, WRITER, startTestSims } from './helpers.ts';
import type { HttpResult, TestSims } from './helpers.ts';

const TEAMS_APP_ID = '6f1e9b3c-2a4d-4c8e-9f10-1b2c3d4e5f60';
const BOT_ID = '00000000-0000-4000-8000-0000000000b0';
const CHATS = { clientId: 'app-chats', clientSecret: 'chats-secret', graphRoles: ['Chat.Create', 'AppCatalog.Read.All', 'TeamsAppInstallation.ReadWriteForChat.All'], armAccess: false };
const CREATE_ONLY = { clientId: 'app-create-only', clientSecret: 'create-secret', graphRoles: ['Chat.Create'], armAccess: false };
const SELF_INSTALL_BOT = { clientId: BOT_ID, clientSecret: 'bot-secret', graphRoles: ['TeamsAppInstallation.ReadWriteSelfForChat.All'], armAccess: false };
const SELF_INSTALL_OTHER = { clientId: 'app-self-other', clientSecret: 'self-secret', graphRoles: ['TeamsAppInstallation.ReadWriteSelfForChat.All'], armAccess: false };
const ALEX = 'alex.wilber@contoso.example';
const MEGAN = 'megan.bowen@contoso.example';

interface CapturedBot {
  url: string;
  activities: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** A stand-in for the bot's /api/messages: records what Teams delivers. */
async function startCapturingBot(): Promise<CapturedBot> {
  const activities: Array<Record<string, unknown>> = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      activities.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.writeHead(200);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`,
    activities,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const member = (key: string) => ({ '@odata.type': '#microsoft.graph.aadUserConversationMember', roles: ['owner'], 'user@odata.bind': `https://graph.microsoft.com/v1.0/users('${key}')` });

describe('simulated Teams', () => {
  let sims: TestSims;
  let bot: CapturedBot;

  async function tokenOf(app: { clientId: string; clientSecret: string }): Promise<string> {
    const result = await sims.http('POST', `/${TENANT_ID}/oauth2/v2.0/token`, {
      form: { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret, scope: 'https://graph.microsoft.com/.default' },
    });
    return result.json.access_token as string;
  }
  const graphAs = async (app: { clientId: string; clientSecret: string }, method: string, path: string, body?: unknown): Promise<HttpResult> =>
    sims.http(method, path, { headers: { authorization: `Bearer ${await tokenOf(app)}` }, body });
  const connector = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${sims.teams.connectorUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  const createChat = (members = [ALEX, MEGAN], topic = 'Incident 29: ransomware') => graphAs(CHATS, 'POST', '/v1.0/chats', { chatType: 'group', topic, members: members.map(member) });
  const install = (chatId: string, app = CHATS, catalogId = catalogIdFor(TEAMS_APP_ID)) =>
    graphAs(app, 'POST', `/v1.0/chats/${encodeURIComponent(chatId)}/installedApps`, { 'teamsApp@odata.bind': `https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/${catalogId}` });

  beforeAll(async () => {
    bot = await startCapturingBot();
    sims = await startTestSims({
      apps: [WRITER, READER, CHATS, CREATE_ONLY, SELF_INSTALL_BOT, SELF_INSTALL_OTHER],
      teamsApps: [{ externalId: TEAMS_APP_ID, displayName: 'Incident Bridge', botId: BOT_ID }],
      botEndpoint: bot.url,
    });
  });
  afterAll(async () => {
    await sims?.stop();
    await bot?.close();
  });

  test('POST /chats creates a group chat of the members, by UPN or object id, with its webUrl', async () => {
    const megan = sims.directoryFor(TENANT_ID).findUser(MEGAN);
    const created = await createChat([ALEX, megan?.objectId as string]);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ '@odata.context': `${sims.url}/v1.0/$metadata#chats/$entity`, chatType: 'group', topic: 'Incident 29: ransomware', tenantId: TENANT_ID });
    expect(created.json.id).toMatch(/^19:[0-9a-f]{32}@thread\.v2$/);
    expect(created.json.webUrl).toBe(`https://teams.microsoft.com/l/chat/${encodeURIComponent(created.json.id as string)}/0?tenantId=${TENANT_ID}`);
    const chat = sims.teams.chats(TENANT_ID).find((candidate) => candidate.id === created.json.id);
    expect(chat?.members.map((m) => m.userPrincipalName)).toEqual([ALEX, MEGAN]);
  });

  test('POST /chats refuses what Graph refuses: one member, unknown or duplicate users, more than 250, a bad bind, and without Chat.Create', async () => {
    expect((await createChat([ALEX])).status).toBe(400);
    const unknown = await createChat([ALEX, 'nobody@contoso.example']);
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.message).toContain('nobody@contoso.example');
    const duplicate = await createChat([ALEX, ALEX.toUpperCase()]);
    expect(duplicate.status).toBe(400);
    expect(duplicate.json.error.message).toBe('Duplicate chat members is specified.');
    const tooMany = await createChat(Array.from({ length: 251 }, (_, i) => `user${i}@contoso.example`));
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.error.message).toMatch(/at most 250 members/);
    const badBind = await graphAs(CHATS, 'POST', '/v1.0/chats', { chatType: 'group', members: [member(ALEX), { ...member(MEGAN), 'user@odata.bind': 'https://evil.example/v1.0/users(\'x\')' }] });
    expect(badBind.status).toBe(400);
    const forbidden = await graphAs(READER, 'POST', '/v1.0/chats', { chatType: 'group', members: [member(ALEX), member(MEGAN)] });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.error).toMatchObject({ code: 'Forbidden', message: "Missing role permissions on the request. API requires one of 'Chat.Create'. Roles on the request 'SecurityIncident.Read.All'." });
  });

  test('the catalog lists the app under its own id, found by the manifest id', async () => {
    const listed = await graphAs(CHATS, 'GET', `/v1.0/appCatalogs/teamsApps?$filter=${encodeURIComponent(`externalId eq '${TEAMS_APP_ID}'`)}`);
    expect(listed.status).toBe(200);
    expect(listed.json.value).toEqual([{ id: catalogIdFor(TEAMS_APP_ID), externalId: TEAMS_APP_ID, displayName: 'Incident Bridge', distributionMethod: 'organization' }]);
    expect(catalogIdFor(TEAMS_APP_ID)).not.toBe(TEAMS_APP_ID);
    expect((await graphAs(CHATS, 'GET', `/v1.0/appCatalogs/teamsApps?$filter=${encodeURIComponent("externalId eq 'other'")}`)).json.value).toEqual([]);
    expect((await graphAs(CREATE_ONLY, 'GET', '/v1.0/appCatalogs/teamsApps')).status).toBe(403);
  });

  test('installing the app tells the bot (installationUpdate and conversationUpdate), and the bot may then post in the chat', async () => {
    const chatId = (await createChat()).json.id as string;
    // Before the install the bot is not in the chat's roster.
    const early = await connector('POST', `/v3/conversations/${encodeURIComponent(chatId)}/activities`, { type: 'message', text: 'hello' });
    expect(early).toEqual({ status: 403, json: { error: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the conversation roster.' } } });

    expect((await install(chatId)).status).toBe(201);
    await sims.teams.idle();
    const delivered = bot.activities.filter((activity) => (activity.conversation as { id?: string } | undefined)?.id === chatId);
    expect(delivered.map((activity) => activity.type).sort()).toEqual(['conversationUpdate', 'installationUpdate']);
    for (const activity of delivered) {
      expect(activity).toMatchObject({
        channelId: 'msteams',
        serviceUrl: `${sims.teams.connectorUrl}/`,
        conversation: { id: chatId, conversationType: 'groupChat', isGroup: true, tenantId: TENANT_ID },
        recipient: { id: `28:${BOT_ID}` },
        channelData: { tenant: { id: TENANT_ID } },
      });
    }
    expect(delivered.find((activity) => activity.type === 'installationUpdate')).toMatchObject({ action: 'add' });
    expect(delivered.find((activity) => activity.type === 'conversationUpdate')).toMatchObject({ membersAdded: [{ id: `28:${BOT_ID}` }] });
    expect(sims.teams.deliveries().filter((delivery) => delivery.conversationId === chatId).map((delivery) => delivery.status)).toEqual([200, 200]);

    const posted = await connector('POST', `/v3/conversations/${encodeURIComponent(chatId)}/activities`, { type: 'message', text: 'card' });
    expect(posted.status).toBe(201);
    const id = posted.json.id as string;
    expect((await connector('PUT', `/v3/conversations/${encodeURIComponent(chatId)}/activities/${id}`, { type: 'message', text: 'card v2' })).status).toBe(200);
    expect(sims.teams.messages().find((message) => message.id === id)).toMatchObject({ conversationId: chatId, updates: 1, activity: { text: 'card v2' } });
    const alex = await connector('GET', `/v3/conversations/${encodeURIComponent(chatId)}/members/29:${sims.directoryFor(TENANT_ID).findUser(ALEX)?.objectId}`);
    expect(alex.json).toMatchObject({ userPrincipalName: ALEX });

    const again = await install(chatId);
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('Conflict');
  });

  test('installedApps: the app must be in the catalog; "Self" permissions install only the app whose bot is the caller', async () => {
    const chatId = (await createChat()).json.id as string;
    expect((await install(chatId, CHATS, '00000000-0000-4000-8000-00000000dead')).status).toBe(404);
    const notSelf = await install(chatId, SELF_INSTALL_OTHER);
    expect(notSelf.status).toBe(403);
    expect(notSelf.json.error.message).toContain('TeamsAppInstallation.ReadWriteForChat.All');
    expect((await install(chatId, CREATE_ONLY)).status).toBe(403);
    expect((await install(chatId, SELF_INSTALL_BOT)).status).toBe(201);
    expect((await install('19:nosuchchat@thread.v2')).status).toBe(404);
  });

  test('more than 30 Teams requests in a second from one app are throttled with Retry-After', async () => {
    // A clock that stands still: every request falls in the same second.
    const frozen = new Date();
    const throttled = await startTestSims({ apps: [CHATS], teamsApps: [{ externalId: TEAMS_APP_ID, displayName: 'Incident Bridge', botId: BOT_ID }], clock: () => frozen });
    try {
      const token = (await throttled.http('POST', `/${TENANT_ID}/oauth2/v2.0/token`, { form: { grant_type: 'client_credentials', client_id: CHATS.clientId, client_secret: CHATS.clientSecret, scope: 'https://graph.microsoft.com/.default' } })).json.access_token as string;
      const statuses: number[] = [];
      let last: HttpResult | undefined;
      for (let i = 0; i < 31; i += 1) {
        last = await throttled.http('GET', '/v1.0/appCatalogs/teamsApps', { headers: { authorization: `Bearer ${token}` } });
        statuses.push(last.status);
      }
      expect(statuses.slice(0, 30).every((status) => status === 200)).toBe(true);
      expect(statuses[30]).toBe(429);
      expect(last?.headers['retry-after']).toBe('1');
      expect(last?.json.error.code).toBe('TooManyRequests');
    } finally {
      await throttled.stop();
    }
  });

  test('the connector serves declared channels by type: private and shared ones only with the bot added', async () => {
    for (const [id, type, botInRoster] of [['19:standard@thread.tacv2', 'standard', undefined], ['19:private@thread.tacv2', 'private', false], ['19:shared@thread.tacv2', 'shared', true]] as const) {
      const declared = await sims.http('POST', '/_sim/teams/channels', { body: { id, tenantId: TENANT_ID, teamId: '19:team@thread.tacv2', type, ...(botInRoster === undefined ? {} : { botInRoster }) } });
      expect(declared.status).toBe(201);
    }
    expect((await connector('POST', '/v3/conversations/19%3Astandard%40thread.tacv2/activities', { type: 'message' })).status).toBe(201);
    expect((await connector('POST', '/v3/conversations/19%3Aprivate%40thread.tacv2/activities', { type: 'message' })).json).toEqual({ error: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the conversation roster.' } });
    expect((await connector('POST', '/v3/conversations/19%3Ashared%40thread.tacv2/activities', { type: 'message' })).status).toBe(201);
    expect((await connector('POST', '/v3/conversations/19%3Aunknown%40thread.tacv2/activities', { type: 'message' })).json).toEqual({ error: { code: 'ConversationNotFound', message: 'Conversation not found.' } });
    expect((await sims.http('POST', '/_sim/teams/channels', { body: { id: 'x', tenantId: TENANT_ID, teamId: 't', type: 'secret' } })).status).toBe(400);
    expect(sims.teams.calls().at(-1)).toMatchObject({ op: 'send', conversationId: '19:unknown@thread.tacv2', status: 404, errorCode: 'ConversationNotFound' });
  });

  test('the Playground user is in the sample directory, so a war room can include them', () => {
    expect(sims.directoryFor(TENANT_ID).findUser(PLAYGROUND_USER_PRINCIPAL_NAME)).toBeDefined();
  });
});
