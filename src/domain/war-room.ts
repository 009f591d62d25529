// A war room: the Teams group chat where people work on one incident. The bridge creates it
// through Microsoft Graph, installs itself there, posts the incident's card and links the chat from
// every card of the incident. Pure.

/** What a card shows of an incident's war room. */
export interface WarRoomLink {
  /** The Teams chat id (19:…@thread.v2): the conversation the bot posts the card to. */
  chatId: string;
  /** Graph's chat.webUrl: opens the chat in Teams. */
  url: string;
}

/** The bridge's own bound on the chat's name (Graph documents none); titles are cut to fit. */
export const MAX_WAR_ROOM_TOPIC_CHARS = 200;

/**
 * The bridge's own bound on the people one request names (besides the requester and the owner):
 * a war room is for the few who work an incident; more are added in Teams. Far below Teams' 250
 * people per group chat (Microsoft Learn, "Limits and specifications for Microsoft Teams").
 */
export const MAX_WAR_ROOM_PEOPLE_NAMED = 20;
