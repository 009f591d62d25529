// Simulators in the caller's process, configured like env/.env.local (the app registration and the
// workspace a replica's config names), with native portal-to-portal sync off unless asked for.
import { commentFingerprint } from '../../../src/sync/fingerprint.ts';
import { startSimulators, type RunningSimulators, type SimulatorOptions } from '../../../src/simulators/index.ts';

export const LOCAL_TENANT = {
  tenantId: '00000000-0000-4000-8000-000000000001',
  clientId: '00000000-0000-4000-8000-0000000000c1',
  clientSecret: 'local-simulator-secret',
  subscriptionId: '00000000-0000-4000-8000-0000000000a1',
  resourceGroup: 'soc-rg',
  workspace: 'soc-workspace',
} as const;

export function startLocalSimulators(dataDir: string, overrides: Partial<SimulatorOptions> = {}): Promise<RunningSimulators> {
  return startSimulators({
    dataDir,
    port: 0,
    tenantId: LOCAL_TENANT.tenantId,
    apps: [{ clientId: LOCAL_TENANT.clientId, clientSecret: LOCAL_TENANT.clientSecret, graphRoles: ['SecurityIncident.ReadWrite.All'], armAccess: true }],
    subscriptionId: LOCAL_TENANT.subscriptionId,
    resourceGroup: LOCAL_TENANT.resourceGroup,
    workspace: LOCAL_TENANT.workspace,
    nativeSync: false,
    onError: () => undefined,
    ...overrides,
  });
}

/** Comment bodies with the bridge's attribution (and request ref) removed, for counting copies per text. */
export function commentBodies(texts: string[]): string[] {
  return texts.map(commentFingerprint);
}

export function countOf(items: string[], item: string): number {
  return items.filter((candidate) => candidate === item).length;
}
