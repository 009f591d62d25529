// The ARM client. We construct @azure/arm-securityinsight's SecurityInsights client for its
// configured pipeline (endpoint override, bearer-token policy with explicit ARM scopes, our
// HttpClient, our retry policy) and send raw JSON requests through it with
// `sendRequest`, instead of its typed operations, because:
// - its models are generated from 2022-09-01-preview and flatten `properties`; properties the
//   model does not know are dropped on read, and a read-modify-write PUT would then lose them;
// - its IncidentLabel.labelType is read-only in the mapper, so a PUT would turn AutoAssigned labels
//   into User labels;
// - settings (EntityAnalytics), dataTypes.alerts and filteredProviders need newer shapes than it has.
// One wire shape (the spec's JSON) then serves mapping, tests and the simulator contract alike.
import { SecurityInsights } from '@azure/arm-securityinsight';
import type { TokenCredential } from '@azure/identity';
import { createHttpHeaders, createPipelineRequest, type HttpClient, type PipelinePolicy, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import type { Portal } from '../../domain/incident.ts';
import { ARM_SCOPE } from '../http/credential.ts';
import { abortedByCaller, invalidResponse, portalErrorFromHttp, portalErrorFromNetwork } from '../http/errors.ts';
import { decideRetry, parseRetryAfterSeconds, type RetryPolicyOptions, type Sleep } from '../http/retry.ts';
import { UNRECORDED, type PortalOperation, type PortalRequestRecorder } from '../http/request-recorder.ts';

export interface ArmPipelineOptions {
  armEndpoint: string;
  subscriptionId: string;
  apiVersion: string;
  credential: TokenCredential;
  httpClient: HttpClient;
  retry: RetryPolicyOptions;
  sleep: Sleep;
  random: () => number;
  now: () => number;
  /** Told about every request sent, retries included (metrics). Default: nobody. */
  requests?: PortalRequestRecorder;
}

export interface ArmResponse {
  status: number;
  body: unknown;
  headers: PipelineResponse['headers'];
}

export interface ArmRequester {
  readonly endpoint: string;
  /**
   * `pathOrUrl`: a path under the endpoint (api-version is added) or an absolute nextLink of the
   * same origin (used verbatim: it carries api-version and $skipToken).
   */
  send(
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    pathOrUrl: string,
    options?: { body?: unknown; signal?: AbortSignal; apiVersion?: string; what?: string; operation?: PortalOperation },
  ): Promise<ArmResponse>;
}

/**
 * Retries for the ARM pipeline, in the Retry phase (replacing the default policy). `attempted` is
 * told about each attempt that was sent: its status, or undefined when no response came.
 */
export function createArmRetryPolicy(
  options: Pick<ArmPipelineOptions, 'retry' | 'sleep' | 'random' | 'now'>,
  attempted: (request: PipelineRequest, status: number | undefined) => void = () => undefined,
): PipelinePolicy {
  return {
    name: 'incidentBridgeRetryPolicy',
    async sendRequest(request, next) {
      const callerSignal = request.abortSignal;
      let retriesSoFar = 0;
      let waitedMs = 0;
      for (;;) {
        request.timeout = options.retry.requestTimeoutMs;
        let response: PipelineResponse | undefined;
        let failure: unknown;
        try {
          response = await next(request);
        } catch (error) {
          if (callerSignal?.aborted) throw error;
          failure = error;
        }
        attempted(request, response?.status);
        const retryAfterSeconds = response ? parseRetryAfterSeconds(response.headers.get('retry-after'), options.now()) : undefined;
        const decision = decideRetry(
          {
            retriesSoFar,
            waitedMs,
            ...(response ? { status: response.status } : {}),
            ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
            idempotent: request.method !== 'POST',
          },
          options.retry,
          options.random,
        );
        if (!decision.retry) {
          if (response) return response;
          throw failure;
        }
        await options.sleep(decision.delayMs, callerSignal as AbortSignal | undefined);
        waitedMs += decision.delayMs;
        retriesSoFar += 1;
      }
    },
  };
}

export function createArmRequester(options: ArmPipelineOptions, portal: Portal = 'sentinel'): ArmRequester {
  const endpoint = options.armEndpoint.replace(/\/+$/, '');
  const origin = new URL(endpoint).origin;
  if (!endpoint.startsWith('https://')) throw new TypeError('armEndpoint must be an https:// URL: the bearer policy refuses to send tokens over http');
  const client = new SecurityInsights(options.credential, options.subscriptionId, {
    endpoint,
    // No `apiVersion` here: the SDK would then rewrite every api-version in every URL to that one
    // value, and settings/checkRequirements need a preview version. We pin it in each URL instead.
    // Without this the SDK would ask for `${endpoint}/.default`, which is wrong for any non-public endpoint.
    credentialScopes: [ARM_SCOPE],
    httpClient: options.httpClient,
  });
  // What each request is for, as its caller named it, for the request recorder.
  const operations = new WeakMap<PipelineRequest, PortalOperation>();
  const requests = options.requests ?? UNRECORDED;
  client.pipeline.removePolicy({ phase: 'Retry' });
  client.pipeline.addPolicy(
    createArmRetryPolicy(options, (request, status) => requests.recordRequest(operations.get(request) ?? 'other', status)),
    { phase: 'Retry' },
  );

  return {
    endpoint,
    async send(method, pathOrUrl, requestOptions = {}) {
      const what = requestOptions.what ?? `${method} ${pathOrUrl.split('?')[0]}`;
      let url: string;
      if (/^https?:\/\//i.test(pathOrUrl)) {
        if (new URL(pathOrUrl).origin !== origin) throw invalidResponse(portal, what, `a nextLink points to another origin (${new URL(pathOrUrl).origin})`);
        url = pathOrUrl;
      } else {
        const separator = pathOrUrl.includes('?') ? '&' : '?';
        url = `${endpoint}${pathOrUrl}${separator}api-version=${encodeURIComponent(requestOptions.apiVersion ?? options.apiVersion)}`;
      }
      const request = createPipelineRequest({
        url,
        method,
        headers: createHttpHeaders({ accept: 'application/json', ...(requestOptions.body !== undefined ? { 'content-type': 'application/json' } : {}) }),
        ...(requestOptions.body !== undefined ? { body: JSON.stringify(requestOptions.body) } : {}),
        ...(requestOptions.signal ? { abortSignal: requestOptions.signal } : {}),
      });
      operations.set(request, requestOptions.operation ?? 'other');
      let response: PipelineResponse;
      try {
        response = await client.sendRequest(request);
      } catch (error) {
        if (abortedByCaller(requestOptions.signal)) throw requestOptions.signal?.reason ?? error;
        if (isRestErrorWithStatus(error)) {
          throw portalErrorFromHttp(portal, what, { status: error.statusCode, message: error.message, cause: error });
        }
        if (isAuthenticationFailure(error)) {
          throw portalErrorFromHttp(portal, what, { status: 401, message: (error as Error).message, cause: error });
        }
        throw portalErrorFromNetwork(portal, what, error);
      }
      const text = response.bodyAsText ?? '';
      let body: unknown = undefined;
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch (cause) {
          if (response.status < 400) throw invalidResponse(portal, what, 'the body is not JSON', cause);
          body = { error: { message: text.slice(0, 500) } };
        }
      }
      return { status: response.status, body, headers: response.headers };
    },
  };
}

function isRestErrorWithStatus(error: unknown): error is { statusCode: number; message: string } {
  return typeof error === 'object' && error !== null && typeof (error as { statusCode?: unknown }).statusCode === 'number';
}

function isAuthenticationFailure(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'AuthenticationError' || name === 'CredentialUnavailableError' || name === 'AuthenticationRequiredError';
}

/** Turns a non-2xx ARM response into a PortalError carrying ARM's `{error:{code,message}}`. */
export function armFailure(portal: Portal, what: string, response: ArmResponse, nowMs: number) {
  const error = (response.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const retryAfterSeconds = parseRetryAfterSeconds(response.headers.get('retry-after'), nowMs);
  return portalErrorFromHttp(portal, what, {
    status: response.status,
    ...(typeof error?.code === 'string' ? { code: error.code } : {}),
    ...(typeof error?.message === 'string' ? { message: error.message } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });
}
