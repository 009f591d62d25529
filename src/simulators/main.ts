// Runs the simulators as a standalone process (`npm run simulators`) for local development.
// Configuration comes from the environment, read in one place (readSimulatorEnv).
import { resolve } from 'node:path';
import pino from 'pino';
import { startSimulators } from './index.ts';
import type { SimulatorOptions } from './index.ts';

export function readSimulatorEnv(env: NodeJS.ProcessEnv): SimulatorOptions {
  const port = Number(env.SIM_PORT ?? '4443');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SIM_PORT must be a port number, not '${env.SIM_PORT}'`);
  const clientId = env.AZURE_CLIENT_ID;
  const clientSecret = env.AZURE_CLIENT_SECRET;
  if ((clientId && !clientSecret) || (!clientId && clientSecret)) {
    throw new Error('set both AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or neither) to register the app with the simulated tenant');
  }
  const eventsPerMinute = env.SIM_SCENARIO_EVENTS_PER_MINUTE ? Number(env.SIM_SCENARIO_EVENTS_PER_MINUTE) : undefined;
  return {
    dataDir: resolve(env.DATA_DIR ?? './.data'),
    port,
    host: env.SIM_HOST ?? '127.0.0.1',
    tenantId: env.AZURE_TENANT_ID ?? '00000000-0000-4000-8000-000000000001',
    apps: clientId && clientSecret
      ? [{ clientId, clientSecret, graphRoles: ['SecurityIncident.ReadWrite.All', 'SecurityAlert.Read.All'], armAccess: true }]
      : [],
    subscriptionId: env.SENTINEL_SUBSCRIPTION_ID ?? '00000000-0000-4000-8000-000000000002',
    resourceGroup: env.SENTINEL_RESOURCE_GROUP ?? 'rg-sentinel-sim',
    workspace: env.SENTINEL_WORKSPACE ?? 'law-sentinel-sim',
    scenario: { enabled: env.SIM_SCENARIO === '1' || env.SIM_SCENARIO === 'true', ...(eventsPerMinute ? { eventsPerMinute } : {}) },
  };
}

async function main(): Promise<void> {
  const log = pino({ name: 'simulators' });
  const options = readSimulatorEnv(process.env);
  const sims = await startSimulators({ ...options, onError: (error, context) => log.error({ err: error, context }, 'simulator loop error') });
  log.info(
    {
      entraAuthorityHost: sims.url,
      tokenEndpoint: `${sims.url}/${options.tenantId}/oauth2/v2.0/token`,
      graph: `${sims.url}/v1.0/security/incidents`,
      arm: `${sims.url}/subscriptions/${options.subscriptionId}/resourceGroups/${options.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${options.workspace}/providers/Microsoft.SecurityInsights`,
      control: `${sims.url}/_sim`,
      caCertPath: sims.caCertPath,
      registeredApps: options.apps.map((app) => app.clientId),
    },
    'simulators listening (trust caCertPath explicitly; secrets are not logged)',
  );
  const shutdown = (signal: string) => {
    log.info({ signal }, 'stopping simulators');
    sims.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'failed to stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
