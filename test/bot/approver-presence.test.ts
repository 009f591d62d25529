// The approvers' directory learns Teams ids from real turns: an approver by group is remembered,
// a member of no listed group is not, and a failed lookup remembers nobody without holding up the
// turn's own reply.
import { describe, expect, test } from '@jest/globals';
import { TestAdapter, type Activity } from 'botbuilder';
import { Application, type TurnState } from '@microsoft/teams-ai';
import { createApproverDirectory } from '../../src/approvals/approver-directory.ts';
import { registerApproverPresence } from '../../src/bot/approver-presence.ts';
import { createBackgroundTasks } from '../../src/bot/background.ts';
import { createIdentityResolver } from '../../src/bot/identity.ts';
import { createRoleResolver } from '../../src/bot/roles.ts';
import type { GroupsOf } from '../../src/bot/access.ts';
import { createMemoryStore } from '../fakes/memory-store.ts';
import { ALICE, VICTOR, messageActivity } from './support/activities.ts';

const APPROVERS_GROUP = 'eeeeeeee-0000-4000-8000-000000000001';

function setUp(groupsOf: GroupsOf) {
  const store = createMemoryStore();
  const directory = createApproverDirectory(store.settings);
  const tasks = createBackgroundTasks();
  const app = new Application<TurnState>();
  registerApproverPresence(app, {
    identity: createIdentityResolver({ lookupMember: async () => null }),
    roles: createRoleResolver({ analysts: [], approvers: [APPROVERS_GROUP], localMode: false }, groupsOf),
    directory,
    tasks,
  });
  app.message(/.*/, async (context) => {
    await context.sendActivity('answered');
  });
  const adapter = new TestAdapter();
  const turn = async (activity: Partial<Activity>) => {
    adapter.activeQueue.splice(0);
    await adapter.processActivity(activity, (context) => app.run(context).then(() => undefined));
    return adapter.activeQueue.splice(0);
  };
  return { directory, tasks, turn };
}

describe('approver presence', () => {
  test('an approver by group is remembered; someone in no listed group is not', async () => {
    const t = setUp(async (actor) => ({ ok: true, groupIds: actor.objectId === ALICE.aadObjectId ? [APPROVERS_GROUP] : [] }));
    await t.turn(messageActivity('hello', { from: ALICE }));
    await t.turn(messageActivity('hello', { from: VICTOR }));
    await t.tasks.idle();
    expect(await t.directory.refreshUserIds()).toEqual([ALICE.id]);
  });

  test('the turn answers without waiting for the lookup, and a failed lookup remembers nobody', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const t = setUp(async () => {
      await held;
      return { ok: false, problem: 'Graph is down.' };
    });
    const replies = await t.turn(messageActivity('hello', { from: ALICE }));
    expect(replies.map((reply) => reply.text)).toEqual(['answered']);
    release();
    await t.tasks.idle();
    expect(await t.directory.refreshUserIds()).toEqual([]);
  });
});
