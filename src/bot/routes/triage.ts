// /escalation: a conversation's acknowledgement deadlines and who overdue incidents are escalated
// to; /digest: the conversation's digest, now or daily (src/triage). Anyone in the conversation may
// see them; only analysts change them.
import type { Application, TurnState } from '@microsoft/teams-ai';
import type { TurnContext } from 'botbuilder';
import type { TriageSettings } from '../../triage/settings.ts';
import type { Command, CommandName, DigestAction } from '../commands/parse.ts';
import { cardActivity } from '../card-activity.ts';
import { tenantOf } from '../tenant-policy.ts';
import { baseConversationId, conversationDraftFrom } from '../conversation-reference.ts';
import { digestScheduledText, directoryUnavailableText, escalationSettingsText, unknownContactsText } from '../replies.ts';
import { referenceOf, requireAnalyst, type RouteDeps } from '../route-deps.ts';
import { registerSlashCommands } from './slash-command-route.ts';

const HANDLED: ReadonlySet<CommandName> = new Set(['escalation', 'digest']);

async function run(deps: RouteDeps, settings: TriageSettings, context: TurnContext, command: Command): Promise<void> {
  if (command.name === 'digest') return runDigest(deps, settings, context, command.action);
  if (command.name !== 'escalation') return;
  const conversationId = baseConversationId(context.activity.conversation.id);
  const action = command.action;
  if (action.kind === 'show') {
    await context.sendActivity(escalationSettingsText(await settings.escalationOf(conversationId)));
    return;
  }
  if (!(await requireAnalyst(deps, context, "Only analysts can change this conversation's acknowledgement deadlines."))) return;
  if (action.kind === 'off') {
    const cleared = await settings.clearEscalation(conversationId);
    await context.sendActivity(cleared ? 'Acknowledgement deadlines are off here; pending escalations are cancelled.' : 'This conversation had no acknowledgement deadlines.');
    return;
  }
  // The timers and replies go to the stored conversation: this turn proves it is reachable.
  const conversation = await deps.conversations.upsert(conversationDraftFrom(context.activity, referenceOf(context)));
  const actor = await deps.identity.actorOf(context);
  if (!actor) return;
  const result = await settings.setEscalation(conversation, action.deadlines, action.contacts, actor);
  switch (result.kind) {
    case 'set':
      await context.sendActivity(escalationSettingsText(result.policy));
      return;
    case 'unknown-contacts':
      await context.sendActivity(unknownContactsText(result.upns));
      return;
    case 'directory-unavailable':
      await context.sendActivity(directoryUnavailableText());
      return;
  }
}

async function runDigest(deps: RouteDeps, settings: TriageSettings, context: TurnContext, action: DigestAction): Promise<void> {
  const conversationId = baseConversationId(context.activity.conversation.id);
  if (action.kind === 'now') {
    const tenantId = tenantOf(context.activity) ?? '';
    await context.sendActivity(cardActivity(await settings.digestNow({ id: conversationId, tenantId })));
    return;
  }
  if (!(await requireAnalyst(deps, context, "Only analysts can change this conversation's digest."))) return;
  if (action.kind === 'off') {
    const stopped = await settings.stopDigest(conversationId);
    await context.sendActivity(stopped ? 'The daily digest is off here.' : 'This conversation had no daily digest.');
    return;
  }
  // The digest is posted to the stored conversation: this turn proves it is reachable.
  await deps.conversations.upsert(conversationDraftFrom(context.activity, referenceOf(context)));
  await settings.scheduleDigest(conversationId, action.time, action.timeZone);
  await context.sendActivity(digestScheduledText(action.time, action.timeZone));
}

export function registerTriageCommands(app: Application<TurnState>, deps: RouteDeps, settings: TriageSettings): void {
  registerSlashCommands(app, deps, HANDLED, (routeDeps, context, command) => run(routeDeps, settings, context, command), 'triage command failed');
}
