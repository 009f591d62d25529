// The Graph SDK's middleware chain for our needs: retry (Retry-After, backoff, bounded) ->
// the SDK's AuthenticationHandler (attaches the token only to Graph hosts and customHosts, over
// https) -> a fetch handler that sends through our TLS-trusting fetch. The SDK's own RetryHandler
// is not used: it sleeps with its own timer (tests could not inject time), retries only 429/503/504,
// and has no bound on the total wait.
import {
  AuthenticationHandler,
  Client,
  GraphClientError,
  GraphError,
  type AuthenticationProvider,
  type Context,
  type GraphRequest,
  type Middleware,
  type MiddlewareOptions,
} from '@microsoft/microsoft-graph-client';
import type { TokenCredential } from '@azure/identity';
import { PortalError, type PortalErrorSource } from '../../domain/errors.ts';
import { createPortalConnection, GRAPH_SCOPE, type PortalConnectionOptions } from '../http/credential.ts';
import { createAgentFetch } from '../http/fetch.ts';
import { realSleep } from '../http/retry.ts';
import { abortedByCaller, portalErrorFromHttp, portalErrorFromNetwork } from '../http/errors.ts';
import type { FetchLike } from '../http/fetch.ts';
import { decideRetry, parseRetryAfterSeconds, type RetryPolicyOptions, type Sleep } from '../http/retry.ts';
import { UNRECORDED, type PortalOperation, type PortalRequestRecorder } from '../http/request-recorder.ts';

export interface GraphPipelineOptions {
  graphEndpoint: string;
  credential: TokenCredential;
  fetch: FetchLike;
  retry: RetryPolicyOptions;
  sleep: Sleep;
  random: () => number;
  now: () => number;
  requests: PortalRequestRecorder;
}

/** A Graph connection's settings: where, as whom, and the test seams (fetch, sleep, random, clock). */
export type GraphConnectionOptions = PortalConnectionOptions & {
  graphEndpoint: string;
  fetch?: FetchLike;
  sleep?: Sleep;
  random?: () => number;
  now?: () => number;
  /** Told about every request sent (metrics). Default: nobody. */
  requests?: PortalRequestRecorder;
};

/** The Graph client over the portals' TLS trust, credential and retry policy. */
export function connectGraph(options: GraphConnectionOptions, retry: RetryPolicyOptions): Client {
  const { agent, credential } = createPortalConnection(options);
  return createGraphClient({
    graphEndpoint: options.graphEndpoint,
    credential,
    fetch: options.fetch ?? createAgentFetch(agent),
    retry,
    sleep: options.sleep ?? realSleep,
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
    requests: options.requests ?? UNRECORDED,
  });
}

/** A request's operation, for the request recorder: carried as the SDK's per-request middleware option. */
export class PortalOperationOption implements MiddlewareOptions {
  readonly operation: PortalOperation;
  constructor(operation: PortalOperation) {
    this.operation = operation;
  }
}

/** Names what `request` is for; a request without a name is recorded as 'other'. */
export function forOperation(request: GraphRequest, operation: PortalOperation): GraphRequest {
  return request.middlewareOptions([new PortalOperationOption(operation)]);
}

/** A token failure, carried through the SDK untouched (it rethrows GraphClientError as is). */
export class GraphTokenError extends GraphClientError {
  constructor(cause: unknown) {
    super(`could not get a Microsoft Graph token: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'GraphTokenError';
    this.customError = cause;
  }
}

export function createGraphClient(options: GraphPipelineOptions): Client {
  const endpoint = new URL(options.graphEndpoint);
  if (endpoint.protocol !== 'https:') throw new TypeError('graphEndpoint must be an https:// URL: the Graph SDK only attaches tokens over https');
  const authProvider: AuthenticationProvider = {
    async getAccessToken() {
      let token;
      try {
        token = await options.credential.getToken(GRAPH_SCOPE);
      } catch (cause) {
        throw new GraphTokenError(cause);
      }
      if (!token) throw new GraphTokenError(new Error('the credential returned no token'));
      return token.token;
    },
  };
  return Client.initWithMiddleware({
    baseUrl: `${options.graphEndpoint.replace(/\/+$/, '')}/`,
    defaultVersion: 'v1.0',
    // Hostnames only: the SDK attaches the bearer token to Graph's own hosts and these.
    customHosts: new Set([endpoint.hostname]),
    middleware: [new RetryMiddleware(options), new AuthenticationHandler(authProvider), new FetchHandler(options.fetch)],
  });
}

class RetryMiddleware implements Middleware {
  #next: Middleware | undefined;
  readonly #options: GraphPipelineOptions;
  constructor(options: GraphPipelineOptions) {
    this.#options = options;
  }
  setNext(next: Middleware): void {
    this.#next = next;
  }
  async execute(context: Context): Promise<void> {
    const next = this.#next;
    if (!next) throw new Error('RetryMiddleware has no next middleware');
    const { retry, sleep, random, now, requests } = this.#options;
    const operation = (context.middlewareControl?.getMiddlewareOptions(PortalOperationOption) as PortalOperationOption | undefined)?.operation ?? 'other';
    const callerSignal = context.options?.signal ?? undefined;
    const method = (context.options?.method ?? 'GET').toUpperCase();
    // The AuthenticationHandler appends its header ("…, Bearer …" on a second pass), so every
    // attempt starts from the caller's original headers.
    const originalHeaders = context.options?.headers;
    let retriesSoFar = 0;
    let waitedMs = 0;
    for (;;) {
      const timeout = AbortSignal.timeout(retry.requestTimeoutMs);
      context.options = {
        ...context.options,
        headers: cloneHeaders(originalHeaders),
        signal: callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout,
      };
      let failure: unknown;
      try {
        await next.execute(context);
      } catch (error) {
        if (callerSignal?.aborted || error instanceof GraphClientError) throw error;
        failure = error;
      }
      const response = failure === undefined ? context.response : undefined;
      const status = response?.status;
      requests.recordRequest(operation, status);
      const decision = decideRetry(
        {
          retriesSoFar,
          waitedMs,
          ...(status !== undefined ? { status } : {}),
          ...(response ? retryAfterOf(response, now()) : {}),
          idempotent: method !== 'POST',
        },
        retry,
        random,
      );
      if (!decision.retry) {
        if (failure !== undefined) throw failure;
        return;
      }
      await response?.arrayBuffer().catch(() => undefined);
      await sleep(decision.delayMs, callerSignal);
      waitedMs += decision.delayMs;
      retriesSoFar += 1;
    }
  }
}

function cloneHeaders(headers: RequestInit['headers']): NonNullable<RequestInit['headers']> {
  if (headers === undefined) return {};
  if (headers instanceof Headers) return new Headers(headers);
  if (Array.isArray(headers)) return headers.map((pair) => [...pair]);
  return { ...headers };
}

function retryAfterOf(response: Response, nowMs: number): { retryAfterSeconds?: number } {
  const seconds = parseRetryAfterSeconds(response.headers.get('retry-after'), nowMs);
  return seconds === undefined ? {} : { retryAfterSeconds: seconds };
}

class FetchHandler implements Middleware {
  readonly #fetch: FetchLike;
  constructor(fetchImpl: FetchLike) {
    this.#fetch = fetchImpl;
  }
  setNext(): void {}
  async execute(context: Context): Promise<void> {
    context.response = await this.#fetch(context.request as string | Request, context.options as RequestInit);
  }
}

/** What a Graph SDK call threw, as a coded PortalError of `source` (the caller's own abort passes through). */
export function graphFailureToPortalError(source: PortalErrorSource, what: string, error: unknown, signal: AbortSignal | undefined, nowMs: number): unknown {
  if (abortedByCaller(signal)) return signal?.reason ?? error;
  if (error instanceof PortalError) return error;
  if (error instanceof GraphTokenError) {
    return new PortalError(source, 'unauthorized', `${source} ${what}: ${error.message}. Check the tenant id, client id, client secret and authority host.`, {
      cause: error.customError ?? error,
    });
  }
  if (error instanceof GraphError && error.statusCode > 0) {
    const retryAfterSeconds = parseRetryAfterSeconds(error.headers?.get('retry-after'), nowMs);
    return portalErrorFromHttp(source, what, {
      status: error.statusCode,
      ...(error.code ? { code: error.code } : {}),
      ...(error.message ? { message: error.message } : {}),
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      cause: error,
    });
  }
  return portalErrorFromNetwork(source, what, error);
}
