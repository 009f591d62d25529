// HTTP outcomes -> PortalError, with messages that tell an operator what to check.
import { PortalError, type PortalErrorCode, type PortalErrorSource } from '../../domain/errors.ts';

const PERMISSION_HINT: Record<PortalErrorSource, string> = {
  defender:
    'grant the app registration the Microsoft Graph application permission SecurityIncident.ReadWrite.All (SecurityIncident.Read.All for read-only) and give admin consent',
  sentinel:
    'assign the app registration the "Microsoft Sentinel Contributor" role on the Log Analytics workspace (or its resource group)',
  directory:
    "grant the app the Microsoft Graph application permissions User.Read.All and GroupMember.Read.All (or Directory.Read.All) in the person's tenant and give admin consent",
  teams:
    'grant the app the Microsoft Graph application permissions Chat.Create, AppCatalog.Read.All and TeamsAppInstallation.ReadWriteForChat.All in the Teams tenant and give admin consent',
};

const AUTH_HINT: Record<PortalErrorSource, string> = {
  defender: 'check the tenant id, client id and client secret, and that the token is for https://graph.microsoft.com',
  sentinel: 'check the tenant id, client id and client secret, and that the token is for https://management.azure.com',
  directory: "check that the app registration exists in the person's tenant (a multi-tenant app needs admin consent there), its credential, and that the token is for https://graph.microsoft.com",
  teams: "check that the app registration exists in the Teams tenant (a multi-tenant app needs admin consent there), its credential, and that the token is for https://graph.microsoft.com",
};

export interface HttpFailure {
  status: number;
  /** The portal's error code, e.g. Graph "BadRequest" or ARM "Conflict". */
  code?: string;
  message?: string;
  retryAfterSeconds?: number;
  cause?: unknown;
}

export function codeForStatus(status: number): PortalErrorCode {
  if (status === 400 || status === 422) return 'bad-request';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 409 || status === 412) return 'conflict';
  if (status === 429) return 'throttled';
  if (status === 408 || status >= 500) return 'unavailable';
  return 'bad-request';
}

/** `what` names the operation, e.g. "PATCH incident 29". */
export function portalErrorFromHttp(portal: PortalErrorSource, what: string, failure: HttpFailure): PortalError {
  const code = codeForStatus(failure.status);
  const said = failure.message ? `: ${failure.code ? `${failure.code}: ` : ''}${failure.message}` : failure.code ? `: ${failure.code}` : '';
  let advice = '';
  if (code === 'forbidden') advice = ` To fix, ${PERMISSION_HINT[portal]}.`;
  else if (code === 'unauthorized') advice = ` To fix, ${AUTH_HINT[portal]}.`;
  else if (code === 'throttled')
    advice = ` Still throttled after retrying${failure.retryAfterSeconds !== undefined ? `; the portal asked to wait ${failure.retryAfterSeconds} s` : ''}.`;
  else if (code === 'unavailable') advice = ' The portal kept failing after retries; it is retried later.';
  return new PortalError(portal, code, `${portal} ${what} failed with HTTP ${failure.status}${said}.${advice}`, {
    status: failure.status,
    ...(failure.cause !== undefined ? { cause: failure.cause } : {}),
    ...(failure.retryAfterSeconds !== undefined ? { retryAfterSeconds: failure.retryAfterSeconds } : {}),
  });
}

export function portalErrorFromNetwork(portal: PortalErrorSource, what: string, cause: unknown): PortalError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new PortalError(
    portal,
    'unavailable',
    `${portal} ${what} could not reach the portal (${detail}). Check the endpoint URL, network and TLS trust (the CA file when using the simulators).`,
    { cause },
  );
}

export function invalidResponse(portal: PortalErrorSource, what: string, problem: string, cause?: unknown): PortalError {
  return new PortalError(portal, 'invalid-response', `${portal} ${what} returned a response that breaks its documented contract: ${problem}.`, {
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** Whether the caller's own signal ended the call (then its reason is rethrown untouched). */
export function abortedByCaller(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
