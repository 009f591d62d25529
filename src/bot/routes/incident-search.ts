// Incident search from Teams' compose box: a search-based message extension (manifest
// composeExtensions, command SEARCH_COMMAND_ID). Teams sends a `composeExtension/query` invoke as
// the person types; the answer lists matching incidents of the conversation's scope (number, id,
// title words, tag or owner; most recent first), each as its incident card with a one-line preview.
// The person picks one and Teams inserts the card in the message they are writing.
//
// Keeping the inserted card current: the message is the person's, sent through the app, so the bot
// cannot edit it (Bot Framework updateActivity works on the bot's own messages only; Microsoft's
// answer in MicrosoftDocs/msteams-docs#687). The card carries the Universal Actions `refresh`
// block, so Teams asks the bot for the current card whenever someone views it (automatically in
// conversations of up to 60 people, from the message's menu in larger ones: "Universal Actions for
// search based message extensions"), and every click on it answers with the current card too. The
// bot first learns the message's id from those invokes (their replyToId); it does not register the
// message for the notifier, whose updateActivity Teams would refuse.
import type { Application, TurnState } from '@microsoft/teams-ai';
import type { TurnContext } from 'botbuilder';
import type { MessagingExtensionAttachment, MessagingExtensionResult } from 'botbuilder';
import { CardFactory } from 'botbuilder';
import { toNeutralLine } from '../../cards/escape.ts';
import { ownerWord, SEVERITY_WORDS, statusWord } from '../../domain/display-words.ts';
import type { IncidentView } from '../../domain/change-events.ts';
import { ownValue, typedTextProblem } from '../../domain/untrusted-input.ts';
import { MAX_SEARCH_WORD_CHARS, MAX_SEARCH_WORDS } from '../../store/link-filter.ts';
import { reportUnexpected } from '../unexpected-error.ts';
import { incidentsFor, renderIncident, withWarRoom, type RouteDeps } from '../route-deps.ts';

/** The search command's id and its one parameter, as the manifest declares them. */
export const SEARCH_COMMAND_ID = 'searchIncidents';
export const SEARCH_PARAMETER = 'query';
/** Teams asks for 25 results a page by default (queryOptions.count); never more. */
export const MAX_SEARCH_RESULTS = 25;
/** Paging deeper than this is not a search any more: refine the words instead. */
export const MAX_SEARCH_SKIP = 500;
const MAX_SEARCH_TEXT_CHARS = MAX_SEARCH_WORDS * (MAX_SEARCH_WORD_CHARS + 1);

const QUERY_INVOKE = 'composeExtension/query';

type SearchInput = { text: string; count: number; skip: number } | { problem: string };

/** The invoke's value as sent: untrusted, whatever its shape. */
interface RawQuery {
  parameters?: unknown;
  queryOptions?: unknown;
}

/** A whole number within [min, max] from what the client sent, else `fallback`. */
function bounded(value: unknown, fallback: number, min: number, max: number): number {
  const number = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) ? Math.min(max, Math.max(min, number)) : fallback;
}

/** The declared parameter's value, from a parameters array of any shape (teams-ai's own flattening throws on a null item). */
function parameterValue(parameters: unknown): unknown {
  if (!Array.isArray(parameters)) return undefined;
  const match = parameters.find((item): item is Record<string, unknown> => typeof item === 'object' && item !== null && ownValue(item, 'name') === SEARCH_PARAMETER);
  return match ? ownValue(match, 'value') : undefined;
}

/** What to search for, read from the invoke's value as untrusted input. */
export function searchInput(value: RawQuery): SearchInput {
  // The declared parameter; Teams' first run (initialRun) sends none, or "initialRun": list the newest.
  const raw = parameterValue(value.parameters);
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (text.length > MAX_SEARCH_TEXT_CHARS) return { problem: `Search with fewer words: at most ${MAX_SEARCH_TEXT_CHARS} characters.` };
  const problem = typedTextProblem(text, 'line');
  if (problem) return { problem: `The search contains ${problem}; type it again.` };
  const words = text.split(/\s+/u).filter((word) => word.length > 0);
  if (new Set(words).size > MAX_SEARCH_WORDS) return { problem: `Search with at most ${MAX_SEARCH_WORDS} words.` };
  if (words.some((word) => word.length > MAX_SEARCH_WORD_CHARS)) return { problem: `A search word has at most ${MAX_SEARCH_WORD_CHARS} characters.` };
  const options = typeof value.queryOptions === 'object' && value.queryOptions !== null ? value.queryOptions : {};
  return {
    text,
    count: bounded(ownValue(options, 'count'), MAX_SEARCH_RESULTS, 1, MAX_SEARCH_RESULTS),
    skip: bounded(ownValue(options, 'skip'), 0, 0, MAX_SEARCH_SKIP),
  };
}

function messageResult(text: string): MessagingExtensionResult {
  return { type: 'message', text };
}

/**
 * The result list's line for an incident: its number and severity, then title, status and owner.
 * Neutral text: clients differ on whether a preview is Markdown, HTML or plain (the Agents
 * Playground shows backslash escapes literally).
 */
function preview(view: IncidentView): MessagingExtensionAttachment['preview'] {
  const incident = view.defender ?? view.sentinel;
  const number = view.defender ? `Incident ${toNeutralLine(view.defender.id, 40)}` : `Sentinel ${view.sentinel?.incidentNumber ?? ''}`;
  const facts = incident ? [incident.title, statusWord(incident.portal, incident.status) ?? '', ownerWord(incident.owner)] : [];
  return CardFactory.thumbnailCard(
    `${number} · ${SEVERITY_WORDS[incident?.severity ?? 'unknown']}`,
    facts.map((fact, index) => toNeutralLine(fact, index === 0 ? 120 : 80)).filter((part) => part !== '').join(' · '),
  );
}

async function search(deps: RouteDeps, context: TurnContext): Promise<MessagingExtensionResult> {
  const value: unknown = context.activity.value;
  const input = searchInput(typeof value === 'object' && value !== null ? (value as RawQuery) : {});
  if ('problem' in input) return messageResult(input.problem);
  const views = await incidentsFor(deps, context).list({ ...(input.text ? { text: input.text } : {}), limit: input.count, offset: input.skip });
  const attachments: MessagingExtensionAttachment[] = [];
  for (const found of views) {
    const view = await withWarRoom(deps, found);
    // Everyone in the conversation sees the inserted card; its buttons check the role of whoever clicks.
    const card = renderIncident(deps, view, 'analyst', await deps.bridge.latestEditOutcome(view.linkId));
    attachments.push({ ...CardFactory.adaptiveCard(card), preview: preview(view) });
  }
  return { type: 'result', attachmentLayout: 'list', attachments };
}

function isSearchQuery(context: TurnContext): boolean {
  const activity = context.activity;
  const value: unknown = activity.value;
  return activity.type === 'invoke' && activity.name === QUERY_INVOKE && typeof value === 'object' && value !== null && ownValue(value, 'commandId') === SEARCH_COMMAND_ID;
}

/**
 * Its own invoke route rather than teams-ai's messageExtensions.query: that one reads the
 * parameters before any handler runs and throws on a hand-made invoke with a null among them.
 */
export function registerIncidentSearch(app: Application<TurnState>, deps: RouteDeps): void {
  app.addRoute(
    async (context) => isSearchQuery(context),
    async (context) => {
      let result: MessagingExtensionResult;
      try {
        result = await search(deps, context);
      } catch (error) {
        result = messageResult(reportUnexpected(deps.log, error, { commandId: SEARCH_COMMAND_ID, conversationId: context.activity.conversation?.id }, 'incident search failed'));
      }
      await context.sendActivity({ type: 'invokeResponse', value: { status: 200, body: { composeExtension: result } } });
    },
    true,
  );
}
