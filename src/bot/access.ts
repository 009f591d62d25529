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
// - Group membership that could not be checked grants nothing (fail closed): the person keeps only
//   what they are listed for directly, and is told why their groups did not count.
import { isEntraObjectId, type Actor } from '../domain/incident.ts';

export const ROLES = ['viewer', 'analyst', 'approver'] as const;
export type Role = (typeof ROLES)[number];

export interface AccessPolicy {
  /** undefined = not configured (see the rules above). */
  analysts: readonly string[] | undefined;
  approvers: readonly string[];
  localMode: boolean;
}

/** The configured group ids the actor belongs to, or why that could not be found out. */
export type GroupLookup = { ok: true; groupIds: readonly string[] } | { ok: false; problem: string };

/** Resolves which configured group ids the actor belongs to; never throws. The default knows none. */
export type GroupsOf = (actor: Actor) => Promise<GroupLookup>;

export const noGroups: GroupsOf = async () => ({ ok: true, groupIds: [] });

/** A role, and why group membership did not count when it could have raised it. */
export interface RoleDecision {
  role: Role;
  groupProblem?: string;
}

/**
 * The entries of ANALYSTS and APPROVERS that may be group ids: the GUIDs (object ids of people are
 * GUIDs too; asking about them costs nothing, since no one is a member of a person). Once each.
 */
export function candidateGroupIds(policy: Pick<AccessPolicy, 'analysts' | 'approvers'>): string[] {
  const entries = [...policy.approvers, ...(policy.analysts ?? [])].map((entry) => entry.trim()).filter(isEntraObjectId);
  return entries.filter((entry, index) => entries.findIndex((other) => normalise(other) === normalise(entry)) === index);
}

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

/** The role with the group lookup's outcome: a failed lookup leaves only what is granted directly. */
export function decideRole(actor: Actor, lookup: GroupLookup, policy: AccessPolicy): RoleDecision {
  if (lookup.ok) return { role: roleOf(actor, lookup.groupIds, policy) };
  const direct = roleOf(actor, [], policy);
  return direct === 'approver' ? { role: direct } : { role: direct, groupProblem: lookup.problem };
}
