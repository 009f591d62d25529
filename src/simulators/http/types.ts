// The transport-neutral request/response shapes every simulated API handler works with.
import type { IncomingHttpHeaders } from 'node:http';

export const API_NAMES = ['graph', 'arm', 'entra', 'control'] as const;
export type ApiName = (typeof API_NAMES)[number];

export interface SimRequest {
  method: string;
  /** Decoded path without the query string. */
  path: string;
  url: URL;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  /** Server-generated id, echoed in Graph innerError and x-ms-request-id. */
  requestId: string;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless `text` is given. */
  json?: unknown;
  text?: string;
}

export type RouteParams = Record<string, string>;
export type Handler = (request: SimRequest, params: RouteParams) => SimResponse | Promise<SimResponse>;

export function header(request: SimRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Parses a JSON body; returns a discriminated result so callers answer with their own error shape. */
export function parseJsonBody(request: SimRequest): { ok: true; value: unknown } | { ok: false; message: string } {
  const text = request.rawBody.toString('utf8');
  if (text.trim() === '') return { ok: false, message: 'The request body is empty; a JSON object is required.' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: `The request body is not valid JSON: ${(error as Error).message}` };
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
