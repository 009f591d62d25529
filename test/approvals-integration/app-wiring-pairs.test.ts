// The composition root with an MSSP's two pairs (SYNC_PAIRS): one connector per pair's workspace,
// each pair's drift baseline kept apart, and a change made through ARM to one customer's connector
// detected and audited for that pair only.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { readEnvironment } from '../../src/config/env-files.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { startBridge, type RunningBridge } from '../../src/start-bridge.ts';
import { lastKnownSnapshotKeyOf } from '../../src/approvals/service.ts';
import { createConnectorSettingsClient } from '../../src/portals/index.ts';
import { seedEmbeddedDatabase } from '../support/embedded-database.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAIRS = [
  { id: 'cust-001', name: 'Contoso Ltd', tenantId: '00000000-0000-4000-8000-000000000101', subscriptionId: '00000000-0000-4000-8000-000000000103', resourceGroup: 'contoso-rg', workspace: 'contoso-ws' },
  { id: 'cust-002', name: 'Fabrikam', tenantId: '00000000-0000-4000-8000-000000000201', subscriptionId: '00000000-0000-4000-8000-000000000203', resourceGroup: 'fabrikam-rg', workspace: 'fabrikam-ws' },
];

let dataDir: string;
let config: Config;
let bridge: RunningBridge;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'approvals-pairs-'));
  await seedEmbeddedDatabase(dataDir);
  config = loadConfig(readEnvironment(ROOT, {
    TEAMSFX_ENV: 'local', DATA_DIR: dataDir, PORTAL_CA_FILE: '', SIM_PORT: '0', SIM_EVENTS_PER_MINUTE: '0', POLL_INTERVAL_SECONDS: '0.5', SYNC_PAIRS: JSON.stringify(PAIRS),
  }));
  bridge = await startBridge(config, {
    log: createSilentLogger(),
    port: 0,
    replicaName: 'replica-under-test',
    approvalCheckIntervalMs: 200,
    simulatorOverrides: { port: 0, nativeSync: false },
  });
}, 60_000);

afterAll(async () => {
  await bridge?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('startBridge with two pairs', () => {
  test("each pair's connector has its own baseline; drift on Fabrikam's is found and audited for Fabrikam only", async () => {
    const store = bridge.context.store;
    const baselines = await Promise.all(config.pairs.map((pair) => waitFor(() => store.settings.get(lastKnownSnapshotKeyOf(pair.id)))));
    expect(baselines).toHaveLength(2);

    const fabrikam = config.pairs[1]!;
    const sims = bridge.simulators!;
    const outside = createConnectorSettingsClient({
      tenantId: fabrikam.tenantId, ...fabrikam.identity, authorityHost: sims.url, armEndpoint: sims.url, caCertPem: sims.caCertPem,
      subscriptionId: fabrikam.subscriptionId, resourceGroup: fabrikam.resourceGroup, workspace: fabrikam.workspace, integrationMethod: 'defenderPortal',
    });
    const live = await outside.read();
    await outside.write(live, { ...live.config, eventTypes: [...live.config.eventTypes, 'EmailEvents'] });

    const drifts = async () => (await store.audit.list({ subject: 'connector:defender-xdr' })).filter((e) => e.action === 'connector.drift');
    const [drift] = await waitFor(async () => {
      const found = await drifts();
      return found.length > 0 ? found : null;
    });
    expect(drift?.pairId).toBe('cust-002');
    expect(drift?.details).toMatchObject({ changes: [{ setting: 'eventTypes', added: ['EmailEvents'] }] });
    // Several more ticks of the scheduler check both pairs again: still nothing for Contoso.
    const lease = await store.leases.get('approvals:scheduler');
    await waitFor(async () => ((await store.leases.get('approvals:scheduler'))?.expiresAt ?? '') > (lease?.expiresAt ?? '') || null);
    expect((await drifts()).map((e) => e.pairId)).toEqual(['cust-002']);
  }, 60_000);
});
