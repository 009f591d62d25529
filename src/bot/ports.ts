// Ports the bot layer declares. The store's repositories come from src/store/ports.ts and the
// incident API from src/sync/api.ts; what is here is what only the bot needs.
import type { Activity, ConversationReference } from 'botbuilder';
import type { AdaptiveCard } from '../cards/render.ts';
import type { IncidentCardOptions } from '../cards/incident-card.ts';
import type { ChangeEvent, IncidentView } from '../domain/change-events.ts';

/** A stored conversation reference, as JSON (ConversationRecord.reference). */
export type ProactiveReference = Partial<ConversationReference>;

/**
 * Sends to Teams outside of a turn (proactive). Implemented over CloudAdapter.continueConversationAsync
 * (teams-sender.ts); wrapped by guarded-sender.ts for rate limits and retries; faked in tests.
 * Failures throw errors that keep the HTTP status (see send-policy.ts, statusOfSendError).
 */
export interface TeamsSender {
  /** Posts a new top-level message; returns its activity id. */
  send(reference: ProactiveReference, activity: Partial<Activity>): Promise<{ id: string }>;
  /** Replaces a message the bot posted earlier (a card updated in place). */
  update(reference: ProactiveReference, activityId: string, activity: Partial<Activity>): Promise<void>;
  /**
   * Replies in the thread of `threadId` (a channel message id). Chats have no threads: there the
   * reply is an ordinary message.
   */
  reply(reference: ProactiveReference, threadId: string, activity: Partial<Activity>): Promise<{ id: string }>;
}

/**
 * The card builders the bot uses (src/cards/incident-card.ts and change-notice.ts). Injected, so
 * the bot does not depend on how cards are made and tests can render without templates.
 */
export interface CardBuilders {
  renderIncidentCard(view: IncidentView, options: IncidentCardOptions): AdaptiveCard;
  buildChangeNoticeText(event: ChangeEvent): string;
}

/** The parts of a Teams member the bot reads (TeamsInfo.getMember). */
export interface MemberInfo {
  userPrincipalName?: string;
  email?: string;
  name?: string;
}

/** A member of a Teams conversation, as the roster (TeamsInfo.getMember) describes them. */
export interface TeamsMember {
  /** The Teams user id ("29:…"): what a mention entity names. */
  id: string;
  name: string;
  aadObjectId?: string;
  userPrincipalName?: string;
}

/**
 * A conversation's roster: is this person (by Entra object id or UPN, both of which Teams'
 * get-member accepts) a member of it? Implemented over the Bot Framework (teams-roster.ts).
 */
export interface ConversationRoster {
  /** The member, or null when the person is not in the conversation. Throws when Teams cannot say. */
  member(reference: ProactiveReference, person: string): Promise<TeamsMember | null>;
}

/** A user in an Entra directory (Microsoft Graph GET /users/{id | upn}). */
export interface DirectoryPerson {
  objectId: string;
  upn: string;
  displayName: string;
}

/** Tenants' directories, as the bot asks them about people (src/portals/directory implements it). */
export interface PersonDirectory {
  /** The user in `tenantId`'s directory, or null when there is none. Throws when the directory cannot say. */
  findUser(tenantId: string, user: { objectId?: string | undefined; upn?: string | undefined }): Promise<DirectoryPerson | null>;
}

/**
 * War room chats in a tenant (src/portals/teams over Microsoft Graph): create a group chat, add the
 * bridge's Teams app to it. Failures throw coded PortalErrors whose message says what to fix.
 */
export interface WarRoomChats {
  createGroupChat(tenantId: string, request: { topic: string; members: readonly string[] }): Promise<{ chatId: string; webUrl: string }>;
  installApp(tenantId: string, chatId: string): Promise<unknown>;
}
