// Coded errors that keep their cause. `code` is for programs; `message` is for operators and says
// what failed and what to check.

export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export type PortalErrorCode =
  | 'not-found' // 404
  | 'unauthorized' // 401: token missing, expired or for the wrong audience
  | 'forbidden' // 403: the app lacks the permission/role
  | 'bad-request' // 400: the portal refused the request as invalid
  | 'conflict' // 409/412: stale etag or version
  | 'throttled' // 429 after retries were exhausted
  | 'unavailable' // 5xx, timeouts, connection failures after retries were exhausted
  | 'not-writable' // the capability profile says this API cannot write the field
  | 'invalid-response'; // the portal answered with something that breaks its documented contract

/**
 * Which API failed: a portal's, Microsoft Graph's directory (group membership for roles), or
 * Microsoft Graph's Teams API (war room chats).
 */
export type PortalErrorSource = 'defender' | 'sentinel' | 'directory' | 'teams';

export class PortalError extends CodedError<PortalErrorCode> {
  readonly portal: PortalErrorSource;
  readonly status?: number;
  /** Seconds the portal asked us to wait (Retry-After), when it said so. */
  readonly retryAfterSeconds?: number;
  constructor(
    portal: PortalErrorSource,
    code: PortalErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number; retryAfterSeconds?: number },
  ) {
    super(code, message, options);
    this.portal = portal;
    if (options?.status !== undefined) this.status = options.status;
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** Whether a later retry can succeed (the job queue retries these with backoff). */
  get transient(): boolean {
    return this.code === 'throttled' || this.code === 'unavailable' || this.code === 'conflict' || this.code === 'unauthorized';
  }
}

/** An error's message for an operator-facing sentence (anything thrown, not only Errors). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
