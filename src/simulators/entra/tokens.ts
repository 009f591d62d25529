// Issuing and verifying the simulated tenant's app-only access tokens (v1.0 format, as Entra
// issues for Graph and ARM): aud, iss https://sts.windows.net/{tid}/, tid, appid (+ azp), oid, roles.
import { createHash } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { SigningKey } from './signing-key.ts';

export const GRAPH_AUDIENCE = 'https://graph.microsoft.com';
export const ARM_AUDIENCE = 'https://management.azure.com';
export const BOT_FRAMEWORK_AUDIENCE = 'https://api.botframework.com';
/** Audiences ARM accepts for a management-plane token (ARM authentication docs). */
export const ARM_ACCEPTED_AUDIENCES = [
  'https://management.azure.com',
  'https://management.azure.com/',
  'https://management.core.windows.net',
  'https://management.core.windows.net/',
];

/** Resources a `.default` scope may name, mapped to the token audience Entra issues for them. */
export const RESOURCE_AUDIENCES: Record<string, string> = {
  'https://graph.microsoft.com': GRAPH_AUDIENCE,
  'https://management.azure.com': ARM_AUDIENCE,
  'https://management.core.windows.net': ARM_AUDIENCE,
  // The Bot Connector's audience, for bots (app registration or managed identity) calling Teams.
  'https://api.botframework.com': BOT_FRAMEWORK_AUDIENCE,
};

export interface AppTokenClaims {
  aud: string;
  iss: string;
  tid: string;
  appid: string;
  oid: string;
  roles: string[];
  exp: number;
}

/** A stable object id for an app's service principal, derived from tenant + client id. */
export function servicePrincipalObjectId(tenantId: string, clientId: string): string {
  const hex = createHash('sha256').update(`${tenantId}/${clientId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function issuerFor(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

export async function issueAppToken(input: {
  key: SigningKey;
  tenantId: string;
  clientId: string;
  audience: string;
  roles: string[];
  now: Date;
  lifetimeSeconds: number;
}): Promise<{ token: string; expiresIn: number }> {
  const iat = Math.floor(input.now.getTime() / 1000);
  const payload: Record<string, unknown> = {
    tid: input.tenantId,
    appid: input.clientId,
    azp: input.clientId,
    appidacr: '1',
    idtyp: 'app',
    oid: servicePrincipalObjectId(input.tenantId, input.clientId),
    sub: servicePrincipalObjectId(input.tenantId, input.clientId),
    ver: '1.0',
  };
  if (input.roles.length > 0) payload.roles = input.roles;
  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: input.key.kid })
    .setAudience(input.audience)
    .setIssuer(issuerFor(input.tenantId))
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + input.lifetimeSeconds)
    .sign(input.key.privateKey);
  return { token, expiresIn: input.lifetimeSeconds };
}

export type TokenCheck =
  | { ok: true; claims: AppTokenClaims }
  | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'wrong-audience' | 'invalid'; detail: string };

/** Verifies a bearer header for one of `audiences`, as of `now`. */
export async function verifyBearer(input: {
  authorization: string | undefined;
  key: SigningKey;
  tenantId: string;
  audiences: string[];
  now: Date;
}): Promise<TokenCheck> {
  if (!input.authorization) return { ok: false, reason: 'missing', detail: 'The Authorization header is missing.' };
  const match = /^Bearer\s+(\S+)$/i.exec(input.authorization);
  if (!match) return { ok: false, reason: 'malformed', detail: "The Authorization header is not of the form 'Bearer <token>'." };
  try {
    const { payload } = await jwtVerify(match[1] as string, input.key.publicKey, {
      algorithms: ['RS256'],
      issuer: issuerFor(input.tenantId),
      currentDate: input.now,
    });
    const aud = typeof payload.aud === 'string' ? payload.aud : '';
    if (!input.audiences.includes(aud)) {
      return { ok: false, reason: 'wrong-audience', detail: `The token audience '${aud}' is not one of ${input.audiences.join(', ')}.` };
    }
    return {
      ok: true,
      claims: {
        aud,
        iss: String(payload.iss),
        tid: String(payload.tid),
        appid: String(payload.appid),
        oid: String(payload.oid),
        roles: Array.isArray(payload.roles) ? payload.roles.map(String) : [],
        exp: Number(payload.exp),
      },
    };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) {
      return { ok: false, reason: 'expired', detail: 'Lifetime validation failed, the token is expired.' };
    }
    return { ok: false, reason: 'invalid', detail: `Access token validation failure: ${(error as Error).message}` };
  }
}
