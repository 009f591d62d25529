// The app's identity for both portals, made with @azure/identity's own credential classes from the
// pair's configured mode: client secret, client certificate, managed identity, or workload identity
// federation. Every token request goes through the given HttpClient (so the simulators' CA is trusted).
import {
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import type { HttpClient } from '@azure/core-rest-pipeline';
import type https from 'node:https';
import type { PortalIdentity } from '../../domain/portal-identity.ts';
import { createTrustingAgent } from './tls.ts';
import { createPortalHttpClient } from './http-client.ts';

export type { PortalIdentity } from '../../domain/portal-identity.ts';

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
export const ARM_SCOPE = 'https://management.azure.com/.default';

/** Where Entra ID is: the tenant and authority host. The identity's own fields say how to prove who we are. */
export interface PortalAuthority {
  tenantId: string;
  /** https://login.microsoftonline.com, or the simulator URL. */
  authorityHost: string;
}

export type AppCredentialOptions = PortalAuthority & PortalIdentity & { httpClient: HttpClient };

function required(options: object, keys: readonly string[]): void {
  for (const key of keys) {
    if (!(options as Record<string, unknown>)[key]) throw new TypeError(`${key} is required to authenticate to the portals`);
  }
}

export function createAppCredential(options: AppCredentialOptions): TokenCredential {
  required(options, ['tenantId', 'authorityHost']);
  const { tenantId, authorityHost, httpClient } = options;
  // Never call the public cloud's instance discovery: the authority may be a sovereign cloud or the simulator.
  const entra = { authorityHost, disableInstanceDiscovery: true, httpClient };
  switch (options.credentialType) {
    case 'certificate':
      required(options, ['clientId', 'certificatePath']);
      return new ClientCertificateCredential(tenantId, options.clientId, { certificatePath: options.certificatePath }, entra);
    case 'managedIdentity':
      // The platform's endpoint (IDENTITY_ENDPOINT/IDENTITY_HEADER on Container Apps and App Service,
      // IMDS on VMs) is found by the SDK; it issues the token, so there is no authority to name.
      return new ManagedIdentityCredential({ ...(options.clientId ? { clientId: options.clientId } : {}), httpClient });
    case 'workloadIdentity':
      required(options, ['clientId', 'federatedTokenFile']);
      return new WorkloadIdentityCredential({ tenantId, clientId: options.clientId, tokenFilePath: options.federatedTokenFile, ...entra });
    case undefined:
    case 'secret':
      required(options, ['clientId', 'clientSecret']);
      return new ClientSecretCredential(tenantId, options.clientId, options.clientSecret, entra);
  }
}

export type PortalConnectionOptions = PortalAuthority &
  PortalIdentity & {
    caCertPem?: string;
    /** Test seam: a ready credential. */
    credential?: TokenCredential;
  };

/**
 * What every portal client needs to reach its API: an https agent that trusts the extra CA (and
 * the system roots, with checking always on), the Azure HttpClient over it, and the app credential.
 */
export function createPortalConnection(options: PortalConnectionOptions): { agent: https.Agent; httpClient: HttpClient; credential: TokenCredential } {
  const agent = createTrustingAgent(options.caCertPem !== undefined ? { caCertPem: options.caCertPem } : {});
  const httpClient = createPortalHttpClient(agent);
  const credential = options.credential ?? createAppCredential({ ...options, httpClient });
  return { agent, httpClient, credential };
}
