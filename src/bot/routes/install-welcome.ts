// The bot was installed in a chat or added to a team: remember where it is (the conversation
// reference, for proactive cards later) and say hello once. Removed: stop sending there.
//
// Teams sends both an installationUpdate and a conversationUpdate (membersAdded with the bot) for
// one install, in no guaranteed order; whichever comes first stores the conversation and welcomes,
// the second sees it stored and active and stays quiet.
import type { Application, TurnState } from '@microsoft/teams-ai';
import type { TurnContext } from 'botbuilder';
import { baseConversationId, conversationDraftFrom } from '../conversation-reference.ts';
import { welcomeText } from '../replies.ts';
import { referenceOf, type RouteDeps } from '../route-deps.ts';

async function remember(deps: RouteDeps, context: TurnContext): Promise<void> {
  const draft = conversationDraftFrom(context.activity, referenceOf(context));
  if (!draft.id) return;
  const existing = await deps.conversations.get(draft.id);
  await deps.conversations.upsert(draft);
  deps.log.info({ conversationId: draft.id, scope: draft.scope, tenantId: draft.tenantId }, 'bot installed in conversation');
  if (!existing || !existing.active) await context.sendActivity(welcomeText());
}

async function forget(deps: RouteDeps, context: TurnContext, reason: string): Promise<void> {
  const id = baseConversationId(context.activity.conversation?.id ?? '');
  if (!id) return;
  await deps.conversations.deactivate(id, reason);
  // What was set up for the conversation goes with the bot (acknowledgement deadlines, digests).
  await deps.triage?.forgetConversation(id);
  deps.log.info({ conversationId: id, reason }, 'bot removed from conversation');
}

/** Whether the bot itself is among the members an activity names (added or removed). */
export function botIsAmong(context: TurnContext, members: { id: string }[] | undefined): boolean {
  const botId = context.activity.recipient?.id;
  return Boolean(botId) && (members ?? []).some((member) => member.id === botId);
}

export function registerInstallWelcome(app: Application<TurnState>, deps: RouteDeps): void {
  app.conversationUpdate('membersAdded', async (context) => {
    if (botIsAmong(context, context.activity.membersAdded)) await remember(deps, context);
  });
  app.conversationUpdate('membersRemoved', async (context) => {
    if (botIsAmong(context, context.activity.membersRemoved)) await forget(deps, context, 'bot removed from the conversation');
  });
  app.activity('installationUpdate', async (context) => {
    const action = context.activity.action ?? '';
    if (action === 'add' || action === 'add-upgrade') await remember(deps, context);
    else if (action === 'remove' || action === 'remove-upgrade') await forget(deps, context, 'app uninstalled');
  });
}
