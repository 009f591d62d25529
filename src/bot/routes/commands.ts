// Incident commands typed in chat: /incident, /list, /severity, /tag, /comment, /assign, /status, /ack.
// Edits become EditRequests carrying the analyst's identity; the reply is the incident card in its
// pending state, registered so that the notifier updates it in place as the outcome moves on.
import type { Application, TurnState } from '@microsoft/teams-ai';
import type { TurnContext } from 'botbuilder';
import type { Actor } from '../../domain/incident.ts';
import type { EditChanges } from '../../domain/edits.ts';
import { isAnalyst } from '../access.ts';
import type { Command, CommandName } from '../commands/parse.ts';
import { registerSlashCommands } from './slash-command-route.ts';
import { commandIdempotencyKey } from '../idempotency.ts';
import { acknowledgeChanges, ownerFromActor } from '../identity.ts';
import { incidentListReply } from '../incident-list-reply.ts';
import { cannotAssignMeText, notAnalystText, notFoundText } from '../replies.ts';
import { incidentsFor, replyWithIncidentCard, roleDecisionFor, roleFor, type RouteDeps } from '../route-deps.ts';

const HANDLED: ReadonlySet<CommandName> = new Set(['incident', 'list', 'severity', 'tag', 'comment', 'assign', 'status', 'ack']);
const DEFAULT_LIST_LIMIT = 10;

type EditCommand = Extract<Command, { name: 'severity' | 'tag' | 'comment' | 'assign' | 'status' | 'ack' }>;

/** Null only for `/assign <id> me` and `/ack` when the sender identifies nobody (see ownerFromActor). */
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
    case 'ack':
      return acknowledgeChanges(actor);
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
    await context.sendActivity(cannotAssignMeText('markdown'));
    return;
  }
  const result = await deps.bridge.submitEdit({
    idempotencyKey: commandIdempotencyKey(context.activity.conversation.id, context.activity.id ?? ''),
    linkId: view.linkId,
    changes,
    actor,
  });
  await replyWithIncidentCard(deps, context, view, 'analyst', result.outcome);
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
      await replyWithIncidentCard(deps, context, view, mode);
      return;
    }
    case 'list': {
      const limit = command.filter.limit ?? DEFAULT_LIST_LIMIT;
      // Ask for one more than shown, to know whether to say "and more".
      // tenant= may name the pair by its display name too.
      const pairId = command.filter.pairId === undefined ? {} : { pairId: deps.customers.idOf(command.filter.pairId) };
      const views = await incidentsFor(deps, context).list({ ...command.filter, ...pairId, limit: limit + 1 });
      await context.sendActivity(incidentListReply(views, limit, deps.allowedLinkHosts, deps.customers));
      return;
    }
    case 'severity':
    case 'tag':
    case 'comment':
    case 'assign':
    case 'status':
    case 'ack':
      await runEdit(deps, context, command);
      return;
    default:
      return;
  }
}

export function registerCommands(app: Application<TurnState>, deps: RouteDeps): void {
  registerSlashCommands(app, deps, HANDLED, run, 'command failed');
}
