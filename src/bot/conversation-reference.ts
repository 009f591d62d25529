// Conversation references and ids as Teams shapes them. Pure.
//
// In a channel, a message inside a thread arrives with conversation.id
// "19:…@thread.tacv2;messageid=<root message id>". The channel itself is the part before ";".
// Proactive posts go to the channel (a new thread); threaded replies go to
// "<channel id>;messageid=<root id>" (the form the Teams SDKs build for thread replies).
import type { Activity, ConversationReference } from 'botbuilder';
import type { ConversationDraft, ConversationScope, JsonObject } from '../store/ports.ts';
import type { ProactiveReference } from './ports.ts';

export function baseConversationId(conversationId: string): string {
  const cut = conversationId.indexOf(';');
  return cut === -1 ? conversationId : conversationId.slice(0, cut);
}

export function threadConversationId(conversationId: string, rootMessageId: string): string {
  return `${baseConversationId(conversationId)};messageid=${rootMessageId}`;
}

export function scopeOf(conversationType: string | undefined): ConversationScope {
  if (conversationType === 'channel' || conversationType === 'groupChat' || conversationType === 'personal') return conversationType;
  // Agents Playground and the Emulator may omit it; one-to-one is the safe reading (no threads).
  return 'personal';
}

/** The reference with the thread part removed, so a proactive send starts a new top-level post. */
export function toTopLevelReference(reference: Partial<ConversationReference>): ProactiveReference {
  const conversation = reference.conversation;
  if (!conversation) return { ...reference };
  return { ...reference, conversation: { ...conversation, id: baseConversationId(conversation.id) } };
}

/** The reference for a reply in the thread of `rootMessageId` (channels only). */
export function toThreadReference(reference: ProactiveReference, rootMessageId: string): ProactiveReference {
  const conversation = reference.conversation;
  if (!conversation || conversation.conversationType !== 'channel') return reference;
  return { ...reference, conversation: { ...conversation, id: threadConversationId(conversation.id, rootMessageId) } };
}

interface TeamsChannelData {
  tenant?: { id?: string };
  team?: { id?: string };
  channel?: { id?: string; type?: string };
}

/** Private and shared channels each have their own members and apps; standard ones share the team's. */
export type ChannelKind = 'standard' | 'private' | 'shared';

/**
 * The kind of channel an activity comes from, as Teams says in channelData.channel.type
 * ("standard", "private", "shared"; Microsoft Learn, "Apps for shared and private channels").
 * Undefined outside channels; an activity without the type is a standard channel's.
 */
export function channelKindOf(activity: Partial<Activity>): ChannelKind | undefined {
  if (activity.conversation?.conversationType !== 'channel') return undefined;
  const type = (activity.channelData as TeamsChannelData | undefined)?.channel?.type?.toLowerCase();
  return type === 'private' || type === 'shared' ? type : 'standard';
}

/** Everything the store keeps about a conversation, from an incoming activity and its reference. */
export function conversationDraftFrom(activity: Partial<Activity>, reference: Partial<ConversationReference>): ConversationDraft {
  const channelData = (activity.channelData ?? {}) as TeamsChannelData;
  const topLevel = toTopLevelReference(reference);
  const tenantId = activity.conversation?.tenantId ?? channelData.tenant?.id ?? 'unknown-tenant';
  if (topLevel.conversation && !topLevel.conversation.tenantId && tenantId !== 'unknown-tenant') {
    topLevel.conversation = { ...topLevel.conversation, tenantId };
  }
  const draft: ConversationDraft = {
    id: baseConversationId(activity.conversation?.id ?? ''),
    // A JSON round trip drops undefined members, so the store gets plain JSON.
    reference: JSON.parse(JSON.stringify(topLevel)) as JsonObject,
    scope: scopeOf(activity.conversation?.conversationType),
    tenantId,
  };
  if (channelData.team?.id) draft.teamId = channelData.team.id;
  if (draft.scope === 'channel') draft.channelId = channelData.channel?.id ?? draft.id;
  return draft;
}
