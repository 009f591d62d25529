// What every Action.Execute handler shares: which message a click came from, as far as the bridge
// knows it (the click is bound to the incident that message shows, see routes/card-actions.ts), and
// the invoke answer, sent by the handler itself.
import type { TurnContext } from 'botbuilder';
import type { AdaptiveCard } from '../cards/render.ts';
import type { IncidentView } from '../domain/change-events.ts';
import { baseConversationId } from './conversation-reference.ts';
import type { RouteDeps } from './route-deps.ts';

export type InvokeAnswer = AdaptiveCard | string;

/** Where a click's card stands: whose message it is, as far as the bridge knows. */
export type CardBinding =
  /** A card message of this incident the notifier keeps current. */
  | { kind: 'bound'; messageId: string }
  | { kind: 'unknown' }
  | { kind: 'mismatch'; messageId: string; cardLinkId: string };

export async function bindingOf(deps: RouteDeps, context: TurnContext, action: { linkId: string }, view: IncidentView): Promise<CardBinding> {
  const messageId = context.activity.replyToId;
  if (!messageId) return { kind: 'unknown' };
  // Cards are recorded under the conversation itself; in a channel the invoke names the thread.
  const card = await deps.cards.findByActivity(baseConversationId(context.activity.conversation.id), messageId);
  if (!card) return { kind: 'unknown' };
  // view.linkId differs from action.linkId when the card's incident was merged: the card record
  // may still name either until the merge has moved it.
  if (card.linkId === view.linkId || card.linkId === action.linkId) return { kind: 'bound', messageId };
  return { kind: 'mismatch', messageId, cardLinkId: card.linkId };
}

export const MISMATCH_TEXT =
  'This button does not belong to the card it was pressed on, so nothing was changed. Refresh the card, or open the incident with /incident <id>.';

/**
 * Sends the invoke response ourselves. Left to teams-ai, a returned card that has a `refresh`
 * block (ours always do) is also written over the card message for everyone
 * (REPLACE_FOR_ALL), so one viewer's read-only refresh would strip every analyst's buttons. The
 * answer is for the person who clicked; everyone else's copy changes through updateActivity once
 * the edit is final.
 */
export async function answerInvoke(context: TurnContext, answer: InvokeAnswer): Promise<void> {
  const body =
    typeof answer === 'string'
      ? { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: answer }
      : { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: answer };
  await context.sendActivity({ type: 'invokeResponse', value: { status: 200, body } });
}

