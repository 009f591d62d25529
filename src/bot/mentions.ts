// Teams mentions, built only from a resolved roster member (teams-roster.ts), never from incident
// text: a mention is the text "<at>Name</at>" plus a `mention` entity naming the member's Teams id
// with that exact text (Microsoft Learn, "Channel and group chat conversations with a bot", add
// mentions). Incident text is escaped elsewhere (escape.ts turns "<at>" into "\<at\>"), so the only
// mentions a message carries are the ones made here. Pure.
import { MessageFactory, type Activity, type Mention } from 'botbuilder';
import { toPlainLine } from '../cards/escape.ts';
import type { TeamsMember } from './ports.ts';

const NAME_MAX = 80;

/** The member's name as it can stand between <at> and </at>: one line, no markup characters. */
export function mentionName(member: TeamsMember): string {
  return toPlainLine(member.name, NAME_MAX).replace(/[<>&]/g, '').trim() || 'owner';
}

export function mentionOf(member: TeamsMember): { text: string; entity: Mention } {
  const name = mentionName(member);
  const text = `<at>${name}</at>`;
  return { text, entity: { type: 'mention', text, mentioned: { id: member.id, name } } as Mention };
}

/** A threaded notice that ends by mentioning the incident's new owner. */
export function ownerMentionActivity(notice: string, owner: TeamsMember): Partial<Activity> {
  const mention = mentionOf(owner);
  const activity = MessageFactory.text(`${notice}\n\n${mention.text} owns this incident now.`);
  activity.entities = [mention.entity];
  return activity;
}
