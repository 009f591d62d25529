// The RS256 key the simulated Entra tenant signs tokens with. Persisted next to the CA so tokens
// issued before a restart still verify after it (clients cache tokens for their lifetime).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey, JWK } from 'jose';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export async function loadOrCreateSigningKey(dir: string): Promise<SigningKey> {
  const file = join(dir, 'token-signing-key.json');
  let stored: { kid: string; privateJwk: JWK } | undefined;
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as { kid: string; privateJwk: JWK };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (!stored) {
    const pair = await generateKeyPair('RS256', { extractable: true });
    const privateJwk = await exportJWK(pair.privateKey);
    stored = { kid: `sim-${Date.now().toString(36)}`, privateJwk };
    await mkdir(dir, { recursive: true });
    await writeFile(file, JSON.stringify(stored), { encoding: 'utf8', mode: 0o600 });
  }
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = stored.privateJwk;
  const privateKey = (await importJWK({ ...stored.privateJwk, alg: 'RS256' }, 'RS256')) as CryptoKey;
  const publicKey = (await importJWK({ ...publicJwk, alg: 'RS256' }, 'RS256')) as CryptoKey;
  return { kid: stored.kid, privateKey, publicKey, publicJwk: { ...publicJwk, kid: stored.kid, use: 'sig', alg: 'RS256' } };
}
