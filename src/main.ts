// The process: read env files and the environment, validate, start, and shut down on SIGINT or
// SIGTERM within seconds (work in flight gets a short grace; unfinished jobs return to the queue).
//
// The app is imported only after telemetry started: OpenTelemetry instruments the ES modules
// imported after its loader hook (observability/telemetry.ts), so nothing here imports it statically.
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, printableConfig } from './config/config.ts';
import { readEnvironment } from './config/env-files.ts';
import { createLogger } from './observability/logger.ts';
import { startTelemetry } from './observability/telemetry.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(readEnvironment(ROOT, process.env));
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const log = createLogger({ level: config.logLevel });
  // Only the printable form is ever logged: secrets, the bot password, the database password and the connection string are replaced.
  log.info({ config: printableConfig(config) }, 'configuration');
  const telemetry = await startTelemetry(config.applicationInsightsConnectionString);
  if (telemetry) log.info('exporting OpenTelemetry traces, metrics and logs to Azure Monitor (APPLICATIONINSIGHTS_CONNECTION_STRING)');
  const { startBridge } = await import('./start-bridge.ts');
  // A bridge whose replica name another process took has stopped itself: the process ends, and the
  // platform starts it again under a name of its own.
  const bridge = await startBridge(config, { log, onNameLost: () => process.exit(1), ...(telemetry ? { trace: telemetry.trace } : {}) });

  const lines = [
    `incident-bridge is running (${config.envName}${config.localMode ? ', local simulators' : ''}).`,
    `  Bot endpoint:      ${bridge.url}/api/messages   (liveness: ${bridge.url}/livez, readiness: ${bridge.url}/readyz)`,
  ];
  if (bridge.simulators) {
    const url = bridge.simulators.url;
    lines.push(
      `  Entra ID (sim):    ${url}/${config.pairs[0]!.tenantId}/v2.0/.well-known/openid-configuration`,
      `  Graph (sim):       ${url}/v1.0/security/incidents`,
      `  ARM (sim):         ${url}/subscriptions/${config.pairs[0]!.subscriptionId}/resourceGroups/${config.pairs[0]!.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${config.pairs[0]!.workspace}/providers/Microsoft.SecurityInsights/incidents`,
      `  Simulator control: ${url}/_sim/requests   (CA: ${bridge.simulators.caCertPath})`,
      `  Sample activity:   ${config.simulators.eventsPerMinute} events/min`,
    );
  }
  lines.push(`  Store:             ${config.databaseUrl ? 'PostgreSQL server (DATABASE_URL)' : `PGlite in ${config.dataDir}/pglite`}`);
  lines.push('  Chat with it from the Microsoft 365 Agents Playground: npx agentsplayground start -e ' + `${bridge.url}/api/messages -c msteams`);
  process.stdout.write(`${lines.join('\n')}\n`);

  // SIGTERM from the platform or `npm start`, SIGINT from Ctrl-C (a terminal sends it to npm and
  // Node both, and npm passes its own on: the same signal can arrive twice, so repeats are ignored).
  // The shutdown is bounded (src/shutdown.ts), so the process is gone within seconds.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // The last telemetry exports go out while the bridge drains, not after it: together they stay
    // within the bridge's bound (4 s; telemetry waits 2 s at most).
    void Promise.allSettled([bridge.close(), telemetry?.shutdown()]).then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`incident-bridge failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
