// Picks which simulated tenant serves a request, the way the real services partition them:
// Entra by the tenant segment of the path, Graph by the `tid` of the caller's token (one Graph host
// serves every tenant), ARM by the workspace scope the path names. Pure functions: the chosen
// tenant's handler still authenticates the request in full.
import type { SimRequest } from './http/types.ts';
import { header } from './http/types.ts';

export interface RoutableTenant {
  tenantId: string;
  workspace: { subscriptionId: string; resourceGroup: string; workspace: string };
}

const same = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

/**
 * Reads the `tid` claim of a bearer token WITHOUT verifying it: only to choose the tenant whose
 * handler then verifies signature, issuer (which names the tenant), audience and expiry.
 */
export function unverifiedTokenTenant(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+[^.\s]+\.([^.\s]+)\.[^.\s]*$/i.exec(authorization ?? '');
  if (!match) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(match[1] as string, 'base64url').toString('utf8')) as unknown;
    const tid = (payload as { tid?: unknown } | null)?.tid;
    return typeof tid === 'string' ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** Graph: the tenant named by the token; unknown or no token -> the primary, which answers 401. */
export function tenantForGraph<T extends { tenantId: string }>(request: SimRequest, primary: T, tenants: readonly T[]): T {
  const tid = unverifiedTokenTenant(header(request, 'authorization'));
  return tenants.find((tenant) => same(tid, tenant.tenantId)) ?? primary;
}

/** Entra: `/{tenant}/...`; `/common/...` and unknown tenants go to the primary (90002 for unknown). */
export function tenantForEntra<T extends { tenantId: string }>(request: SimRequest, primary: T, tenants: readonly T[]): T {
  const segment = request.path.split('/')[1];
  return tenants.find((tenant) => same(segment, tenant.tenantId)) ?? primary;
}

const ARM_SCOPE = /^\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+)(?:\/providers\/Microsoft\.OperationalInsights\/workspaces\/([^/]+))?)?/i;

/**
 * ARM: the tenant owning the workspace the path names. When none owns it, the tenant that matches
 * most of the scope answers, so the error names the first part that is unknown
 * (SubscriptionNotFound, ResourceGroupNotFound or ResourceNotFound), as ARM does.
 */
export function tenantForArm<T extends RoutableTenant>(request: SimRequest, primary: T, tenants: readonly T[]): T {
  const match = ARM_SCOPE.exec(request.path);
  if (!match) return primary;
  const [, subscription, resourceGroup, workspace] = match;
  let best = primary;
  let bestScore = 0;
  for (const tenant of tenants) {
    let score = 0;
    if (same(subscription, tenant.workspace.subscriptionId)) {
      score = 1;
      if (same(resourceGroup, tenant.workspace.resourceGroup)) {
        score = 2;
        if (same(workspace, tenant.workspace.workspace)) score = 3;
      }
    }
    if (score > bestScore) {
      best = tenant;
      bestScore = score;
    }
  }
  return best;
}
