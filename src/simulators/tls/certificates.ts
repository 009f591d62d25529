// A locally generated certificate authority (persisted, reused across restarts) and a server
// certificate for localhost / 127.0.0.1 / ::1 signed by it. Clients trust the CA explicitly;
// nothing is added to any system trust store.
import { constants, generateKeyPairSync, privateEncrypt, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';
import { CA_CERT_FILE } from '../paths.ts';

export interface TlsMaterial {
  caCertPem: string;
  caCertPath: string;
  serverKeyPem: string;
  serverCertPem: string;
}

function newRsaKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  // Node's native generator: node-forge's pure-JS RSA generation takes seconds.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** DER of a SHA-256 DigestInfo up to the digest itself (RFC 8017, section 9.2, note 1). */
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * Signs `cert` (RSASSA-PKCS1-v1_5 with SHA-256) with Node's native RSA: node-forge builds the
 * certificate, but its JavaScript big-integer signature takes over a second per certificate
 * inside a VM context (as under Jest), where native code takes milliseconds.
 */
function signCertificate(cert: forge.pki.Certificate, keyPem: string): void {
  const signer = {
    sign: (md: forge.md.MessageDigest) =>
      privateEncrypt({ key: keyPem, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA256_DIGEST_INFO_PREFIX, Buffer.from(md.digest().getBytes(), 'binary')])).toString('binary'),
  };
  cert.sign(signer as unknown as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
}

function serialNumber(): string {
  // Positive 16-byte serial (leading nibble kept below 8 so DER does not read it as negative).
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function createCa(now: Date): { certPem: string; keyPem: string } {
  const keys = newRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + 10 * 365 * 24 * 3600_000);
  const subject = [
    { name: 'commonName', value: 'incident-bridge simulators local CA' },
    { name: 'organizationName', value: 'incident-bridge (development only)' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signCertificate(cert, keys.privateKeyPem);
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

function createServerCert(ca: { certPem: string; keyPem: string }, now: Date): { certPem: string; keyPem: string } {
  const keys = newRsaKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  // Short-lived: a fresh one is issued at every start.
  cert.validity.notAfter = new Date(now.getTime() + 365 * 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
      ],
    },
  ]);
  signCertificate(cert, ca.keyPem);
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Loads the CA from `dir` (creating and persisting it on first use) and issues a server certificate. */
export async function loadOrCreateTls(dir: string, now: Date): Promise<TlsMaterial> {
  await mkdir(dir, { recursive: true });
  const caCertPath = join(dir, CA_CERT_FILE);
  const caKeyPath = join(dir, 'ca-key.pem');
  let certPem = await readIfExists(caCertPath);
  let keyPem = await readIfExists(caKeyPath);
  if (!certPem || !keyPem) {
    const ca = createCa(now);
    certPem = ca.certPem;
    keyPem = ca.keyPem;
    // The key is written first and owner-only, so a crash leaves no cert without its key.
    await writeFile(caKeyPath, keyPem, { encoding: 'utf8', mode: 0o600 });
    await writeFile(caCertPath, certPem, 'utf8');
  }
  const server = createServerCert({ certPem, keyPem }, now);
  return { caCertPem: certPem, caCertPath, serverKeyPem: server.keyPem, serverCertPem: server.certPem };
}
