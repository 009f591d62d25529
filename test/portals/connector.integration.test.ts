// The connector settings client against the simulated workspace.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSimulators } from '../../src/simulators/index.ts';
import { createConnectorSettingsClient, type DefenderConnectorSettingsClient } from '../../src/portals/index.ts';

const TENANT = '11111111-2222-3333-4444-555555555555';
const APP = { clientId: 'aaaaaaaa-0000-0000-0000-000000000003', clientSecret: 'connector-secret' };
const WORKSPACE = { subscriptionId: 'd0cfe6b2-9ac0-4464-9919-dccaee2e48c0', resourceGroup: 'rg-soc', workspace: 'ws-soc' };

describe('connector settings client against the simulators', () => {
  let dataDir: string;
  let sims: Awaited<ReturnType<typeof startSimulators>>;
  let client: DefenderConnectorSettingsClient;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'portals-connector-'));
    sims = await startSimulators({
      dataDir, port: 0, tenantId: TENANT, apps: [{ ...APP, graphRoles: [], armAccess: true }], ...WORKSPACE, scenario: { enabled: false },
    });
    client = createConnectorSettingsClient({
      tenantId: TENANT, ...APP, authorityHost: sims.url, armEndpoint: sims.url, caCertPem: sims.caCertPem, ...WORKSPACE, integrationMethod: 'defenderPortal',
    });
  });

  afterAll(async () => {
    await sims?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('reads the seeded configuration, writes a change and reads it back', async () => {
    const first = await client.read();
    expect(first.config).toMatchObject({ integrationMethod: 'defenderPortal', incidentsAndAlerts: true, turnOffIncidentCreationRules: true });

    const next = { ...first.config, entities: true, turnOffIncidentCreationRules: false, eventTypes: ['DeviceProcessEvents', 'EmailEvents'] };
    const written = await client.write(first, next);
    expect(written.config).toEqual(next);
    expect(written.version).not.toBe(first.version);

    // The first snapshot is now stale: applying it again is a conflict, and nothing is written.
    await expect(client.write(first, { ...next, entities: false })).rejects.toMatchObject({ code: 'conflict' });
    expect((await client.read()).config).toEqual(next);

    const back = await client.write(written, { ...next, turnOffIncidentCreationRules: true, eventTypes: ['EmailEvents'] });
    expect(back.config).toMatchObject({ turnOffIncidentCreationRules: true, eventTypes: ['EmailEvents'], entities: true });
  });

  test('changing the integration method is refused with directions', async () => {
    const snapshot = await client.read();
    await expect(client.write(snapshot, { ...snapshot.config, integrationMethod: 'azurePortal' })).rejects.toMatchObject({ code: 'bad-request' });
  });

  test('checkRequirements reports authorization and licence', async () => {
    expect(await client.checkRequirements()).toEqual({ authorization: 'valid', license: 'valid', missing: [] });
    sims.control.setCheckRequirements({ licenseState: 'Invalid' });
    const missing = await client.checkRequirements();
    expect(missing).toMatchObject({ authorization: 'valid', license: 'invalid' });
    expect(missing.missing).toEqual([expect.stringMatching(/Licence/)]);
  });
});
