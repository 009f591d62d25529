// Decides an actor's role where every route, the connector approvals and the approvers' directory
// ask for it: direct listing first, and the actor's groups (the groupsOf port, which asks Microsoft
// Graph) only when that is not already the strongest role.
import type { Actor } from '../domain/incident.ts';
import { ApprovalError } from '../approvals/types.ts';
import { decideRole, isAnalyst, isApprover, roleOf, type AccessPolicy, type GroupsOf, type RoleDecision } from './access.ts';

export interface RoleResolver {
  decide(actor: Actor): Promise<RoleDecision>;
}

export async function resolveRole(actor: Actor, policy: AccessPolicy, groupsOf: GroupsOf): Promise<RoleDecision> {
  const direct = roleOf(actor, [], policy);
  if (direct === 'approver') return { role: direct };
  return decideRole(actor, await groupsOf(actor), policy);
}

export function createRoleResolver(policy: AccessPolicy, groupsOf: GroupsOf): RoleResolver {
  return { decide: (actor) => resolveRole(actor, policy, groupsOf) };
}

/**
 * The approval service's role checks. Someone refused because their groups could not be checked
 * gets an ApprovalError saying so (the connector routes reply with its message), not a bare "no".
 */
export function approvalRoleChecks(roles: RoleResolver): { isApprover(actor: Actor): Promise<boolean>; isAnalyst(actor: Actor): Promise<boolean> } {
  const check = async (actor: Actor, holds: (decision: RoleDecision) => boolean): Promise<boolean> => {
    const decision = await roles.decide(actor);
    if (holds(decision)) return true;
    if (decision.groupProblem) throw new ApprovalError('roles-unavailable', decision.groupProblem);
    return false;
  };
  return {
    isApprover: (actor) => check(actor, (decision) => isApprover(decision.role)),
    isAnalyst: (actor) => check(actor, (decision) => isAnalyst(decision.role)),
  };
}
