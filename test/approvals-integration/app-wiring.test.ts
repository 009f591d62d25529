// The composition root wires the approvals scheduler: started with the bridge, it takes the
// scheduler lease, records the drift baseline, and detects a connector change made directly
// through ARM. The embedded simulators and the connector client model CONNECTOR_INTEGRATION_METHOD.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/config.ts';
import { readEnvironment } from '../../src/config/env-files.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { startBridge, type RunningBridge } from '../../src/start-bridge.ts';
import { APPROVAL_SCHEDULER_LEASE } from '../../src/approvals/scheduler.ts';
import { lastKnownSnapshotKeyOf } from '../../src/approvals/service.ts';
import { createConnectorSettingsClient } from '../../src/portals/index.ts';
import type { Config } from '../../src/config/config.ts';
import { seedEmbeddedDatabase } from '../support/embedded-database.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let dataDir: string;
let config: Config;
let bridge: RunningBridge;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'approvals-app-'));
  await seedEmbeddedDatabase(dataDir);
  config = loadConfig(readEnvironment(ROOT, {
    TEAMSFX_ENV: 'local', DATA_DIR: dataDir, PORTAL_CA_FILE: '', SIM_PORT: '0', SIM_EVENTS_PER_MINUTE: '0', POLL_INTERVAL_SECONDS: '0.5', CONNECTOR_INTEGRATION_METHOD: 'azurePortal',
  }));
  bridge = await startBridge(config, {
    log: createSilentLogger(),
    port: 0,
    replicaName: 'replica-under-test',
    approvalCheckIntervalMs: 200,
    simulatorOverrides: { port: 0, nativeSync: false, azurePortalDelayMs: 0 },
  });
});

afterAll(async () => {
  await bridge?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('startBridge wires connector approvals', () => {
  test('the scheduler holds the lease, keeps the drift baseline and detects a change made through ARM', async () => {
    const store = bridge.context.store;
    const lease = await waitFor(() => store.leases.get(APPROVAL_SCHEDULER_LEASE));
    expect(lease.holderId).toBe('replica-under-test');

    const pair = config.pairs[0]!;
    const baseline = (await waitFor(() => store.settings.get(lastKnownSnapshotKeyOf(pair.id)))) as { version: string; config: { integrationMethod: string } };
    expect(bridge.simulators?.control.config().integrationMethod).toBe('azurePortal');
    expect(baseline.config.integrationMethod).toBe('azurePortal');

    // Someone changes the connector directly through ARM.
    const sims = bridge.simulators!;
    const outside = createConnectorSettingsClient({
      tenantId: pair.tenantId, ...pair.identity, authorityHost: sims.url, armEndpoint: sims.url,
      caCertPem: sims.caCertPem, subscriptionId: pair.subscriptionId, resourceGroup: pair.resourceGroup, workspace: pair.workspace, integrationMethod: 'azurePortal',
    });
    const live = await outside.read();
    await outside.write(live, { ...live.config, eventTypes: [...live.config.eventTypes, 'EmailEvents'] });

    const drift = await waitFor(async () => (await store.audit.list({ subject: 'connector:defender-xdr' })).find((e) => e.action === 'connector.drift'));
    expect(drift.pairId).toBe(pair.id);
    expect(drift.details).toMatchObject({ previousVersion: baseline.version, changes: [{ setting: 'eventTypes', added: ['EmailEvents'] }] });
  });
});
