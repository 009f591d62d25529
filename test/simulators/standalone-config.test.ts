// `npm run simulators` and `SIMULATORS=external npm start` must meet: the standalone simulators read
// the same env files as the bridge, so the app registration and workspace agree out of the box.
import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readEnvFiles, readSimulatorEnv } from '../../src/simulators/main.ts';
import { startSimulators } from '../../src/simulators/index.ts';
import { loadConfig } from '../../src/config/config.ts';
import { readEnvironment } from '../../src/config/env-files.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('standalone simulators configuration', () => {
  test('registers the bridge app and serves the bridge workspace from env/.env.local', () => {
    const options = readSimulatorEnv(readEnvFiles(ROOT, { TEAMSFX_ENV: 'local' }));
    const config = loadConfig(readEnvironment(ROOT, { TEAMSFX_ENV: 'local' }));
    const bridge = config.pairs[0]!;
    expect(options.tenantId).toBe(bridge.tenantId);
    expect(options.apps.map((app) => [app.clientId, app.clientSecret])).toEqual([[bridge.identity.clientId, (bridge.identity as { clientSecret: string }).clientSecret]]);
    expect([options.subscriptionId, options.resourceGroup, options.workspace]).toEqual([bridge.subscriptionId, bridge.resourceGroup, bridge.workspace]);
    expect(options.port).toBe(4443);
    expect(options.scenario).toMatchObject({ enabled: true, eventsPerMinute: 6 });
    expect(options.integrationMethod).toBe(config.approvals.integrationMethod);
    // War rooms: the bridge's Teams app in the catalog, install events to the bridge's endpoint.
    expect(options.teamsApps).toEqual([{ externalId: config.teamsAppId, displayName: 'Incident Bridge' }]);
    expect(options.botEndpoint).toBe(`http://127.0.0.1:${config.port}/api/messages`);
    expect(options.apps[0]?.graphRoles).toEqual(expect.arrayContaining(['Chat.Create', 'AppCatalog.Read.All', 'TeamsAppInstallation.ReadWriteForChat.All']));
  });

  test('with another DATA_DIR, the bridge trusts the CA the standalone simulators write there', async () => {
    const dataDir = join(ROOT, 'test-results', `standalone-ca-${process.pid}`);
    mkdirSync(dataDir, { recursive: true });
    const env = { TEAMSFX_ENV: 'local', SIMULATORS: 'external', DATA_DIR: dataDir, SIM_PORT: '0', SIM_EVENTS_PER_MINUTE: '0' };
    const sims = await startSimulators(readSimulatorEnv(readEnvFiles(ROOT, env)));
    try {
      const bridge = loadConfig(readEnvironment(ROOT, env));
      expect(resolve(bridge.portalCaFile ?? '')).toBe(sims.caCertPath);
      expect(existsSync(sims.caCertPath)).toBe(true);
    } finally {
      await sims.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('the process environment wins, and bad values are refused with the variable named', () => {
    expect(readSimulatorEnv(readEnvFiles(ROOT, { TEAMSFX_ENV: 'local', SIM_PORT: '5000', SIM_EVENTS_PER_MINUTE: '0', CONNECTOR_INTEGRATION_METHOD: 'azurePortal' }))).toMatchObject({ port: 5000, scenario: { enabled: false }, integrationMethod: 'azurePortal' });
    expect(() => readSimulatorEnv(readEnvFiles(ROOT, { TEAMSFX_ENV: 'local', CONNECTOR_INTEGRATION_METHOD: 'both' }))).toThrow(/CONNECTOR_INTEGRATION_METHOD/);
    expect(() => readSimulatorEnv(readEnvFiles(ROOT, { TEAMSFX_ENV: 'local', SIM_PORT: 'x' }))).toThrow(/SIM_PORT/);
    expect(() => readSimulatorEnv(readEnvFiles(ROOT, { TEAMSFX_ENV: 'local', SIM_EVENTS_PER_MINUTE: '-3' }))).toThrow(/SIM_EVENTS_PER_MINUTE/);
    expect(() => readEnvFiles(ROOT, { TEAMSFX_ENV: '../x' })).toThrow(/TEAMSFX_ENV/);
  });
});
