// /subscribe, /unsubscribe, /subscriptions: which incidents a conversation receives as cards.
// Changing subscriptions is an analyst's job (it decides what a channel is flooded with);
// listing them is open to everyone in the conversation.
import type { Application, TurnState } from '@microsoft/teams-ai';
import type { TurnContext } from 'botbuilder';
import type { Command, CommandName } from '../commands/parse.ts';
import { registerSlashCommands } from './slash-command-route.ts';
import { baseConversationId, channelKindOf, conversationDraftFrom, toTopLevelReference } from '../conversation-reference.ts';
import { textActivity } from '../card-activity.ts';
import { SendError } from '../guarded-sender.ts';
import { commandText, notInChannelText, subscribedText, subscriptionListText } from '../replies.ts';
import { referenceOf, requireAnalyst, type RouteDeps } from '../route-deps.ts';
import { canSee, scopeOfActivity } from '../tenant-policy.ts';
import { customersSeenBy } from '../../domain/pair-names.ts';

const HANDLED: ReadonlySet<CommandName> = new Set(['subscribe', 'unsubscribe', 'subscriptions']);

/** Caps how many subscriptions one conversation collects (each one is matched on every change). */
export const MAX_SUBSCRIPTIONS_PER_CONVERSATION = 20;

async function run(deps: RouteDeps, context: TurnContext, command: Command): Promise<void> {
  const conversationId = baseConversationId(context.activity.conversation.id);
  const scope = scopeOfActivity(deps.tenants, context.activity);
  const customers = customersSeenBy(deps.customers, (pairId) => canSee(scope, pairId));
  switch (command.name) {
    case 'subscriptions': {
      await context.sendActivity(subscriptionListText(await deps.subscriptions.listForConversation(conversationId), customers));
      return;
    }
    case 'subscribe': {
      if (!(await requireAnalyst(deps, context, 'Only analysts can change what this conversation is subscribed to.'))) return;
      const existing = await deps.subscriptions.listForConversation(conversationId);
      if (existing.length >= MAX_SUBSCRIPTIONS_PER_CONVERSATION) {
        await context.sendActivity(`This conversation already has ${existing.length} subscriptions; remove one first (${commandText('/subscriptions')} lists them).`);
        return;
      }
      // Store (or refresh) the reference here too: the app may have been installed before the
      // bridge ran, so no install event was ever seen for this conversation.
      await deps.conversations.upsert(conversationDraftFrom(context.activity, referenceOf(context)));
      const actor = await deps.identity.actorOf(context);
      // tenant= may name a pair by its display name: stored as the pair's id, which events carry.
      const filters = command.filters.pairIds ? { ...command.filters, pairIds: [...new Set(command.filters.pairIds.map((value) => customers.idOf(value)))] } : command.filters;
      const subscription = await deps.subscriptions.add({ id: deps.newId(), conversationId, filters, createdBy: actor });
      const channel = channelKindOf(context.activity);
      if ((channel === 'private' || channel === 'shared') && deps.sender) {
        // A private or shared channel has its own roster: cards reach it only if the app was added
        // to the channel itself. The confirmation goes the way the cards will (a new post), so a
        // refusal is found now, with the person who asked, not later by nobody.
        try {
          await deps.sender.send(toTopLevelReference(referenceOf(context)), textActivity(subscribedText(subscription, channel, customers)));
          return;
        } catch (error) {
          if (error instanceof SendError && error.code === 'conversation-gone') {
            await deps.subscriptions.remove(subscription.id);
            deps.log.info({ conversationId, channel }, 'subscription refused: the bot is not in the channel roster');
            await context.sendActivity(notInChannelText(channel));
            return;
          }
          // Throttled or failing for now: the subscription stands; say so in the thread instead.
          deps.log.warn({ err: error, conversationId, channel }, 'could not post the subscription confirmation in the channel');
        }
      }
      await context.sendActivity(subscribedText(subscription, channel, customers));
      return;
    }
    case 'unsubscribe': {
      if (!(await requireAnalyst(deps, context, 'Only analysts can change what this conversation is subscribed to.'))) return;
      const mine = await deps.subscriptions.listForConversation(conversationId);
      const target = command.target;
      let remove = mine;
      if (target.kind === 'id') {
        remove = mine.filter((subscription) => subscription.id === target.id);
        if (remove.length === 0) {
          await context.sendActivity(`This conversation has no subscription with that id. ${commandText('/subscriptions')} lists them.`);
          return;
        }
      } else if (target.kind === 'ask' && mine.length > 1) {
        await context.sendActivity(`Which one? ${subscriptionListText(mine, customers)}`);
        return;
      }
      if (remove.length === 0) {
        await context.sendActivity('This conversation has no subscriptions.');
        return;
      }
      for (const subscription of remove) await deps.subscriptions.remove(subscription.id);
      await context.sendActivity(`${remove.length === 1 ? 'Unsubscribed.' : `Removed ${remove.length} subscriptions.`}${remove.length === mine.length ? ' Cards already posted here stay as they are and get no more updates.' : ''}`);
      return;
    }
    default:
      return;
  }
}

export function registerSubscriptions(app: Application<TurnState>, deps: RouteDeps): void {
  registerSlashCommands(app, deps, HANDLED, run, 'subscription command failed');
}
