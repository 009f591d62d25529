// TLS trust for portal calls. The local simulators sign their certificate with a locally generated
// CA; the product trusts that CA explicitly (in addition to the system roots) and never turns
// certificate checking off. One https.Agent carries the trust; the Azure pipeline HttpClient and the
// Graph fetch both send through it.
import https from 'node:https';
import tls from 'node:tls';

export interface TlsTrustOptions {
  /** PEM of an extra CA to trust (the simulators' CA). Omit for Microsoft's public endpoints. */
  caCertPem?: string;
}

export function createTrustingAgent(options: TlsTrustOptions = {}): https.Agent {
  const extra = options.caCertPem?.trim();
  if (extra !== undefined && !extra.includes('-----BEGIN CERTIFICATE-----')) {
    throw new TypeError('caCertPem is not a PEM certificate: pass the contents of the CA file (-----BEGIN CERTIFICATE-----...), not its path');
  }
  return new https.Agent({
    keepAlive: true,
    // `ca` replaces Node's default trust store, so the system roots are kept alongside the extra CA.
    ...(extra ? { ca: [...tls.rootCertificates, extra] } : {}),
    rejectUnauthorized: true,
  });
}
