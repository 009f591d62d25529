// Where the simulators keep their files in a data folder (CA, token signing key, state). The bridge
// finds the CA here when it runs against simulators started on their own (SIMULATORS=external).
import { join } from 'node:path';

export const CA_CERT_FILE = 'ca-cert.pem';

export function simulatorDir(dataDir: string): string {
  return join(dataDir, 'simulators');
}

/** The CA that issues the simulators' TLS certificate, as they write it under `dataDir`. */
export function simulatorCaCertPath(dataDir: string): string {
  return join(simulatorDir(dataDir), CA_CERT_FILE);
}
