// The HTTP front door (restify). Transport only: /api/messages hands the request to the Bot
// Framework adapter, which authenticates it and runs the bot; /readyz (and /healthz, its older
// name) reports the injected checks; /livez answers as long as the process serves requests.
// No business logic here.
import restify, { type Request, type Response, type Next, type Server } from 'restify';
import type { TurnContext } from 'botbuilder';
import type { Logger } from '../observability/logger.ts';
import { createSilentLogger } from '../observability/logger.ts';
import { isLoopbackHost } from '../config/loopback.ts';

export interface HealthCheck {
  ok: boolean;
  /** Why, for the log only: never sent to the (unauthenticated) caller. */
  detail?: string;
}

/** Checks by name: store, watchers, each portal (src/observability/health-checks.ts). */
export type HealthProbe = () => Promise<Record<string, HealthCheck>>;

/** The part of the bot adapter (src/bot/adapter.ts) the server uses. */
export interface MessageAdapter {
  /** Authenticates, runs `logic` and answers; refuses unauthenticated requests without internals. */
  handleRequest(req: Request, res: Response, logic: (context: TurnContext) => Promise<void>): Promise<void>;
}

/** The part of the teams-ai Application the server uses. */
export interface TurnRunner {
  run(context: TurnContext): Promise<boolean>;
}

export interface HttpServerOptions {
  adapter: MessageAdapter;
  app: TurnRunner;
  health: HealthProbe;
  /**
   * Whether the adapter requires a valid Bot Framework token on every request. Without one, anyone
   * who can reach the port could act as any Teams user, so the server listens on loopback only,
   * whatever host listen() is given. Default false.
   */
  botAuthentication?: boolean;
  log?: Logger;
  /**
   * Largest request body accepted. Teams messages are limited to about 28 KB and card invokes are
   * smaller; 256 KB leaves room for large channel data without letting a client pin memory.
   */
  maxBodyBytes?: number;
  /** A health check that takes longer than this counts as failed. */
  healthTimeoutMs?: number;
  /** On close(), connections still busy after this are cut. */
  shutdownGraceMs?: number;
  /** Served at GET /metrics in Prometheus text format, when given. */
  metrics?: MetricsEndpoint;
  /**
   * Runs each /api/messages turn, e.g. so that the store serves a turn's calls before background
   * work (store/query-priority.ts): someone in Teams waits for its answer. Default: as is.
   */
  runTurn?: <T>(turn: () => Promise<T>) => Promise<T>;
}

/** The part of observability/metrics.ts the server uses. */
export interface MetricsEndpoint {
  readonly contentType: string;
  render(): Promise<string>;
}

export interface HttpServer {
  readonly server: Server;
  /** Binds; port 0 picks a free port. Resolves with the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting connections and waits for in-flight requests (up to shutdownGraceMs). */
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

/** The host to bind: the one asked for, or loopback when requests are not authenticated. */
export function bindHost(requested: string, botAuthentication: boolean): string {
  if (botAuthentication || isLoopbackHost(requested)) return requested;
  return requested.includes(':') ? '::1' : '127.0.0.1';
}

async function runHealth(probe: HealthProbe, timeoutMs: number): Promise<Record<string, HealthCheck>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Record<string, HealthCheck>>((resolve) => {
    timer = setTimeout(() => resolve({ health: { ok: false, detail: `checks did not answer within ${timeoutMs} ms` } }), timeoutMs);
  });
  try {
    return await Promise.race([probe(), timeout]);
  } catch (error) {
    return { health: { ok: false, detail: `checks failed: ${error instanceof Error ? error.message : String(error)}` } };
  } finally {
    clearTimeout(timer);
  }
}

function isServiceUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const log = options.log ?? createSilentLogger();
  const runTurn = options.runTurn ?? ((turn) => turn());
  const maxBodySize = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const healthTimeoutMs = options.healthTimeoutMs ?? 5000;
  const shutdownGraceMs = options.shutdownGraceMs ?? 10_000;

  const server = restify.createServer({ name: 'incident-bridge', handleUncaughtExceptions: false });

  server.pre((req: Request, res: Response, next: Next) => {
    // Compressed bodies are refused: restify counts compressed bytes against maxBodySize, so a
    // small gzip body could still inflate without bound. The Bot Connector does not compress.
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') {
      res.send(415, { code: 'UnsupportedMediaType', message: 'Content-Encoding is not supported; send the body uncompressed.' });
      return next(false);
    }
    return next();
  });

  // JSON only (no forms, no multipart). Malformed JSON -> 400, oversized -> 413, both by restify.
  // (restify's bodyReader honours maxBodySize; @types/restify 8 does not declare it.)
  const parserOptions: restify.plugins.JsonBodyParserOptions & { maxBodySize: number } = { maxBodySize, mapParams: false };
  server.use(restify.plugins.jsonBodyParser(parserOptions));

  server.post('/api/messages', async (req: Request, res: Response) => {
    // Shape check only (the adapter validates the rest): botbuilder throws, rather than answering
    // 400, for some non-activities such as {}.
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof (body as { type?: unknown }).type !== 'string') {
      res.send(400, { code: 'BadRequest', message: 'Expected a Bot Framework activity: a JSON object with a "type".' });
      return;
    }
    // Every channel names the service to answer; without one, botbuilder would look up a host
    // called "undefined" and hold the request for the resolver's timeout.
    if (!isServiceUrl((body as { serviceUrl?: unknown }).serviceUrl)) {
      res.send(400, { code: 'BadRequest', message: 'The activity has no valid "serviceUrl" (an http or https URL).' });
      return;
    }
    try {
      await runTurn(() =>
        options.adapter.handleRequest(req, res, async (context) => {
          await options.app.run(context);
        }),
      );
    } catch (error) {
      log.error({ err: error }, 'the bot adapter failed to process a request');
      if (!res.headersSent) res.send(500, { code: 'InternalError', message: 'The bot could not process the request.' });
    }
  });

  // Readiness is unauthenticated: it names the checks that failed, and the log says why (error
  // texts can carry SQL, host names or tokens' claims). A failure is logged when it starts or its
  // reason changes, not on every probe.
  const loggedFailures = new Map<string, string>();
  const logHealth = (checks: Record<string, HealthCheck>) => {
    for (const [name, check] of Object.entries(checks)) {
      const detail = check.detail ?? 'failed';
      if (!check.ok && loggedFailures.get(name) !== detail) {
        loggedFailures.set(name, detail);
        log.warn({ check: name, detail }, 'health check failed');
      } else if (check.ok && loggedFailures.delete(name)) {
        log.info({ check: name }, 'health check recovered');
      }
    }
  };
  const readiness = async (_req: Request, res: Response) => {
    const checks = await runHealth(options.health, healthTimeoutMs);
    logHealth(checks);
    const ok = Object.values(checks).every((check) => check.ok);
    const shown = Object.fromEntries(Object.entries(checks).map(([name, check]) => [name, { ok: check.ok }]));
    res.send(ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', checks: shown });
  };
  // A portal or store outage takes a replica out of the load balancer (readiness), never restarts
  // it (liveness): a restart cannot bring a portal back, and would drop the work in flight.
  server.get('/readyz', readiness);
  server.get('/healthz', readiness);
  // Liveness asks nothing: an answer means the event loop runs and the server accepts requests.
  server.get('/livez', (_req: Request, res: Response, next: Next) => {
    res.send(200, { status: 'ok' });
    next();
  });

  const metrics = options.metrics;
  if (metrics) {
    server.get('/metrics', async (_req: Request, res: Response) => {
      const body = await metrics.render();
      res.setHeader('Content-Type', metrics.contentType);
      res.sendRaw(200, body);
    });
  }

  server.on('restifyError', (req: Request, res: Response, error: Error & { statusCode?: number }, callback: () => void) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) log.error({ err: error, path: req.path() }, 'request failed');
    else log.info({ status, path: req.path(), reason: error.message }, 'request refused');
    callback();
  });

  return {
    server,
    listen(port, requested = '127.0.0.1') {
      const host = bindHost(requested, options.botAuthentication ?? false);
      if (host !== requested) {
        log.warn({ requested, host }, `Bot Framework authentication is off (no BOT_ID): listening on ${host} only, not ${requested}. Set BOT_ID to accept requests from other hosts.`);
      }
      return new Promise((resolve, reject) => {
        server.server.once('error', reject);
        server.listen(port, host, () => {
          server.server.off('error', reject);
          const address = server.server.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        if (!server.server.listening) {
          resolve();
          return;
        }
        const force = setTimeout(() => server.server.closeAllConnections(), shutdownGraceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        // Keep-alive connections that are idle would hold close() open until they time out.
        server.server.closeIdleConnections();
      });
    },
  };
}
