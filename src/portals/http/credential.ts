// The app's identity for both portals: client credentials against Entra ID (or the simulator).
import { ClientSecretCredential, type TokenCredential } from '@azure/identity';
import type { HttpClient } from '@azure/core-rest-pipeline';
import type https from 'node:https';
import { createTrustingAgent } from './tls.ts';
import { createPortalHttpClient } from './http-client.ts';

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
export const ARM_SCOPE = 'https://management.azure.com/.default';

export interface AppCredentialOptions {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** https://login.microsoftonline.com, or the simulator URL. */
  authorityHost: string;
  httpClient: HttpClient;
}

export function createAppCredential(options: AppCredentialOptions): TokenCredential {
  for (const key of ['tenantId', 'clientId', 'clientSecret', 'authorityHost'] as const) {
    if (!options[key]) throw new TypeError(`${key} is required to authenticate to the portals`);
  }
  return new ClientSecretCredential(options.tenantId, options.clientId, options.clientSecret, {
    authorityHost: options.authorityHost,
    // Never call the public cloud's instance discovery: the authority may be a sovereign cloud or the simulator.
    disableInstanceDiscovery: true,
    httpClient: options.httpClient,
  });
}

export interface PortalConnectionOptions {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
  caCertPem?: string;
  /** Test seam: a ready credential. */
  credential?: TokenCredential;
}

/**
 * What every portal client needs to reach its API: an https agent that trusts the extra CA (and
 * the system roots, with checking always on), the Azure HttpClient over it, and the app credential.
 */
export function createPortalConnection(options: PortalConnectionOptions): { agent: https.Agent; httpClient: HttpClient; credential: TokenCredential } {
  const agent = createTrustingAgent(options.caCertPem !== undefined ? { caCertPem: options.caCertPem } : {});
  const httpClient = createPortalHttpClient(agent);
  const credential =
    options.credential ??
    createAppCredential({ tenantId: options.tenantId, clientId: options.clientId, clientSecret: options.clientSecret, authorityHost: options.authorityHost, httpClient });
  return { agent, httpClient, credential };
}
