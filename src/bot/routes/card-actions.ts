// Action.Execute buttons of the incident card (verbs in src/cards/verbs.ts).
//
// Teams expects the invoke answer within about 5 seconds (users see "Something went wrong" after
// 10–15 s; MicrosoftDocs/msteams-docs#13460, #11259). So the handler validates, checks the role,
// submits the edit and answers at once with the card in its pending state. The sync engine writes,
// verifies and announces the outcome; the notifier, the only writer of card messages, updates the
// card message in place for everyone as it moves on.
//
// A click is bound to the message it came from. The data of an Action.Execute names an incident
// (linkId) and the invoke names a message (replyToId), and both are the client's word: a
// hand-made invoke could pair incident 4's linkId with incident 9's card, and the update that
// follows would write incident 4 over incident 9's card for everyone. So:
// - the message is a card the notifier posted or a registered copy (a command's answer): the
//   linkId must be that card's incident (or the one it was merged into), else the click is
//   refused, logged, and nothing is edited;
// - the message is not known (one superseded by a merge, one posted before cards were registered,
//   or no replyToId at all): the click acts on its own linkId, and the clicker alone gets the
//   fresh card as the invoke answer; the message is never registered on the click's word, since
//   nothing shows which incident it holds. Others see the change when their card refreshes.
import type { Application, TurnState } from '@microsoft/teams-ai';
import type { TurnContext } from 'botbuilder';
import { ALL_CARD_VERBS } from '../../cards/verbs.ts';
import type { Actor } from '../../domain/incident.ts';
import type { IncidentView } from '../../domain/change-events.ts';
import type { EditChanges } from '../../domain/edits.ts';
import { isAnalyst } from '../access.ts';
import { effectiveTagEdit, validateCardAction, type CardAction } from '../card-action-data.ts';
import { cardActionIdempotencyKey } from '../idempotency.ts';
import { acknowledgeChanges, ownerFromActor } from '../identity.ts';
import { cannotAssignMeText, notAnalystText } from '../replies.ts';
import { reportUnexpected } from '../unexpected-error.ts';
import { answerInvoke, bindingOf, MISMATCH_TEXT, type InvokeAnswer } from '../card-invoke.ts';
import { incidentsFor, overdueIn, renderIncident, roleDecisionFor, withinDeadline, type RouteDeps } from '../route-deps.ts';

const ACTION_INVOKE_NAME = 'adaptiveCard/action';

function currentTags(view: IncidentView): string[] {
  return [...new Set([...(view.defender?.tags ?? []), ...(view.sentinel?.tags ?? [])])];
}

/** The edit a button asks for, or why there is none (e.g. the tags are already so). */
function changesFor(action: Exclude<CardAction, { verb: 'refreshCard' }>, actor: Actor, view: IncidentView): EditChanges | string {
  switch (action.verb) {
    case 'setSeverity':
      return { severity: action.severity };
    case 'addComment':
      return { comment: action.comment };
    case 'assignToMe': {
      const me = ownerFromActor(actor);
      return me ? { owner: me } : cannotAssignMeText('plain');
    }
    case 'acknowledge':
      return acknowledgeChanges(actor) ?? cannotAssignMeText('plain');
    case 'editTags': {
      const { add, remove } = effectiveTagEdit(action.tags, currentTags(view));
      if (add.length === 0 && remove.length === 0) return 'Nothing to change: the incident already has those tags.';
      return { ...(add.length ? { tagsAdd: add } : {}), ...(remove.length ? { tagsRemove: remove } : {}) };
    }
  }
}

async function handle(deps: RouteDeps, context: TurnContext, verb: string, data: unknown): Promise<InvokeAnswer> {
  const validated = validateCardAction(verb, data);
  if (!validated.ok) return validated.reason;
  const action = validated.action;
  const actor = await deps.identity.actorOf(context);
  if (!actor) return 'I cannot tell who clicked, so I cannot credit the change.';
  const view = await incidentsFor(deps, context).find(action.linkId);
  if (!view) return 'This incident is no longer known to the bridge.';
  const binding = await bindingOf(deps, context, action, view);
  if (binding.kind === 'mismatch') {
    deps.log.warn(
      { verb: action.verb, linkId: action.linkId, cardLinkId: binding.cardLinkId, conversationId: context.activity.conversation.id, messageId: binding.messageId, actor: actor.objectId },
      'card action refused: its incident is not the one the card message shows',
    );
    return MISMATCH_TEXT;
  }
  const decision = await roleDecisionFor(deps, actor);
  const analyst = isAnalyst(decision.role);

  const overdueSince = await overdueIn(deps, context, view);
  if (action.verb === 'refreshCard') return renderIncident(deps, view, analyst ? 'analyst' : 'readOnly', await deps.bridge.latestEditOutcome(view.linkId), overdueSince);
  if (!analyst) {
    // The invoke answer can carry one thing; the card without buttons goes to the clicker, the
    // reason as a message in the card's thread.
    await context.sendActivity(notAnalystText(decision.groupProblem));
    return renderIncident(deps, view, 'readOnly', await deps.bridge.latestEditOutcome(view.linkId), overdueSince);
  }

  const changes = changesFor(action, actor, view);
  if (typeof changes === 'string') return changes;
  const cardActivityId = context.activity.replyToId ?? context.activity.id ?? '';
  const submitted = deps.bridge.submitEdit({
    idempotencyKey: cardActionIdempotencyKey({
      conversationId: context.activity.conversation.id,
      cardActivityId,
      verb: action.verb,
      data,
      userId: actor.objectId,
    }),
    linkId: view.linkId,
    changes,
    actor,
  });
  const early = await withinDeadline(submitted, deps.invokeDeadlineMs);
  if (!early.done) {
    // Answer Teams now; the request is still on its way (its idempotency key makes a retried click
    // safe). Once stored, its outcome events update the card, if the bridge keeps this message.
    deps.tasks.run(`late-submit:${view.linkId}`, async () => {
      await submitted;
    });
    return binding.kind === 'bound'
      ? 'Working on it; the card will update when both portals have answered.'
      : 'Working on it; refresh the card in a moment to see what both portals answered.';
  }
  return renderIncident(deps, view, 'analyst', early.value.outcome, overdueSince);
}

export function registerCardActions(app: Application<TurnState>, deps: RouteDeps): void {
  for (const verb of ALL_CARD_VERBS) {
    app.adaptiveCards.actionExecute(verb, async (context, _state, data) => {
      let answer: InvokeAnswer;
      try {
        answer = await handle(deps, context, verb, data);
      } catch (error) {
        answer = reportUnexpected(deps.log, error, { verb, conversationId: context.activity.conversation.id }, 'card action failed');
      }
      await answerInvoke(context, answer);
      // teams-ai sees the invoke response already sent and ignores this value.
      return '';
    });
  }
  // Any other adaptiveCard/action invoke (an old card's verb, a malformed or hand-made invoke):
  // answer instead of leaving Teams waiting for a response that never comes. Registered after the
  // known verbs, as an invoke route: first match wins.
  app.addRoute(
    async (context) => context.activity.type === 'invoke' && context.activity.name === ACTION_INVOKE_NAME,
    async (context) => answerInvoke(context, 'This button is not supported any more. Refresh the card.'),
    true,
  );
}
