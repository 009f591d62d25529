// The app's identity for both portals: client credentials against Entra ID (or the simulator).
import { ClientSecretCredential, type TokenCredential } from '@azure/identity';
import type { HttpClient } from '@azure/core-rest-pipeline';

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
