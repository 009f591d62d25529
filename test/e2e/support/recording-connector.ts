// A minimal Bot Connector on a loopback port, for HTTP-level tests of what the Agents Playground
// does not do. It records every call the bot makes, gives sent activities an id, and has no roster
// (member lookups answer 404, as for a guest the roster cannot see). hang() turns it into a
// connector that accepts calls and never answers them.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConnectorCall {
  method: string;
  /** Decoded path, e.g. /v3/conversations/19:general@thread.tacv2/activities */
  path: string;
  body: Record<string, unknown> | null;
  /** The activity id the connector answered with (sends, replies, updates). */
  responseId?: string;
}

export interface RecordingConnector {
  /** The serviceUrl to put in activities. */
  readonly url: string;
  readonly calls: ConnectorCall[];
  /** From now on, every call is accepted and left unanswered (close() cuts them). */
  hang(): void;
  /** Calls left unanswered so far. */
  readonly held: number;
  close(): Promise<void>;
}

const SEND_OR_REPLY = /^\/v3\/conversations\/[^/]+\/activities(\/[^/]+)?$/;
/** Teams' own limit for a bot message is about 28 KB; anything far above that is a bug here. */
const MAX_BODY_BYTES = 1024 * 1024;

export async function startRecordingConnector(): Promise<RecordingConnector> {
  const calls: ConnectorCall[] = [];
  let nextId = 1;
  let hanging = false;
  let held = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (hanging) {
      held += 1;
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://connector').pathname);
      let body: Record<string, unknown> | null = null;
      try {
        const raw = Buffer.concat(chunks).toString('utf8');
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
      } catch {
        res.statusCode = 400;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ error: { code: 'BadArgument', message: 'body is not JSON' } }));
        return;
      }
      const call: ConnectorCall = { method: req.method ?? '', path, body };
      calls.push(call);
      res.setHeader('content-type', 'application/json');
      if ((req.method === 'POST' || req.method === 'PUT') && SEND_OR_REPLY.test(path)) {
        call.responseId = req.method === 'PUT' ? String(body?.['id'] ?? '') : `activity-${nextId++}`;
        res.end(JSON.stringify({ id: call.responseId }));
        return;
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { code: 'NotFound', message: `no ${req.method} ${path} here` } }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    calls,
    hang() {
      hanging = true;
    },
    get held() {
      return held;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
