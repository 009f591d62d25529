// The portal agents' TLS trust: the system roots plus one extra CA (the simulators', or a
// TLS-inspecting proxy's), certificate checks always on, and one secure context per CA however many
// agents trust it (a context per connection cost about 1 MB each).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadOrCreateTls, type TlsMaterial } from '../../src/simulators/tls/certificates.ts';
import { createTrustingAgent } from '../../src/portals/http/tls.ts';

interface Site {
  tls: TlsMaterial;
  server: https.Server;
  port: number;
}

// OpenSSL's codes for a chain that does not end at a trusted root (the servers send their leaf alone).
const UNTRUSTED = /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_SIGNATURE_FAILURE)$/;
const dirs: string[] = [];
let trusted: Site;
let stranger: Site;

async function site(): Promise<Site> {
  const dir = mkdtempSync(join(tmpdir(), 'ib-tls-'));
  dirs.push(dir);
  const material = await loadOrCreateTls(dir, new Date());
  const server = https.createServer({ key: material.serverKeyPem, cert: material.serverCertPem }, (_request, response) => response.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { tls: material, server, port: (server.address() as AddressInfo).port };
}

function get(agent: https.Agent, port: number, host = 'localhost'): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get({ host, port, path: '/', agent, lookup: (_name, options, callback) => (options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4)) }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        response.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  trusted = await site();
  stranger = await site();
});

afterAll(async () => {
  for (const { server } of [trusted, stranger]) await new Promise((resolve) => server?.close(resolve));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test('an agent trusting a CA reaches a server it signed, and refuses one another CA signed', async () => {
  const agent = createTrustingAgent({ caCertPem: trusted.tls.caCertPem });
  await expect(get(agent, trusted.port)).resolves.toBe('ok');
  await expect(get(agent, stranger.port)).rejects.toMatchObject({ code: expect.stringMatching(UNTRUSTED) });
  agent.destroy();
});

test('without the extra CA the simulators are refused: checks are never off', async () => {
  const agent = createTrustingAgent();
  await expect(get(agent, trusted.port)).rejects.toMatchObject({ code: expect.stringMatching(UNTRUSTED) });
  agent.destroy();
});

test('the server name is still checked against the certificate', async () => {
  const agent = createTrustingAgent({ caCertPem: trusted.tls.caCertPem });
  await expect(get(agent, trusted.port, 'portal.invalid')).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  agent.destroy();
});

test('agents trusting the same CA share one secure context; another CA gets its own', () => {
  const contextOf = (agent: https.Agent) => (agent as https.Agent & { options: { secureContext?: unknown } }).options.secureContext;
  const first = createTrustingAgent({ caCertPem: trusted.tls.caCertPem });
  const second = createTrustingAgent({ caCertPem: `\n${trusted.tls.caCertPem}\n` });
  const other = createTrustingAgent({ caCertPem: stranger.tls.caCertPem });
  expect(contextOf(first)).toBeDefined();
  expect(contextOf(second)).toBe(contextOf(first));
  expect(contextOf(other)).not.toBe(contextOf(first));
});

test('a path instead of a PEM is refused with what to pass', () => {
  expect(() => createTrustingAgent({ caCertPem: '/etc/ssl/simulators-ca.pem' })).toThrow(/not a PEM certificate/);
});
