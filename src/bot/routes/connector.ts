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
import type { ApproversChannels } from '../../approvals/approvers-channel.ts';
import { ApprovalError, type DriftReport } from '../../approvals/types.ts';
import type { CustomerNames } from '../../domain/pair-names.ts';
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
import { scopeOfActivity, tenantOf, type TenantPolicy } from '../tenant-policy.ts';
import { manageablePairs, managesEveryPair, resolveConnectorPair, type ConnectorPair } from '../connector-pairs.ts';

export interface ConnectorRouteDeps {
  /** Every pair's connector, in configuration order (the pair's workspace has one connector). */
  pairs: readonly ConnectorPair[];
  /** The approvals service of each pair, by pair id. */
  services: ReadonlyMap<string, ApprovalService>;
  approversChannels: ApproversChannels;
  /** Which tenants are served and what they see; connector-pairs.ts narrows it to connectors. */
  tenants: TenantPolicy;
  customers: CustomerNames;
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
  log?: Logger;
}

/** What a conversation that may not see the connector is told; says nothing of its settings. */
export const CONNECTOR_NOT_HERE = "The Defender XDR connector's settings are managed from the SOC's tenant; they are not shown in this conversation.";

/** A card action about a request or pair this conversation may not manage: as if it did not exist. */
const NO_SUCH_REQUEST = 'No connector change request with that id can be managed here; check /connector history.';

/** `pair`: the raw tenant= value when one was given (resolved, and checked, by the route). */
export type ConnectorCommand =
  | { kind: 'status'; pair?: string }
  | { kind: 'request'; pair?: string }
  | { kind: 'approvers'; pair?: string }
  | { kind: 'history'; limit: number; pair?: string }
  | { kind: 'help'; problem?: string };

export const CONNECTOR_COMMAND_PATTERN = /^\s*(?:<at>[^<]{0,200}<\/at>\s*)*\/connector(?:\s|$)/i;

export const CONNECTOR_HELP =
  '/connector status [tenant=<pair>]: the Defender XDR connector settings, drift and prerequisites\n\n' +
  '/connector request [tenant=<pair>]: a form to request a change (a second person approves it)\n\n' +
  "/connector approvers [tenant=<pair>]: (approvers, in a channel) post approval requests to this channel: one pair's, or, without tenant= in the SOC, every pair's without a channel of its own\n\n" +
  '/connector history [n] [tenant=<pair>]: the last n change requests and what became of them\n\n' +
  'tenant= takes a pair id or name (quote a name with spaces: tenant="Contoso Ltd"); it may be left out where only one pair\'s connector is managed.';

const ONLY_ANALYSTS_REQUEST =
  'Only analysts can request connector changes (an approver then decides, so two people are always involved). Ask an administrator to add you to ANALYSTS.';

/**
 * `tenant=value` or `tenant="a name"` (a name may have spaces; Teams may turn the quotes into
 * typographic ones), anywhere after the subcommand.
 */
const TENANT_ARGUMENT = /(?:^|\s)tenant=(?:["“”]([^"“”]*)["“”]|(\S*))/i;

/** Parses "/connector <sub> [args] [tenant=<pair>]" with or without a leading bot mention. Pure. */
export function parseConnectorCommand(text: string | undefined): ConnectorCommand {
  const normalised = normaliseMessageText(text ?? '').slice(0, 300);
  const tenant = TENANT_ARGUMENT.exec(normalised);
  const rest = tenant ? normalised.slice(0, tenant.index) + normalised.slice(tenant.index + tenant[0].length) : normalised;
  const pair = tenant ? { pair: tenant[1] ?? tenant[2] ?? '' } : {};
  const words = rest.split(/\s+/).filter((w) => w.length > 0);
  const sub = (words[1] ?? '').toLowerCase();
  if (TENANT_ARGUMENT.test(rest)) return { kind: 'help', problem: 'Give tenant= once.' };
  switch (sub) {
    case 'status':
    case 'request':
    case 'approvers':
      return words.length > 2 ? { kind: 'help', problem: `/connector ${sub} takes only tenant=<pair>.` } : { kind: sub, ...pair };
    case 'history': {
      const arg = words[2];
      if (words.length > 3) return { kind: 'help', problem: '/connector history takes a number and tenant=<pair>.' };
      if (arg === undefined) return { kind: 'history', limit: 10, ...pair };
      const n = parseWholeNumber(arg, 1, 50);
      return n !== null ? { kind: 'history', limit: n, ...pair } : { kind: 'help', problem: 'history takes a number from 1 to 50.' };
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
  /** Posts the shared approval card to its pair's approvers' channel; false when none is set. */
  postToApprovers(request: ApprovalRequest): Promise<boolean>;
  /** Posts a drift announcement to its pair's approvers' channel; false when none is set or nothing to say. */
  announceDrift(report: DriftReport): Promise<boolean>;
}

/** The pairs a conversation may manage the connectors of (none when it is not served at all). */
function manageableFor(deps: Pick<ConnectorRouteDeps, 'pairs' | 'tenants'>, activity: Partial<Activity>): ConnectorPair[] {
  return scopeOfActivity(deps.tenants, activity) ? manageablePairs(deps.tenants, deps.pairs, tenantOf(activity)) : [];
}

export function createConnectorCardPublisher(deps: ConnectorRouteDeps): ConnectorCardPublisher {
  const log = deps.log ?? createSilentLogger();

  async function sharedCard(request: ApprovalRequest): Promise<AdaptiveCard> {
    const refreshUserIds = deps.refreshUserIds ? await deps.refreshUserIds() : undefined;
    return renderConnectorApprovalCard(request, {
      canDecide: false,
      now: deps.clock(),
      customer: deps.customers.customerOf(request.pairId),
      ...(refreshUserIds ? { refreshUserIds } : {}),
    });
  }

  /**
   * The pair's approvers' channel, when its tenant may manage that pair's connector. A channel
   * chosen for every pair is a SOC channel; checking again here keeps a customer's requests out of
   * another customer's channel whatever the settings hold.
   */
  async function approversReference(pairId: string): Promise<{ id: string; reference: object } | null> {
    const channel = await deps.approversChannels.channelOf(pairId);
    if (!channel) return null;
    const record = await deps.conversations.get(channel.conversationId);
    if (!record) return null;
    if (!manageablePairs(deps.tenants, deps.pairs, record.tenantId).some((pair) => pair.id === pairId)) {
      log.warn({ pairId, conversationId: record.id }, "the approvers' channel is in a tenant that may not manage this pair's connector; nothing posted there");
      return null;
    }
    return { id: record.id, reference: record.reference };
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
      const target = await approversReference(request.pairId);
      if (!target) return false;
      if (request.cards[target.id]) return true;
      const posted = await deps.sender.send(target.reference, cardActivity(await sharedCard(request)));
      await deps.approvals.setCard(request.id, target.id, posted.id);
      return true;
    },
    async announceDrift(report) {
      if (!report.drifted || !report.announcement) return false;
      const target = await approversReference(report.pairId);
      if (!target) return false;
      const customer = deps.customers.customerOf(report.pairId);
      const title = customer ? `${report.announcement.title} (customer: ${customer})` : report.announcement.title;
      const text = [`**${safeText(title)}**`, ...report.announcement.lines.map((l) => `- ${safeText(l)}`)].join('\n\n');
      await deps.sender.send(target.reference, textActivity(text));
      return true;
    },
  };
}

export function registerConnectorRoutes<TState extends TurnState>(app: Application<TState>, deps: ConnectorRouteDeps): ConnectorCardPublisher {
  const log = deps.log ?? createSilentLogger();
  const ackTimeoutMs = deps.ackTimeoutMs ?? 3000;
  const publisher = createConnectorCardPublisher(deps);
  const customerOf = (pairId: string) => deps.customers.customerOf(pairId);

  /** The service of the pair `value` names (undefined: none named) for this conversation, or why not. */
  function serviceFor(activity: Partial<Activity>, value: string | undefined): { ok: true; service: ApprovalService } | { ok: false; message: string } {
    const resolved = resolveConnectorPair(manageableFor(deps, activity), value, CONNECTOR_NOT_HERE);
    if (!resolved.ok) return resolved;
    const service = deps.services.get(resolved.pair.id);
    return service ? { ok: true, service } : { ok: false, message: CONNECTOR_NOT_HERE };
  }

  /** The request a card names, with its pair's service, when this conversation may manage that pair. */
  async function requestFor(activity: Partial<Activity>, id: string): Promise<{ request: ApprovalRequest; service: ApprovalService } | null> {
    const request = await deps.approvals.get(id);
    if (!request || !manageableFor(deps, activity).some((pair) => pair.id === request.pairId)) return null;
    const service = deps.services.get(request.pairId);
    return service ? { request, service } : null;
  }

  async function personalCard(service: ApprovalService, request: ApprovalRequest, actor: Actor): Promise<AdaptiveCard> {
    const refreshUserIds = deps.refreshUserIds ? await deps.refreshUserIds() : undefined;
    return renderConnectorApprovalCard(request, {
      canDecide: await service.canDecide(request, actor),
      now: deps.clock(),
      customer: customerOf(request.pairId),
      ...(refreshUserIds ? { refreshUserIds } : {}),
    });
  }

  async function statusCard(service: ApprovalService): Promise<AdaptiveCard> {
    const status = await service.status();
    return renderConnectorStatusCard(status, { customer: customerOf(service.pairId), approversChannel: await deps.approversChannels.channelOf(service.pairId) });
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
    const found = await requestFor(context.activity, id);
    if (!found) return NO_SUCH_REQUEST;
    const { service } = found;
    const actor = await deps.identity.actorOf(context);
    if (!actor) return 'I could not tell who you are, so I cannot record a decision.';
    const rawReason = dataField(data, CONNECTOR_INPUT_IDS.rejectReason);
    const reason = typeof rawReason === 'string' ? rawReason : undefined;
    const reasonProblem = reason === undefined ? null : typedTextProblem(reason, 'prose');
    if (reasonProblem) return `The reason contains ${reasonProblem}; remove it and reject again.`;
    const work = kind === 'approve' ? service.approve(id, actor) : service.reject(id, actor, reason);
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
      const request = result === 'timeout' ? await service.get(id) : result;
      if (!request) return 'The request could not be found.';
      return await answerWithCard(context, await personalCard(service, request, actor));
    } catch (error) {
      if (error instanceof ApprovalError) {
        if (error.request && error.code !== 'self-approval' && error.code !== 'not-approver') {
          return answerWithCard(context, await personalCard(service, error.request, actor));
        }
        return error.message;
      }
      return reportUnexpected(log, error, { approvalId: id, kind }, 'connector approval decision failed', 'Something went wrong while recording the decision; check /connector history to see whether it was recorded.');
    } finally {
      clearTimeout(timer);
    }
  }

  /** The pair a card's data names (a string, or absent on cards from before pairs), as a tenant= value. */
  function cardPair(data: unknown): { ok: true; value: string | undefined } | { ok: false } {
    const value = dataField(data, 'pairId');
    if (value === undefined) return { ok: true, value: undefined };
    return typeof value === 'string' && value.length > 0 ? { ok: true, value } : { ok: false };
  }

  app.adaptiveCards.actionExecute(CONNECTOR_VERBS.submit, async (context, _state, data) => {
    const pair = cardPair(data);
    if (!pair.ok) return 'The form does not say which connector it is for; open a new one with /connector request.';
    const target = serviceFor(context.activity, pair.value);
    if (!target.ok) return target.message;
    const service = target.service;
    const actor = await deps.identity.actorOf(context);
    if (!actor) return 'I could not tell who you are, so I cannot file the request.';
    try {
      // Before reading the form: a viewer learns nothing from validation (the service refuses too).
      if (!(await service.mayRequest(actor))) return ONLY_ANALYSTS_REQUEST;
      const form = parseConnectorRequestForm(data);
      if (!form.ok) return form.errors.join(' ');
      const { request } = await service.request(actor, form.proposed, form.reason, { formVersion: form.formVersion });
      // The form message becomes the request's card in the requester's conversation.
      const conversationId = await rememberConversation(context);
      const replyToId = context.activity.replyToId;
      let current = request;
      if (replyToId) {
        await context.updateActivity({ ...cardActivity(renderConnectorApprovalCard(request, { canDecide: false, now: deps.clock(), customer: customerOf(request.pairId) })), id: replyToId });
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
          `Request ${safeText(request.id)} is waiting for approval, but no approvers' channel is set for this connector: an approver runs /connector approvers in that channel, or opens /connector history.`,
        ));
      }
      return answerWithCard(context, await personalCard(service, (await service.get(request.id)) ?? current, actor));
    } catch (error) {
      if (error instanceof ApprovalError) return error.message;
      return reportUnexpected(log, error, {}, 'connector change request failed', 'Something went wrong while filing the request; nothing was changed.');
    }
  });

  app.adaptiveCards.actionExecute(CONNECTOR_VERBS.approve, (context, _state, data) => decision(context, data, 'approve'));
  app.adaptiveCards.actionExecute(CONNECTOR_VERBS.reject, (context, _state, data) => decision(context, data, 'reject'));

  app.adaptiveCards.actionExecute(CONNECTOR_VERBS.refresh, async (context, _state, data) => {
    try {
      if (dataField(data, 'view') === 'status') {
        const pair = cardPair(data);
        const target = pair.ok ? serviceFor(context.activity, pair.value) : { ok: false as const, message: NO_SUCH_REQUEST };
        if (!target.ok) return target.message;
        return answerWithCard(context, await statusCard(target.service));
      }
      const id = approvalIdOf(data);
      if (!id) return 'Nothing to refresh.';
      const found = await requestFor(context.activity, id);
      if (!found) return NO_SUCH_REQUEST;
      const actor = await deps.identity.actorOf(context);
      // Unknown viewers get the shared view: no buttons.
      const card = actor
        ? await personalCard(found.service, found.request, actor)
        : renderConnectorApprovalCard(found.request, { canDecide: false, now: deps.clock(), customer: customerOf(found.request.pairId) });
      return answerWithCard(context, card);
    } catch (error) {
      if (error instanceof ApprovalError) return error.message;
      return reportUnexpected(log, error, {}, 'connector card refresh failed', 'The card could not be refreshed.');
    }
  });

  /** `/connector approvers`: this channel for one pair, or (SOC, no tenant=) for every pair without its own. */
  async function chooseApproversChannel(context: TurnContext, pairValue: string | undefined): Promise<string> {
    if (context.activity.conversation?.conversationType !== 'channel') {
      return 'Run /connector approvers in the Teams channel where approvers should get requests.';
    }
    const everyPair = pairValue === undefined && managesEveryPair(deps.tenants, tenantOf(context.activity)) && deps.pairs.length > 1;
    const target = everyPair ? null : serviceFor(context.activity, pairValue);
    if (target && !target.ok) return target.message;
    const actor = await deps.identity.actorOf(context);
    if (!actor) return 'I could not tell who you are.';
    const service = target?.service ?? deps.services.get(deps.pairs[0]?.id ?? '');
    if (!service || !(await service.isApprover(actor))) return "Only connector approvers can choose the approvers' channel.";
    const conversationId = await rememberConversation(context);
    if (!target) {
      await deps.approversChannels.set(actor, { kind: 'every-pair' }, conversationId);
      return "Connector change requests of every customer without an approvers' channel of its own will be posted to this channel for approval.";
    }
    const pairId = target.service.pairId;
    // With one pair the channel is every pair's: a pair added later starts with one.
    await deps.approversChannels.set(actor, deps.pairs.length > 1 ? { kind: 'pair', pairId } : { kind: 'every-pair' }, conversationId);
    const customer = customerOf(pairId);
    return `Connector change requests${customer ? ` of ${safeText(customer)}` : ''} will be posted to this channel for approval.`;
  }

  // Last: the /connector message route (more specific than any catch-all help registered later).
  app.message(CONNECTOR_COMMAND_PATTERN, async (context) => {
    const command = parseConnectorCommand(context.activity.text);
    const send = (activity: Partial<Activity>) => context.sendActivity(activity);
    if (manageableFor(deps, context.activity).length === 0) {
      await send(textActivity(CONNECTOR_NOT_HERE));
      return;
    }
    try {
      if (command.kind === 'help') {
        await send(textActivity(`${command.problem ? `${command.problem}\n\n` : ''}${CONNECTOR_HELP}`));
        return;
      }
      if (command.kind === 'approvers') {
        await send(textActivity(await chooseApproversChannel(context, command.pair)));
        return;
      }
      const target = serviceFor(context.activity, command.pair);
      if (!target.ok) {
        await send(textActivity(safeText(target.message)));
        return;
      }
      const service = target.service;
      switch (command.kind) {
        case 'status':
          await send(cardActivity(await statusCard(service)));
          return;
        case 'request': {
          const actor = await deps.identity.actorOf(context);
          if (!actor) {
            await send(textActivity('I could not tell who you are, so I cannot offer the request form.'));
            return;
          }
          if (!(await service.mayRequest(actor))) {
            await send(textActivity(ONLY_ANALYSTS_REQUEST));
            return;
          }
          await send(cardActivity(renderConnectorRequestCard((await service.status()).snapshot, { pairId: service.pairId, customer: customerOf(service.pairId) })));
          return;
        }
        case 'history':
          await send(cardActivity(renderConnectorHistoryCard(await service.history(command.limit), customerOf(service.pairId))));
          return;
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
