// The portals' app identity in the configuration: AZURE_CREDENTIAL picks the mode and each mode
// names the variables it needs; a SYNC_PAIRS entry may override any of them for its own tenant
// (MSSP pairs often run under different app registrations). Values are validated here, files are
// read only when the credential is made, and secrets never appear in a problem message.
import { z } from 'zod';
import { PORTAL_CREDENTIAL_TYPES, type PortalCredentialType, type PortalIdentity } from '../domain/portal-identity.ts';

/** The per-pair fields SYNC_PAIRS accepts for the identity; each falls back to its AZURE_* variable. */
export const pairIdentityFields = {
  credential: z.enum(PORTAL_CREDENTIAL_TYPES).optional(),
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  certificatePath: z.string().min(1).optional(),
  federatedTokenFile: z.string().min(1).optional(),
};

export interface PairIdentityFields {
  credential?: PortalCredentialType | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  certificatePath?: string | undefined;
  federatedTokenFile?: string | undefined;
}

/** The AZURE_* identity variables as set (not yet checked against a mode: a pair may supply what is missing). */
export interface IdentityVariables {
  credential: PortalCredentialType;
  clientId: string | undefined;
  clientSecret: string | undefined;
  certificatePath: string | undefined;
  federatedTokenFile: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

const set = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

export function readIdentityVariables(env: Env, problems: string[]): IdentityVariables {
  const raw = set(env['AZURE_CREDENTIAL']);
  const parsed = z.enum(PORTAL_CREDENTIAL_TYPES).safeParse(raw ?? 'secret');
  if (!parsed.success) problems.push(`AZURE_CREDENTIAL: '${raw}' is not valid. One of ${PORTAL_CREDENTIAL_TYPES.join(', ')} (default secret).`);
  return {
    credential: parsed.success ? parsed.data : 'secret',
    clientId: set(env['AZURE_CLIENT_ID']),
    clientSecret: set(env['AZURE_CLIENT_SECRET']),
    certificatePath: set(env['AZURE_CLIENT_CERTIFICATE_PATH']),
    federatedTokenFile: set(env['AZURE_FEDERATED_TOKEN_FILE']),
  };
}

/** What each mode needs: the pair field, its variable, and what to put there. */
const NEEDS: Record<PortalCredentialType, Array<{ field: keyof PairIdentityFields & keyof IdentityVariables; variable: string; hint: string }>> = {
  secret: [
    { field: 'clientId', variable: 'AZURE_CLIENT_ID', hint: 'Application (client) id of the app registration.' },
    { field: 'clientSecret', variable: 'AZURE_CLIENT_SECRET', hint: 'A client secret of the app registration.' },
  ],
  certificate: [
    { field: 'clientId', variable: 'AZURE_CLIENT_ID', hint: 'Application (client) id of the app registration.' },
    { field: 'certificatePath', variable: 'AZURE_CLIENT_CERTIFICATE_PATH', hint: 'PEM file with the certificate registered on the app and its private key.' },
  ],
  // Without a client id: the system-assigned identity.
  managedIdentity: [],
  workloadIdentity: [
    { field: 'clientId', variable: 'AZURE_CLIENT_ID', hint: 'Client id of the app registration or user-assigned identity with the federated credential.' },
    { field: 'federatedTokenFile', variable: 'AZURE_FEDERATED_TOKEN_FILE', hint: 'The projected service-account token file (set by the AKS workload identity webhook).' },
  ],
};

/**
 * The identity of one pair: its own fields over the AZURE_* variables. `pairId` is undefined for the
 * single pair made from the variables alone, so problems name the variable rather than SYNC_PAIRS.
 */
export function resolveIdentity(own: PairIdentityFields, vars: IdentityVariables, pairId: string | undefined, problems: string[]): PortalIdentity | undefined {
  const credentialType = own.credential ?? vars.credential;
  const value = (field: keyof IdentityVariables & keyof PairIdentityFields) => own[field] ?? vars[field];
  let complete = true;
  for (const need of NEEDS[credentialType]) {
    if (value(need.field) !== undefined) continue;
    complete = false;
    problems.push(
      pairId === undefined
        ? `${need.variable}: is not set but AZURE_CREDENTIAL is ${credentialType}. ${need.hint}`
        : `SYNC_PAIRS: pair '${pairId}' uses credential '${credentialType}' but has no ${need.field} and ${need.variable} is not set. ${need.hint}`,
    );
  }
  if (!complete) return undefined;
  const clientId = value('clientId');
  switch (credentialType) {
    case 'secret':
      return { credentialType, clientId: clientId!, clientSecret: value('clientSecret')! };
    case 'certificate':
      return { credentialType, clientId: clientId!, certificatePath: value('certificatePath')! };
    case 'managedIdentity':
      return clientId ? { credentialType, clientId } : { credentialType };
    case 'workloadIdentity':
      return { credentialType, clientId: clientId!, federatedTokenFile: value('federatedTokenFile')! };
  }
}

/** The identity with its secret replaced, for logs and start-up output. Paths are not secret; key material is never read here. */
export function printableIdentity(identity: PortalIdentity): Record<string, string> {
  const { clientSecret: _secret, ...rest } = identity as PortalIdentity & { clientSecret?: string };
  return { credentialType: identity.credentialType ?? 'secret', ...rest, ...(_secret !== undefined ? { clientSecret: '[redacted]' } : {}) };
}
