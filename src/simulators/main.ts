// Runs the simulators as a standalone process (`npm run simulators`) for local development.
// Configuration comes from the same Agents Toolkit-style env files as the bridge (env/.env.<name>,
// then .user, then the process environment), read here with a few lines of our own: the
// simulators never import product code. readSimulatorEnv turns it into options.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'dotenv';
import pino from 'pino';
import { startSimulators } from './index.ts';
import type { SimulatorOptions } from './index.ts';
import { INTEGRATION_METHODS, type IntegrationMethod } from './options.ts';

export function readSimulatorEnv(env: NodeJS.ProcessEnv): SimulatorOptions {
  const port = Number(env.SIM_PORT ?? '4443');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SIM_PORT must be a port number, not '${env.SIM_PORT}'`);
  const clientId = env.AZURE_CLIENT_ID;
  const clientSecret = env.AZURE_CLIENT_SECRET;
  if ((clientId && !clientSecret) || (!clientId && clientSecret)) {
    throw new Error('set both AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or neither) to register the app with the simulated tenant');
  }
  const eventsText = env.SIM_SCENARIO_EVENTS_PER_MINUTE ?? env.SIM_EVENTS_PER_MINUTE;
  const eventsPerMinute = eventsText ? Number(eventsText) : undefined;
  if (eventsPerMinute !== undefined && !(eventsPerMinute >= 0 && eventsPerMinute <= 600)) throw new Error(`SIM_EVENTS_PER_MINUTE must be a number from 0 to 600, not '${eventsText}'`);
  // The bridge's own setting (the workspace's onboarding), so both sides model the same portal.
  const integrationMethod = env.CONNECTOR_INTEGRATION_METHOD || 'defenderPortal';
  if (!(INTEGRATION_METHODS as readonly string[]).includes(integrationMethod)) {
    throw new Error(`CONNECTOR_INTEGRATION_METHOD must be one of ${INTEGRATION_METHODS.join(', ')}, not '${integrationMethod}'`);
  }
  return {
    dataDir: resolve(env.DATA_DIR ?? './.data'),
    port,
    host: env.SIM_HOST ?? '127.0.0.1',
    tenantId: env.AZURE_TENANT_ID ?? '00000000-0000-4000-8000-000000000001',
    apps: clientId && clientSecret
      ? [
          {
            clientId,
            clientSecret,
            // The incidents, and war rooms (a chat, the catalog, installing the app in the chat).
            graphRoles: ['SecurityIncident.ReadWrite.All', 'SecurityAlert.Read.All', 'Chat.Create', 'AppCatalog.Read.All', 'TeamsAppInstallation.ReadWriteForChat.All'],
            armAccess: true,
          },
        ]
      : [],
    subscriptionId: env.SENTINEL_SUBSCRIPTION_ID ?? '00000000-0000-4000-8000-000000000002',
    resourceGroup: env.SENTINEL_RESOURCE_GROUP ?? 'rg-sentinel-sim',
    workspace: env.SENTINEL_WORKSPACE ?? 'law-sentinel-sim',
    integrationMethod: integrationMethod as IntegrationMethod,
    // The bridge's Teams app in the catalog, so war rooms can install it, and where its bot listens.
    teamsApps: env.TEAMS_APP_ID ? [{ externalId: env.TEAMS_APP_ID, displayName: 'Incident Bridge', ...(env.BOT_ID ? { botId: env.BOT_ID } : {}) }] : [],
    botEndpoint: env.SIM_BOT_ENDPOINT || `http://127.0.0.1:${env.PORT || '3978'}/api/messages`,
    // Lively by default, like `npm start`; SIM_SCENARIO=0 or SIM_EVENTS_PER_MINUTE=0 keeps it quiet.
    scenario: { enabled: env.SIM_SCENARIO !== '0' && env.SIM_SCENARIO !== 'false' && eventsPerMinute !== 0, ...(eventsPerMinute ? { eventsPerMinute } : {}) },
  };
}

/** env/.env.<TEAMSFX_ENV> (default local) and its .user file, overridden by the process environment. */
export function readEnvFiles(rootDir: string, processEnv: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const name = processEnv.TEAMSFX_ENV || 'local';
  if (!/^[a-z0-9-]+$/i.test(name)) throw new Error(`TEAMSFX_ENV '${name}' is not a valid environment name`);
  const merged: NodeJS.ProcessEnv = {};
  for (const file of [`.env.${name}`, `.env.${name}.user`]) {
    const path = join(rootDir, 'env', file);
    if (existsSync(path)) Object.assign(merged, parse(readFileSync(path)));
  }
  return { ...merged, ...processEnv };
}

async function main(): Promise<void> {
  const log = pino({ name: 'simulators' });
  const options = readSimulatorEnv(readEnvFiles(fileURLToPath(new URL('../../', import.meta.url)), process.env));
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
