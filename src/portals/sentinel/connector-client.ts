// The Defender XDR connector's configuration in the Sentinel workspace, as a ConnectorSettingsClient.
import { createHash } from 'node:crypto';
import { INTEGRATION_METHOD_NOT_WRITABLE, type ConnectorConfig, type ConnectorSnapshot, type IntegrationMethod } from '../../domain/connector.ts';
import { PortalError } from '../../domain/errors.ts';
import type { ConnectorSettingsClient } from '../../sync/ports.ts';
import { invalidResponse } from '../http/errors.ts';
import { isObject, str } from '../wire.ts';
import { armFailure, type ArmResponse } from './arm-pipeline.ts';
import { createArmWorkspace, type ArmWorkspaceOptions } from './common.ts';
import {
  configFromResources,
  ENTITY_ANALYTICS_SETTING,
  MTP_CONNECTOR_KIND,
  planConnectorWrites,
  toArmResource,
  versionOf,
  type ArmResource,
  type ConnectorResources,
} from './connector-mapping.ts';

/**
 * Settings (EntityAnalytics) and dataConnectorsCheckRequirements exist only in preview
 * api-versions, and so do dataTypes.alerts / filteredProviders of the MicrosoftThreatProtection
 * connector. Alert rules use the stable version.
 */
export const SENTINEL_PREVIEW_API_VERSION = '2025-10-01-preview';

export type ConnectorSettingsClientOptions = ArmWorkspaceOptions & {
  /** Api-version for settings and data connectors. Default 2025-10-01-preview. */
  previewApiVersion?: string;
  /**
   * Defender-portal (unified SecOps) onboarding is not an ARM property of the workspace's connector,
   * so the method is configuration; read() reports it and write() refuses to change it.
   */
  integrationMethod: IntegrationMethod;
};

export type RequirementState = 'valid' | 'invalid' | 'unknown';

export interface ConnectorRequirements {
  authorization: RequirementState;
  license: RequirementState;
  /** Human-readable, one line each: what is missing and what to do. Empty when all is well. */
  missing: string[];
}

export interface DefenderConnectorSettingsClient extends ConnectorSettingsClient {
  /** POST dataConnectorsCheckRequirements (kind MicrosoftThreatProtection). */
  checkRequirements(): Promise<ConnectorRequirements>;
}

export function createConnectorSettingsClient(options: ConnectorSettingsClientOptions): DefenderConnectorSettingsClient {
  const { requester, basePath, now } = createArmWorkspace(options);
  const preview = options.previewApiVersion ?? SENTINEL_PREVIEW_API_VERSION;

  function ok(response: ArmResponse, what: string): unknown {
    if (response.status >= 200 && response.status < 300) return response.body;
    throw armFailure('sentinel', what, response, now());
  }

  async function listAll(path: string, what: string, apiVersion?: string): Promise<ArmResource[]> {
    const resources: ArmResource[] = [];
    let next: string | undefined = path;
    let first = true;
    while (next) {
      const page = ok(await requester.send('GET', next, { what, operation: 'connector', ...(first && apiVersion ? { apiVersion } : {}) }), what);
      first = false;
      if (!isObject(page) || !Array.isArray(page.value)) throw invalidResponse('sentinel', what, 'the page has no value array');
      for (const raw of page.value) {
        const resource = toArmResource(raw);
        if (resource) resources.push(resource);
      }
      next = str(page.nextLink) || undefined;
    }
    return resources;
  }

  async function readResources(): Promise<ConnectorResources> {
    const connectors = await listAll(`${basePath}/dataConnectors`, 'list data connectors', preview);
    const rules = await listAll(`${basePath}/alertRules`, 'list alert rules');
    const what = 'GET settings/EntityAnalytics';
    const response = await requester.send('GET', `${basePath}/settings/${ENTITY_ANALYTICS_SETTING}`, { what, operation: 'connector', apiVersion: preview });
    const entityAnalytics = response.status === 404 ? null : toArmResource(ok(response, what));
    return { connector: connectors.find((c) => c.kind === MTP_CONNECTOR_KIND) ?? null, rules, entityAnalytics };
  }

  async function read(): Promise<ConnectorSnapshot> {
    const resources = await readResources();
    return { config: configFromResources(resources, options.integrationMethod), version: versionOf(resources), readAt: new Date(now()).toISOString() };
  }

  return {
    read,

    async write(base: ConnectorSnapshot, next: ConnectorConfig): Promise<ConnectorSnapshot> {
      if (next.integrationMethod !== options.integrationMethod) {
        throw new PortalError('sentinel', 'bad-request', INTEGRATION_METHOD_NOT_WRITABLE);
      }
      const current = await readResources();
      if (versionOf(current) !== base.version) {
        throw new PortalError('sentinel', 'conflict', 'The Defender XDR connector configuration changed since it was read; re-read it and re-apply the change.', { status: 409 });
      }
      const newName = (seed: string) => guidFrom(`${options.workspace}:${seed}`);
      for (const write of planConnectorWrites(current, next, options.tenantId, newName)) {
        const what = `PUT ${write.path}/${write.name}`;
        const apiVersion = write.path === 'alertRules' ? undefined : preview;
        const response = await requester.send('PUT', `${basePath}/${write.path}/${encodeURIComponent(write.name)}`, {
          body: write.body,
          what,
          operation: 'connector',
          ...(apiVersion ? { apiVersion } : {}),
        });
        ok(response, what);
      }
      return await read();
    },

    async checkRequirements(): Promise<ConnectorRequirements> {
      const what = 'POST dataConnectorsCheckRequirements';
      const raw = ok(
        await requester.send('POST', `${basePath}/dataConnectorsCheckRequirements`, {
          body: { kind: MTP_CONNECTOR_KIND, properties: { tenantId: options.tenantId } },
          what,
          operation: 'connector',
          apiVersion: preview,
        }),
        what,
      );
      const body = isObject(raw) ? (isObject(raw.properties) ? raw.properties : raw) : {};
      const authorization = stateOf(body.authorizationState);
      const license = stateOf(body.licenseState);
      const missing: string[] = [];
      if (authorization !== 'valid') {
        missing.push('Authorization: the app needs the "Microsoft Sentinel Contributor" role on the workspace and a Global or Security Administrator on the tenant to connect Defender XDR.');
      }
      if (license !== 'valid') missing.push('Licence: the tenant needs a Microsoft Defender XDR (Microsoft 365 E5 or equivalent) licence.');
      return { authorization, license, missing };
    },
  };
}

function stateOf(value: unknown): RequirementState {
  const state = str(value)?.toLowerCase();
  return state === 'valid' ? 'valid' : state === 'invalid' ? 'invalid' : 'unknown';
}

function guidFrom(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
