// Incident commands typed in chat: /incident, /list, /severity, /tag, /comment, /assign, /status.
// Edits become EditRequests carrying the analyst's identity; the reply is the incident card in its
// pending state, updated in place once both portals answered.
import type { Application, TurnState } from '@microsoft/teams-ai';
import type { TurnContext } from 'botbuilder';
import type { Actor } from '../../domain/incident.ts';
import type { EditChanges } from '../../sync/api.ts';
import { isAnalyst } from '../access.ts';
import { cardActivity } from '../card-activity.ts';
import type { Command, CommandName } from '../commands/parse.ts';
import { registerSlashCommands } from './slash-command-route.ts';
import { commandIdempotencyKey } from '../idempotency.ts';
import { ownerFromActor } from '../identity.ts';
import { cannotAssignMeText, incidentListText, notAnalystText, notFoundText } from '../replies.ts';
import { followEditOutcome, incidentsFor, isFinal, referenceOf, renderCard, roleDecisionFor, roleFor, type RouteDeps } from '../route-deps.ts';

const HANDLED: ReadonlySet<CommandName> = new Set(['incident', 'list', 'severity', 'tag', 'comment', 'assign', 'status']);
const DEFAULT_LIST_LIMIT = 10;

type EditCommand = Extract<Command, { name: 'severity' | 'tag' | 'comment' | 'assign' | 'status' }>;

/** Null only for `/assign <id> me` when the sender identifies nobody (see ownerFromActor). */
function changesFor(command: EditCommand, actor: Actor): EditChanges | null {
  switch (command.name) {
    case 'severity':
      return { severity: command.severity };
    case 'tag':
      return { ...(command.add.length ? { tagsAdd: command.add } : {}), ...(command.remove.length ? { tagsRemove: command.remove } : {}) };
    case 'comment':
      return { comment: command.text };
    case 'assign': {
      if (command.target.kind === 'nobody') return { owner: null };
      if (command.target.kind === 'user') return { owner: { upn: command.target.upn } };
      const me = ownerFromActor(actor);
      return me ? { owner: me } : null;
    }
    case 'status':
      return { status: command.status, ...(command.classification ? { classification: command.classification } : {}) };
  }
}

async function runEdit(deps: RouteDeps, context: TurnContext, command: EditCommand): Promise<void> {
  const actor = await deps.identity.actorOf(context);
  if (!actor) {
    await context.sendActivity('I cannot tell who sent this, so I cannot credit the change. Try again from Teams.');
    return;
  }
  const decision = await roleDecisionFor(deps, actor);
  if (!isAnalyst(decision.role)) {
    await context.sendActivity(notAnalystText(decision.groupProblem));
    return;
  }
  const view = await incidentsFor(deps, context).find(command.ref);
  if (!view) {
    await context.sendActivity(notFoundText(command.ref));
    return;
  }
  const changes = changesFor(command, actor);
  if (!changes) {
    await context.sendActivity(cannotAssignMeText());
    return;
  }
  const result = await deps.bridge.submitEdit({
    idempotencyKey: commandIdempotencyKey(context.activity.conversation.id, context.activity.id ?? ''),
    incidentRef: view.linkId,
    changes,
    actor,
  });
  const sent = await context.sendActivity(cardActivity(renderCard(deps, view, 'analyst', result.outcome), view));
  if (sent?.id && !isFinal(result.outcome)) {
    followEditOutcome(deps, { requestId: result.requestId, linkId: view.linkId, reference: referenceOf(context), activityId: sent.id });
  }
}

async function run(deps: RouteDeps, context: TurnContext, command: Command): Promise<void> {
  switch (command.name) {
    case 'incident': {
      const view = await incidentsFor(deps, context).find(command.ref);
      if (!view) {
        await context.sendActivity(notFoundText(command.ref));
        return;
      }
      const actor = await deps.identity.actorOf(context);
      const mode = actor && isAnalyst(await roleFor(deps, actor)) ? 'analyst' : 'readOnly';
      await context.sendActivity(cardActivity(renderCard(deps, view, mode), view));
      return;
    }
    case 'list': {
      const limit = command.filter.limit ?? DEFAULT_LIST_LIMIT;
      // Ask for one more than shown, to know whether to say "and more".
      const views = await incidentsFor(deps, context).list({ ...command.filter, limit: limit + 1 });
      await context.sendActivity(incidentListText(views, limit));
      return;
    }
    case 'severity':
    case 'tag':
    case 'comment':
    case 'assign':
    case 'status':
      await runEdit(deps, context, command);
      return;
    default:
      return;
  }
}

export function registerCommands(app: Application<TurnState>, deps: RouteDeps): void {
  registerSlashCommands(app, deps, HANDLED, run, 'command failed');
}
