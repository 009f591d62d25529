// Who may do what. Pure: the caller resolves the actor's group ids (groupsOf port) and passes them in.
//
// Rules
// - ANALYSTS / APPROVERS list Entra object ids, UPNs or group ids. Object ids and group ids are
//   GUIDs (compared case-insensitively, as Entra treats them); UPNs are compared case-insensitively
//   because Entra sign-in names are case-insensitive.
// - Approvers are also analysts (approving a connector change is a stronger right than editing an
//   incident).
// - ANALYSTS unset: in local mode everyone is an analyst (the simulators hold sample data only);
//   against a real tenant only approvers are, so a missing setting fails closed.
// - ANALYSTS set: only listed people (or members of listed groups) are analysts.
import type { Actor } from '../domain/incident.ts';

export const ROLES = ['viewer', 'analyst', 'approver'] as const;
export type Role = (typeof ROLES)[number];

export interface AccessPolicy {
  /** undefined = not configured (see the rules above). */
  analysts: readonly string[] | undefined;
  approvers: readonly string[];
  localMode: boolean;
}

/** Resolves the Entra group ids the actor belongs to; the default knows none. */
export type GroupsOf = (actor: Actor) => Promise<readonly string[]>;

export const noGroups: GroupsOf = async () => [];

function normalise(entry: string): string {
  return entry.trim().toLowerCase();
}

/** The identifiers an actor is known by: object id, UPN, and the ids of their groups. */
function identifiersOf(actor: Actor, groupIds: readonly string[]): Set<string> {
  const ids = new Set<string>();
  if (actor.objectId) ids.add(normalise(actor.objectId));
  if (actor.upn) ids.add(normalise(actor.upn));
  for (const group of groupIds) ids.add(normalise(group));
  ids.delete('');
  return ids;
}

function listed(list: readonly string[], ids: ReadonlySet<string>): boolean {
  return list.some((entry) => ids.has(normalise(entry)));
}

export function roleOf(actor: Actor, groupIds: readonly string[], policy: AccessPolicy): Role {
  const ids = identifiersOf(actor, groupIds);
  if (listed(policy.approvers, ids)) return 'approver';
  if (policy.analysts === undefined) return policy.localMode ? 'analyst' : 'viewer';
  return listed(policy.analysts, ids) ? 'analyst' : 'viewer';
}

export function isAnalyst(role: Role): boolean {
  return role === 'analyst' || role === 'approver';
}

export function isApprover(role: Role): boolean {
  return role === 'approver';
}
