// Test helpers: start simulators in a temporary data directory and talk to them over HTTPS,
// trusting only the simulators' own CA.
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulators } from '../../src/simulators/index.ts';
import type { RunningSimulators, SimulatorOptions } from '../../src/simulators/index.ts';

export const TENANT_ID = '11111111-2222-4333-8444-555555555555';
export const SUBSCRIPTION_ID = 'd0cfe6b2-9ac0-4464-9919-dccaee2e48c0';
export const RESOURCE_GROUP = 'myRg';
export const WORKSPACE = 'myWorkspace';
export const API_VERSION = '2025-09-01';

export const WRITER = { clientId: 'app-writer', clientSecret: 'writer-secret', graphRoles: ['SecurityIncident.ReadWrite.All', 'SecurityAlert.Read.All'], armAccess: true };
export const READER = { clientId: 'app-reader', clientSecret: 'reader-secret', graphRoles: ['SecurityIncident.Read.All'], armAccess: false };

export interface TestSims extends RunningSimulators {
  dataDir: string;
  /** Moves the simulators' clock forward (tokens expire, windows elapse). */
  advance(ms: number): void;
  http(method: string, path: string, options?: { headers?: Record<string, string>; body?: unknown; form?: Record<string, string> }): Promise<HttpResult>;
  token(scope: string, app?: { clientId: string; clientSecret: string }): Promise<string>;
  graph(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult>;
  arm(method: string, relative: string, body?: unknown, apiVersion?: string): Promise<HttpResult>;
  /** Path of the workspace's Microsoft.SecurityInsights scope. */
  scope: string;
  stop(): Promise<void>;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // Response bodies are whatever the simulator sent; tests assert on them structurally.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  text: string;
}

export function httpsJson(caCertPem: string, url: string, method: string, headers: Record<string, string>, body?: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method, headers, ca: caCertPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json, text });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export async function startTestSims(overrides: Partial<SimulatorOptions> = {}, dataDir?: string): Promise<TestSims> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'sim-test-')));
  let offsetMs = 0;
  const sims = await startSimulators({
    dataDir: dir,
    port: 0,
    tenantId: TENANT_ID,
    apps: [WRITER, READER],
    subscriptionId: SUBSCRIPTION_ID,
    resourceGroup: RESOURCE_GROUP,
    workspace: WORKSPACE,
    azurePortalDelayMs: 50,
    clock: () => new Date(Date.now() + offsetMs),
    onError: () => {},
    ...overrides,
  });
  const scope = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.OperationalInsights/workspaces/${WORKSPACE}/providers/Microsoft.SecurityInsights`;
  const tokens = new Map<string, string>();
  const test: TestSims = {
    ...sims,
    dataDir: dir,
    scope,
    advance(ms) {
      offsetMs += ms;
    },
    http(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      let body: string | undefined;
      if (options.form) {
        body = new URLSearchParams(options.form).toString();
        headers['content-type'] = 'application/x-www-form-urlencoded';
      } else if (options.body !== undefined) {
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        headers['content-type'] = 'application/json';
      }
      const url = path.startsWith('https://') ? path : `${sims.url}${path}`;
      return httpsJson(sims.caCertPem, url, method, headers, body);
    },
    async token(scopeValue, app = WRITER) {
      const cacheKey = `${app.clientId}|${scopeValue}|${offsetMs}`;
      const cached = tokens.get(cacheKey);
      if (cached) return cached;
      const result = await test.http('POST', `/${TENANT_ID}/oauth2/v2.0/token`, {
        form: { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret, scope: scopeValue },
      });
      if (result.status !== 200) throw new Error(`token request failed: ${result.text}`);
      tokens.set(cacheKey, result.json.access_token);
      return result.json.access_token as string;
    },
    async graph(method, path, body, headers = {}) {
      const token = await test.token('https://graph.microsoft.com/.default');
      return test.http(method, path, { headers: { authorization: `Bearer ${token}`, ...headers }, body });
    },
    async arm(method, relative, body, apiVersion = API_VERSION) {
      const token = await test.token('https://management.azure.com/.default');
      const separator = relative.includes('?') ? '&' : '?';
      const url = relative.startsWith('https://') ? relative : `${scope}${relative}${apiVersion ? `${separator}api-version=${apiVersion}` : ''}`;
      return test.http(method, url, { headers: { authorization: `Bearer ${token}` }, body });
    },
    async stop() {
      await sims.close();
      if (!dataDir) await rm(dir, { recursive: true, force: true });
    },
  };
  return test;
}

/** Polls `condition` until it returns a truthy value (state, not time, decides). */
export async function waitFor<T>(condition: () => T | Promise<T>, what: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A structural "shape" of a JSON value: keys and primitive types, arrays by their first element. */
export function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, shapeOf(v)]));
  }
  return typeof value;
}

/**
 * Asserts that `actual` has every key of the documented `example` with the same JSON type
 * (null in the example accepts anything; a documented non-null value requires the same type).
 */
export function expectCoversShape(actual: unknown, example: unknown, path = '$'): void {
  if (example === null || example === undefined) return;
  if (Array.isArray(example)) {
    if (!Array.isArray(actual)) throw new Error(`${path}: expected an array, got ${JSON.stringify(actual)?.slice(0, 80)}`);
    if (example.length > 0 && actual.length > 0) expectCoversShape(actual[0], example[0], `${path}[0]`);
    return;
  }
  if (typeof example === 'object') {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) throw new Error(`${path}: expected an object, got ${JSON.stringify(actual)?.slice(0, 80)}`);
    for (const [key, value] of Object.entries(example as Record<string, unknown>)) {
      if (value === undefined) continue; // the caller marked this documented key as not applicable
      if (!(key in (actual as Record<string, unknown>))) throw new Error(`${path}.${key}: missing (documented in the example)`);
      expectCoversShape((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
    }
    return;
  }
  if (typeof actual !== typeof example) throw new Error(`${path}: expected ${typeof example}, got ${typeof actual} (${JSON.stringify(actual)})`);
}
