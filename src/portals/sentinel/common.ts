// Shared setup for the Sentinel (ARM) clients: credential, TLS, pipeline, workspace path.
import type { TokenCredential } from '@azure/identity';
import { createPortalConnection, type PortalAuthority, type PortalIdentity } from '../http/credential.ts';
import { realSleep, resolveRetryOptions, type RetryPolicyOptions, type Sleep } from '../http/retry.ts';
import type { PortalLogger } from '../capability.ts';
import type { PortalRequestRecorder } from '../http/request-recorder.ts';
import { createArmRequester, type ArmRequester } from './arm-pipeline.ts';

/** The stable api-version the incident client pins (explicitly: the SDK's default is 2022-09-01-preview). */
export const SENTINEL_STABLE_API_VERSION = '2025-09-01';

export type ArmWorkspaceOptions = PortalAuthority & PortalIdentity & ArmWorkspaceSettings;

export interface ArmWorkspaceSettings {
  /** https://management.azure.com, or the simulator URL. */
  armEndpoint: string;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  caCertPem?: string;
  apiVersion?: string;
  retry?: Partial<RetryPolicyOptions>;
  logger?: PortalLogger;
  /** Told about every request sent (metrics). */
  requests?: PortalRequestRecorder;
  /** Test seams. */
  credential?: TokenCredential;
  sleep?: Sleep;
  random?: () => number;
  now?: () => number;
}

export interface ArmWorkspace {
  requester: ArmRequester;
  /** `/subscriptions/…/workspaces/{ws}/providers/Microsoft.SecurityInsights` */
  basePath: string;
  now: () => number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._()-]{0,89}$/;

export function createArmWorkspace(options: ArmWorkspaceOptions): ArmWorkspace {
  for (const key of ['subscriptionId', 'resourceGroup', 'workspace'] as const) {
    if (!NAME.test(options[key] ?? '')) throw new TypeError(`${key} "${String(options[key]).slice(0, 90)}" is not a valid Azure resource name`);
  }
  const { httpClient, credential } = createPortalConnection(options);
  const now = options.now ?? Date.now;
  const requester = createArmRequester({
    armEndpoint: options.armEndpoint,
    subscriptionId: options.subscriptionId,
    apiVersion: options.apiVersion ?? SENTINEL_STABLE_API_VERSION,
    credential,
    httpClient,
    retry: resolveRetryOptions(options.retry),
    sleep: options.sleep ?? realSleep,
    random: options.random ?? Math.random,
    now,
    ...(options.requests ? { requests: options.requests } : {}),
  });
  const basePath =
    `/subscriptions/${encodeURIComponent(options.subscriptionId)}/resourceGroups/${encodeURIComponent(options.resourceGroup)}` +
    `/providers/Microsoft.OperationalInsights/workspaces/${encodeURIComponent(options.workspace)}/providers/Microsoft.SecurityInsights`;
  return { requester, basePath, now };
}
