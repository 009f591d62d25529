// A real restify server on an ephemeral loopback port, a real CloudAdapter, and a fake Bot
// Connector (the service Teams' activities name as serviceUrl) to receive the bot's replies.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { SignJWT } from 'jose';
import type { TurnContext } from 'botbuilder';
import { authenticationFailureStatus, createBotAdapter, type InvokeMetrics } from '../../src/bot/adapter.ts';
import { createRecordingMetrics } from '../fakes/recording-metrics.ts';
import { createBotApplication } from '../../src/bot/bot-application.ts';
import { renderIncidentCard } from '../../src/cards/incident-card.ts';
import { buildChangeNoticeText } from '../../src/cards/change-notice.ts';
import { createLogger, createSilentLogger } from '../../src/observability/logger.ts';
import { bindHost, createHttpServer, type HealthProbe, type HttpServer } from '../../src/server/http.ts';
import { createHealthChecks } from '../../src/observability/health-checks.ts';
import { createMemoryStore } from '../fakes/memory-store.ts';
import { createFakeBridge, sampleView } from '../fakes/bridge.ts';
import { createFakeSender } from '../bot/support/fake-sender.ts';
import { startFakeConnector } from '../bot/support/fake-connector.ts';
import { messageActivity, invokeActivity, TENANT } from '../bot/support/activities.ts';
import { createTenantPolicy } from '../../src/bot/tenant-policy.ts';

function botDeps() {
  const store = createMemoryStore();
  const bridge = createFakeBridge();
  bridge.put(sampleView());
  return {
    bridge,
    conversations: store.conversations,
    subscriptions: store.subscriptions,
    cards: store.cards,
    builders: { renderIncidentCard, buildChangeNoticeText },
    sender: createFakeSender(),
    access: { analysts: undefined, approvers: [], localMode: true },
    tenants: createTenantPolicy({ allowedTenants: [TENANT], pairs: [] }),
  };
}

const healthy: HealthProbe = async () => ({ store: { ok: true }, watchers: { ok: true }, defender: { ok: true }, sentinel: { ok: true } });

let connector: Awaited<ReturnType<typeof startFakeConnector>>;
/**
 * Every adapter with a bot id here reaches Microsoft (the Bot Framework's signing keys at login.botframework.com,
 * as in production) only through this loopback proxy, which stands for a network that cannot:
 * nothing leaves the machine. botframework-connector keeps one metadata client per URL for the
 * whole process, so they all share one proxy.
 */
let network: Awaited<ReturnType<typeof startFailingProxy>>;
const servers: HttpServer[] = [];

/** A pino destination that keeps every entry, to assert what was logged. */
function logCapture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } });
  return { log, lines };
}

interface StartOptions {
  metrics?: InvokeMetrics;
  clock?: () => number;
  botId?: string;
  health?: HealthProbe;
  run?: (context: TurnContext) => Promise<boolean>;
  maxBodyBytes?: number;
  log?: ReturnType<typeof createLogger>;
}

async function start(options: StartOptions = {}) {
  const log = options.log ?? (process.env['BOT_TEST_LOG'] ? createLogger({ level: 'debug' }) : createSilentLogger());
  const adapter = createBotAdapter({
    log,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.botId ? { botId: options.botId, botPassword: 'not-a-real-secret', botTenantId: '99999999-0000-4000-8000-000000000001', proxy: { host: '127.0.0.1', port: network.port } } : {}),
  });
  const app = options.run ? { run: options.run } : createBotApplication(botDeps());
  const http = createHttpServer({ adapter, app, log, health: options.health ?? healthy, ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}) });
  servers.push(http);
  const port = await http.listen(0, '127.0.0.1');
  return { base: `http://127.0.0.1:${port}`, http };
}

/**
 * A loopback HTTP proxy standing for a network that cannot reach Microsoft: it drops every tunnel
 * (CONNECT) at once, or answers it 502 as a failing gateway does.
 */
async function startFailingProxy(): Promise<{ port: number; mode: { value: 'drop' | 'badGateway' }; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const mode: { value: 'drop' | 'badGateway' } = { value: 'drop' };
  const server = createServer((_req, res) => {
    res.statusCode = 502;
    res.end();
  });
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    tunnels.push(req.url ?? '');
    if (mode.value === 'drop') socket.destroy();
    else socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, mode, tunnels, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function post(base: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

beforeAll(async () => {
  connector = await startFakeConnector();
  network = await startFailingProxy();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  connector.calls.splice(0);
});

afterAll(async () => {
  await connector.close();
  await network.close();
});

describe('/api/messages in local mode (no bot id)', () => {
  test('a Teams message is processed and the reply goes to the connector', async () => {
    const { base } = await start();
    const response = await post(base, JSON.stringify({ ...messageActivity('/help'), serviceUrl: connector.url }));
    expect(response.status).toBe(200);
    const reply = connector.calls.find((call) => call.method === 'POST' && call.url.includes('/activities'));
    expect(String(reply?.body?.['text'])).toContain('/subscribe');
  });

  test('an adaptiveCard/action invoke is answered in the HTTP response', async () => {
    const { base } = await start();
    const response = await post(base, JSON.stringify({ ...invokeActivity('refreshCard', { linkId: 'link-1' }), serviceUrl: connector.url }));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { statusCode: number; type: string; value: { type: string } };
    expect(body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(body.value.type).toBe('AdaptiveCard');
    // The per-user answer must not overwrite the card message for everyone.
    expect(connector.calls.filter((call) => call.method === 'PUT')).toHaveLength(0);
  });

  test("invokes are timed from arrival to answer under a name from Teams' set; messages are not", async () => {
    const metrics = createRecordingMetrics();
    // Each reading of the clock is 1.5 s after the one before: arrival, then the answer.
    let now = 0;
    const { base } = await start({ metrics, clock: () => (now += 1500) });
    await post(base, JSON.stringify({ ...invokeActivity('refreshCard', { linkId: 'link-1' }), serviceUrl: connector.url }));
    await post(base, JSON.stringify({ ...messageActivity('/help'), serviceUrl: connector.url }));
    await post(base, JSON.stringify({ ...invokeActivity('refreshCard', { linkId: 'link-1' }), name: 'incident 4711 of Jane Doe', serviceUrl: connector.url }));
    expect(metrics.invokes).toEqual([
      { name: 'adaptiveCard/action', status: 200, seconds: 1.5 },
      { name: 'other', status: expect.any(Number), seconds: 1.5 },
    ]);
  });
});

describe('/api/messages with BOT_ID set', () => {
  // botbuilder console.errors every refused request; keep the test output readable.
  let restoreConsole: (() => void) | undefined;
  beforeEach(() => {
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    restoreConsole = () => spy.mockRestore();
  });
  afterEach(() => restoreConsole?.());

  const forged = () =>
    new SignJWT({ serviceurl: 'https://smba.trafficmanager.net/teams/' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://attacker.example')
      .setAudience('11111111-2222-3333-4444-555555555555')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('attacker-key-attacker-key-attacker-key'));

  test.each([
    ['no Authorization header', async () => ({})],
    ['a bogus bearer token', async () => ({ authorization: 'Bearer not-a-jwt' })],
    ['a JWT from a foreign issuer', async () => ({ authorization: `Bearer ${await forged()}` })],
    ['a non-bearer scheme', async () => ({ authorization: 'Basic dXNlcjpwYXNz' })],
  ])('%s is refused 401 and the bot never runs', async (_name, headers) => {
    let runs = 0;
    const { base } = await start({
      botId: '11111111-2222-3333-4444-555555555555',
      run: async () => {
        runs += 1;
        return true;
      },
    });
    const response = await post(base, JSON.stringify({ ...messageActivity('/help'), serviceUrl: connector.url }), await headers());
    expect(response.status).toBe(401);
    expect(runs).toBe(0);
    expect(connector.calls).toHaveLength(0);
  });
});

describe('/api/messages with BOT_ID set, when the token cannot be checked', () => {
  const BOT = '11111111-2222-3333-4444-555555555555';
  let restoreConsole: (() => void) | undefined;
  beforeEach(() => {
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    restoreConsole = () => spy.mockRestore();
  });
  afterEach(() => restoreConsole?.());

  // Parseable, from the Bot Connector's issuer, so botbuilder fetches the signing keys to check it.
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const connectorShaped = () =>
    `${part({ alg: 'RS256', typ: 'JWT', kid: 'no-such-key' })}.${part({ iss: 'https://api.botframework.com', aud: BOT, serviceurl: connector.url, exp: Math.floor(Date.now() / 1000) + 300 })}.${part('signature')}`;

  async function expectRefused(status: number) {
    const capture = logCapture();
    let runs = 0;
    const { base } = await start({
      botId: BOT,
      log: capture.log,
      run: async () => {
        runs += 1;
        return true;
      },
    });
    network.tunnels.splice(0);
    const response = await post(base, JSON.stringify({ ...messageActivity('/help'), serviceUrl: connector.url }), { authorization: `Bearer ${connectorShaped()}` });
    const text = await response.text();
    expect(response.status).toBe(status);
    expect(network.tunnels).toEqual(['login.botframework.com:443']);
    expect(runs).toBe(0);
    expect(connector.calls).toHaveLength(0);
    // No internals: no error text, address, host or library message reaches the caller.
    expect(text).not.toMatch(/ECONN|ENOTFOUND|socket|127\.0\.0\.1|botframework\.com|openid|Failed|Signing Key|reason|proxy/i);
    expect(JSON.parse(text)).toEqual({ code: 'ServiceUnavailable', message: expect.any(String) });
    expect(response.headers.get('retry-after')).toBe('30');
    return { text, capture };
  }

  test('signing keys unreachable (the connection drops, as with no network) is 503, the detail only in the log', async () => {
    network.mode.value = 'drop';
    const { capture } = await expectRefused(503);
    expect(JSON.stringify(capture.lines)).toMatch(/login\.botframework\.com/);
  });

  test('a gateway that fails the metadata request is 503', async () => {
    network.mode.value = 'badGateway';
    await expectRefused(503);
  });

  test('a DNS failure for the metadata host means 503, an invalid token 401', () => {
    // node-fetch's error for login.botframework.com where nothing resolves it.
    const dns = Object.assign(new Error('request to https://login.botframework.com/v1/.well-known/openidconfiguration failed, reason: getaddrinfo ENOTFOUND login.botframework.com'), { name: 'FetchError', type: 'system', code: 'ENOTFOUND' });
    expect(authenticationFailureStatus(dns)).toBe(503);
    expect(authenticationFailureStatus(Object.assign(new Error('Failed to load openID config: 404'), { statusCode: 500 }))).toBe(503);
    expect(authenticationFailureStatus(Object.assign(new Error('Unauthorized. Invalid AppId passed on token'), { statusCode: 401 }))).toBe(401);
    expect(authenticationFailureStatus(Object.assign(new Error('invalid signature'), { name: 'JsonWebTokenError' }))).toBe(401);
  });
});

describe('bad requests', () => {
  test('an activity without serviceUrl is refused 400 at once, before the bot runs', async () => {
    let runs = 0;
    const { base } = await start({
      run: async () => {
        runs += 1;
        return true;
      },
    });
    const { serviceUrl: _omitted, ...activity } = messageActivity('/help');
    const started = Date.now();
    const response = await post(base, JSON.stringify(activity));
    expect(response.status).toBe(400);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(((await response.json()) as { message: string }).message).toMatch(/serviceUrl/);
    expect((await post(base, JSON.stringify({ ...activity, serviceUrl: 'not a url' }))).status).toBe(400);
    expect(runs).toBe(0);
  });


  test('malformed JSON is 400, the server keeps serving', async () => {
    const { base } = await start();
    expect((await post(base, '{"type": "message",')).status).toBe(400);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  test.each([['[1,2]'], ['"text"'], ['{}']])('a body that is not an activity (%s) is 400', async (body) => {
    const { base } = await start();
    expect((await post(base, body)).status).toBe(400);
  });

  test('an oversized body is refused 413', async () => {
    const { base } = await start({ maxBodyBytes: 1024 });
    const response = await post(base, JSON.stringify({ ...messageActivity('x'.repeat(4096)), serviceUrl: connector.url }));
    expect(response.status).toBe(413);
  });

  test('a compressed body is refused 415', async () => {
    const { base } = await start();
    expect((await post(base, '{}', { 'content-encoding': 'gzip' })).status).toBe(415);
  });

  test('other methods on /api/messages are refused', async () => {
    const { base } = await start();
    expect((await fetch(`${base}/api/messages`)).status).toBe(405);
  });
});

describe('/healthz', () => {
  test('200 with every check when all are ok', async () => {
    const { base } = await start();
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', checks: { store: { ok: true }, watchers: { ok: true }, defender: { ok: true }, sentinel: { ok: true } } });
  });

  test('503 naming the failing check, with its reason in the log and not in the answer', async () => {
    const capture = logCapture();
    const sql = 'relation "incident_links" does not exist: SELECT * FROM incident_links WHERE link_id = $1';
    const { base } = await start({ log: capture.log, health: async () => ({ store: { ok: false, detail: sql }, watchers: { ok: true }, 'sentinel:default': { ok: false, detail: 'ARM answered 403: grant Microsoft Sentinel Responder' } }) });
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ status: 'unavailable', checks: { store: { ok: false }, watchers: { ok: true }, 'sentinel:default': { ok: false } } });
    expect(text).not.toMatch(/SELECT|incident_links|Responder/);
    await fetch(`${base}/healthz`);
    const logged = capture.lines.filter((line) => line['msg'] === 'health check failed');
    // Once per failure, not once per probe.
    expect(logged.map((line) => [line['check'], line['detail']])).toEqual([
      ['store', sql],
      ['sentinel:default', 'ARM answered 403: grant Microsoft Sentinel Responder'],
    ]);
  });

  test('503 when the probe itself throws', async () => {
    const { base } = await start({
      health: async () => {
        throw new Error('store pool closed');
      },
    });
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
  });
});

describe('/livez and /readyz', () => {
  test('/livez answers 200 without running a single check, even while the checks hang', async () => {
    let probes = 0;
    const { base } = await start({
      health: () => {
        probes += 1;
        return new Promise(() => undefined);
      },
    });
    const response = await fetch(`${base}/livez`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(probes).toBe(0);
  });

  test('a portal down: /readyz is 503 naming it (the reason only in the log), /livez stays 200', async () => {
    const capture = logCapture();
    const health = createHealthChecks({
      store: { description: 'PGlite (embedded)', ping: async () => undefined },
      engine: () => ({ 'watcher:default': { ok: true } }),
      portals: [
        { name: 'defender:default', probe: async () => Promise.reject(new Error('connect ECONNREFUSED graph.example:443')) },
        { name: 'sentinel:default', probe: async () => ({}) },
      ],
    });
    const { base } = await start({ log: capture.log, health });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    const text = await ready.text();
    expect(JSON.parse(text)).toEqual({
      status: 'unavailable',
      checks: { store: { ok: true }, 'watcher:default': { ok: true }, 'defender:default': { ok: false }, 'sentinel:default': { ok: true } },
    });
    expect(text).not.toMatch(/ECONNREFUSED|graph\.example/);
    expect(capture.lines.filter((line) => line['msg'] === 'health check failed').map((line) => [line['check'], line['detail']])).toEqual([['defender:default', 'connect ECONNREFUSED graph.example:443']]);
    expect((await fetch(`${base}/livez`)).status).toBe(200);
  });

  test('/readyz is 200 when every check passes, and /healthz (its older name) answers the same', async () => {
    const { base } = await start();
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const healthz = await fetch(`${base}/healthz`);
    expect(await healthz.json()).toEqual(await ready.json());
  });
});

describe('listening', () => {
  const addressOf = (http: HttpServer) => (http.server.server.address() as AddressInfo).address;

  test('without Bot Framework authentication, a request to listen on every interface binds loopback only, and says so', async () => {
    const capture = logCapture();
    const http = createHttpServer({ adapter: createBotAdapter(), app: { run: async () => true }, health: healthy, log: capture.log });
    servers.push(http);
    const port = await http.listen(0, '0.0.0.0');
    expect(addressOf(http)).toBe('127.0.0.1');
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(capture.lines.find((line) => line['level'] === 40)?.['msg']).toMatch(/authentication is off.*listening on 127\.0\.0\.1 only, not 0\.0\.0\.0/);
  });

  test('with Bot Framework authentication the host asked for is bound', async () => {
    const http = createHttpServer({ adapter: createBotAdapter({ botId: 'bot', botPassword: 'secret', botTenantId: '99999999-0000-4000-8000-000000000001' }), app: { run: async () => true }, health: healthy, botAuthentication: true });
    servers.push(http);
    await http.listen(0, '0.0.0.0');
    expect(addressOf(http)).toBe('0.0.0.0');
  });

  test.each([
    ['0.0.0.0', false, '127.0.0.1'],
    ['::', false, '::1'],
    ['192.0.2.10', false, '127.0.0.1'],
    ['127.0.0.1', false, '127.0.0.1'],
    ['::1', false, '::1'],
    ['0.0.0.0', true, '0.0.0.0'],
  ])('bindHost(%s, authenticated=%s) is %s', (requested, authenticated, expected) => {
    expect(bindHost(requested, authenticated)).toBe(expected);
  });
});

test('close() stops the server', async () => {
  const { base, http } = await start();
  await fetch(`${base}/healthz`);
  await http.close();
  await expect(fetch(`${base}/healthz`)).rejects.toThrow();
});
