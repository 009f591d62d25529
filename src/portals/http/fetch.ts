// A fetch-compatible function over node:https, for the Graph SDK. Node's built-in fetch can only be
// given a custom CA through an undici `dispatcher`, and undici is neither a dependency nor importable
// from Node's bundle, so requests go through https.request with our trusting agent instead.
import https from 'node:https';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export function createAgentFetch(agent: https.Agent): FetchLike {
  return async (input, init = {}) => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : String(input));
    if (url.protocol !== 'https:') {
      // Bearer tokens must never travel in clear text.
      throw new TypeError(`refusing to send a portal request over ${url.protocol} (${url.origin}); use an https:// endpoint`);
    }
    const method = (init.method ?? request?.method ?? 'GET').toUpperCase();
    const headers = new Headers(request?.headers);
    new Headers(init.headers).forEach((value, key) => headers.set(key, value));
    const body = await bodyBytes(init.body ?? (request && method !== 'GET' && method !== 'HEAD' ? await request.arrayBuffer() : undefined));
    if (body) headers.set('content-length', String(body.byteLength));
    const signal = init.signal ?? request?.signal ?? undefined;
    signal?.throwIfAborted();

    return await new Promise<Response>((resolve, reject) => {
      const outgoing = https.request(
        url,
        { method, headers: Object.fromEntries(headers), agent, ...(signal ? { signal } : {}) },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', reject);
          incoming.on('end', () => {
            const status = incoming.statusCode ?? 502;
            const responseHeaders = new Headers();
            const raw = incoming.rawHeaders;
            for (let i = 0; i + 1 < raw.length; i += 2) responseHeaders.append(raw[i] as string, raw[i + 1] as string);
            const noBody = method === 'HEAD' || status === 204 || status === 304;
            resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, statusText: incoming.statusMessage ?? '', headers: responseHeaders }));
          });
        },
      );
      outgoing.on('error', reject);
      if (body) outgoing.write(body);
      outgoing.end();
    });
  };
}

async function bodyBytes(body: RequestInit['body'] | ArrayBuffer): Promise<Uint8Array | undefined> {
  if (body === null || body === undefined) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString(), 'utf8');
  if (body instanceof Blob) return new Uint8Array(await body.arrayBuffer());
  throw new TypeError('unsupported request body type for a portal request (use a string or bytes)');
}
