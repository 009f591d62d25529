// Several (tenant, workspace) pairs, as an MSSP runs them: the real composition root (startBridge)
// with SYNC_PAIRS naming two customer tenants served by the same simulator URL. Each pair gets its
// own watcher lease and health entry, incidents link within their own pair, and a change in one
// tenant reaches that tenant's other portal only.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/config.ts';
import { readEnvironment } from '../../src/config/env-files.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { startBridge, type RunningBridge } from '../../src/start-bridge.ts';
import type { SimulatorControl } from '../../src/simulators/index.ts';
import type { IncidentLink } from '../../src/store/ports.ts';
import { waitFor } from './support/harness.ts';
import { seedEmbeddedDatabase } from '../support/embedded-database.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REPLICA = 'multi-pair-replica';
const APP = { clientId: '00000000-0000-4000-8000-0000000000c9', clientSecret: 'multi-pair-secret' };
const PAIR_A = { id: 'contoso', tenantId: '00000000-0000-4000-8000-00000000aaa1', subscriptionId: '00000000-0000-4000-8000-00000000aaa2', resourceGroup: 'rg-contoso', workspace: 'ws-contoso' };
const PAIR_B = { id: 'fabrikam', tenantId: '00000000-0000-4000-8000-00000000bbb1', subscriptionId: '00000000-0000-4000-8000-00000000bbb2', resourceGroup: 'rg-fabrikam', workspace: 'ws-fabrikam' };

let dataDir: string;
let bridge: RunningBridge;
let controlA: SimulatorControl;
let controlB: SimulatorControl;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'multi-pair-'));
  await seedEmbeddedDatabase(dataDir);
  const config = loadConfig(readEnvironment(ROOT, {
    TEAMSFX_ENV: 'local',
    DATA_DIR: dataDir,
    PORTAL_CA_FILE: '',
    SIM_PORT: '0',
    SIM_EVENTS_PER_MINUTE: '0',
    POLL_INTERVAL_SECONDS: '0.3',
    SYNC_PAIRS: JSON.stringify([PAIR_A, PAIR_B].map((pair) => ({ ...pair, ...APP }))),
  }));
  expect(config.pairs.map((pair) => pair.id)).toEqual([PAIR_A.id, PAIR_B.id]);
  bridge = await startBridge(config, {
    log: createSilentLogger(),
    port: 0,
    replicaName: REPLICA,
    // The composition root makes the first pair the simulators' primary tenant; the second
    // customer is an additional tenant on the same URL.
    simulatorOverrides: { port: 0, nativeSync: false, azurePortalDelayMs: 0 },
  });
  controlA = bridge.simulators!.controlFor(PAIR_A.tenantId);
  controlB = bridge.simulators!.controlFor(PAIR_B.tenantId);
});

afterAll(async () => {
  await bridge?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/**
 * The link of a Defender incident in a pair, once both portals' views are stored. A poll can list
 * the Sentinel copy before the Defender incident (raised between the two listings): the link then
 * has its Sentinel side first and the Defender view one poll later.
 */
function linkedIn(pairId: string, defenderId: string): Promise<IncidentLink> {
  return waitFor(`link of ${pairId}/${defenderId}`, async () => {
    const link = await bridge.context.store.links.findByDefenderId(pairId, defenderId);
    return link?.sentinelId && link.defenderView ? link : null;
  });
}

describe('two (tenant, workspace) pairs on one bridge', () => {
  let linkA: IncidentLink;
  let linkB: IncidentLink;

  test('each pair runs its own watcher under its own lease and reports its own health', async () => {
    const leaseA = await waitFor('lease of pair A', () => bridge.context.store.leases.get(`watch:${PAIR_A.id}`));
    const leaseB = await waitFor('lease of pair B', () => bridge.context.store.leases.get(`watch:${PAIR_B.id}`));
    expect([leaseA.holderId, leaseB.holderId]).toEqual([REPLICA, REPLICA]);
    const health = await waitFor('both watchers polling', async () => {
      const report = await bridge.health();
      return report[`watcher:${PAIR_A.id}`]?.ok && report[`watcher:${PAIR_B.id}`]?.ok ? report : null;
    });
    expect(Object.keys(health)).toEqual(expect.arrayContaining([`watcher:${PAIR_A.id}`, `watcher:${PAIR_B.id}`]));
  });

  test('an alert in each tenant links within its own pair only', async () => {
    const alertA = controlA.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: 'Contoso ransomware', severity: 'medium' });
    const alertB = controlB.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: 'Fabrikam phishing', severity: 'medium' });
    linkA = await linkedIn(PAIR_A.id, alertA.incidentId);
    linkB = await linkedIn(PAIR_B.id, alertB.incidentId);

    expect(linkA.pairId).toBe(PAIR_A.id);
    expect(linkB.pairId).toBe(PAIR_B.id);
    // Each Sentinel counterpart is the one in that tenant's own workspace.
    expect(controlA.sentinelIncidents().map((incident) => incident.name)).toEqual([linkA.sentinelId]);
    expect(controlB.sentinelIncidents().map((incident) => incident.name)).toEqual([linkB.sentinelId]);
    expect(linkA.defenderView?.title).toBe('Contoso ransomware');
    expect(linkB.defenderView?.title).toBe('Fabrikam phishing');
    expect(linkB.sentinelView?.title).toBe('Fabrikam phishing');
    // Neither pair picked up the other tenant's incident (Defender ids may coincide across tenants).
    const linksA = await bridge.engine.api.listIncidents({ pairId: PAIR_A.id });
    const linksB = await bridge.engine.api.listIncidents({ pairId: PAIR_B.id });
    expect(linksA.map((view) => view.linkId)).toEqual([linkA.linkId]);
    expect(linksB.map((view) => view.linkId)).toEqual([linkB.linkId]);
    expect(linksB[0]?.defender?.title).toBe('Fabrikam phishing');
    // Without a pair filter, both are listed.
    expect((await bridge.engine.api.listIncidents({})).map((view) => view.pairId).sort()).toEqual([PAIR_A.id, PAIR_B.id]);
  });

  test("a change in tenant B's Sentinel reaches tenant B's Defender, and nothing of tenant A", async () => {
    const defenderA = controlA.defenderIncidents()[0]!;
    const sentinelA = controlA.sentinelIncidents()[0]!;
    controlB.analystUpdateSentinelIncident(linkB.sentinelId!, { title: 'Fabrikam phishing (confirmed)', labels: ['customer-b'] }, 'jane.doe@contoso.com');

    await waitFor("tenant B's Defender incident retitled and tagged", () => {
      const incident = controlB.defenderIncidents().find((candidate) => candidate.id === linkB.defenderId);
      return incident?.displayName === 'Fabrikam phishing (confirmed)' && incident.customTags.includes('customer-b');
    });
    const viewB = await waitFor('the link of pair B to show the new title', async () => {
      const view = await bridge.engine.api.findIncident(linkB.linkId);
      return view?.defender?.title === 'Fabrikam phishing (confirmed)' ? view : null;
    });
    expect(viewB.pairId).toBe(PAIR_B.id);

    // Tenant A's portals are untouched: same title, tags and modification times.
    const defenderAAfter = controlA.defenderIncidents()[0]!;
    const sentinelAAfter = controlA.sentinelIncidents()[0]!;
    expect(defenderAAfter.displayName).toBe('Contoso ransomware');
    expect(defenderAAfter.customTags).toEqual(defenderA.customTags);
    expect(defenderAAfter.lastUpdateDateTime).toBe(defenderA.lastUpdateDateTime);
    expect(sentinelAAfter.title).toBe('Contoso ransomware');
    expect(sentinelAAfter.lastModifiedTimeUtc).toBe(sentinelA.lastModifiedTimeUtc);
    expect(controlA.defenderIncidents()).toHaveLength(1);
    expect(controlA.sentinelIncidents()).toHaveLength(1);
    const linkAAfter = await bridge.context.store.links.findByDefenderId(PAIR_A.id, linkA.defenderId);
    expect(linkAAfter?.defenderView?.title).toBe('Contoso ransomware');
  });
});
