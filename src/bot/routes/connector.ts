// Teams side of connector change approvals: the /connector commands and the approval card verbs.
// Thin: parsing and rules live in src/approvals and src/cards; this file moves data between a turn,
// the approvals service and the cards, and keeps every posted approval card up to date.
//
// Route order: card actions (invokes) are registered first, the /connector message route last;
// teams-ai runs invoke routes before message routes anyway, and the first match wins.
import { ActivityTypes, INVOKE_RESPONSE_KEY, TurnContext, type Activity } from 'botbuilder';
import type { Application, TurnState } from '@microsoft/teams-ai';
import type { Actor } from '../../domain/incident.ts';
import type { ApprovalRepository, ApprovalRequest, ConversationRepository } from '../../store/ports.ts';
import type { ApprovalService } from '../../approvals/service.ts';
import { ApprovalError, type DriftReport } from '../../approvals/types.ts';
import type { AdaptiveCard } from '../../cards/render.ts';
import { escapeForTextBlock } from '../../cards/escape.ts';
import { CONNECTOR_INPUT_IDS, CONNECTOR_VERBS } from '../../cards/connector-verbs.ts';
import { renderConnectorApprovalCard } from '../../cards/connector-approval.ts';
import { parseConnectorRequestForm, renderConnectorRequestCard } from '../../cards/connector-request.ts';
import { renderConnectorStatusCard } from '../../cards/connector-status.ts';
import { renderConnectorHistoryCard } from '../../cards/connector-history.ts';
import { createSilentLogger, type Logger } from '../../observability/logger.ts';
import type { BackgroundTasks } from '../background.ts';
import type { IdentityResolver } from '../identity.ts';
import type { TeamsSender } from '../ports.ts';
import { cardActivity, textActivity } from '../card-activity.ts';
import { conversationDraftFrom } from '../conversation-reference.ts';
import { normaliseMessageText } from '../commands/parse.ts';
import { ownValue, parseWholeNumber, typedTextProblem } from '../../domain/untrusted-input.ts';
import { reportUnexpected } from '../unexpected-error.ts';

export interface ConnectorRouteDeps {
  service: ApprovalService;
  identity: IdentityResolver;
  sender: TeamsSender;
  conversations: Pick<ConversationRepository, 'get' | 'upsert'>;
  approvals: Pick<ApprovalRepository, 'setCard' | 'get'>;
  background: BackgroundTasks;
  clock: () => Date;
  /** Teams user ids (29:…) of approvers, so Teams refreshes their view automatically (max 60). */
  refreshUserIds?: () => Promise<string[]>;
  /**
   * How long a click waits for approve-and-apply before answering with the "applying" view. Teams
   * expects the invoke answer within about 5 s (teams.md); the rest finishes in the background and
   * updates the cards in place.
   */
  ackTimeoutMs?: number;
  /**
   * Whether the conversation an activity comes from may see and change this connector: the
   * connector belongs to one pair's workspace, and an MSSP customer's tenant must not see another
   * customer's (or the MSSP's own) settings. Default: every conversation the bot serves.
   */
  mayManage?: (activity: Partial<Activity>) => boolean;
  log?: Logger;
}

/** What a conversation that may not see the connector is told; says nothing of its settings. */
export const CONNECTOR_NOT_HERE = "The Defender XDR connector's settings are managed from the SOC's tenant; they are not shown in this conversation.";

export type ConnectorCommand =
  | { kind: 'status' }
  | { kind: 'request' }
  | { kind: 'approvers' }
  | { kind: 'history'; limit: number }
  | { kind: 'help'; problem?: string };

export const CONNECTOR_COMMAND_PATTERN = /^\s*(?:<at>[^<]{0,200}<\/at>\s*)*\/connector(?:\s|$)/i;

export const CONNECTOR_HELP =
  '/connector status: the Defender XDR connector settings, drift and prerequisites\n\n' +
  '/connector request: a form to request a change (a second person approves it)\n\n' +
  '/connector approvers: (approvers, in a channel) post approval requests to this channel\n\n' +
  '/connector history [n]: the last n change requests and what became of them';

const ONLY_ANALYSTS_REQUEST =
  'Only analysts can request connector changes (an approver then decides, so two people are always involved). Ask an administrator to add you to ANALYSTS.';

/** Parses "/connector <sub> [args]" with or without a leading bot mention. Pure. */
export function parseConnectorCommand(text: string | undefined): ConnectorCommand {
  const words = normaliseMessageText(text ?? '').slice(0, 200).split(/\s+/).filter((w) => w.length > 0);
  const sub = (words[1] ?? '').toLowerCase();
  switch (sub) {
    case 'status':
    case 'request':
    case 'approvers':
      return words.length > 2 ? { kind: 'help', problem: `/connector ${sub} takes no arguments.` } : { kind: sub };
    case 'history': {
      const arg = words[2];
      if (arg === undefined) return { kind: 'history', limit: 10 };
      const n = parseWholeNumber(arg, 1, 50);
      return n !== null ? { kind: 'history', limit: n } : { kind: 'help', problem: 'history takes a number from 1 to 50.' };
    }
    case '':
      return { kind: 'help' };
    default:
      return { kind: 'help', problem: 'Unknown /connector subcommand.' };
  }
}

/** Answers an Action.Execute for the person who clicked only (never replacing the card for all). */
// teams-ai would answer a card that has `refresh` by replacing the message for everyone
// (REPLACE_FOR_ALL), which would show an approver's buttons to all; so the answer is sent here and
// marked as sent (CloudAdapter marks it too), and teams-ai then leaves it alone.
async function answerWithCard(context: TurnContext, card: AdaptiveCard): Promise<AdaptiveCard> {
  const response: Partial<Activity> = {
    type: ActivityTypes.InvokeResponse,
    value: { status: 200, body: { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card } },
  };
  await context.sendActivity(response);
  context.turnState.set(INVOKE_RESPONSE_KEY, response);
  return card;
}

function safeText(text: string): string {
  return escapeForTextBlock(text, 1500, { multiline: true });
}

/** A field the card's data holds itself (never an Object.prototype member); undefined otherwise. */
function dataField(data: unknown, name: string): unknown {
  return typeof data === 'object' && data !== null ? ownValue(data, name) : undefined;
}

function approvalIdOf(data: unknown): string | null {
  const id = dataField(data, 'approvalId');
  return typeof id === 'string' && /^[A-Za-z0-9._:-]{1,100}$/.test(id) ? id : null;
}

export interface ConnectorCardPublisher {
  /** Re-renders the shared (button-less) approval card everywhere it was posted. */
  updateApprovalCards(request: ApprovalRequest): Promise<void>;
  /** Posts the shared approval card to the approvers' channel; false when none is set. */
  postToApprovers(request: ApprovalRequest): Promise<boolean>;
  /** Posts a drift announcement to the approvers' channel; false when none is set or nothing to say. */
  announceDrift(report: DriftReport): Promise<boolean>;
}

export function createConnectorCardPublisher(deps: ConnectorRouteDeps): ConnectorCardPublisher {
  const log = deps.log ?? createSilentLogger();

  async function sharedCard(request: ApprovalRequest): Promise<AdaptiveCard> {
    const refreshUserIds = deps.refreshUserIds ? await deps.refreshUserIds() : undefined;
    return renderConnectorApprovalCard(request, { canDecide: false, now: deps.clock(), ...(refreshUserIds ? { refreshUserIds } : {}) });
  }

  async function approversReference(): Promise<{ id: string; reference: object } | null> {
    const channelId = await deps.service.approversChannel();
    if (!channelId) return null;
    const record = await deps.conversations.get(channelId);
    return record ? { id: record.id, reference: record.reference } : null;
  }

  return {
    async updateApprovalCards(request) {
      const card = await sharedCard(request);
      for (const [conversationId, activityId] of Object.entries(request.cards)) {
        try {
          const record = await deps.conversations.get(conversationId);
          if (!record) continue;
          await deps.sender.update(record.reference, activityId, cardActivity(card));
        } catch (error) {
          // One unreachable channel must not keep the other card stale.
          log.warn({ err: error, approvalId: request.id, conversationId }, 'could not update a connector approval card');
        }
      }
    },
    async postToApprovers(request) {
      const target = await approversReference();
      if (!target) return false;
      if (request.cards[target.id]) return true;
      const posted = await deps.sender.send(target.reference, cardActivity(await sharedCard(request)));
      await deps.approvals.setCard(request.id, target.id, posted.id);
      return true;
    },
    async announceDrift(report) {
      if (!report.drifted || !report.announcement) return false;
      const target = await approversReference();
      if (!target) return false;
      const text = [`**${safeText(report.announcement.title)}**`, ...report.announcement.lines.map((l) => `- ${safeText(l)}`)].join('\n\n');
      await deps.sender.send(target.reference, textActivity(text));
      return true;
    },
  };
}

export function registerConnectorRoutes<TState extends TurnState>(app: Application<TState>, deps: ConnectorRouteDeps): ConnectorCardPublisher {
  const log = deps.log ?? createSilentLogger();
  const ackTimeoutMs = deps.ackTimeoutMs ?? 3000;
  const publisher = createConnectorCardPublisher(deps);
  const mayManage = deps.mayManage ?? (() => true);
  /** Card verbs answer the refusal instead of running where the connector is not to be shown. */
  const guarded =
    (handler: (context: TurnContext, data: unknown) => Promise<AdaptiveCard | string>) =>
    async (context: TurnContext, _state: unknown, data: unknown): Promise<AdaptiveCard | string> =>
      mayManage(context.activity) ? handler(context, data) : CONNECTOR_NOT_HERE;

  async function personalCard(request: ApprovalRequest, actor: Actor): Promise<AdaptiveCard> {
    const refreshUserIds = deps.refreshUserIds ? await deps.refreshUserIds() : undefined;
    return renderConnectorApprovalCard(request, {
      canDecide: await deps.service.canDecide(request, actor),
      now: deps.clock(),
      ...(refreshUserIds ? { refreshUserIds } : {}),
    });
  }

  /** Records the conversation so its cards can be updated proactively later. */
  async function rememberConversation(context: TurnContext): Promise<string> {
    const activity = context.activity;
    const draft = conversationDraftFrom(activity, TurnContext.getConversationReference(activity));
    await deps.conversations.upsert(draft);
    return draft.id;
  }

  async function decision(context: TurnContext, data: unknown, kind: 'approve' | 'reject'): Promise<AdaptiveCard | string> {
    const id = approvalIdOf(data);
    if (!id) return 'This card carries no valid request id; open the request again with /connector history.';
    const actor = await deps.identity.actorOf(context);
    if (!actor) return 'I could not tell who you are, so I cannot record a decision.';
    const rawReason = dataField(data, CONNECTOR_INPUT_IDS.rejectReason);
    const reason = typeof rawReason === 'string' ? rawReason : undefined;
    const reasonProblem = reason === undefined ? null : typedTextProblem(reason, 'prose');
    if (reasonProblem) return `The reason contains ${reasonProblem}; remove it and reject again.`;
    const work = kind === 'approve' ? deps.service.approve(id, actor) : deps.service.reject(id, actor, reason);
    // Whatever happens, the cards in both channels show it when it is known.
    const settled = work.then(
      (request) => request,
      (error: unknown) => {
        if (error instanceof ApprovalError && error.request) return error.request;
        throw error;
      },
    );
    deps.background.run(`connector approval ${id}: ${kind}`, async () => publisher.updateApprovalCards(await settled));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ackTimeoutMs);
    });
    try {
      const result = await Promise.race([work, timeout]);
      const request = result === 'timeout' ? await deps.approvals.get(id) : result;
      if (!request) return 'The request could not be found.';
      return await answerWithCard(context, await personalCard(request, actor));
    } catch (error) {
      if (error instanceof ApprovalError) {
        if (error.request && error.code !== 'self-approval' && error.code !== 'not-approver') {
          return answerWithCard(context, await personalCard(error.request, actor));
        }
        return error.message;
      }
      return reportUnexpected(log, error, { approvalId: id, kind }, 'connector approval decision failed', 'Something went wrong while recording the decision; check /connector history to see whether it was recorded.');
    } finally {
      clearTimeout(timer);
    }
  }

  app.adaptiveCards.actionExecute(CONNECTOR_VERBS.submit, guarded(async (context, data) => {
    const actor = await deps.identity.actorOf(context);
    if (!actor) return 'I could not tell who you are, so I cannot file the request.';
    try {
      // Before reading the form: a viewer learns nothing from validation (the service refuses too).
      if (!(await deps.service.mayRequest(actor))) return ONLY_ANALYSTS_REQUEST;
      const form = parseConnectorRequestForm(data);
      if (!form.ok) return form.errors.join(' ');
      const { request } = await deps.service.request(actor, form.proposed, form.reason, { formVersion: form.formVersion });
      // The form message becomes the request's card in the requester's conversation.
      const conversationId = await rememberConversation(context);
      const replyToId = context.activity.replyToId;
      let current = request;
      if (replyToId) {
        await context.updateActivity({ ...cardActivity(renderConnectorApprovalCard(request, { canDecide: false, now: deps.clock() })), id: replyToId });
        current = (await deps.approvals.setCard(request.id, conversationId, replyToId)) ?? current;
      }
      let posted = false;
      try {
        posted = await publisher.postToApprovers(current);
      } catch (error) {
        log.warn({ err: error, approvalId: request.id }, 'could not post the approval card to the approvers\' channel');
      }
      if (!posted) {
        await context.sendActivity(textActivity(
          `Request ${safeText(request.id)} is waiting for approval, but no approvers' channel is set: an approver runs /connector approvers in that channel, or opens /connector history.`,
        ));
      }
      return answerWithCard(context, await personalCard((await deps.approvals.get(request.id)) ?? current, actor));
    } catch (error) {
      if (error instanceof ApprovalError) return error.message;
      return reportUnexpected(log, error, {}, 'connector change request failed', 'Something went wrong while filing the request; nothing was changed.');
    }
  }));

  app.adaptiveCards.actionExecute(CONNECTOR_VERBS.approve, guarded((context, data) => decision(context, data, 'approve')));
  app.adaptiveCards.actionExecute(CONNECTOR_VERBS.reject, guarded((context, data) => decision(context, data, 'reject')));

  app.adaptiveCards.actionExecute(CONNECTOR_VERBS.refresh, guarded(async (context, data) => {
    try {
      if (dataField(data, 'view') === 'status') {
        return answerWithCard(context, renderConnectorStatusCard(await deps.service.status()));
      }
      const id = approvalIdOf(data);
      if (!id) return 'Nothing to refresh.';
      const request = await deps.service.get(id);
      if (!request) return 'The request could not be found.';
      const actor = await deps.identity.actorOf(context);
      // Unknown viewers get the shared view: no buttons.
      const card = actor ? await personalCard(request, actor) : renderConnectorApprovalCard(request, { canDecide: false, now: deps.clock() });
      return answerWithCard(context, card);
    } catch (error) {
      if (error instanceof ApprovalError) return error.message;
      return reportUnexpected(log, error, {}, 'connector card refresh failed', 'The card could not be refreshed.');
    }
  }));

  // Last: the /connector message route (more specific than any catch-all help registered later).
  app.message(CONNECTOR_COMMAND_PATTERN, async (context) => {
    const command = parseConnectorCommand(context.activity.text);
    const send = (activity: Partial<Activity>) => context.sendActivity(activity);
    if (!mayManage(context.activity)) {
      await send(textActivity(CONNECTOR_NOT_HERE));
      return;
    }
    try {
      switch (command.kind) {
        case 'help':
          await send(textActivity(`${command.problem ? `${command.problem}\n\n` : ''}${CONNECTOR_HELP}`));
          return;
        case 'status':
          await send(cardActivity(renderConnectorStatusCard(await deps.service.status())));
          return;
        case 'request': {
          const actor = await deps.identity.actorOf(context);
          if (!actor) {
            await send(textActivity('I could not tell who you are, so I cannot offer the request form.'));
            return;
          }
          if (!(await deps.service.mayRequest(actor))) {
            await send(textActivity(ONLY_ANALYSTS_REQUEST));
            return;
          }
          await send(cardActivity(renderConnectorRequestCard((await deps.service.status()).snapshot)));
          return;
        }
        case 'history':
          await send(cardActivity(renderConnectorHistoryCard(await deps.service.history(command.limit))));
          return;
        case 'approvers': {
          if (context.activity.conversation?.conversationType !== 'channel') {
            await send(textActivity('Run /connector approvers in the Teams channel where approvers should get requests.'));
            return;
          }
          const actor = await deps.identity.actorOf(context);
          if (!actor) {
            await send(textActivity('I could not tell who you are.'));
            return;
          }
          if (!(await deps.service.isApprover(actor))) {
            await send(textActivity('Only connector approvers can choose the approvers\' channel.'));
            return;
          }
          const conversationId = await rememberConversation(context);
          await deps.service.setApproversChannel(actor, conversationId);
          await send(textActivity('Connector change requests will be posted to this channel for approval.'));
          return;
        }
      }
    } catch (error) {
      if (error instanceof ApprovalError) {
        await send(textActivity(safeText(error.message)));
        return;
      }
      await send(textActivity(reportUnexpected(log, error, { command: command.kind }, '/connector command failed')));
    }
  });

  return publisher;
}
