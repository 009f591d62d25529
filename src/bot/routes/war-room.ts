// War rooms: `/warroom <id> [user@domain …]` and the card's "War room" button open the incident's
// Teams group chat (bot/war-room.ts), or answer with the one it has. When Teams tells the bot that
// it was installed in a war room chat (installationUpdate, or conversationUpdate with the bot in
// membersAdded: both come, in no set order, possibly to two replicas), the incident's card is
// posted there once and registered, so the notifier keeps it current like every other card.
//
// Opening a war room is an analyst's action: it creates a chat in the organisation's Teams.
import type { Application, TurnState } from '@microsoft/teams-ai';
import type { TurnContext } from 'botbuilder';
import { WAR_ROOM_VERB } from '../../cards/verbs.ts';
import { ownValue } from '../../domain/untrusted-input.ts';
import { isAnalyst } from '../access.ts';
import { answerInvoke, bindingOf, MISMATCH_TEXT, type InvokeAnswer } from '../card-invoke.ts';
import { parseWarRoomPeople, type Command, type CommandName } from '../commands/parse.ts';
import { baseConversationId, conversationDraftFrom } from '../conversation-reference.ts';
import { textActivity } from '../card-activity.ts';
import { notAnalystText, notFoundText, warRoomText, warRoomUnavailableText } from '../replies.ts';
import { tenantOf } from '../tenant-policy.ts';
import { reportUnexpected } from '../unexpected-error.ts';
import type { WarRoomAnswer, WarRoomService } from '../war-room.ts';
import { botIsAmong } from './install-welcome.ts';
import { registerSlashCommands } from './slash-command-route.ts';
import { incidentsFor, referenceOf, renderIncident, replyWithIncidentCard, roleDecisionFor, withinDeadline, type RouteDeps } from '../route-deps.ts';

const HANDLED: ReadonlySet<CommandName> = new Set(['warroom']);
const LINK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

type Opened = { ok: true; answer: WarRoomAnswer } | { ok: false; text: string };

/** Who asks, whether they may, which incident, in which tenant: then opens (or finds) the war room. */
async function openFor(deps: RouteDeps, context: TurnContext, ref: string, people: string[], warRooms: WarRoomService, deadlineMs?: number): Promise<Opened | 'late'> {
  const actor = await deps.identity.actorOf(context);
  if (!actor) return { ok: false, text: 'I cannot tell who sent this, so I cannot add you to a chat. Try again from Teams.' };
  const decision = await roleDecisionFor(deps, actor);
  if (!isAnalyst(decision.role)) return { ok: false, text: notAnalystText(decision.groupProblem) };
  const view = await incidentsFor(deps, context).find(ref);
  if (!view) return { ok: false, text: notFoundText(ref) };
  const tenantId = tenantOf(context.activity);
  if (!tenantId) return { ok: false, text: 'Teams did not say which organisation this conversation belongs to, so I cannot open a chat in it.' };
  const opening = warRooms.open({ view, tenantId, requester: actor, people });
  if (deadlineMs === undefined) return { ok: true, answer: await opening };
  const early = await withinDeadline(opening, deadlineMs);
  if (early.done) return { ok: true, answer: early.value };
  // Teams wants the click answered now; the answer goes to the card's thread when it is ready.
  const reference = referenceOf(context);
  const threadId = context.activity.replyToId;
  deps.tasks.run(`war-room:${view.linkId}`, async () => {
    const answer = await opening;
    if (answer.kind === 'opened' || answer.kind === 'existing') return; // the card shows its link
    const text = textActivity(warRoomText(answer, 'markdown'));
    if (!deps.sender) return;
    if (threadId) await deps.sender.reply(reference, threadId, text);
    else await deps.sender.send(reference, text);
  });
  return 'late';
}

async function runCommand(deps: RouteDeps, context: TurnContext, command: Command): Promise<void> {
  if (command.name !== 'warroom') return;
  if (!deps.warRooms) {
    await context.sendActivity(warRoomUnavailableText());
    return;
  }
  const opened = await openFor(deps, context, command.ref, command.people, deps.warRooms);
  if (opened === 'late') return;
  await context.sendActivity(opened.ok ? warRoomText(opened.answer, 'markdown') : opened.text);
}

async function handleClick(deps: RouteDeps, context: TurnContext, data: unknown): Promise<InvokeAnswer> {
  if (!deps.warRooms) return warRoomUnavailableText();
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'The card sent no data. Refresh the card and try again.';
  const linkId = ownValue(data, 'linkId');
  if (typeof linkId !== 'string' || !LINK_ID_PATTERN.test(linkId)) return 'The card does not say which incident it is about. Refresh the card.';
  const typed = ownValue(data, 'warRoomPeople');
  let people: string[];
  try {
    people = typeof typed === 'string' ? parseWarRoomPeople(typed) : [];
  } catch (error) {
    return `I could not read the people to add: ${error instanceof Error ? error.message : 'invalid input'}.`;
  }
  const view = await incidentsFor(deps, context).find(linkId);
  if (view && (await bindingOf(deps, context, { linkId }, view)).kind === 'mismatch') return MISMATCH_TEXT;
  const opened = await openFor(deps, context, linkId, people, deps.warRooms, deps.invokeDeadlineMs);
  if (opened === 'late') return 'Opening the war room; its link appears on the card when Teams has created it.';
  if (!opened.ok) return opened.text;
  const answer = opened.answer;
  if ((answer.kind === 'opened' || answer.kind === 'existing') && view) {
    // The clicker's card shows the link at once; everyone else's when the notifier updates theirs.
    return renderIncident(deps, { ...view, warRoom: answer.link }, 'analyst', await deps.bridge.latestEditOutcome(view.linkId));
  }
  return warRoomText(answer, 'plain');
}

/** Whether this activity tells the bot it was installed (or added) in the conversation. */
function isInstall(context: TurnContext): boolean {
  const activity = context.activity;
  if (activity.type === 'installationUpdate') return activity.action === 'add' || activity.action === 'add-upgrade';
  return activity.type === 'conversationUpdate' && botIsAmong(context, activity.membersAdded);
}

export function registerWarRoom(app: Application<TurnState>, deps: RouteDeps): void {
  const warRooms = deps.warRooms;
  if (warRooms) {
    // Install events of war room chats only; every other conversation gets the usual welcome.
    app.activity(
      async (context) => isInstall(context) && (await warRooms.incidentOfChat(baseConversationId(context.activity.conversation?.id ?? ''))) !== null,
      async (context) => {
        const chatId = baseConversationId(context.activity.conversation.id);
        await deps.conversations.upsert(conversationDraftFrom(context.activity, referenceOf(context)));
        const posted = await warRooms.postCardOnce(chatId, async (linkId) => {
          const view = await incidentsFor(deps, context).find(linkId);
          return view ? replyWithIncidentCard(deps, context, view, 'analyst') : undefined;
        });
        deps.log.info({ conversationId: chatId, posted }, 'bot installed in a war room chat');
      },
    );
  }
  registerSlashCommands(app, deps, HANDLED, runCommand, 'war room command failed');
  app.adaptiveCards.actionExecute(WAR_ROOM_VERB, async (context, _state, data) => {
    let answer: InvokeAnswer;
    try {
      answer = await handleClick(deps, context, data);
    } catch (error) {
      answer = reportUnexpected(deps.log, error, { verb: WAR_ROOM_VERB, conversationId: context.activity.conversation.id }, 'war room action failed');
    }
    await answerInvoke(context, answer);
    // teams-ai sees the invoke response already sent and ignores this value.
    return '';
  });
}
