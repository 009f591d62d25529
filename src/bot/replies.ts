// Texts the bot answers with. Pure. Teams renders bot messages as Markdown, so everything that
// came from outside (incident titles, tags, what the user typed) goes through escapeForTextBlock.
import { escapeForTextBlock } from '../cards/escape.ts';
import type { Incident } from '../domain/incident.ts';
import type { EditOutcome, IncidentView } from '../sync/api.ts';
import type { SubscriptionRecord } from '../store/ports.ts';
import { COMMAND_USAGE, type CommandName } from './commands/parse.ts';
import { describeFilters } from './subscription-filter.ts';

const esc = (text: unknown, max = 200) => escapeForTextBlock(text, max);

export function helpText(): string {
  const lines = [
    '**Incident bridge** links Defender XDR and Sentinel incidents to this chat. Commands (in a channel, @mention me first):',
    '',
    ...(Object.keys(COMMAND_USAGE) as CommandName[]).map((name) => `- \`${COMMAND_USAGE[name]}\``),
    '',
    '`<id>` is a Defender incident id or a Sentinel incident number.',
  ];
  return lines.join('\n');
}

export function welcomeText(): string {
  return [
    'Hi! I post Defender XDR and Sentinel incidents here as cards and keep them up to date.',
    'To get incidents in this conversation, type `/subscribe` (for example `/subscribe minSeverity=high`). In a channel, @mention me first.',
    'Type `/help` for all commands.',
  ].join('\n\n');
}

export function invalidCommandText(reason: string, usage: string): string {
  return `I could not read that: ${esc(reason, 300)}.\n\nUsage: \`${usage}\``;
}

export function unknownCommandText(name: string): string {
  return `I don't know the command ${esc(name, 40)}. Type \`/help\` for the list.`;
}

export function notFoundText(ref: string): string {
  return `I found no incident ${esc(ref, 100)}. Use a Defender incident id (e.g. 29) or a Sentinel incident number (e.g. 1042); \`/list\` shows recent ones.`;
}

export function notServedText(): string {
  return 'Sorry, this bot serves only the Microsoft Teams organisations it is set up for.';
}

/** `groupProblem`: why the person's groups could not be checked, when that is why they are refused. */
export function notAnalystText(groupProblem?: string): string {
  return groupProblem ? `Only analysts can change incidents. ${groupProblem}` : 'Only analysts can change incidents. Ask an administrator to add you (or your group) to ANALYSTS.';
}

/** "Me" cannot be an owner: the client identified the person neither by Entra object id nor by UPN. */
export function cannotAssignMeText(): string {
  return 'I cannot assign you: Teams sent neither your Entra object id nor your sign-in name. Assign by sign-in name instead: `/assign <id> you@yourdomain`.';
}

/** For unexpected failures: says nothing of the cause, gives the reference the log has it under. */
export function unexpectedErrorText(correlationId: string, lead = 'Sorry, something went wrong on my side.'): string {
  return `${lead} Please try again in a minute; if it keeps happening, give your administrator the reference ${esc(correlationId, 40)}.`;
}

function primary(view: IncidentView): Incident | null {
  return view.defender ?? view.sentinel;
}

function refOf(view: IncidentView): string {
  const parts: string[] = [];
  if (view.defender) parts.push(`Defender ${esc(view.defender.id, 40)}`);
  if (view.sentinel?.incidentNumber !== undefined) parts.push(`Sentinel #${view.sentinel.incidentNumber}`);
  return parts.join(' / ') || esc(view.linkId, 60);
}

export function incidentListText(views: readonly IncidentView[], limit: number): string {
  if (views.length === 0) return 'No incidents match.';
  const lines = views.slice(0, limit).map((view) => {
    const incident = primary(view);
    const severity = incident ? incident.severity : 'unknown';
    const status = incident ? incident.status : 'unknown';
    return `- ${refOf(view)}: ${esc(incident?.title ?? '(no title)', 120)} (${severity}, ${status})`;
  });
  const more = views.length > limit ? `\n\n…and more; narrow the filter or raise limit= (at most 50).` : '';
  return `${lines.join('\n')}${more}`;
}

export function subscriptionListText(subscriptions: readonly SubscriptionRecord[]): string {
  if (subscriptions.length === 0) return 'This conversation has no subscriptions. Type `/subscribe` to add one.';
  const lines = subscriptions.map((subscription) => `- \`${esc(subscription.id, 64)}\`: ${esc(describeFilters(subscription.filters), 300)}`);
  return `Subscriptions here:\n\n${lines.join('\n')}\n\nRemove one with \`/unsubscribe <id>\`, or all with \`/unsubscribe all\`.`;
}

export function subscribedText(subscription: SubscriptionRecord): string {
  return `Subscribed (id \`${esc(subscription.id, 64)}\`): ${esc(describeFilters(subscription.filters), 300)}. New and changed incidents will appear here as cards.`;
}

/** One line per portal: what happened to the fields of an edit. */
export function outcomeText(outcome: EditOutcome): string {
  const states: Record<EditOutcome['state'], string> = {
    accepted: 'Accepted; writing to both portals…',
    completed: 'Done: both portals have the change.',
    partial: 'Partly done:',
    failed: 'The change failed:',
  };
  const lines = [states[outcome.state]];
  if (outcome.state === 'partial' || outcome.state === 'failed') {
    for (const [portal, fields] of Object.entries(outcome.perPortal)) {
      for (const [field, result] of Object.entries(fields ?? {})) {
        if (result?.state === 'failed') lines.push(`- ${portal} ${field}: ${esc(result.reason, 200)}`);
      }
    }
  }
  return lines.join('\n');
}
