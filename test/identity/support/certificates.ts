// Self-signed certificates with their private keys, as an admin would upload to an app registration
// (the certificate) and give the bridge (one PEM file holding both).
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import forge from 'node-forge';

export interface TestCertificate {
  certificatePem: string;
  privateKeyPem: string;
  /** Certificate and key in one file, as ClientCertificateCredential reads it. */
  combinedPem: string;
  x5tS256: string;
}

export function createTestCertificate(commonName: string): TestCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = `01${createHash('sha256').update(commonName).digest('hex').slice(0, 16)}`;
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  const name = [{ name: 'commonName', value: commonName }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.sign(forge.pki.privateKeyFromPem(privateKeyPem), forge.md.sha256.create());
  const certificatePem = forge.pki.certificateToPem(cert);
  const x5tS256 = createHash('sha256').update(new X509Certificate(certificatePem).raw).digest('base64url');
  return { certificatePem, privateKeyPem, combinedPem: `${privateKeyPem}\n${certificatePem}`, x5tS256 };
}
