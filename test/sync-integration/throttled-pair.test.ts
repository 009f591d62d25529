// One customer's 429 storm slows no other customer. Graph's budget is per app per tenant and ARM's
// per subscription, so a throttled pair must wait on its own: its polls, link syncs and edits may
// not hold the workers every pair shares. The real composition root with two pairs on the
// simulators; tenant A's Graph and ARM answer every request 429 while tenant B's analysts edit and
// change incidents. Waits for states (B done while A's edits are still held), never for time.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/config.ts';
import { readEnvironment } from '../../src/config/env-files.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { startBridge, type RunningBridge } from '../../src/start-bridge.ts';
import { isFinalEditState } from '../../src/domain/edits.ts';
import type { SimulatorControl } from '../../src/simulators/index.ts';
import type { IncidentLink } from '../../src/store/ports.ts';
import { ANALYST, waitFor } from './support/harness.ts';
import { seedEmbeddedDatabase } from '../support/embedded-database.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const APP = { clientId: '00000000-0000-4000-8000-0000000000c9', clientSecret: 'throttled-pair-secret' };
const PAIR_A = { id: 'stormy', tenantId: '00000000-0000-4000-8000-00000000ccc1', subscriptionId: '00000000-0000-4000-8000-00000000ccc2', resourceGroup: 'rg-stormy', workspace: 'ws-stormy' };
const PAIR_B = { id: 'calm', tenantId: '00000000-0000-4000-8000-00000000ddd1', subscriptionId: '00000000-0000-4000-8000-00000000ddd2', resourceGroup: 'rg-calm', workspace: 'ws-calm' };
/** More edits in the storm than the bridge has edit workers, so a pair that held its worker would block B. */
const STORM_EDITS = 4;

let dataDir: string;
let bridge: RunningBridge;
let controlA: SimulatorControl;
let controlB: SimulatorControl;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'throttled-pair-'));
  await seedEmbeddedDatabase(dataDir);
  const config = loadConfig(
    readEnvironment(ROOT, {
      TEAMSFX_ENV: 'local',
      DATA_DIR: dataDir,
      PORTAL_CA_FILE: '',
      SIM_PORT: '0',
      SIM_EVENTS_PER_MINUTE: '0',
      POLL_INTERVAL_SECONDS: '0.5',
      CHANGE_NOTES: 'off',
      SYNC_PAIRS: JSON.stringify([PAIR_A, PAIR_B].map((pair) => ({ ...pair, ...APP }))),
    }),
  );
  bridge = await startBridge(config, { log: createSilentLogger(), port: 0, replicaName: 'throttled-pair-replica', simulatorOverrides: { port: 0, nativeSync: false, azurePortalDelayMs: 0 } });
  controlA = bridge.simulators!.controlFor(PAIR_A.tenantId);
  controlB = bridge.simulators!.controlFor(PAIR_B.tenantId);
}, 120_000);

afterAll(async () => {
  bridge?.simulators?.control.clearFaults();
  await bridge?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function linkedIn(pairId: string, defenderId: string): Promise<IncidentLink> {
  return waitFor(`link of ${pairId}/${defenderId}`, async () => {
    const link = await bridge.context.store.links.findByDefenderId(pairId, defenderId);
    return link?.sentinelId && link.defenderView && link.sentinelView ? link : null;
  });
}

describe("one pair's 429 storm", () => {
  test("leaves another pair's edits and changes prompt", async () => {
    const linksA: IncidentLink[] = [];
    for (let i = 0; i < STORM_EDITS; i++) {
      linksA.push(await linkedIn(PAIR_A.id, controlA.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: `Stormy ${i}`, severity: 'low', correlationKey: `stormy-${i}` }).incidentId));
    }
    const linkB = await linkedIn(PAIR_B.id, controlB.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: 'Calm incident', severity: 'low' }).incidentId);

    // Tenant A: every Graph and ARM request is throttled, with a long Retry-After, until cleared.
    const control = bridge.simulators!.control;
    for (const api of ['graph', 'arm'] as const) control.addFault({ api, tenant: PAIR_A.tenantId, status: 429, retryAfterSeconds: 20, count: 100_000 });

    // A's analysts edit while A is throttled: each edit needs A's portals.
    const stormy = await Promise.all(
      linksA.map((link, i) => bridge.engine.api.submitEdit({ idempotencyKey: `storm-${i}`, linkId: link.linkId, changes: { tagsAdd: [`storm-${i}`] }, actor: ANALYST })),
    );
    // A's portals answer 429 (an edit's read of its incident, or a poll of A's incident list), so
    // A's circuit is open. Only A's requests meet a fault: whichever comes first opens the circuit,
    // and the calls after it fail without a request. A's edits were queued first: workers they held
    // would hold B's edit too.
    await waitFor("A's throttled portals answering 429", () => control.requests().recent.some((entry) => entry.faultInjected));

    // Meanwhile in B: an analyst's edit from Teams, and a change made in B's Sentinel.
    const calm = await bridge.engine.api.submitEdit({ idempotencyKey: 'calm-edit', linkId: linkB.linkId, changes: { tagsAdd: ['calm'] }, actor: ANALYST });
    controlB.analystUpdateSentinelIncident(linkB.sentinelId!, { title: 'Calm incident (triaged)' }, 'jane.doe@contoso.com');

    const outcome = await waitFor("B's edit final", async () => {
      const current = await bridge.engine.api.getEditOutcome(calm.requestId);
      return current && isFinalEditState(current.state) ? current : null;
    });
    expect(outcome.state).toBe('completed');
    let seenB = '';
    await waitFor("B's Sentinel change in B's Defender, and B's tag in both portals", () => {
      const defender = controlB.defenderIncidents().find((incident) => incident.id === linkB.defenderId);
      const sentinel = controlB.sentinelIncidents().find((incident) => incident.name === linkB.sentinelId);
      seenB = JSON.stringify({ defender: [defender?.displayName, defender?.customTags], sentinel: [sentinel?.title, sentinel?.labels.map((label) => label.labelName)] });
      return defender?.displayName === 'Calm incident (triaged)' && defender.customTags.includes('calm') && sentinel?.labels.some((label) => label.labelName === 'calm');
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}; B's portals showed ${seenB}`);
    });

    // B finished while A's storm still holds every one of A's edits: B did not wait for A.
    for (const { requestId } of stormy) expect((await bridge.engine.api.getEditOutcome(requestId))?.state).toBe('accepted');

    // The storm over, A's edits complete too: nothing of A was lost to the throttling.
    control.clearFaults();
    for (const { requestId } of stormy) {
      const final = await waitFor(`A's edit ${requestId} final`, async () => {
        const current = await bridge.engine.api.getEditOutcome(requestId);
        return current && isFinalEditState(current.state) ? current : null;
      }, 120_000);
      expect(final.state).toBe('completed');
    }
  }, 240_000);
});
