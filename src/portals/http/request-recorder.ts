// What the portal pipelines report about each HTTP request they send: the port that metrics
// implement (src/observability/metrics.ts), bound to one pair and portal in the composition root.
// The Graph middleware and the ARM pipeline policy call it once per attempt, retries included, so
// the counts are what the portal's budget sees.

/**
 * What a request is for, named by the client that makes it: listing incidents or comments, reading
 * one incident, writing one, writing a comment, the Sentinel connector's settings, or anything else.
 */
export const PORTAL_OPERATIONS = ['list', 'get', 'write', 'comment', 'connector', 'other'] as const;
export type PortalOperation = (typeof PORTAL_OPERATIONS)[number];

export interface PortalRequestRecorder {
  /** One HTTP request. `status` is undefined when no response came (network error, timeout). */
  recordRequest(operation: PortalOperation, status: number | undefined): void;
}

/** For clients built without metrics (tests, the directory lookups). */
export const UNRECORDED: PortalRequestRecorder = { recordRequest: () => undefined };
