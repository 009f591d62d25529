// The portals' identity without client secrets, through @azure/identity's real credential classes
// (as createPortalConnection makes them) against the simulated Entra ID over HTTPS with the
// simulators' CA: a client certificate, workload identity federation, and the managed-identity
// endpoint (in child processes, see support/identity-child.ts). Assertions the SDK would never
// send (expired, replayed, wrong audience) are crafted here and posted to the token endpoint.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair, importPKCS8 } from 'jose';
import { startSimulators, type RunningSimulators } from '../../src/simulators/index.ts';
import { createPortalConnection, ARM_SCOPE, GRAPH_SCOPE, type PortalIdentity } from '../../src/portals/http/credential.ts';
import { createAgentFetch } from '../../src/portals/http/fetch.ts';
import { createTrustingAgent } from '../../src/portals/http/tls.ts';
import { createTestCertificate, type TestCertificate } from './support/certificates.ts';
import { runIdentityChild } from './support/run-child.ts';

const TENANT = '22222222-3333-4444-5555-666666666666';
const WORKSPACE = { subscriptionId: '3c1d2e4f-0000-4000-8000-00000000a001', resourceGroup: 'rg-identity', workspace: 'ws-identity' };
const CERT_APP = 'cccccccc-0000-4000-8000-000000000001';
const WORKLOAD_APP = 'cccccccc-0000-4000-8000-000000000002';
const USER_MI = 'cccccccc-0000-4000-8000-0000000000a1';
const SYSTEM_MI = 'cccccccc-0000-4000-8000-0000000000a2';
const IDENTITY_HEADER = 'platform-identity-header-value';
const K8S_ISSUER = 'https://oidc.aks.simulated.example/7f3b2c1a/';
const K8S_SUBJECT = 'system:serviceaccount:soc:incident-bridge';
const GRANTS = { graphRoles: ['SecurityIncident.ReadWrite.All'], armAccess: true };

let dir: string;
let sims: RunningSimulators;
let registered: TestCertificate;
let unregistered: TestCertificate;
let fetchSim: ReturnType<typeof createAgentFetch>;
let k8sKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const tokenEndpoint = () => `${sims.url}/${TENANT}/oauth2/v2.0/token`;

function credentialFor(identity: PortalIdentity) {
  return createPortalConnection({ tenantId: TENANT, authorityHost: sims.url, caCertPem: sims.caCertPem, ...identity }).credential;
}

async function control(route: string, body: unknown): Promise<number> {
  const response = await fetchSim(`${sims.url}/_sim/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await response.text();
  return response.status;
}

async function postToken(form: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetchSim(tokenEndpoint(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** A certificate assertion as the SDK builds one, with any claim overridden. */
async function assertion(certificate: TestCertificate, claims: { exp?: number; nbf?: number; aud?: string; iss?: string; jti?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const key = await importPKCS8(certificate.privateKeyPem, 'RS256');
  return new SignJWT({ jti: claims.jti ?? randomUUID() })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', 'x5t#S256': certificate.x5tS256 })
    .setIssuer(claims.iss ?? CERT_APP)
    .setSubject(CERT_APP)
    .setAudience(claims.aud ?? tokenEndpoint())
    .setNotBefore(claims.nbf ?? now)
    .setExpirationTime(claims.exp ?? now + 600)
    .sign(key);
}

const assertionForm = (clientAssertion: string) => ({
  grant_type: 'client_credentials',
  client_id: CERT_APP,
  scope: GRAPH_SCOPE,
  client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  client_assertion: clientAssertion,
});

async function serviceAccountToken(file: string, subject: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ 'kubernetes.io': { namespace: 'soc', serviceaccount: { name: 'incident-bridge' } } })
    .setProtectedHeader({ alg: 'RS256', kid: 'k8s-sa-key' })
    .setIssuer(K8S_ISSUER)
    .setSubject(subject)
    .setAudience('api://AzureADTokenExchange')
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 3600)
    .sign(k8sKey);
  const location = path.join(dir, file);
  await writeFile(location, token);
  return location;
}

async function listIncidents(token: string): Promise<{ graph: number; arm: number }> {
  const headers = { authorization: `Bearer ${token}` };
  const graph = await fetchSim(`${sims.url}/v1.0/security/incidents`, { headers });
  await graph.text();
  const arm = await fetchSim(
    `${sims.url}/subscriptions/${WORKSPACE.subscriptionId}/resourceGroups/${WORKSPACE.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${WORKSPACE.workspace}/providers/Microsoft.SecurityInsights/incidents?api-version=2025-09-01`,
    { headers },
  );
  await arm.text();
  return { graph: graph.status, arm: arm.status };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'identity-it-'));
  registered = createTestCertificate('incident-bridge portal app');
  unregistered = createTestCertificate('someone else');
  const pair = await generateKeyPair('RS256');
  k8sKey = pair.privateKey;
  sims = await startSimulators({
    dataDir: dir,
    port: 0,
    tenantId: TENANT,
    apps: [
      { clientId: CERT_APP, certificates: [registered.certificatePem], ...GRANTS },
      { clientId: WORKLOAD_APP, ...GRANTS },
      { clientId: USER_MI, managedIdentity: 'userAssigned', ...GRANTS },
      { clientId: SYSTEM_MI, managedIdentity: 'systemAssigned', graphRoles: [], armAccess: false },
    ],
    identityHeader: IDENTITY_HEADER,
    ...WORKSPACE,
    scenario: { enabled: false },
  });
  fetchSim = createAgentFetch(createTrustingAgent({ caCertPem: sims.caCertPem }));
  // The cluster's service-account issuer and the app's federated credential, registered while
  // running through the control API, as an admin adds them to the app registration.
  expect(await control('federation-issuers', { issuer: K8S_ISSUER, keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k8s-sa-key', alg: 'RS256', use: 'sig' }] })).toBe(201);
  expect(await control(`apps/${WORKLOAD_APP}/federated-credentials`, { issuer: K8S_ISSUER, subject: K8S_SUBJECT, audiences: ['api://AzureADTokenExchange'] })).toBe(201);
});

afterAll(async () => {
  await sims?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('client certificate (ClientCertificateCredential)', () => {
  test('a certificate registered on the app gets Graph and ARM tokens the portals accept', async () => {
    const file = path.join(dir, 'portal-app.pem');
    await writeFile(file, registered.combinedPem);
    const credential = credentialFor({ credentialType: 'certificate', clientId: CERT_APP, certificatePath: file });
    const graph = await credential.getToken(GRAPH_SCOPE);
    expect(decodeJwt(graph!.token)).toMatchObject({ appid: CERT_APP, tid: TENANT, aud: 'https://graph.microsoft.com', roles: GRANTS.graphRoles });
    const arm = await credential.getToken(ARM_SCOPE);
    expect((await listIncidents(graph!.token)).graph).toBe(200);
    expect((await listIncidents(arm!.token)).arm).toBe(200);
  });

  test('a certificate the app does not know is refused with AADSTS700027, until it is registered', async () => {
    const file = path.join(dir, 'other.pem');
    await writeFile(file, unregistered.combinedPem);
    await expect(credentialFor({ credentialType: 'certificate', clientId: CERT_APP, certificatePath: file }).getToken(GRAPH_SCOPE)).rejects.toThrow(/AADSTS700027/);
    expect(await control(`apps/${CERT_APP}/certificates`, { certificate: unregistered.certificatePem })).toBe(201);
    const token = await credentialFor({ credentialType: 'certificate', clientId: CERT_APP, certificatePath: file }).getToken(GRAPH_SCOPE);
    expect(decodeJwt(token!.token).appid).toBe(CERT_APP);
  });

  test('the control API refuses what is not a certificate, and an unknown app', async () => {
    expect(await control(`apps/${CERT_APP}/certificates`, { certificate: 'not a pem' })).toBe(400);
    expect(await control('apps/no-such-app/certificates', { certificate: registered.certificatePem })).toBe(404);
  });

  test('an expired assertion is refused with AADSTS700024 (beyond the clock skew), a fresh one is accepted', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await postToken(assertionForm(await assertion(registered, { nbf: now - 1200, exp: now - 600 })));
    expect(expired.status).toBe(401);
    expect(expired.json).toMatchObject({ error: 'invalid_client', error_codes: [700024] });
    expect(String(expired.json.error_description)).toMatch(/^AADSTS700024: Client assertion is not within its valid time range/);
    expect((await postToken(assertionForm(await assertion(registered)))).status).toBe(200);
  });

  test('a jti names one assertion: another assertion reusing it is refused (the same one, as MSAL resends it, is not)', async () => {
    const jti = randomUUID();
    const first = await assertion(registered, { jti });
    expect((await postToken(assertionForm(first))).status).toBe(200);
    // MSAL keeps its signed assertion until it expires and sends it for every scope.
    expect((await postToken(assertionForm(first))).status).toBe(200);
    const reused = await postToken(assertionForm(await assertion(registered, { jti, exp: Math.floor(Date.now() / 1000) + 900 })));
    expect(reused.status).toBe(401);
    expect(reused.json).toMatchObject({ error: 'invalid_client', error_codes: [7000275] });
  });

  test('the audience must be the token endpoint, and iss/sub the client id', async () => {
    const wrongAudience = await postToken(assertionForm(await assertion(registered, { aud: `${sims.url}/common/oauth2/v2.0/token` })));
    expect(wrongAudience.json).toMatchObject({ error: 'invalid_client', error_codes: [700023] });
    const signedByAnother = await postToken(assertionForm(await assertion(createTestCertificate('never registered'))));
    expect(signedByAnother.json).toMatchObject({ error_codes: [700027] });
    const otherIssuer = await postToken(assertionForm(await assertion(registered, { iss: WORKLOAD_APP })));
    expect(otherIssuer.json).toMatchObject({ error_codes: [700021] });
    const tampered = (await assertion(registered)).replace(/\.[^.]+$/, '.AAAA');
    expect((await postToken(assertionForm(tampered))).json).toMatchObject({ error_codes: [700027] });
    const wrongType = await postToken({ ...assertionForm(await assertion(registered)), client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' });
    expect(wrongType.status).toBe(400);
  });
});

describe('workload identity federation (WorkloadIdentityCredential)', () => {
  test('the service-account token of the federated subject gets tokens for the app', async () => {
    const file = await serviceAccountToken('sa-token', K8S_SUBJECT);
    const token = await credentialFor({ credentialType: 'workloadIdentity', clientId: WORKLOAD_APP, federatedTokenFile: file }).getToken(ARM_SCOPE);
    expect(decodeJwt(token!.token)).toMatchObject({ appid: WORKLOAD_APP, tid: TENANT, aud: 'https://management.azure.com' });
    expect((await listIncidents(token!.token)).arm).toBe(200);
  });

  test('a token of another subject matches no federated identity record (AADSTS70021)', async () => {
    const file = await serviceAccountToken('sa-token-other', 'system:serviceaccount:default:other');
    await expect(credentialFor({ credentialType: 'workloadIdentity', clientId: WORKLOAD_APP, federatedTokenFile: file }).getToken(ARM_SCOPE)).rejects.toThrow(
      /AADSTS70021: No matching federated identity record found for presented assertion\. Assertion Issuer: 'https:\/\/oidc\.aks\.simulated\.example\/7f3b2c1a\/'\. Assertion Subject: 'system:serviceaccount:default:other'/,
    );
  });
});

describe('managed identity (ManagedIdentityCredential, Container Apps / App Service endpoint)', () => {
  const childEnv = (extra: Record<string, string>) => ({
    IDENTITY_ENDPOINT: `${sims.url}/msi/token`,
    IDENTITY_HEADER,
    CHILD_MODE: 'portal',
    CHILD_TENANT_ID: TENANT,
    CHILD_AUTHORITY_HOST: sims.url,
    CHILD_CA_FILE: sims.caCertPath,
    CHILD_SCOPE: ARM_SCOPE,
    ...extra,
  });

  test('the user-assigned identity gets an ARM token that the simulated ARM authorises', async () => {
    const result = await runIdentityChild(childEnv({ CHILD_CLIENT_ID: USER_MI }));
    if (!result.ok) throw new Error(result.message);
    expect(decodeJwt(result.token!)).toMatchObject({ appid: USER_MI, tid: TENANT, aud: 'https://management.azure.com', idtyp: 'app' });
    expect((await listIncidents(result.token!)).arm).toBe(200);
  });

  test('without a client id the system-assigned identity answers (here without a role on the workspace: 403)', async () => {
    const result = await runIdentityChild(childEnv({}));
    if (!result.ok) throw new Error(result.message);
    expect(decodeJwt(result.token!).appid).toBe(SYSTEM_MI);
    expect((await listIncidents(result.token!)).arm).toBe(403);
  });

  test('a wrong identity header is refused, and so is an identity not assigned to the app', async () => {
    const wrong = await runIdentityChild(childEnv({ CHILD_CLIENT_ID: USER_MI, IDENTITY_HEADER: 'not-the-header' }));
    expect(wrong).toMatchObject({ ok: false, message: expect.stringMatching(/X-IDENTITY-HEADER header does not match/) });
    const stranger = await runIdentityChild(childEnv({ CHILD_CLIENT_ID: 'cccccccc-0000-4000-8000-0000000000ff' }));
    expect(stranger).toMatchObject({ ok: false, message: expect.stringMatching(/No user-assigned managed identity with client id/) });
  });

  test('the endpoint answers only with the header, the 2019-08-01 api-version and a known resource', async () => {
    const get = async (query: string, headers: Record<string, string> = { 'x-identity-header': IDENTITY_HEADER }) => {
      const response = await fetchSim(`${sims.url}/msi/token?${query}`, { headers });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    expect(await get(`resource=https://management.azure.com&api-version=2019-08-01&client_id=${USER_MI}`, {})).toMatchObject({ status: 400, json: { message: expect.stringMatching(/X-IDENTITY-HEADER header is missing/) } });
    expect((await get(`resource=https://management.azure.com&api-version=2017-09-01&client_id=${USER_MI}`)).status).toBe(400);
    expect((await get(`resource=https://vault.example&api-version=2019-08-01&client_id=${USER_MI}`)).status).toBe(400);
    const ok = await get(`resource=https://graph.microsoft.com&api-version=2019-08-01&client_id=${USER_MI}`);
    expect(ok).toMatchObject({ status: 200, json: { token_type: 'Bearer', resource: 'https://graph.microsoft.com', client_id: USER_MI } });
    expect(Number(ok.json.expires_on)).toBeGreaterThan(Date.now() / 1000);
  });
});
