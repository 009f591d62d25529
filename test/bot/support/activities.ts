// Teams-shaped activities for driving turns, as Teams sends them (see the Bot Framework activity
// schema and Teams' channelData: tenant, team, channel).
import type { Activity } from 'botbuilder';

export const BOT = { id: '28:bot-app-id', name: 'Incident Bridge' };
export const TENANT = 'tenant-a';
export const CHANNEL_ID = '19:general@thread.tacv2';
export const CHAT_ID = 'a:personal-chat-1';

export interface Person {
  id: string;
  name: string;
  aadObjectId?: string;
  /** Teams puts no UPN on `from`; some clients (the Agents Playground) do. */
  userPrincipalName?: string;
}

export const ALICE: Person = { id: '29:alice', name: 'Alice Analyst', aadObjectId: 'aaaaaaaa-0000-0000-0000-000000000001' };
export const VICTOR: Person = { id: '29:victor', name: 'Victor Viewer', aadObjectId: 'bbbbbbbb-0000-0000-0000-000000000002' };
/** The Agents Playground's signed-in user: its object id has 13 digits in the last group (not a GUID). */
export const PLAYGROUND_USER: Person = { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-0000000000020' };

let nextActivity = 1;
const newId = () => `act-${nextActivity++}`;

function conversation(scope: 'channel' | 'personal', threadRoot?: string) {
  if (scope === 'channel') {
    return { id: threadRoot ? `${CHANNEL_ID};messageid=${threadRoot}` : CHANNEL_ID, conversationType: 'channel', tenantId: TENANT, isGroup: true };
  }
  return { id: CHAT_ID, conversationType: 'personal', tenantId: TENANT };
}

/** Teams' channelData.channel.type: private and shared channels say so; standard ones may not. */
export type ChannelType = 'standard' | 'private' | 'shared';

function channelData(scope: 'channel' | 'personal', channelType?: ChannelType) {
  return scope === 'channel'
    ? { tenant: { id: TENANT }, team: { id: '19:team@thread.tacv2' }, channel: { id: CHANNEL_ID, ...(channelType ? { type: channelType } : {}) } }
    : { tenant: { id: TENANT } };
}

/** A message as Teams delivers it; in a channel it carries the bot's @mention. */
export function messageActivity(text: string, options: { from?: Person; scope?: 'channel' | 'personal'; id?: string; channelType?: ChannelType } = {}): Partial<Activity> {
  const scope = options.scope ?? 'personal';
  const mention = `<at>${BOT.name}</at>`;
  const activity: Partial<Activity> = {
    type: 'message',
    id: options.id ?? newId(),
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/teams/',
    from: options.from ?? ALICE,
    recipient: BOT,
    conversation: conversation(scope, scope === 'channel' ? 'root-1' : undefined) as Activity['conversation'],
    channelData: channelData(scope, options.channelType),
    text: scope === 'channel' ? `${mention} ${text}` : text,
    textFormat: 'plain',
    locale: 'en-US',
  };
  if (scope === 'channel') {
    activity.entities = [{ type: 'mention', text: mention, mentioned: BOT }];
  }
  return activity;
}

/** An Action.Execute click on a card message `replyToId`. */
export function invokeActivity(verb: string, data: unknown, options: { from?: Person; replyToId?: string; scope?: 'channel' | 'personal' } = {}): Partial<Activity> {
  const scope = options.scope ?? 'channel';
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    id: newId(),
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/teams/',
    from: options.from ?? ALICE,
    recipient: BOT,
    conversation: conversation(scope, scope === 'channel' ? options.replyToId ?? 'card-1' : undefined) as Activity['conversation'],
    channelData: channelData(scope),
    replyToId: options.replyToId ?? 'card-1',
    value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
  };
}

export function membersAddedActivity(members: { id: string; name?: string }[], scope: 'channel' | 'personal' = 'channel'): Partial<Activity> {
  return {
    type: 'conversationUpdate',
    id: newId(),
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/teams/',
    from: ALICE,
    recipient: BOT,
    conversation: conversation(scope) as Activity['conversation'],
    channelData: { ...channelData(scope), eventType: 'teamMemberAdded' },
    membersAdded: members.map((member) => ({ id: member.id, name: member.name ?? '' })),
  };
}

export function installationUpdateActivity(action: 'add' | 'remove', scope: 'channel' | 'personal' = 'personal'): Partial<Activity> {
  return {
    type: 'installationUpdate',
    id: newId(),
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/teams/',
    from: ALICE,
    recipient: BOT,
    conversation: conversation(scope) as Activity['conversation'],
    channelData: channelData(scope),
    action,
  };
}

/** What Teams sends when the app is installed in a group chat: both activities, in either order. */
export function groupChatInstallActivities(chatId: string): Partial<Activity>[] {
  const common = {
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/teams/',
    from: ALICE,
    recipient: BOT,
    conversation: { id: chatId, conversationType: 'groupChat', tenantId: TENANT, isGroup: true } as Activity['conversation'],
    channelData: { tenant: { id: TENANT } },
  };
  return [
    { ...common, type: 'installationUpdate', id: newId(), action: 'add' },
    { ...common, type: 'conversationUpdate', id: newId(), membersAdded: [{ id: BOT.id, name: BOT.name }] },
  ];
}
