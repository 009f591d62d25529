// A fake Bot Connector: the service a Teams activity names as serviceUrl, to receive the bot's
// replies and proactive messages. New activities get an id; member lookups answer 404 (no roster).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConnectorCall {
  method: string;
  url: string;
  body: Record<string, unknown> | null;
}

export interface FakeConnector {
  server: Server;
  /** Ends with a slash, as Teams' serviceUrl does. */
  url: string;
  calls: ConnectorCall[];
  close(): Promise<void>;
}

export async function startFakeConnector(): Promise<FakeConnector> {
  const calls: ConnectorCall[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      calls.push({ method: req.method ?? '', url: req.url ?? '', body: raw ? (JSON.parse(raw) as Record<string, unknown>) : null });
      res.setHeader('content-type', 'application/json');
      if ((req.method === 'POST' || req.method === 'PUT') && /\/v3\/conversations\/[^/]+\/activities/.test(req.url ?? '')) {
        res.end(JSON.stringify({ id: `sent-${calls.length}` }));
        return;
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { code: 'NotFound', message: 'not here' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
