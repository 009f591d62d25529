// Fault injection: the next `count` requests matching api/method/path get a chosen status (with
// an optional Retry-After and body), extra latency, or a served body with one field rewritten (a
// portal serving a malformed value, such as a timestamp that is no instant). Pure matching and
// rewriting; the server applies the result.
import { isPlainObject } from './types.ts';
import type { ApiName, SimRequest } from './types.ts';

export const FAULT_APIS = ['graph', 'arm', 'entra'] as const;

export interface FaultSpec {
  api: (typeof FAULT_APIS)[number];
  method?: string;
  /** A regular expression tested against the request path (without query string). */
  pathPattern?: string;
  /**
   * Only requests served by this tenant (Graph: the token's tenant; ARM: the tenant owning the
   * workspace the path names; Entra: the tenant in the path), so one customer's throttling can be
   * staged while another's is not. Omitted: any tenant.
   */
  tenant?: string;
  /** Omitted: latency only, then the request is served normally. */
  status?: number;
  retryAfterSeconds?: number;
  count: number;
  latencyMs?: number;
  /**
   * Latency only: serve the request first (a write happens), then wait `latencyMs` before
   * answering, as a portal that applied a write whose answer the client then lost to its timeout.
   */
  answerLate?: boolean;
  body?: unknown;
  /** Serve the response as usual, but with this field rewritten (see rewriteBody). */
  rewrite?: BodyRewrite;
}

/**
 * A field of the served records to replace: `field` is a dotted path within each record
 * ('lastUpdateDateTime', 'properties.lastModifiedTimeUtc'); the records are the items of a list
 * response's `value`, or a single resource's body. `id` (a record's `id` or ARM `name`) limits it
 * to one record. `value` null removes the field (a portal leaving it out).
 */
export interface BodyRewrite {
  field: string;
  value: unknown;
  id?: string;
}

interface ActiveFault {
  spec: FaultSpec;
  pattern: RegExp | undefined;
  remaining: number;
}

export interface FaultDecision {
  latencyMs: number;
  /** Wait after serving instead of before. */
  answerLate: boolean;
  /** Set when the request must be answered by the fault instead of the simulator. */
  response?: { status: number; retryAfterSeconds?: number; body?: unknown };
  /** Set when the simulator's own response is served with fields rewritten, in this order. */
  rewrites?: BodyRewrite[];
}

function parseRewrite(input: unknown): BodyRewrite | string {
  if (!isPlainObject(input)) return "'rewrite' must be an object { field, value, id? }";
  const { field, value, id } = input;
  if (typeof field !== 'string' || !/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(field)) return "'rewrite.field' must be a dotted field path such as properties.lastModifiedTimeUtc";
  if (!('value' in input)) return "'rewrite.value' is required (null removes the field)";
  if (id !== undefined && typeof id !== 'string') return "'rewrite.id' must be a string";
  return { field, value, ...(id !== undefined ? { id } : {}) };
}

/** Rewrites `rewrite.field` in each matching record of a served JSON body; returns a new body. */
export function rewriteBody(body: unknown, rewrite: BodyRewrite): unknown {
  const copy = structuredClone(body);
  const records = isPlainObject(copy) && Array.isArray(copy.value) ? copy.value : [copy];
  const path = rewrite.field.split('.');
  const last = path.pop() as string;
  for (const record of records) {
    if (!isPlainObject(record)) continue;
    if (rewrite.id !== undefined && record.id !== rewrite.id && record.name !== rewrite.id) continue;
    let target: Record<string, unknown> = record;
    for (const key of path) {
      const next = target[key];
      if (!isPlainObject(next)) break;
      target = next;
    }
    if (rewrite.value === null) delete target[last];
    else target[last] = rewrite.value;
  }
  return copy;
}

export interface FaultInjector {
  add(spec: FaultSpec): void;
  clear(): void;
  list(): Array<FaultSpec & { remaining: number }>;
  /** Consumes one use of the first matching fault, if any. `tenant`: the tenant serving the request. */
  take(api: ApiName, request: SimRequest, tenant?: string): FaultDecision | undefined;
}

/** Validates control-API input into a FaultSpec, or returns a message saying what is wrong. */
export function parseFaultSpec(input: unknown): FaultSpec | string {
  if (!isPlainObject(input)) return 'body must be a JSON object';
  const { api, method, pathPattern, tenant, status, retryAfterSeconds, count, latencyMs, answerLate, body, rewrite } = input;
  if (typeof api !== 'string' || !(FAULT_APIS as readonly string[]).includes(api)) {
    return `'api' must be one of ${FAULT_APIS.join(', ')}`;
  }
  if (method !== undefined && typeof method !== 'string') return "'method' must be a string";
  if (pathPattern !== undefined) {
    if (typeof pathPattern !== 'string') return "'pathPattern' must be a string (a regular expression)";
    try {
      new RegExp(pathPattern);
    } catch (error) {
      return `'pathPattern' is not a valid regular expression: ${(error as Error).message}`;
    }
  }
  if (tenant !== undefined && (typeof tenant !== 'string' || tenant.trim() === '')) return "'tenant' must be a tenant id";
  if (status !== undefined && (!Number.isInteger(status) || (status as number) < 100 || (status as number) > 599)) {
    return "'status' must be an HTTP status code (100-599)";
  }
  if (!Number.isInteger(count) || (count as number) < 1) return "'count' must be an integer >= 1";
  if (retryAfterSeconds !== undefined && (!Number.isFinite(retryAfterSeconds) || (retryAfterSeconds as number) < 0)) {
    return "'retryAfterSeconds' must be a number >= 0";
  }
  if (latencyMs !== undefined && (!Number.isFinite(latencyMs) || (latencyMs as number) < 0)) {
    return "'latencyMs' must be a number >= 0";
  }
  let parsedRewrite: BodyRewrite | undefined;
  if (rewrite !== undefined) {
    const parsed = parseRewrite(rewrite);
    if (typeof parsed === 'string') return parsed;
    if (status !== undefined) return "'rewrite' changes the simulator's own response: give it without 'status'";
    parsedRewrite = parsed;
  }
  if (status === undefined && latencyMs === undefined && parsedRewrite === undefined) return "give 'status', 'latencyMs', 'rewrite', or 'latencyMs' with one of the others";
  if (answerLate !== undefined && (typeof answerLate !== 'boolean' || (answerLate && (status !== undefined || latencyMs === undefined)))) {
    return "'answerLate' is a boolean, and needs 'latencyMs' without 'status'";
  }
  const spec: FaultSpec = { api: api as FaultSpec['api'], count: count as number };
  if (method !== undefined) spec.method = method.toUpperCase();
  if (pathPattern !== undefined) spec.pathPattern = pathPattern;
  if (tenant !== undefined) spec.tenant = tenant as string;
  if (status !== undefined) spec.status = status as number;
  if (retryAfterSeconds !== undefined) spec.retryAfterSeconds = retryAfterSeconds as number;
  if (latencyMs !== undefined) spec.latencyMs = latencyMs as number;
  if (answerLate === true) spec.answerLate = true;
  if (body !== undefined) spec.body = body;
  if (parsedRewrite !== undefined) spec.rewrite = parsedRewrite;
  return spec;
}

export function createFaultInjector(): FaultInjector {
  let faults: ActiveFault[] = [];
  return {
    add(spec) {
      faults.push({ spec, pattern: spec.pathPattern ? new RegExp(spec.pathPattern) : undefined, remaining: spec.count });
    },
    clear() {
      faults = [];
    },
    list() {
      return faults.map((fault) => ({ ...fault.spec, remaining: fault.remaining }));
    },
    take(api, request, tenant) {
      const matches = (candidate: ActiveFault) =>
        candidate.spec.api === api &&
        (!candidate.spec.tenant || candidate.spec.tenant.toLowerCase() === tenant?.toLowerCase()) &&
        (!candidate.spec.method || candidate.spec.method === request.method.toUpperCase()) &&
        (!candidate.pattern || candidate.pattern.test(request.path));
      // Rewrites of different fields or records combine: every matching one applies, in the
      // order added. Of the other faults, the first that matches answers.
      const rewrites = faults.filter((candidate) => candidate.spec.rewrite !== undefined && matches(candidate));
      const fault = faults.find((candidate) => candidate.spec.rewrite === undefined && matches(candidate));
      const taken = fault ? [...rewrites, fault] : rewrites;
      if (taken.length === 0) return undefined;
      for (const used of taken) used.remaining -= 1;
      faults = faults.filter((candidate) => candidate.remaining > 0);
      const decision: FaultDecision = { latencyMs: Math.max(...taken.map((used) => used.spec.latencyMs ?? 0)), answerLate: taken.some((used) => used.spec.answerLate === true) };
      if (fault?.spec.status !== undefined) {
        decision.response = { status: fault.spec.status };
        if (fault.spec.retryAfterSeconds !== undefined) decision.response.retryAfterSeconds = fault.spec.retryAfterSeconds;
        if (fault.spec.body !== undefined) decision.response.body = fault.spec.body;
      }
      if (rewrites.length > 0) decision.rewrites = rewrites.map((used) => used.spec.rewrite as BodyRewrite);
      return decision;
    },
  };
}
