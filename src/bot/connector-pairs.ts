// Which pairs' Defender XDR connectors a conversation may view and change, and which one a
// `/connector ... tenant=<pair>` names. Pure.
//
// Rules
// - A SOC tenant (BOT_TENANT_ID, ALLOWED_TENANTS) manages every pair's connector.
// - A pair's own tenant (an MSSP customer) manages that pair's connector only. `sharedWith` shares
//   incidents, not the workspace's settings: a customer that sees another's incidents does not see
//   or change its connector.
// - Without `tenant=`: the one pair the conversation manages; with several, an error that lists
//   them (a connector change is never aimed at a customer by default).
// - A `tenant=` value names a pair by id or name. One the conversation may not manage gets the same
//   answer as an unknown one, so no customer learns the names of the others.
import { findPair, pairLabel, type NamedPair } from '../domain/pair-names.ts';
import { typedTextProblem } from '../domain/untrusted-input.ts';
import type { TenantPolicy } from './tenant-policy.ts';

export interface ConnectorPair extends NamedPair {
  tenantId: string;
}

/** Longest `tenant=` value looked up: a pair id is at most 63 characters, a name 64. */
export const MAX_PAIR_ARGUMENT_LENGTH = 80;

export type PairResolution<T extends ConnectorPair> = { ok: true; pair: T } | { ok: false; message: string };

function fold(tenantId: string): string {
  return tenantId.trim().toLowerCase();
}

/** The pairs whose connectors a conversation in `tenantId` may manage, in configuration order. */
export function manageablePairs<T extends ConnectorPair>(policy: TenantPolicy, pairs: readonly T[], tenantId: string | undefined): T[] {
  const scope = policy.scopeOf(tenantId);
  if (!scope || !tenantId) return [];
  if (scope.kind === 'all') return [...pairs];
  return pairs.filter((pair) => scope.pairIds.includes(pair.id) && fold(pair.tenantId) === fold(tenantId));
}

/** Whether a conversation in `tenantId` may manage every pair's connector (a SOC tenant). */
export function managesEveryPair(policy: TenantPolicy, tenantId: string | undefined): boolean {
  return policy.scopeOf(tenantId)?.kind === 'all';
}

function listOf(pairs: readonly ConnectorPair[]): string {
  return pairs.map(pairLabel).join(', ');
}

/**
 * The pair `value` (a `tenant=` value, or undefined when none was given) names among `manageable`.
 * Messages quote nothing typed back unescaped: the caller escapes them for Teams.
 */
export function resolveConnectorPair<T extends ConnectorPair>(manageable: readonly T[], value: string | undefined, notHere: string): PairResolution<T> {
  if (manageable.length === 0) return { ok: false, message: notHere };
  if (value === undefined) {
    if (manageable.length === 1) return { ok: true, pair: manageable[0]! };
    return { ok: false, message: `Several customers' connectors are managed here; say which with tenant=<pair id or name>: ${listOf(manageable)}.` };
  }
  if (value.trim().length === 0) return { ok: false, message: `tenant= needs a pair id or name: ${listOf(manageable)}.` };
  if ([...value].length > MAX_PAIR_ARGUMENT_LENGTH) return { ok: false, message: `The tenant= value is longer than ${MAX_PAIR_ARGUMENT_LENGTH} characters; no pair has such an id or name.` };
  const problem = typedTextProblem(value, 'line');
  if (problem) return { ok: false, message: `The tenant= value contains ${problem}; write a pair id or name.` };
  const pair = findPair(manageable, value);
  if (pair) return { ok: true, pair };
  return { ok: false, message: `No pair "${value}" has a connector managed here. ${manageable.length === 1 ? 'The pair here is' : 'Pairs here:'} ${listOf(manageable)}.` };
}
