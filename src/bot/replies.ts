// Texts the bot answers with. Pure. Teams renders bot messages as Markdown, so everything that
// came from outside (incident titles, tags, what the user typed) goes through escapeForTextBlock,
// and our own command lines through commandText. An invoke's answer to a card click is plain text
// instead: texts used there take a TextFormat.
import { escapeForTextBlock } from '../cards/escape.ts';
import type { EscalationPolicy, SubscriptionRecord } from '../store/ports.ts';
import type { WarRoomLink } from '../domain/war-room.ts';
import { safeTeamsUrl } from '../cards/safe-links.ts';
import type { WarRoomAnswer } from './war-room.ts';
import type { ChannelKind } from './conversation-reference.ts';
import { COMMAND_NAMES, COMMAND_USAGE, CONNECTOR_USAGE } from './commands/parse.ts';
import { describeFilters } from './subscription-filter.ts';
import { SEVERITY_WORDS } from '../domain/display-words.ts';
import { formatDuration, type DeadlineSeverity } from '../domain/triage.ts';
import type { CustomerNames } from '../domain/pair-names.ts';

/** Severities as a deadline list reads them: most urgent first. */
const DEADLINE_ORDER: readonly DeadlineSeverity[] = ['high', 'medium', 'low', 'informational'];

const esc = (text: unknown, max = 200) => escapeForTextBlock(text, max);

/** A chat message is Markdown; an invoke's message answer (to a card click) is shown as it is. */
export type TextFormat = 'markdown' | 'plain';

/**
 * A command line of ours ("/incident <id>") as a Markdown message shows it. Never a code span:
 * Teams, and the Agents Playground that mirrors it, turn a tag-like "<id>" into "&lt;id&gt;" before
 * reading the Markdown, and a code span shows those entities literally ("/incident &lt;id&gt;").
 * As text, entities are decoded, so the analyst reads "<id>" either way.
 */
export function commandText(command: string): string {
  return command.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function helpText(): string {
  const lines = [
    '**Incident bridge** links Defender XDR and Sentinel incidents to this chat. Commands (in a channel, @mention me first):',
    '',
    ...[...COMMAND_NAMES.map((name) => COMMAND_USAGE[name]), CONNECTOR_USAGE].map((usage) => `- ${commandText(usage)}`),
    '',
    `${commandText('<id>')} is a Defender incident id or a Sentinel incident number.`,
  ];
  return lines.join('\n');
}

export function welcomeText(): string {
  return [
    'Hi! I post Defender XDR and Sentinel incidents here as cards and keep them up to date.',
    `To get incidents in this conversation, type ${commandText('/subscribe')} (for example ${commandText('/subscribe minSeverity=high')}). In a channel, @mention me first.`,
    `Type ${commandText('/help')} for all commands.`,
  ].join('\n\n');
}

export function invalidCommandText(reason: string, usage: string): string {
  return `I could not read that: ${esc(reason, 300)}.\n\nUsage: ${commandText(usage)}`;
}

export function unknownCommandText(name: string): string {
  return `I don't know the command ${esc(name, 40)}. Type ${commandText('/help')} for the list.`;
}

export function notFoundText(ref: string): string {
  return `I found no incident ${esc(ref, 100)}. Use a Defender incident id (e.g. 29) or a Sentinel incident number (e.g. 1042); ${commandText('/list')} shows recent ones.`;
}

export function notServedText(): string {
  return 'Sorry, this bot serves only the Microsoft Teams organisations it is set up for.';
}

/** `groupProblem`: why the person's groups could not be checked, when that is why they are refused. */
export function notAnalystText(groupProblem?: string): string {
  return groupProblem ? `Only analysts can change incidents. ${groupProblem}` : 'Only analysts can change incidents. Ask an administrator to add you (or your group) to ANALYSTS.';
}

/** "Me" cannot be an owner: the client identified the person neither by Entra object id nor by UPN. */
export function cannotAssignMeText(format: TextFormat): string {
  const command = '/assign <id> you@yourdomain';
  return `I cannot assign you: Teams sent neither your Entra object id nor your sign-in name. Assign by sign-in name instead: ${format === 'markdown' ? commandText(command) : command}.`;
}

/** For unexpected failures: says nothing of the cause, gives the reference the log has it under. */
export function unexpectedErrorText(correlationId: string, lead = 'Sorry, something went wrong on my side.'): string {
  return `${lead} Please try again in a minute; if it keeps happening, give your administrator the reference ${esc(correlationId, 40)}.`;
}

/** "Contoso Ltd (contoso)" for a pair with a name, else the value as typed (a pair or tenant id). */
function customerLabel(customers: CustomerNames | undefined): (value: string) => string {
  return (value) => {
    const name = customers?.customerOf(value);
    return name && name !== value ? `${name} (${value})` : value;
  };
}

export function subscriptionListText(subscriptions: readonly SubscriptionRecord[], customers?: CustomerNames): string {
  if (subscriptions.length === 0) return `This conversation has no subscriptions. Type ${commandText('/subscribe')} to add one.`;
  const lines = subscriptions.map((subscription) => `- \`${esc(subscription.id, 64)}\`: ${esc(describeFilters(subscription.filters, customerLabel(customers)), 300)}`);
  return `Subscriptions here:\n\n${lines.join('\n')}\n\nRemove one with ${commandText('/unsubscribe <id>')}, or all with ${commandText('/unsubscribe all')}.`;
}

export function subscribedText(subscription: SubscriptionRecord, channel?: ChannelKind, customers?: CustomerNames): string {
  const text = `Subscribed (id \`${esc(subscription.id, 64)}\`): ${esc(describeFilters(subscription.filters, customerLabel(customers)), 300)}. New and changed incidents will appear here as cards.`;
  if (channel === 'private') return `${text} This is a private channel: only its members see them.`;
  if (channel === 'shared') return `${text} This is a shared channel: its members from other organisations see them too, and a click of theirs counts only if ANALYSTS names them.`;
  return text;
}

/** Teams refused the bot's post in a private or shared channel: it is not in that channel's roster. */
export function notInChannelText(channel: 'private' | 'shared'): string {
  return [
    `Nothing was subscribed: I cannot post cards in this ${channel} channel. Teams answered that the bot is not a member of it (BotNotInConversationRoster).`,
    `A ${channel} channel has its own members and apps: add the Incident Bridge app to this channel itself (having it in the team is not enough), then type ${commandText('/subscribe')} again; or subscribe a standard channel of the team instead.`,
  ].join(' ');
}

/**
 * A war room's link: a Markdown link in a chat message, the bare URL in an invoke's plain answer.
 * Only a Teams deep link that passes safeTeamsUrl is shown; parentheses are encoded so that the
 * URL cannot end the Markdown link early.
 */
function warRoomLinkText(link: WarRoomLink, format: TextFormat): string {
  const url = safeTeamsUrl(link.url);
  if (!url) return 'its link is not a Teams link, so it is not shown';
  return format === 'markdown' ? `[open the chat](${url.replace(/\(/g, '%28').replace(/\)/g, '%29')})` : url;
}

export function warRoomText(answer: WarRoomAnswer, format: TextFormat): string {
  const reason = (text: string) => (format === 'markdown' ? esc(text, 600) : text.slice(0, 600));
  switch (answer.kind) {
    case 'opened':
      return `War room opened with the incident's card: ${warRoomLinkText(answer.link, format)}.`;
    case 'opened-without-bridge':
      return `War room opened: ${warRoomLinkText(answer.link, format)}. I could not add myself to it, so the incident's card is not there yet: ${reason(answer.reason)} Ask again once that is fixed and I will join it.`;
    case 'existing':
      return `This incident already has a war room: ${warRoomLinkText(answer.link, format)}. To bring people in, add them in the chat.`;
    case 'busy':
      return "Someone is opening this incident's war room right now; its link appears on the card in a moment.";
    case 'other-tenant':
      return "This incident's war room is in another organisation's Teams, so it cannot be opened from here.";
    case 'refused':
      return `I could not open a war room: ${reason(answer.reason)}`;
  }
}

export function warRoomUnavailableText(): string {
  return "War rooms are not set up here: the bridge needs its Teams app's id (TEAMS_APP_ID) to add itself to the chat. Ask an administrator (README, \"War rooms\").";
}

/**
 * The personal notice to an incident's new owner: which incident, who gave it to them and where,
 * and how to open its card. Incident text and names are escaped (a chat message is Markdown).
 */
export function ownerNoticeText(incident: { ref: string; title: string; severity: string }, by: string, where: string): string {
  const title = esc(incident.title, 120) || '(untitled incident)';
  const who = by.trim() ? ` by ${esc(by, 80)}` : '';
  return `You are now the owner of incident ${esc(incident.ref, 40)}: ${title} (${esc(incident.severity, 20)}), assigned${who} ${esc(where, 40)}. Type ${commandText(`/incident ${incident.ref}`)} to see its card.`;
}

/** A conversation's acknowledgement deadlines as the analyst set them, with how to change them. */
export function escalationSettingsText(policy: EscalationPolicy | null): string {
  if (!policy) {
    return `This conversation has no acknowledgement deadlines. Set them with ${commandText('/escalation high=15m medium=4h to oncall@contoso.com')}.`;
  }
  const deadlines = DEADLINE_ORDER.filter((severity) => policy.deadlines[severity] !== undefined)
    .map((severity) => `${SEVERITY_WORDS[severity]} within ${formatDuration(policy.deadlines[severity] ?? 0)}`)
    .join(', ');
  const contacts = policy.contacts.map((contact) => esc(contact.displayName ? `${contact.displayName} (${contact.upn})` : contact.upn, 200)).join(', ');
  return [
    `Incidents here must be acknowledged: ${deadlines}. Overdue ones are escalated to ${contacts}.`,
    `Change this with ${commandText('/escalation')} and new deadlines, or turn it off with ${commandText('/escalation off')}.`,
  ].join('\n\n');
}

export function unknownContactsText(upns: readonly string[]): string {
  return `Nothing was changed: ${upns.map((upn) => esc(upn, 120)).join(', ')} ${upns.length === 1 ? 'is' : 'are'} not in your organisation's directory. Check the spelling of the sign-in name.`;
}

export function directoryUnavailableText(): string {
  return 'Nothing was changed: the people to escalate to could not be checked in the directory just now. Try again in a minute; if it persists, an administrator finds the cause in the bridge\'s log.';
}

export function digestScheduledText(time: string, timeZone: string): string {
  return `The digest will be posted here every day at ${esc(time, 5)} (${esc(timeZone, 64)}). ${commandText('/digest')} posts one now; ${commandText('/digest off')} stops it.`;
}
