// Learns approvers' Teams user ids as they talk to the bot, so approval cards can name them in
// `refresh.userIds` and Teams refreshes those cards into their per-user view (with the buttons)
// without a click. Runs before every turn, in the background: the turn never waits for the role
// check, which may ask Microsoft Graph for the person's groups. A role that cannot be checked
// records nothing; the person is remembered on a later turn.
import type { Application, TurnState } from '@microsoft/teams-ai';
import type { ApproverDirectory } from '../approvals/approver-directory.ts';
import { isApprover } from './access.ts';
import type { BackgroundTasks } from './background.ts';
import type { IdentityResolver } from './identity.ts';
import type { RoleResolver } from './roles.ts';

export interface ApproverPresenceDeps {
  identity: IdentityResolver;
  roles: RoleResolver;
  directory: Pick<ApproverDirectory, 'remember'>;
  tasks: BackgroundTasks;
}

export function registerApproverPresence<TState extends TurnState>(app: Application<TState>, deps: ApproverPresenceDeps): void {
  app.turn('beforeTurn', async (context) => {
    const teamsUserId = context.activity.from?.id;
    // Read now: the turn context is revoked when the turn ends.
    const actor = await deps.identity.actorOf(context).catch(() => null);
    if (!actor || !teamsUserId) return true;
    deps.tasks.run('remember approver', async () => {
      const decision = await deps.roles.decide(actor);
      if (isApprover(decision.role)) await deps.directory.remember(teamsUserId);
    });
    return true;
  });
}
