// How the bridge proves the portals' app identity to Entra ID, per (tenant, workspace) pair. Only
// 'secret' holds a long-lived secret; the others use a certificate's private key, the platform's
// managed identity, or a federated token the platform projects into a file (AKS workload identity).
// The secret variant's `credentialType` may be omitted: a client id and secret alone mean 'secret'.
export const PORTAL_CREDENTIAL_TYPES = ['secret', 'certificate', 'managedIdentity', 'workloadIdentity'] as const;
export type PortalCredentialType = (typeof PORTAL_CREDENTIAL_TYPES)[number];

export type PortalIdentity =
  | { credentialType?: 'secret'; clientId: string; clientSecret: string }
  /** PEM file holding the certificate and its private key (ClientCertificateCredential). */
  | { credentialType: 'certificate'; clientId: string; certificatePath: string }
  /** Without clientId: the system-assigned identity; with it: that user-assigned identity. */
  | { credentialType: 'managedIdentity'; clientId?: string }
  /** The app registration (or user-assigned identity) trusting the federated token in the file. */
  | { credentialType: 'workloadIdentity'; clientId: string; federatedTokenFile: string };
