// The one HTTPS listener for all simulated services. It reads the body, decides which API a path
// belongs to, applies injected faults, hands the request to that API, and records it. Transport only.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiName, SimRequest, SimResponse } from './types.ts';
import { header } from './types.ts';
import { rewriteBody, type FaultDecision, type FaultInjector } from './faults.ts';
import type { RequestLog } from './request-log.ts';

const MAX_BODY_BYTES = 1024 * 1024;
/**
 * The control API raises alerts whose text stands for whatever the real services may hold; a
 * 1 MB title of lone surrogates is about 6 MB of JSON escapes, so test input gets more room than
 * the portal APIs' requests.
 */
const MAX_CONTROL_BODY_BYTES = 16 * 1024 * 1024;

export type ApiHandler = (request: SimRequest) => Promise<SimResponse>;

export interface ServerDeps {
  key: string;
  cert: string;
  handlers: Partial<Record<ApiName, ApiHandler>>;
  faults: FaultInjector;
  requestLog: RequestLog;
  clock: () => Date;
  onError: (error: unknown, context: string) => void;
  /** Renders a fault's default body in the API's own error shape. */
  faultBody: (api: ApiName, request: SimRequest, status: number) => unknown;
  /** The tenant that serves a request (a fault may be limited to one tenant). */
  tenantOf: (api: ApiName, request: SimRequest) => string | undefined;
  /** The app id behind an authenticated request, when an API recorded one. */
  appIdOf: (request: SimRequest) => string | undefined;
}

export function classify(path: string): ApiName {
  const lower = path.toLowerCase();
  if (lower === '/_sim' || lower.startsWith('/_sim/')) return 'control';
  if (lower.startsWith('/v1.0/') || lower.startsWith('/beta/')) return 'graph';
  if (lower.startsWith('/subscriptions/')) return 'arm';
  return 'entra';
}

function readBody(message: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    message.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    message.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    message.on('error', reject);
  });
}

function write(res: ServerResponse, api: ApiName, request: SimRequest | undefined, response: SimResponse): void {
  const headers: Record<string, string> = { ...(response.headers ?? {}) };
  if (api === 'graph' && request) {
    headers['request-id'] = request.requestId;
    headers['client-request-id'] = header(request, 'client-request-id') ?? request.requestId;
  }
  if (response.text !== undefined) {
    res.writeHead(response.status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(response.text);
    return;
  }
  if (response.json === undefined) {
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  const contentType = api === 'graph' ? 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8' : 'application/json; charset=utf-8';
  res.writeHead(response.status, { 'content-type': contentType, ...headers });
  res.end(JSON.stringify(response.json));
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createSimServer(deps: ServerDeps): Server {
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const api = classify(url.pathname);
    const method = (req.method ?? 'GET').toUpperCase();
    let status = 500;
    let faultInjected = false;
    let request: SimRequest | undefined;
    let tenantId: string | undefined;
    try {
      const limit = api === 'control' ? MAX_CONTROL_BODY_BYTES : MAX_BODY_BYTES;
      const body = await readBody(req, limit);
      if (body === 'too-large') {
        status = 413;
        write(res, api, undefined, { status, json: { error: { code: 'RequestEntityTooLarge', message: `The request body exceeds ${limit} bytes.` } } });
        return;
      }
      request = { method, path: decodeURIComponent(url.pathname), url, headers: req.headers, rawBody: body, requestId: randomUUID() };
      const handler = deps.handlers[api];
      if (!handler) {
        status = 404;
        write(res, api, request, { status, json: { error: { code: 'NotFound', message: `Nothing is served at ${url.pathname}.` } } });
        return;
      }
      tenantId = api === 'control' ? undefined : deps.tenantOf(api, request);
      const fault: FaultDecision | undefined = api === 'control' ? undefined : deps.faults.take(api, request, tenantId);
      if (fault && fault.latencyMs > 0 && !fault.answerLate) await delay(fault.latencyMs);
      if (fault?.response) {
        faultInjected = true;
        status = fault.response.status;
        const headers: Record<string, string> = {};
        if (fault.response.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.response.retryAfterSeconds);
        write(res, api, request, { status, headers, json: fault.response.body ?? deps.faultBody(api, request, status) });
        return;
      }
      const served = await handler(request);
      const rewrites = fault?.rewrites ?? [];
      const response = rewrites.length > 0 && served.json !== undefined ? { ...served, json: rewrites.reduce(rewriteBody, served.json) } : served;
      if (rewrites.length > 0) faultInjected = true;
      status = response.status;
      if (fault?.answerLate) {
        faultInjected = true;
        await delay(fault.latencyMs);
      }
      if (!res.destroyed) write(res, api, request, response);
    } catch (error) {
      deps.onError(error, `${method} ${url.pathname}`);
      status = 500;
      if (!res.headersSent) write(res, api, request, { status, json: { error: { code: 'InternalServerError', message: 'The simulator failed to handle this request; see its log.' } } });
      else res.end();
    } finally {
      const appId = request ? deps.appIdOf(request) : undefined;
      deps.requestLog.record({
        at: deps.clock().toISOString(),
        api,
        method,
        url: `${url.pathname}${url.search}`,
        status,
        ...(appId ? { appId } : {}),
        ...(tenantId ? { tenantId } : {}),
        ...(faultInjected ? { faultInjected } : {}),
      });
    }
  }

  return createServer({ key: deps.key, cert: deps.cert }, (req, res) => {
    void handle(req, res);
  });
}
