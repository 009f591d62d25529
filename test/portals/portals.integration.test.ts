// The portal clients against the local simulators (real HTTPS, real SDKs, real token flow).
// API calls are counted from the simulators' request log (GET /_sim/requests).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRecordingMetrics } from '../fakes/recording-metrics.ts';
import { startSimulators } from '../../src/simulators/index.ts';
import { PortalError } from '../../src/domain/errors.ts';
import type { Incident } from '../../src/domain/incident.ts';
import { createDefenderClient, createSentinelClient } from '../../src/portals/index.ts';
import { parseBridgeComment } from '../../src/domain/attribution.ts';
import { createAgentFetch } from '../../src/portals/http/fetch.ts';
import { createTrustingAgent } from '../../src/portals/http/tls.ts';

const TENANT = '11111111-2222-3333-4444-555555555555';
const APP = { clientId: 'aaaaaaaa-0000-0000-0000-000000000001', clientSecret: 'integration-secret' };
const WEAK_APP = { clientId: 'aaaaaaaa-0000-0000-0000-000000000002', clientSecret: 'weak-secret' };
const WORKSPACE = { subscriptionId: 'd0cfe6b2-9ac0-4464-9919-dccaee2e48c0', resourceGroup: 'rg-soc', workspace: 'ws-soc' };
const JANE_OID = '2046feea-040d-4a46-9e2b-91c2941bfa70';

type Sims = Awaited<ReturnType<typeof startSimulators>>;

interface LoggedRequest {
  method: string;
  path: string;
  status?: number;
  at?: string | number;
}

function simHelpers(sims: Sims) {
  const fetch = createAgentFetch(createTrustingAgent({ caCertPem: sims.caCertPem }));
  async function control(method: string, route: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${sims.url}/_sim/${route}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`control ${method} ${route} -> ${response.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }
  /** Requests the simulators logged for one API (GET /_sim/requests: {counts, recent[]}), optionally since a time. */
  async function requestLog(api: 'graph' | 'arm' | 'entra', since?: number): Promise<LoggedRequest[]> {
    const body = (await control('GET', 'requests')) as { recent?: Array<{ at: string; api: string; method: string; url: string; status: number }> };
    return (body.recent ?? [])
      .filter((entry) => entry.api === api && (since === undefined || Date.parse(entry.at) >= since))
      .map((entry) => ({ method: entry.method, path: entry.url, status: entry.status, at: entry.at }));
  }
  async function raiseAlert(title: string, correlationKey?: string): Promise<{ alertId: string; incidentId: string }> {
    return (await control('POST', 'alerts', {
      serviceSource: 'microsoftDefenderForEndpoint',
      title,
      severity: 'medium',
      ...(correlationKey ? { correlationKey } : {}),
    })) as { alertId: string; incidentId: string };
  }
  return { control, requestLog, raiseAlert };
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function collect(pages: AsyncIterable<Incident[]>): Promise<Incident[][]> {
  const result: Incident[][] = [];
  for await (const page of pages) result.push(page);
  return result;
}

const timeOf = (entry: LoggedRequest): number => (typeof entry.at === 'number' ? entry.at : Date.parse(String(entry.at)));

describe('portal clients against the simulators', () => {
  let dataDir: string;
  let sims: Sims;
  let helpers: ReturnType<typeof simHelpers>;
  let defender: ReturnType<typeof createDefenderClient>;
  let sentinel: ReturnType<typeof createSentinelClient>;

  const clientOptions = () => ({
    tenantId: TENANT,
    ...APP,
    authorityHost: sims.url,
    caCertPem: sims.caCertPem,
    // Small retry budget: the 429 tests ask for 1 s; nothing here should wait longer.
    retry: { maxRetries: 3, maxTotalWaitMs: 5_000, baseDelayMs: 50, maxDelayMs: 200 },
  });

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'portals-it-'));
    sims = await startSimulators({
      dataDir,
      port: 0,
      tenantId: TENANT,
      apps: [
        { ...APP, graphRoles: ['SecurityIncident.ReadWrite.All'], armAccess: true },
        { ...WEAK_APP, graphRoles: [], armAccess: false },
      ],
      ...WORKSPACE,
      // Room for the 1,000-incident sync; throttling is exercised with injected faults instead.
      graphRequestsPerMinute: 100_000,
      armBucket: { readCapacity: 100_000, readRefillPerSecond: 10_000, writeCapacity: 100_000, writeRefillPerSecond: 10_000 },
      scenario: { enabled: false },
    });
    helpers = simHelpers(sims);
    defender = createDefenderClient({ ...clientOptions(), graphEndpoint: sims.url });
    sentinel = createSentinelClient({ ...clientOptions(), armEndpoint: sims.url, ...WORKSPACE });
  });

  afterAll(async () => {
    await sims?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('Defender: get, list, update, comments', async () => {
    const { incidentId } = await helpers.raiseAlert('Suspicious PowerShell [click](https://evil.example) ${x}', 'defender-basic');
    const incident = await defender.get(incidentId);
    expect(incident).not.toBeNull();
    expect(incident?.portal).toBe('defender');
    expect(incident?.title).toContain('[click](https://evil.example) ${x}');
    expect(incident?.additionalData.alertsCount).toBe(1);
    expect(await defender.get('999999999')).toBeNull();

    const listed = (await collect(defender.listChangedSince(undefined))).flat();
    expect(listed.map((i) => i.id)).toContain(incidentId);

    const updated = await defender.update(incidentId, { status: 'inProgress', owner: { upn: 'jane@contoso.com' }, tags: ['bridge', 'x'] });
    expect(updated).toMatchObject({ status: 'inProgress', owner: { upn: 'jane@contoso.com' }, tags: ['bridge', 'x'] });

    const beforeRefusal = Date.now();
    await expect(defender.update(incidentId, { severity: 'high' })).rejects.toMatchObject({ code: 'not-writable' });
    expect(await helpers.requestLog('graph', beforeRefusal)).toHaveLength(0);

    const comment = await defender.addComment(incidentId, { kind: 'comment', author: 'Jane Doe', text: 'Isolating the host <b>now</b>' }, 'key-1');
    expect(parseBridgeComment(comment.text)).toEqual({ kind: 'comment', author: 'Jane Doe', text: 'Isolating the host <b>now</b>' });
    const comments = await defender.listComments(incidentId);
    expect(comments.map((c) => c.text)).toContain(comment.text);
  });

  test('Sentinel: find the mirrored incident, get, update, idempotent comments', async () => {
    const { incidentId } = await helpers.raiseAlert('Credential theft', 'sentinel-basic');
    const mirrored = await waitFor('the Sentinel mirror', () => sentinel.findByProviderIncidentId(incidentId));
    expect(mirrored.providerIncidentId).toBe(incidentId);
    expect(mirrored.incidentNumber).toEqual(expect.any(Number));
    expect(mirrored.etag).toBeTruthy();

    const fetched = await sentinel.get(mirrored.id);
    expect(fetched?.title).toBe(mirrored.title);
    expect(await sentinel.get('00000000-0000-0000-0000-000000000000')).toBeNull();

    const updated = await sentinel.update(mirrored.id, { status: 'inProgress', severity: 'high', owner: { objectId: JANE_OID, upn: 'jane@contoso.com', displayName: 'Jane Doe' }, tags: ['bridge'] });
    expect(updated).toMatchObject({ status: 'active', severity: 'high', owner: { objectId: JANE_OID }, tags: ['bridge'] });
    expect(updated.etag).not.toBe(mirrored.etag);

    const first = await sentinel.addComment(mirrored.id, { kind: 'comment', author: 'Jane Doe', text: 'Contained' }, 'edit-42:comment');
    const again = await sentinel.addComment(mirrored.id, { kind: 'comment', author: 'Jane Doe', text: 'Contained' }, 'edit-42:comment');
    expect(again.id).toBe(first.id);
    const comments = await sentinel.listComments(mirrored.id);
    expect(comments.filter((c) => c.id === first.id)).toHaveLength(1);
    expect(parseBridgeComment(comments.find((c) => c.id === first.id)?.text ?? '')).toEqual({ kind: 'comment', author: 'Jane Doe', text: 'Contained' });
  });

  test('Sentinel: closing without a classification is refused before any PUT; with one it closes', async () => {
    const { incidentId } = await helpers.raiseAlert('Close me', 'sentinel-close');
    const mirrored = await waitFor('the Sentinel mirror', () => sentinel.findByProviderIncidentId(incidentId));
    const beforeClose = Date.now();
    const error = await sentinel.update(mirrored.id, { status: 'resolved' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortalError);
    expect(error).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/needs a classification/) });
    expect((await helpers.requestLog('arm', beforeClose)).filter((r) => r.method === 'PUT')).toHaveLength(0);

    const closed = await sentinel.update(mirrored.id, { status: 'resolved', classification: 'benignPositive' });
    expect(closed).toMatchObject({ status: 'resolved', classification: 'benignPositive', determination: 'SuspiciousButExpected' });
  });

  test('Sentinel: a stale etag (409 Conflict) is re-read and re-applied; three in a row give conflict', async () => {
    const { incidentId } = await helpers.raiseAlert('Contended', 'sentinel-conflict');
    const mirrored = await waitFor('the Sentinel mirror', () => sentinel.findByProviderIncidentId(incidentId));
    const conflict = { error: { code: 'Conflict', message: `Newer version of resource '${mirrored.id}' exists. Data was not saved` } };
    await helpers.control('POST', 'faults', { api: 'arm', method: 'PUT', pathPattern: `incidents/${mirrored.id}`, status: 409, count: 1, body: conflict });
    const beforeUpdate = Date.now();
    const updated = await sentinel.update(mirrored.id, { title: 'Contended (renamed)' });
    expect(updated.title).toBe('Contended (renamed)');
    const calls = (await helpers.requestLog('arm', beforeUpdate)).map((r) => `${r.method}${r.status !== undefined ? ` ${r.status}` : ''}`);
    expect(calls.filter((c) => c.startsWith('PUT'))).toHaveLength(2);
    expect(calls.filter((c) => c.startsWith('GET'))).toHaveLength(2);

    await helpers.control('POST', 'faults', { api: 'arm', method: 'PUT', pathPattern: `incidents/${mirrored.id}`, status: 409, count: 3, body: conflict });
    await expect(sentinel.update(mirrored.id, { title: 'never' })).rejects.toMatchObject({ code: 'conflict' });
  });

  test('429 with Retry-After is honoured by both clients, then succeeds', async () => {
    const { incidentId } = await helpers.raiseAlert('Throttle me', 'throttle');
    const mirrored = await waitFor('the Sentinel mirror', () => sentinel.findByProviderIncidentId(incidentId));

    for (const [api, run, pattern] of [
      ['graph', () => defender.get(incidentId), `incidents/${incidentId}`],
      ['arm', () => sentinel.get(mirrored.id), `incidents/${mirrored.id}`],
    ] as const) {
      await helpers.control('POST', 'faults', { api, method: 'GET', pathPattern: pattern, status: 429, retryAfterSeconds: 1, count: 1 });
      const started = Date.now();
      const result = await run();
      const elapsed = Date.now() - started;
      expect(result).not.toBeNull();
      const attempts = (await helpers.requestLog(api, started)).filter((r) => r.path.includes(pattern));
      expect(attempts).toHaveLength(2);
      expect(elapsed).toBeGreaterThanOrEqual(1000);
      const [first, second] = attempts;
      if (first?.at !== undefined && second?.at !== undefined) expect(timeOf(second) - timeOf(first)).toBeGreaterThanOrEqual(1000);
    }
  });

  test('each request a client sends is recorded with its operation and status, retries and 429s included', async () => {
    const { incidentId } = await helpers.raiseAlert('Count me', 'recorded');
    const defenderRequests = createRecordingMetrics();
    const sentinelRequests = createRecordingMetrics();
    const recordedDefender = createDefenderClient({ ...clientOptions(), graphEndpoint: sims.url, requests: defenderRequests });
    const recordedSentinel = createSentinelClient({ ...clientOptions(), armEndpoint: sims.url, ...WORKSPACE, requests: sentinelRequests });

    await helpers.control('POST', 'faults', { api: 'graph', method: 'GET', pathPattern: `incidents/${incidentId}`, status: 429, retryAfterSeconds: 1, count: 1 });
    await recordedDefender.get(incidentId);
    await collect(recordedDefender.listChangedSince(undefined));
    await recordedDefender.update(incidentId, { tags: ['counted'] });
    await recordedDefender.addComment(incidentId, { kind: 'comment', author: 'Jane Doe', text: 'Counted' }, 'key-counted');
    const calls = defenderRequests.requests.map((request) => `${request.operation} ${request.status}`);
    expect(calls.slice(0, 2)).toEqual(['get 429', 'get 200']);
    // The listing's pages, then the PATCH (whose answer carries no alerts, so it is read back) and the comment.
    expect(calls.slice(2, -3).length).toBeGreaterThanOrEqual(1);
    expect(calls.slice(2, -3).every((call) => call === 'list 200')).toBe(true);
    expect(calls.slice(-3)).toEqual(['write 200', 'get 200', 'comment 200']);

    const mirrored = await waitFor('the Sentinel mirror', () => recordedSentinel.findByProviderIncidentId(incidentId));
    const conflict = { error: { code: 'Conflict', message: `Newer version of resource '${mirrored.id}' exists. Data was not saved` } };
    await helpers.control('POST', 'faults', { api: 'arm', method: 'PUT', pathPattern: `incidents/${mirrored.id}`, status: 409, count: 1, body: conflict });
    sentinelRequests.requests.length = 0;
    await recordedSentinel.update(mirrored.id, { title: 'Counted (renamed)' });
    await recordedSentinel.addComment(mirrored.id, { kind: 'comment', author: 'Jane Doe', text: 'Counted' }, 'key-counted');
    await recordedSentinel.listComments(mirrored.id);
    expect(sentinelRequests.requests.map((request) => `${request.operation} ${request.status}`)).toEqual(['get 200', 'write 409', 'get 200', 'write 200', 'comment 201', 'list 200']);
  });

  test('throttled beyond the budget: PortalError throttled with retryAfterSeconds', async () => {
    const { incidentId } = await helpers.raiseAlert('Throttle me harder', 'throttle-2');
    await helpers.control('POST', 'faults', { api: 'graph', method: 'GET', pathPattern: `incidents/${incidentId}`, status: 429, retryAfterSeconds: 60, count: 1 });
    await expect(defender.get(incidentId)).rejects.toMatchObject({ code: 'throttled', retryAfterSeconds: 60, portal: 'defender' });
  });

  test('403 names the permission to grant', async () => {
    const weak = { tenantId: TENANT, ...WEAK_APP, authorityHost: sims.url, caCertPem: sims.caCertPem };
    const weakDefender = createDefenderClient({ ...weak, graphEndpoint: sims.url });
    await expect(weakDefender.get('1')).rejects.toMatchObject({ code: 'forbidden', message: expect.stringMatching(/SecurityIncident\.ReadWrite\.All/) });
    const weakSentinel = createSentinelClient({ ...weak, armEndpoint: sims.url, ...WORKSPACE });
    await expect(weakSentinel.get('00000000-0000-0000-0000-000000000001')).rejects.toMatchObject({ code: 'forbidden', message: expect.stringMatching(/Microsoft Sentinel Contributor/) });
  });

  test('full delta sync of 1,000 incidents pages with the minimum number of list calls', async () => {
    await helpers.control('POST', 'reset');
    const cursor = new Date(Date.now() - 1000).toISOString();
    for (let start = 0; start < 1000; start += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => helpers.raiseAlert(`Bulk incident ${start + i}`, `bulk-${start + i}`)));
    }
    await waitFor('1,000 Sentinel incidents', async () => {
      let count = 0;
      for await (const page of sentinel.listChangedSince(cursor)) count += page.length;
      return count >= 1000;
    }, 20_000);

    const beforeGraphSync = Date.now();
    const defenderPages = await collect(defender.listChangedSince(cursor, { pageSize: 500 }));
    const graphCalls = (await helpers.requestLog('graph', beforeGraphSync)).filter((r) => r.method === 'GET' && r.path.includes('/security/incidents'));
    expect(new Set(defenderPages.flat().map((i) => i.id)).size).toBe(1000);
    expect(defenderPages.every((page) => page.length <= 50)).toBe(true);
    expect(graphCalls).toHaveLength(Math.ceil(1000 / 50));

    for (const pageSize of [1000, 200]) {
      const beforeArmSync = Date.now();
      const sentinelPages = await collect(sentinel.listChangedSince(cursor, { pageSize }));
      const armCalls = (await helpers.requestLog('arm', beforeArmSync)).filter((r) => r.method === 'GET' && r.path.includes('/incidents'));
      expect(new Set(sentinelPages.flat().map((i) => i.id)).size).toBe(1000);
      expect(armCalls).toHaveLength(Math.ceil(1000 / pageSize));
    }
  }, 60_000);
});

describe('token expiry', () => {
  test('an expired token is replaced and calls keep working', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'portals-token-'));
    const sims = await startSimulators({
      dataDir,
      port: 0,
      tenantId: TENANT,
      apps: [{ ...APP, graphRoles: ['SecurityIncident.ReadWrite.All'], armAccess: true }],
      ...WORKSPACE,
      tokenLifetimeSeconds: 1,
      scenario: { enabled: false },
    });
    try {
      const helpers = simHelpers(sims);
      const options = { tenantId: TENANT, ...APP, authorityHost: sims.url, caCertPem: sims.caCertPem };
      const defender = createDefenderClient({ ...options, graphEndpoint: sims.url });
      const sentinel = createSentinelClient({ ...options, armEndpoint: sims.url, ...WORKSPACE });
      const { incidentId } = await helpers.raiseAlert('Token test', 'token');
      const mirrored = await waitFor('the Sentinel mirror', () => sentinel.findByProviderIncidentId(incidentId));
      expect(await defender.get(incidentId)).not.toBeNull();
      const beforeExpiry = Date.now();
      // Wait until every token issued so far has expired (lifetime 1 s), then call again.
      const expiredAt = Date.now() + 1500;
      await waitFor('token expiry', async () => Date.now() > expiredAt);
      expect(await defender.get(incidentId)).not.toBeNull();
      expect(await sentinel.get(mirrored.id)).not.toBeNull();
      // Both clients had to fetch a fresh token (one for Graph, one for ARM).
      expect((await helpers.requestLog('entra', beforeExpiry)).filter((r) => r.method === 'POST').length).toBeGreaterThanOrEqual(2);
      const unauthorized = [...(await helpers.requestLog('graph')), ...(await helpers.requestLog('arm'))].filter((r) => r.status === 401);
      expect(unauthorized).toHaveLength(0);
    } finally {
      await sims.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
