// Which Teams tenants the bot serves, and which pairs' incidents each may see. Pure; the one place
// the rule is written (the turn gate, the routes' incident reads and the notifier all ask it).
//
// Rules
// - Only Teams (channelId "msteams") activities are served, and only from known tenants.
// - SOC tenants (the bot's own, BOT_TENANT_ID, and ALLOWED_TENANTS) see every pair: the MSSP's
//   security operations centre works on all its customers.
// - A pair's tenant (an MSSP customer) sees that pair's incidents, plus those of pairs that list it
//   in their sharedWith (SYNC_PAIRS).
// - Any other tenant is not served at all: it sees nothing and its activities are refused.
import type { Activity } from 'botbuilder';

export const TEAMS_CHANNEL_ID = 'msteams';

export interface TenantPolicyConfig {
  /** The bot's own tenant (BOT_TENANT_ID), if configured. */
  botTenantId?: string | undefined;
  /** Further tenants that see every pair (ALLOWED_TENANTS). */
  allowedTenants: readonly string[];
  pairs: readonly { id: string; tenantId: string; sharedWith: readonly string[] }[];
}

/** What a tenant may see: every pair, or only these (never empty). */
export type PairScope = { kind: 'all' } | { kind: 'pairs'; pairIds: readonly string[] };

export interface TenantPolicy {
  /** The scope of a conversation in `tenantId`; null when the tenant is not served. */
  scopeOf(tenantId: string | undefined): PairScope | null;
}

/** Entra tenant ids are GUIDs; Entra compares them case-insensitively. */
function fold(tenantId: string): string {
  return tenantId.trim().toLowerCase();
}

export function createTenantPolicy(config: TenantPolicyConfig): TenantPolicy {
  const soc = new Set([config.botTenantId ?? '', ...config.allowedTenants].map(fold).filter((id) => id.length > 0));
  const perTenant = new Map<string, Set<string>>();
  const grant = (tenantId: string, pairId: string) => {
    const key = fold(tenantId);
    const pairs = perTenant.get(key) ?? new Set<string>();
    pairs.add(pairId);
    perTenant.set(key, pairs);
  };
  for (const pair of config.pairs) {
    grant(pair.tenantId, pair.id);
    for (const sharedWithId of pair.sharedWith) {
      const other = config.pairs.find((candidate) => candidate.id === sharedWithId);
      if (other) grant(other.tenantId, pair.id);
    }
  }
  return {
    scopeOf(tenantId) {
      if (!tenantId) return null;
      const key = fold(tenantId);
      if (soc.has(key)) return { kind: 'all' };
      const pairs = perTenant.get(key);
      return pairs ? { kind: 'pairs', pairIds: [...pairs] } : null;
    },
  };
}

/** The tenant an activity comes from, as Teams states it (conversation, then channelData). */
export function tenantOf(activity: Partial<Activity>): string | undefined {
  const fromChannelData = (activity.channelData as { tenant?: { id?: unknown } } | undefined)?.tenant?.id;
  return activity.conversation?.tenantId ?? (typeof fromChannelData === 'string' ? fromChannelData : undefined);
}

/** The scope of the conversation an activity comes from; null when it is not to be served. */
export function scopeOfActivity(policy: TenantPolicy, activity: Partial<Activity>): PairScope | null {
  if (activity.channelId !== TEAMS_CHANNEL_ID) return null;
  return policy.scopeOf(tenantOf(activity));
}

export function canSee(scope: PairScope | null, pairId: string): boolean {
  if (!scope) return false;
  return scope.kind === 'all' || scope.pairIds.includes(pairId);
}

/** The pair restriction for incident reads (BridgeApi): none for 'all'. */
export function restrictionOf(scope: PairScope): { pairIds?: readonly string[] } {
  return scope.kind === 'all' ? {} : { pairIds: scope.pairIds };
}
