import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ClientSecretCredential } from '@azure/identity';
import { decodeJwt } from 'jose';
import { READER, TENANT_ID, WRITER, shapeOf, startTestSims } from './helpers.ts';
import type { TestSims } from './helpers.ts';
import { createCaTrustingHttpClient } from './ca-http-client.ts';

let sims: TestSims;
beforeAll(async () => {
  sims = await startTestSims();
});
afterAll(async () => {
  await sims.stop();
});

const tokenPath = `/${TENANT_ID}/oauth2/v2.0/token`;

describe('Entra ID token endpoint', () => {
  test('serves the v2.0 OpenID configuration and JWKS of the tenant', async () => {
    const config = await sims.http('GET', `/${TENANT_ID}/v2.0/.well-known/openid-configuration`);
    expect(config.status).toBe(200);
    expect(config.json.token_endpoint).toBe(`${sims.url}${tokenPath}`);
    expect(config.json.issuer).toBe(`${sims.url}/${TENANT_ID}/v2.0`);
    const keys = await sims.http('GET', `/${TENANT_ID}/discovery/v2.0/keys`);
    expect(keys.json.keys[0]).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256' });
    expect(keys.json.keys[0].d).toBeUndefined(); // never the private part
  });

  test('issues an RS256 Graph token with tid, appid, azp and the app roles', async () => {
    const result = await sims.http('POST', tokenPath, {
      form: { grant_type: 'client_credentials', client_id: WRITER.clientId, client_secret: WRITER.clientSecret, scope: 'https://graph.microsoft.com/.default' },
    });
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
    const claims = decodeJwt(result.json.access_token);
    expect(claims).toMatchObject({ aud: 'https://graph.microsoft.com', tid: TENANT_ID, appid: WRITER.clientId, azp: WRITER.clientId, roles: WRITER.graphRoles });
    expect(claims.exp! - claims.iat!).toBe(3599);
  });

  test('issues an ARM token for the management audience, without Graph roles', async () => {
    const token = await sims.token('https://management.azure.com/.default');
    const claims = decodeJwt(token);
    expect(claims.aud).toBe('https://management.azure.com');
    expect(claims.roles).toBeUndefined();
  });

  test('a wrong client secret gets 401 invalid_client with AADSTS7000215 in Entra\'s error shape', async () => {
    const result = await sims.http('POST', tokenPath, {
      form: { grant_type: 'client_credentials', client_id: WRITER.clientId, client_secret: 'wrong', scope: 'https://graph.microsoft.com/.default' },
    });
    expect(result.status).toBe(401);
    expect(result.json.error).toBe('invalid_client');
    expect(result.json.error_codes).toEqual([7000215]);
    expect(result.json.error_description).toMatch(/^AADSTS7000215: Invalid client secret provided\..*\r\nTrace ID: .*\r\nCorrelation ID: .*\r\nTimestamp: /s);
    // Shape as seen from the real service (OfficeDev/microsoft-365-agents-toolkit#8621).
    expect(shapeOf(result.json)).toEqual({
      correlation_id: 'string', error: 'string', error_codes: ['number'], error_description: 'string', error_uri: 'string', timestamp: 'string', trace_id: 'string',
    });
  });

  test('an unknown client gets AADSTS700016 and an invalid scope AADSTS70011', async () => {
    const unknown = await sims.http('POST', tokenPath, { form: { grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x', scope: 'https://graph.microsoft.com/.default' } });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
    const badScope = await sims.http('POST', tokenPath, {
      form: { grant_type: 'client_credentials', client_id: READER.clientId, client_secret: READER.clientSecret, scope: 'https://graph.microsoft.com/User.Read' },
    });
    expect(badScope.status).toBe(400);
    expect(badScope.json).toMatchObject({ error: 'invalid_scope', error_codes: [70011] });
  });

  test('a wrong tenant is refused with AADSTS90002', async () => {
    const result = await sims.http('POST', '/other-tenant/oauth2/v2.0/token', { form: { grant_type: 'client_credentials' } });
    expect(result.json.error_codes).toEqual([90002]);
  });

  test('@azure/identity ClientSecretCredential (MSAL) obtains tokens with authorityHost = the simulator', async () => {
    const credential = new ClientSecretCredential(TENANT_ID, WRITER.clientId, WRITER.clientSecret, {
      authorityHost: sims.url,
      disableInstanceDiscovery: true,
      httpClient: createCaTrustingHttpClient(sims.caCertPem),
    });
    const graph = await credential.getToken('https://graph.microsoft.com/.default');
    expect(decodeJwt(graph.token)).toMatchObject({ aud: 'https://graph.microsoft.com', appid: WRITER.clientId });
    expect(graph.expiresOnTimestamp).toBeGreaterThan(Date.now());
    const arm = await credential.getToken('https://management.azure.com/.default');
    expect(decodeJwt(arm.token).aud).toBe('https://management.azure.com');
  });

  test('@azure/identity surfaces AADSTS7000215 for a wrong secret', async () => {
    const credential = new ClientSecretCredential(TENANT_ID, WRITER.clientId, 'wrong-secret', {
      authorityHost: sims.url,
      disableInstanceDiscovery: true,
      httpClient: createCaTrustingHttpClient(sims.caCertPem),
    });
    await expect(credential.getToken('https://graph.microsoft.com/.default')).rejects.toThrow(/AADSTS7000215/);
  });
});
