// Fault injection: the next `count` requests matching api/method/path get a chosen status (with
// an optional Retry-After and body) or extra latency. Pure matching; the server applies the result.
import { isPlainObject } from './types.ts';
import type { ApiName, SimRequest } from './types.ts';

export const FAULT_APIS = ['graph', 'arm', 'entra'] as const;

export interface FaultSpec {
  api: (typeof FAULT_APIS)[number];
  method?: string;
  /** A regular expression tested against the request path (without query string). */
  pathPattern?: string;
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
}

export interface FaultInjector {
  add(spec: FaultSpec): void;
  clear(): void;
  list(): Array<FaultSpec & { remaining: number }>;
  /** Consumes one use of the first matching fault, if any. */
  take(api: ApiName, request: SimRequest): FaultDecision | undefined;
}

/** Validates control-API input into a FaultSpec, or returns a message saying what is wrong. */
export function parseFaultSpec(input: unknown): FaultSpec | string {
  if (!isPlainObject(input)) return 'body must be a JSON object';
  const { api, method, pathPattern, status, retryAfterSeconds, count, latencyMs, answerLate, body } = input;
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
  if (status === undefined && latencyMs === undefined) return "give 'status', 'latencyMs' or both";
  if (answerLate !== undefined && (typeof answerLate !== 'boolean' || (answerLate && (status !== undefined || latencyMs === undefined)))) {
    return "'answerLate' is a boolean, and needs 'latencyMs' without 'status'";
  }
  const spec: FaultSpec = { api: api as FaultSpec['api'], count: count as number };
  if (method !== undefined) spec.method = method.toUpperCase();
  if (pathPattern !== undefined) spec.pathPattern = pathPattern;
  if (status !== undefined) spec.status = status as number;
  if (retryAfterSeconds !== undefined) spec.retryAfterSeconds = retryAfterSeconds as number;
  if (latencyMs !== undefined) spec.latencyMs = latencyMs as number;
  if (answerLate === true) spec.answerLate = true;
  if (body !== undefined) spec.body = body;
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
    take(api, request) {
      const fault = faults.find(
        (candidate) =>
          candidate.spec.api === api &&
          (!candidate.spec.method || candidate.spec.method === request.method.toUpperCase()) &&
          (!candidate.pattern || candidate.pattern.test(request.path)),
      );
      if (!fault) return undefined;
      fault.remaining -= 1;
      if (fault.remaining <= 0) faults = faults.filter((candidate) => candidate !== fault);
      const decision: FaultDecision = { latencyMs: fault.spec.latencyMs ?? 0, answerLate: fault.spec.answerLate === true };
      if (fault.spec.status !== undefined) {
        decision.response = { status: fault.spec.status };
        if (fault.spec.retryAfterSeconds !== undefined) decision.response.retryAfterSeconds = fault.spec.retryAfterSeconds;
        if (fault.spec.body !== undefined) decision.response.body = fault.spec.body;
      }
      return decision;
    },
  };
}
