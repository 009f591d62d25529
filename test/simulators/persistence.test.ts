import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestSims } from './helpers.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('persistence across restarts', () => {
  test('close + start with the same dataDir keeps incidents, comments, workspace config, the CA and token validity', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sim-persist-'));
    dirs.push(dataDir);
    const first = await startTestSims({}, dataDir);
    const { incidentId } = first.control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: 'persist me', severity: 'low' });
    await first.graph('POST', `/v1.0/security/incidents/${incidentId}/comments`, { comment: 'remember this' });
    await first.arm('PUT', '/settings/Ueba', { kind: 'Ueba', properties: { dataSources: ['SigninLogs'] } }, '2025-10-01-preview');
    const token = await first.token('https://graph.microsoft.com/.default');
    const sentinelName = first.control.sentinelCounterpart(incidentId)!.name;
    await first.close();
    const files = await readdir(join(dataDir, 'simulators'));
    expect(files).toEqual(expect.arrayContaining(['ca-cert.pem', 'ca-key.pem', 'state.json', 'token-signing-key.json']));
    expect(files.filter((file) => file.endsWith('.tmp'))).toEqual([]); // atomic writes leave no temp files
    expect(JSON.parse(await readFile(join(dataDir, 'simulators', 'state.json'), 'utf8')).version).toBe(1);

    const second = await startTestSims({}, dataDir);
    try {
      expect(second.caCertPem).toBe(first.caCertPem);
      const incident = await second.http('GET', `/v1.0/security/incidents/${incidentId}`, { headers: { authorization: `Bearer ${token}` } });
      expect(incident.status).toBe(200); // the token issued before the restart still verifies
      expect(incident.json.comments.map((c: { comment: string }) => c.comment)).toEqual(['remember this']);
      expect(second.control.sentinelComments(sentinelName).map((c) => c.message)).toEqual(['remember this']);
      expect((await second.arm('GET', '/settings/Ueba', undefined, '2025-10-01-preview')).json.properties.dataSources).toEqual(['SigninLogs']);
      // Ids continue rather than restart.
      expect(second.control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: 'next', severity: 'low' }).incidentId).toBe(String(Number(incidentId) + 1));
    } finally {
      await second.close();
    }
  });

  test('a pending Azure-portal import survives a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sim-persist-'));
    dirs.push(dataDir);
    const first = await startTestSims({ integrationMethod: 'azurePortal', azurePortalDelayMs: 300 }, dataDir);
    const { incidentId } = first.control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: 'later', severity: 'low' });
    await first.close();
    const second = await startTestSims({ integrationMethod: 'azurePortal', azurePortalDelayMs: 300 }, dataDir);
    try {
      const { waitFor } = await import('./helpers.ts');
      await waitFor(() => second.control.sentinelCounterpart(incidentId), 'the resumed import');
    } finally {
      await second.close();
    }
  });
});
