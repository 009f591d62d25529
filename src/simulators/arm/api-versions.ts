// The api-versions the simulated Microsoft.SecurityInsights provider accepts, per resource type.
// Checked as ARM does: missing -> MissingApiVersionParameter, unknown -> InvalidApiVersionParameter,
// known to the provider but not for this resource type -> NoRegisteredProviderFound.
import { armError } from './errors.ts';
import type { SimResponse } from '../http/types.ts';

export const STABLE_API_VERSIONS = ['2025-09-01', '2024-03-01'] as const;
/** 2022-09-01-preview is @azure/arm-securityinsight 1.0.0-beta.6's default; 2025-10-01-preview is the newest preview spec. */
export const PREVIEW_API_VERSIONS = ['2025-10-01-preview', '2025-07-01-preview', '2025-04-01-preview', '2022-09-01-preview'] as const;
export const ALL_API_VERSIONS: readonly string[] = [...STABLE_API_VERSIONS, ...PREVIEW_API_VERSIONS];

/** Resource types that exist only in preview api-versions (Settings.json and checkRequirements are not in the stable specs). */
const PREVIEW_ONLY_TYPES = new Set(['settings', 'dataConnectorsCheckRequirements']);

export function isPreview(apiVersion: string): boolean {
  return apiVersion.endsWith('-preview');
}

export function checkApiVersion(searchParams: URLSearchParams, resourceType: string): { ok: true; apiVersion: string } | { ok: false; response: SimResponse } {
  const apiVersion = searchParams.get('api-version');
  if (apiVersion === null || apiVersion === '') {
    return { ok: false, response: armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.') };
  }
  if (!ALL_API_VERSIONS.includes(apiVersion)) {
    return {
      ok: false,
      response: armError(400, 'InvalidApiVersionParameter', `The api-version '${apiVersion}' is invalid. The supported versions are '${ALL_API_VERSIONS.join(',')}'.`),
    };
  }
  if (PREVIEW_ONLY_TYPES.has(resourceType) && !isPreview(apiVersion)) {
    return {
      ok: false,
      response: armError(
        400,
        'NoRegisteredProviderFound',
        `No registered resource provider found for location 'westeurope' and API version '${apiVersion}' for type '${resourceType}'. The supported api-versions are '${PREVIEW_API_VERSIONS.join(', ')}'.`,
      ),
    };
  }
  return { ok: true, apiVersion };
}
