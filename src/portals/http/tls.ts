// TLS trust for portal calls. The local simulators sign their certificate with a locally generated
// CA (and a corporate TLS-inspecting proxy may do the same); the product trusts that CA explicitly,
// in addition to the system roots, and never turns certificate checking off. One https.Agent per
// portal connection carries the trust; the Azure pipeline HttpClient and the Graph fetch both send
// through it.
import https from 'node:https';
import tls from 'node:tls';

export interface TlsTrustOptions {
  /** PEM of an extra CA to trust (the simulators' CA). Omit for Microsoft's public endpoints. */
  caCertPem?: string;
}

/**
 * One secure context per extra CA, shared by every agent that trusts it. Given `ca`, Node builds a
 * context for each new connection, parsing the ~150 system roots again: about 1 MB a socket, which
 * with a few connections per pair and 50 pairs was most of the process's memory.
 */
const contexts = new Map<string, tls.SecureContext>();

function trustingContext(extraPem: string): tls.SecureContext {
  let context = contexts.get(extraPem);
  if (!context) {
    // `ca` replaces Node's default trust store, so the system roots are kept alongside the extra CA.
    context = tls.createSecureContext({ ca: [...tls.rootCertificates, extraPem] });
    contexts.set(extraPem, context);
  }
  return context;
}

export function createTrustingAgent(options: TlsTrustOptions = {}): https.Agent {
  const extra = options.caCertPem?.trim();
  if (extra !== undefined && !extra.includes('-----BEGIN CERTIFICATE-----')) {
    throw new TypeError('caCertPem is not a PEM certificate: pass the contents of the CA file (-----BEGIN CERTIFICATE-----...), not its path');
  }
  return new https.Agent({
    keepAlive: true,
    ...(extra ? { secureContext: trustingContext(extra) } : {}),
    rejectUnauthorized: true,
  });
}
