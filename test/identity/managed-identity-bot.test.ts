// BOT_TYPE=UserAssignedMSI: the bot is the deployment's user-assigned managed identity. Outgoing
// Bot Connector calls must carry a token the managed-identity endpoint issued for that identity
// (and not, say, one of the portal app's, which DefaultAzureCredential would pick from
// AZURE_CLIENT_SECRET); incoming requests still need a valid Bot Framework JWT.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { startSimulators, type RunningSimulators } from '../../src/simulators/index.ts';
import { createBotAdapter } from '../../src/bot/adapter.ts';
import { createHttpServer, type HttpServer } from '../../src/server/http.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { createAgentFetch } from '../../src/portals/http/fetch.ts';
import { createTrustingAgent } from '../../src/portals/http/tls.ts';
import { messageActivity } from '../bot/support/activities.ts';
import { runIdentityChild } from './support/run-child.ts';

const TENANT = '33333333-4444-4555-8666-777777777777';
const BOT_MI = 'dddddddd-0000-4000-8000-0000000000b1';
const PORTAL_APP = { clientId: 'dddddddd-0000-4000-8000-0000000000c1', clientSecret: 'portal-app-secret' };
const IDENTITY_HEADER = 'bot-identity-header';

let dir: string;
let sims: RunningSimulators;
let connector: Server;
let connectorUrl: string;
const authorizations: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'bot-msi-'));
  sims = await startSimulators({
    dataDir: dir,
    port: 0,
    tenantId: TENANT,
    apps: [
      { clientId: BOT_MI, managedIdentity: 'userAssigned', graphRoles: [], armAccess: false },
      { ...PORTAL_APP, graphRoles: ['SecurityIncident.ReadWrite.All'], armAccess: true },
    ],
    identityHeader: IDENTITY_HEADER,
    subscriptionId: '3c1d2e4f-0000-4000-8000-00000000b001',
    resourceGroup: 'rg-bot',
    workspace: 'ws-bot',
    scenario: { enabled: false },
  });
  // A Bot Connector that records who called it.
  connector = createServer((request, response) => {
    authorizations.push(String(request.headers.authorization ?? ''));
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: `activity-${authorizations.length}` }));
    });
  });
  await new Promise<void>((resolve) => connector.listen(0, '127.0.0.1', resolve));
  connectorUrl = `http://127.0.0.1:${(connector.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => connector?.close(() => resolve()));
  await sims?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('outgoing calls of a UserAssignedMSI bot', () => {
  test('carry a Bot Framework token of the managed identity, even with the portal app secret in the environment', async () => {
    const result = await runIdentityChild({
      CHILD_MODE: 'bot',
      CHILD_CLIENT_ID: BOT_MI,
      CHILD_TENANT_ID: TENANT,
      CHILD_SERVICE_URL: connectorUrl,
      IDENTITY_ENDPOINT: `${sims.url}/msi/token`,
      IDENTITY_HEADER,
      // The Container Apps platform's CA would be the system's; the simulator's is added for this process only.
      NODE_EXTRA_CA_CERTS: sims.caCertPath,
      // What the portals' secret mode puts in the environment: botbuilder's default (DefaultAzureCredential) would use it.
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_ID: PORTAL_APP.clientId,
      AZURE_CLIENT_SECRET: PORTAL_APP.clientSecret,
      AZURE_AUTHORITY_HOST: sims.url,
    });
    if (!result.ok) throw new Error(result.message);
    expect(authorizations).toHaveLength(1);
    const token = /^Bearer (\S+)$/.exec(authorizations[0]!)?.[1];
    expect(token).toBeDefined();
    const fetchSim = createAgentFetch(createTrustingAgent({ caCertPem: sims.caCertPem }));
    const jwks = (await (await fetchSim(`${sims.url}/${TENANT}/discovery/v2.0/keys`)).json()) as JSONWebKeySet;
    const { payload } = await jwtVerify(token!, createLocalJWKSet(jwks), { issuer: `https://sts.windows.net/${TENANT}/`, audience: 'https://api.botframework.com' });
    expect(payload).toMatchObject({ appid: BOT_MI, tid: TENANT, idtyp: 'app' });
    // It came from the managed-identity endpoint, not the token endpoint.
    const entra = sims.control.requests().recent.filter((entry) => entry.api === 'entra');
    expect(entra.map((entry) => new URL(entry.url, sims.url).pathname)).toContain('/msi/token');
    expect(entra.some((entry) => entry.url.includes('/oauth2/v2.0/token'))).toBe(false);
  });
});

describe('incoming requests to a UserAssignedMSI bot', () => {
  let http: HttpServer;
  let base: string;
  let runs = 0;

  beforeAll(async () => {
    const adapter = createBotAdapter({ botId: BOT_MI, botTenantId: TENANT, botType: 'UserAssignedMSI', log: createSilentLogger() });
    http = createHttpServer({
      adapter,
      app: {
        run: async () => {
          runs += 1;
          return true;
        },
      },
      health: async () => ({ store: { ok: true } }),
    });
    base = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await http?.close();
  });

  test.each([
    ['no Authorization header', {}],
    ['an invalid bearer token', { authorization: 'Bearer not-a-jwt' }],
  ])('%s is refused 401 and the bot never runs', async (_name, headers: Record<string, string>) => {
    const response = await fetch(`${base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ ...messageActivity('/help'), serviceUrl: connectorUrl }),
    });
    expect(response.status).toBe(401);
    expect(runs).toBe(0);
  });
});
