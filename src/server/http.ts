// The HTTP front door (restify). Transport only: /api/messages hands the request to the Bot
// Framework adapter, which authenticates it and runs the bot; /healthz reports the injected checks.
// No business logic here.
import restify, { type Request, type Response, type Next, type Server } from 'restify';
import type { TurnContext } from 'botbuilder';
import type { Logger } from '../observability/logger.ts';
import { createSilentLogger } from '../observability/logger.ts';

export interface HealthCheck {
  ok: boolean;
  detail?: string;
}

/** Checks by name: store, watchers, each portal. */
export type HealthProbe = () => Promise<Record<string, HealthCheck>>;

/** The part of botbuilder's CloudAdapter the server uses. */
export interface MessageAdapter {
  process(req: Request, res: Response, logic: (context: TurnContext) => Promise<void>): Promise<void>;
}

/** The part of the teams-ai Application the server uses. */
export interface TurnRunner {
  run(context: TurnContext): Promise<boolean>;
}

export interface HttpServerOptions {
  adapter: MessageAdapter;
  app: TurnRunner;
  health: HealthProbe;
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

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const log = options.log ?? createSilentLogger();
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
    try {
      await options.adapter.process(req, res, async (context) => {
        await options.app.run(context);
      });
    } catch (error) {
      log.error({ err: error }, 'the bot adapter failed to process a request');
      if (!res.headersSent) res.send(500, { code: 'InternalError', message: 'The bot could not process the request.' });
    }
  });

  server.get('/healthz', async (_req: Request, res: Response) => {
    const checks = await runHealth(options.health, healthTimeoutMs);
    const ok = Object.values(checks).every((check) => check.ok);
    res.send(ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', checks });
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
    listen(port, host = '127.0.0.1') {
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
