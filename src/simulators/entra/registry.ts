// The directory's app registrations and managed identities, shared by every simulated tenant (a
// multi-tenant app consented in each), plus the external issuers federated credentials may name.
// Certificates and federated credentials can be added while running (control API), as an admin
// adds them in the portal; the change applies to the next token request.
import { createRouter } from '../http/router.ts';
import { isPlainObject, parseJsonBody } from '../http/types.ts';
import type { SimRequest, SimResponse } from '../http/types.ts';
import { validateApp, validateIssuer } from '../options.ts';
import type { FederatedIdentityCredential, FederationIssuer, SimulatorApp } from '../options.ts';

export interface IdentityRegistry {
  apps(): SimulatorApp[];
  issuers(): FederationIssuer[];
  addCertificate(clientId: string, pem: string): void;
  addFederatedCredential(clientId: string, credential: FederatedIdentityCredential): void;
  addIssuer(issuer: FederationIssuer): void;
}

export function createIdentityRegistry(apps: SimulatorApp[], issuers: FederationIssuer[]): IdentityRegistry {
  const find = (clientId: string) => {
    const app = apps.find((candidate) => candidate.clientId === clientId);
    if (!app) throw new RegistryError(404, `no app registration with client id '${clientId}'`);
    return app;
  };
  const checked = (app: SimulatorApp, next: SimulatorApp): void => {
    try {
      validateApp(next, `app '${app.clientId}'`);
    } catch (error) {
      throw new RegistryError(400, (error as Error).message);
    }
    Object.assign(app, next);
  };
  return {
    apps: () => apps,
    issuers: () => issuers,
    addCertificate(clientId, pem) {
      const app = find(clientId);
      checked(app, { ...app, certificates: [...(app.certificates ?? []), pem] });
    },
    addFederatedCredential(clientId, credential) {
      const app = find(clientId);
      checked(app, { ...app, federatedCredentials: [...(app.federatedCredentials ?? []), credential] });
    },
    addIssuer(issuer) {
      try {
        validateIssuer(issuer, 'issuer');
      } catch (error) {
        throw new RegistryError(400, (error as Error).message);
      }
      const existing = issuers.findIndex((candidate) => candidate.issuer === issuer.issuer);
      if (existing >= 0) issuers.splice(existing, 1, issuer);
      else issuers.push(issuer);
    },
  };
}

class RegistryError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * `/_sim/apps/{clientId}/certificates` {certificate: PEM}, `/_sim/apps/{clientId}/federated-credentials`
 * {issuer, subject, audiences?} and `/_sim/federation-issuers` {issuer, keys: [JWK]}. Null for other paths.
 */
export function handleRegistryControl(registry: IdentityRegistry, request: SimRequest): SimResponse | null {
  const router = createRouter()
    .add('POST', '/_sim/apps/:clientId/certificates', (req, params) =>
      withObject(req, (body) => {
        if (typeof body.certificate !== 'string') return { status: 400, json: { error: "'certificate' must be a PEM certificate" } };
        registry.addCertificate(params.clientId as string, body.certificate);
        return { status: 201, json: { ok: true } };
      }),
    )
    .add('POST', '/_sim/apps/:clientId/federated-credentials', (req, params) =>
      withObject(req, (body) => {
        registry.addFederatedCredential(params.clientId as string, body as unknown as FederatedIdentityCredential);
        return { status: 201, json: { ok: true } };
      }),
    )
    .add('POST', '/_sim/federation-issuers', (req) =>
      withObject(req, (body) => {
        registry.addIssuer(body as unknown as FederationIssuer);
        return { status: 201, json: { ok: true } };
      }),
    );
  const match = router.match(request.method, request.path);
  if (match.kind !== 'found') return null;
  try {
    return match.handler(request, match.params) as SimResponse;
  } catch (error) {
    if (error instanceof RegistryError) return { status: error.status, json: { error: error.message } };
    throw error;
  }
}

function withObject(request: SimRequest, work: (body: Record<string, unknown>) => SimResponse): SimResponse {
  const parsed = parseJsonBody(request);
  if (!parsed.ok) return { status: 400, json: { error: parsed.message } };
  if (!isPlainObject(parsed.value)) return { status: 400, json: { error: 'body must be a JSON object' } };
  return work(parsed.value);
}
