// Verifying a `client_assertion` (RFC 7523 jwt-bearer client authentication) as Entra does. Two
// kinds arrive on the same parameter: the app's own assertion, signed with a certificate
// registered on it (iss = sub = client id, x5t / x5t#S256 naming the certificate), and an
// external IdP's token matched against the app's federated identity credentials (issuer,
// subject, audience). Each failure maps to the AADSTS code Entra uses (see CONTRACT.md).
import { createHash, X509Certificate } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import type { FederationIssuer, SimulatorApp } from '../options.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
/** Clock skew Entra tolerates on exp/nbf **(chosen: 5 minutes, as is usual for Microsoft's token validation)**. */
export const ASSERTION_CLOCK_SKEW_SECONDS = 300;
const ALGORITHMS = ['RS256', 'PS256'];

export type AssertionFailure = { status: number; error: string; code: number; description: string };
export type AssertionResult = { ok: true } | ({ ok: false } & AssertionFailure);

const fail = (status: number, error: string, code: number, description: string): AssertionResult => ({ ok: false, status, error, code, description });

/**
 * Remembers each certificate assertion's jti until it expires. A jti names one assertion: the same
 * signed assertion may be presented again while it is valid (MSAL reuses its assertion until it
 * expires, for every scope, so Entra must accept that), but another assertion carrying a jti
 * already seen is a replayed or forged id and is refused **(chosen; see CONTRACT.md)**.
 */
export interface ReplayGuard {
  /** False when `jti` was already presented in a different assertion (and has not yet expired). */
  accept(clientId: string, jti: string, assertion: string, expiresAtSeconds: number, nowSeconds: number): boolean;
}

export function createReplayGuard(): ReplayGuard {
  const seen = new Map<string, { digest: string; expiresAt: number }>();
  return {
    accept(clientId, jti, assertion, expiresAtSeconds, nowSeconds) {
      for (const [key, entry] of seen) if (entry.expiresAt + ASSERTION_CLOCK_SKEW_SECONDS < nowSeconds) seen.delete(key);
      const key = `${clientId}\n${jti}`;
      const digest = createHash('sha256').update(assertion).digest('hex');
      const previous = seen.get(key);
      if (previous) return previous.digest === digest;
      seen.set(key, { digest, expiresAt: expiresAtSeconds });
      return true;
    },
  };
}

function thumbprints(pem: string): { cert: X509Certificate; x5t: string; x5tS256: string } {
  const cert = new X509Certificate(pem);
  return {
    cert,
    x5t: createHash('sha1').update(cert.raw).digest('base64url'),
    x5tS256: createHash('sha256').update(cert.raw).digest('base64url'),
  };
}

function timeFailure(error: unknown): AssertionResult | undefined {
  if (error instanceof joseErrors.JWTExpired) return fail(401, 'invalid_client', 700024, 'Client assertion is not within its valid time range. The assertion has expired.');
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf') {
    return fail(401, 'invalid_client', 700024, 'Client assertion is not within its valid time range. The assertion is not yet valid (nbf).');
  }
  return undefined;
}

/**
 * Which kind of assertion this is, unverified: one naming a certificate (x5t / x5t#S256) is the
 * app's own; any other JWT is an external IdP's token. Undefined when it is not a JWT at all.
 */
export function assertionKind(assertion: string): 'certificate' | 'federated' | undefined {
  try {
    const header = decodeProtectedHeader(assertion);
    decodeJwt(assertion);
    return header.x5t !== undefined || header['x5t#S256'] !== undefined ? 'certificate' : 'federated';
  } catch {
    return undefined;
  }
}

/** The app's own assertion, signed with one of its registered certificates. */
export async function verifyCertificateAssertion(input: {
  assertion: string;
  app: SimulatorApp;
  tokenEndpoint: string;
  now: Date;
  replay: ReplayGuard;
}): Promise<AssertionResult> {
  const { assertion, app, now } = input;
  const header = decodeProtectedHeader(assertion);
  const x5t = typeof header.x5t === 'string' ? header.x5t : undefined;
  const x5tS256 = typeof header['x5t#S256'] === 'string' ? (header['x5t#S256'] as string) : undefined;
  const registered = (app.certificates ?? []).map(thumbprints).find((candidate) => (x5tS256 ? candidate.x5tS256 === x5tS256 : candidate.x5t === x5t));
  if (!registered) {
    return fail(
      401,
      'invalid_client',
      700027,
      `Client assertion failed signature validation. The key was not found. Thumbprint of key used by client: '${x5tS256 ?? x5t}'. Please check that the certificate is registered on the application '${app.clientId}'.`,
    );
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, registered.cert.publicKey, {
      algorithms: ALGORITHMS,
      currentDate: now,
      clockTolerance: ASSERTION_CLOCK_SKEW_SECONDS,
      requiredClaims: ['exp', 'nbf', 'iss', 'sub', 'aud', 'jti'],
    }));
  } catch (error) {
    const time = timeFailure(error);
    if (time) return time;
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      return fail(400, 'invalid_request', 50027, `Invalid JWT token. The client assertion is missing the '${error.claim}' claim.`);
    }
    return fail(401, 'invalid_client', 700027, 'Client assertion failed signature validation.');
  }
  if (payload.iss !== app.clientId || payload.sub !== app.clientId) {
    return fail(400, 'invalid_request', 700021, `Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`);
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.includes(input.tokenEndpoint)) {
    return fail(401, 'invalid_client', 700023, `Client assertion audience claim does not match Realm issuer. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials . The audience must be '${input.tokenEndpoint}'.`);
  }
  if (!input.replay.accept(app.clientId, String(payload.jti), assertion, Number(payload.exp), Math.floor(now.getTime() / 1000))) {
    return fail(401, 'invalid_client', 7000275, `The client assertion's jti '${String(payload.jti)}' was already used by another assertion. Each assertion needs its own jti.`);
  }
  return { ok: true };
}

/** An external IdP's token, matched against the app's federated identity credentials. */
export async function verifyFederatedAssertion(input: {
  assertion: string;
  app: SimulatorApp;
  issuers: FederationIssuer[];
  now: Date;
}): Promise<AssertionResult> {
  const { assertion, app, now } = input;
  const claims = decodeJwt(assertion);
  const iss = String(claims.iss ?? '');
  const sub = String(claims.sub ?? '');
  const aud = Array.isArray(claims.aud) ? claims.aud.map(String) : [String(claims.aud ?? '')];
  const noRecord = fail(
    400,
    'invalid_request',
    70021,
    `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${aud.join(',')}'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
  );
  const record = (app.federatedCredentials ?? []).find(
    (credential) => credential.issuer === iss && credential.subject === sub && (credential.audiences ?? [TOKEN_EXCHANGE_AUDIENCE]).some((audience) => aud.includes(audience)),
  );
  if (!record) return noRecord;
  const issuer = input.issuers.find((candidate) => candidate.issuer === iss);
  if (!issuer) {
    return fail(400, 'invalid_request', 50166, `Request to External OIDC endpoint failed. The simulator knows no signing keys for issuer '${iss}'.`);
  }
  try {
    await jwtVerify(assertion, createLocalJWKSet({ keys: issuer.keys } as JSONWebKeySet), { currentDate: now, clockTolerance: ASSERTION_CLOCK_SKEW_SECONDS, requiredClaims: ['exp'] });
  } catch (error) {
    const time = timeFailure(error);
    if (time) return time;
    return fail(401, 'invalid_client', 700027, 'Client assertion failed signature validation: the external token is not signed by a key of its issuer.');
  }
  return { ok: true };
}
