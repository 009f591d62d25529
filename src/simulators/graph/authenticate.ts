// Graph's bearer-token check, shared by the security and the directory endpoints: a token of this
// tenant for Graph's audience, or 401 InvalidAuthenticationToken with Graph's challenge header.
import { header } from '../http/types.ts';
import type { SimRequest, SimResponse } from '../http/types.ts';
import { GRAPH_AUDIENCE, verifyBearer } from '../entra/tokens.ts';
import type { AppTokenClaims } from '../entra/tokens.ts';
import type { SigningKey } from '../entra/signing-key.ts';
import { graphError } from './errors.ts';

export type GraphAuthentication = { ok: true; claims: AppTokenClaims } | { ok: false; response: SimResponse };

export async function authenticateGraph(request: SimRequest, deps: { key: SigningKey; tenantId: string; now: Date }): Promise<GraphAuthentication> {
  const { now } = deps;
  const check = await verifyBearer({ authorization: header(request, 'authorization'), key: deps.key, tenantId: deps.tenantId, audiences: [GRAPH_AUDIENCE, `${GRAPH_AUDIENCE}/`], now });
  if (check.ok) return { ok: true, claims: check.claims };
  const message =
    check.reason === 'missing'
      ? 'Access token is empty.'
      : check.reason === 'expired'
        ? 'Lifetime validation failed, the token is expired.'
        : check.reason === 'wrong-audience'
          ? 'Access token validation failure. Invalid audience.'
          : 'Access token validation failure.';
  return { ok: false, response: graphError(request, now, 401, 'InvalidAuthenticationToken', message, { 'www-authenticate': 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"' }) };
}
