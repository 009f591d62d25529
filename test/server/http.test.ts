// A real restify server on an ephemeral loopback port, a real CloudAdapter, and a fake Bot
// Connector (the service Teams' activities name as serviceUrl) to receive the bot's replies.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import type { TurnContext } from 'botbuilder';
import { createBotAdapter } from '../../src/bot/adapter.ts';
import { createBotApplication } from '../../src/bot/app.ts';
import { renderIncidentCard } from '../../src/cards/incident-card.ts';
import { buildChangeNoticeText } from '../../src/cards/change-notice.ts';
import { createLogger, createSilentLogger } from '../../src/observability/logger.ts';
import { createHttpServer, type HealthProbe, type HttpServer } from '../../src/server/http.ts';
import { createMemoryStore } from '../fakes/memory-store.ts';
import { createFakeBridge, sampleView } from '../fakes/bridge.ts';
import { createFakeSender } from '../bot/support/fake-sender.ts';
import { messageActivity, invokeActivity } from '../bot/support/activities.ts';

interface ConnectorCall {
  method: string;
  url: string;
  body: Record<string, unknown> | null;
}

/** Answers like the Bot Connector: activities get an id; member lookups 404 (no roster here). */
async function startFakeConnector(): Promise<{ server: Server; url: string; calls: ConnectorCall[] }> {
  const calls: ConnectorCall[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      calls.push({ method: req.method ?? '', url: req.url ?? '', body: raw ? (JSON.parse(raw) as Record<string, unknown>) : null });
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && /\/v3\/conversations\/[^/]+\/activities/.test(req.url ?? '')) {
        res.end(JSON.stringify({ id: `sent-${calls.length}` }));
        return;
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { code: 'NotFound', message: 'not here' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, calls };
}

function botDeps() {
  const store = createMemoryStore();
  const bridge = createFakeBridge();
  bridge.put(sampleView());
  return {
    bridge,
    conversations: store.conversations,
    subscriptions: store.subscriptions,
    builders: { renderIncidentCard, buildChangeNoticeText },
    sender: createFakeSender(),
    access: { analysts: undefined, approvers: [], localMode: true },
  };
}

const healthy: HealthProbe = async () => ({ store: { ok: true }, watchers: { ok: true }, defender: { ok: true }, sentinel: { ok: true } });

let connector: Awaited<ReturnType<typeof startFakeConnector>>;
const servers: HttpServer[] = [];

async function start(options: { botId?: string; health?: HealthProbe; run?: (context: TurnContext) => Promise<boolean>; maxBodyBytes?: number } = {}) {
  const log = process.env['BOT_TEST_LOG'] ? createLogger({ level: 'debug' }) : createSilentLogger();
  const adapter = createBotAdapter({ log, ...(options.botId ? { botId: options.botId, botPassword: 'not-a-real-secret' } : {}) });
  const app = options.run ? { run: options.run } : createBotApplication(botDeps());
  const http = createHttpServer({ adapter, app, health: options.health ?? healthy, ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}) });
  servers.push(http);
  const port = await http.listen(0, '127.0.0.1');
  return { base: `http://127.0.0.1:${port}`, http };
}

function post(base: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

beforeAll(async () => {
  connector = await startFakeConnector();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  connector.calls.splice(0);
});

afterAll(async () => {
  await new Promise<void>((resolve) => connector.server.close(() => resolve()));
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

describe('bad requests', () => {
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

  test('503 naming the failing check', async () => {
    const { base } = await start({ health: async () => ({ store: { ok: true }, sentinel: { ok: false, detail: 'ARM answered 403: grant Microsoft Sentinel Responder' } }) });
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(503);
    expect(((await response.json()) as { checks: { sentinel: { detail: string } } }).checks.sentinel.detail).toContain('Responder');
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

test('close() stops the server', async () => {
  const { base, http } = await start();
  await fetch(`${base}/healthz`);
  await http.close();
  await expect(fetch(`${base}/healthz`)).rejects.toThrow();
});
