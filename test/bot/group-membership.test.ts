// The group-membership resolver over a hand-written fake directory: what it asks, what it caches
// (and for how long, and how many), that failures are not cached as "no groups", that concurrent
// turns share one lookup, and the role decisions built on it.
import { describe, test, expect } from '@jest/globals';
import { PortalError } from '../../src/domain/errors.ts';
import type { Actor } from '../../src/domain/incident.ts';
import { candidateGroupIds, decideRole, type AccessPolicy } from '../../src/bot/access.ts';
import { createGroupMembership, groupLookupProblem, type GroupDirectory } from '../../src/bot/group-membership.ts';
import { approvalRoleChecks, createRoleResolver } from '../../src/bot/roles.ts';
import { ApprovalError } from '../../src/approvals/types.ts';

const TENANT = '11111111-2222-4333-8444-555555555555';
const SOC = 'aaaaaaaa-0000-4000-8000-000000000001';
const APPROVERS_GROUP = 'aaaaaaaa-0000-4000-8000-000000000002';
const ANN: Actor = { objectId: 'bbbbbbbb-0000-4000-8000-000000000001', displayName: 'Ann', upn: 'ann@contoso.example', tenantId: TENANT };
const BOB: Actor = { objectId: 'bbbbbbbb-0000-4000-8000-000000000002', displayName: 'Bob', tenantId: TENANT };

interface Call {
  tenantId: string;
  user: { objectId: string; upn?: string | undefined };
  groupIds: readonly string[];
}

/** Members per group id; records every question; can be made to fail or to hold its answer. */
function fakeDirectory(members: Record<string, string[]>) {
  const calls: Call[] = [];
  let failure: unknown = null;
  let gate: Promise<void> | null = null;
  const directory: GroupDirectory = {
    async memberGroups(tenantId, user, groupIds) {
      calls.push({ tenantId, user, groupIds });
      if (gate) await gate;
      if (failure) throw failure;
      return groupIds.filter((id) => (members[id] ?? []).includes(user.objectId));
    },
  };
  return {
    directory,
    calls,
    fail(error: unknown) {
      failure = error;
    },
    recover() {
      failure = null;
    },
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return () => {
        gate = null;
        release();
      };
    },
  };
}

describe('which listed groups an actor belongs to', () => {
  test('only GUID entries are asked about, once each; no GUID at all asks nothing', async () => {
    expect(candidateGroupIds({ analysts: [SOC, 'ann@contoso.example', SOC.toUpperCase()], approvers: [APPROVERS_GROUP] })).toEqual([APPROVERS_GROUP, SOC]);
    const fake = fakeDirectory({});
    const groupsOf = createGroupMembership({ directory: fake.directory, groupIds: candidateGroupIds({ analysts: ['ann@contoso.example'], approvers: [] }) });
    expect(await groupsOf(ANN)).toEqual({ ok: true, groupIds: [] });
    expect(fake.calls).toHaveLength(0);
  });

  test('asks the actor\'s own tenant about the listed ids and caches the answer per (tenant, person) until the TTL', async () => {
    const fake = fakeDirectory({ [SOC]: [ANN.objectId] });
    let now = 0;
    const groupsOf = createGroupMembership({ directory: fake.directory, groupIds: [SOC, APPROVERS_GROUP], ttlMs: 1000, now: () => now });
    expect(await groupsOf(ANN)).toEqual({ ok: true, groupIds: [SOC] });
    expect(fake.calls).toEqual([{ tenantId: TENANT, user: { objectId: ANN.objectId, upn: ANN.upn }, groupIds: [SOC, APPROVERS_GROUP] }]);
    now = 999;
    await groupsOf(ANN);
    expect(fake.calls).toHaveLength(1);
    // The same person in another tenant is another directory's question.
    await groupsOf({ ...ANN, tenantId: '22222222-2222-4333-8444-555555555555' });
    expect(fake.calls).toHaveLength(2);
    now = 1000;
    await groupsOf(ANN);
    expect(fake.calls).toHaveLength(3);
  });

  test('the cache holds at most maxEntries people, dropping the oldest', async () => {
    const fake = fakeDirectory({});
    const groupsOf = createGroupMembership({ directory: fake.directory, groupIds: [SOC], maxEntries: 2 });
    const person = (n: number): Actor => ({ objectId: `cccccccc-0000-4000-8000-00000000000${n}`, displayName: `P${n}`, tenantId: TENANT });
    await groupsOf(person(1));
    await groupsOf(person(2));
    await groupsOf(person(3));
    await groupsOf(person(2));
    expect(fake.calls).toHaveLength(3);
    await groupsOf(person(1));
    expect(fake.calls).toHaveLength(4);
  });

  test('a failed lookup is not cached as "no groups": it says why, and the next turn asks again', async () => {
    const fake = fakeDirectory({ [SOC]: [ANN.objectId] });
    const groupsOf = createGroupMembership({ directory: fake.directory, groupIds: [SOC] });
    fake.fail(new PortalError('directory', 'forbidden', 'HTTP 403 Authorization_RequestDenied'));
    const failed = await groupsOf(ANN);
    expect(failed.ok).toBe(false);
    expect(!failed.ok && failed.problem).toContain('GroupMember.Read.All');
    fake.recover();
    expect(await groupsOf(ANN)).toEqual({ ok: true, groupIds: [SOC] });
    expect(fake.calls).toHaveLength(2);
  });

  test('concurrent turns of one person share one lookup', async () => {
    const fake = fakeDirectory({ [SOC]: [ANN.objectId] });
    const groupsOf = createGroupMembership({ directory: fake.directory, groupIds: [SOC] });
    const release = fake.hold();
    const turns = [groupsOf(ANN), groupsOf(ANN), groupsOf(ANN)];
    release();
    for (const result of await Promise.all(turns)) expect(result).toEqual({ ok: true, groupIds: [SOC] });
    expect(fake.calls).toHaveLength(1);
  });

  test('an actor without a tenant is not looked up anywhere', async () => {
    const fake = fakeDirectory({ [SOC]: [ANN.objectId] });
    const groupsOf = createGroupMembership({ directory: fake.directory, groupIds: [SOC] });
    const { tenantId: _none, ...anywhere } = ANN;
    const result = await groupsOf(anywhere);
    expect(result.ok).toBe(false);
    expect(fake.calls).toHaveLength(0);
  });

  test('each failure code tells the person what an administrator can do', () => {
    const problem = (code: 'forbidden' | 'unauthorized' | 'not-found' | 'unavailable' | 'throttled') => groupLookupProblem(new PortalError('directory', code, 'x'), TENANT);
    expect(problem('forbidden')).toContain('User.Read.All and GroupMember.Read.All');
    expect(problem('unauthorized')).toContain('could not sign in');
    expect(problem('not-found')).toContain('not found');
    expect(problem('unavailable')).toContain('could not be reached');
    expect(problem('throttled')).toContain('busy');
    expect(groupLookupProblem(new Error('socket hang up'), TENANT)).toContain("bridge's log");
  });
});

describe('roles decided with groups', () => {
  const policy: AccessPolicy = { analysts: [SOC], approvers: ['carol@contoso.example', APPROVERS_GROUP], localMode: false };

  test('a failed lookup leaves only the direct role, with the reason; a direct approver is unaffected', () => {
    const failed = { ok: false as const, problem: 'Graph is down.' };
    expect(decideRole(ANN, failed, policy)).toEqual({ role: 'viewer', groupProblem: 'Graph is down.' });
    expect(decideRole({ ...BOB, upn: 'Carol@Contoso.example' }, failed, policy)).toEqual({ role: 'approver' });
    expect(decideRole(ANN, { ok: true, groupIds: [SOC] }, policy)).toEqual({ role: 'analyst' });
    expect(decideRole(ANN, { ok: true, groupIds: [APPROVERS_GROUP] }, policy)).toEqual({ role: 'approver' });
  });

  test('a directly listed approver is never looked up', async () => {
    const fake = fakeDirectory({});
    const roles = createRoleResolver(policy, createGroupMembership({ directory: fake.directory, groupIds: candidateGroupIds(policy) }));
    expect(await roles.decide({ ...BOB, upn: 'carol@contoso.example' })).toEqual({ role: 'approver' });
    expect(fake.calls).toHaveLength(0);
  });

  test('approval checks refuse with the reason when groups could not be checked, and plainly otherwise', async () => {
    const fake = fakeDirectory({ [APPROVERS_GROUP]: [ANN.objectId] });
    const checks = approvalRoleChecks(createRoleResolver(policy, createGroupMembership({ directory: fake.directory, groupIds: candidateGroupIds(policy) })));
    expect(await checks.isApprover(ANN)).toBe(true);
    expect(await checks.isApprover(BOB)).toBe(false);
    fake.fail(new PortalError('directory', 'unavailable', 'down'));
    const notYetLookedUp: Actor = { ...BOB, objectId: 'bbbbbbbb-0000-4000-8000-000000000003' };
    const refusal = await checks.isAnalyst(notYetLookedUp).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ApprovalError);
    expect((refusal as ApprovalError).code).toBe('roles-unavailable');
    expect((refusal as ApprovalError).message).toContain('could not be reached');
  });
});
