// Opens an incident's war room: one Teams group chat per incident, created through Microsoft
// Graph with the requester, the incident's owner and the people named, with the bridge installed in
// it. Each step is recorded as it completes (WarRoomRepository), behind a claim that one replica
// holds at a time, so two people asking at once, on two replicas, get one chat; a request after a
// crash or a failed step resumes where the last one stopped; a request for an incident that has its
// war room answers with it. The chat's link is recorded together with a 'war-room' change event,
// so every card of the incident links it. The card is posted in the chat when Teams tells the bot
// that it was installed there (postCardOnce, from routes/war-room.ts).
import { randomUUID } from 'node:crypto';
import { PortalError } from '../domain/errors.ts';
import type { IncidentView } from '../domain/change-events.ts';
import { isEntraObjectId, type Actor, type Owner } from '../domain/incident.ts';
import { MAX_WAR_ROOM_TOPIC_CHARS, type WarRoomLink } from '../domain/war-room.ts';
import type { BridgeApi } from '../sync/api.ts';
import type { WarRoomRecord, WarRoomRepository } from '../store/ports.ts';
import type { Logger } from '../observability/logger.ts';
import { toPlainLine } from '../cards/escape.ts';
import type { WarRoomChats } from './ports.ts';

/**
 * A claim older than this is taken over (its holder died mid-way). Well above the longest a
 * request works on it: three Graph calls of at most 5 s each, with 3 s of retries.
 */
export const WAR_ROOM_CLAIM_STALE_MS = 60_000;

export interface WarRoomRequest {
  view: IncidentView;
  /** The Teams tenant of the conversation asking: the chat is created there. */
  tenantId: string;
  requester: Actor;
  /** Sign-in names to add besides the requester and the owner. */
  people: readonly string[];
}

export type WarRoomAnswer =
  /** Created now: the chat exists and the bridge is in it. */
  | { kind: 'opened'; link: WarRoomLink }
  /** The chat exists (its link works) but the bridge could not add itself: `reason`, for people. */
  | { kind: 'opened-without-bridge'; link: WarRoomLink; reason: string }
  /** The incident already had one: nothing was created. */
  | { kind: 'existing'; link: WarRoomLink }
  /** Someone else is opening it right now; its link appears on the card when it is ready. */
  | { kind: 'busy' }
  /** The incident's war room is in another organisation's Teams. */
  | { kind: 'other-tenant' }
  /** Nothing was created: `reason`, for people. */
  | { kind: 'refused'; reason: string };

export interface WarRoomService {
  open(request: WarRoomRequest): Promise<WarRoomAnswer>;
  /** The incident's war room as cards show it, once its chat exists. */
  linkOf(linkId: string): Promise<WarRoomLink | null>;
  /** The incident whose war room is this chat, if it is one. */
  incidentOfChat(chatId: string): Promise<string | null>;
  /**
   * Posts the incident's card in its war room chat once, whichever replica and install event gets
   * there first (claim-to-post): `post` sends it and returns the message id. 'posted', or why not.
   */
  postCardOnce(chatId: string, post: (linkId: string) => Promise<string | undefined>): Promise<'posted' | 'not-a-war-room' | 'posted-already' | 'not-sent'>;
}

export interface WarRoomServiceDeps {
  warRooms: WarRoomRepository;
  bridge: Pick<BridgeApi, 'recordWarRoomChat'>;
  chats: WarRoomChats;
  /** This replica's id: each claim is held by it and a fresh suffix, so that two requests on one replica are two claimers. */
  holderId: string;
  now: () => Date;
  log: Logger;
  staleAfterMs?: number;
}

export function linkOfRoom(room: WarRoomRecord | null): WarRoomLink | null {
  return room?.chatId && room.webUrl ? { chatId: room.chatId, url: room.webUrl } : null;
}

/** "Incident 29 (Sentinel 1042): <title>", one plain line, within the topic bound. */
export function warRoomTopic(view: IncidentView): string {
  const numbers = [view.defender ? `Incident ${view.defender.id}` : null, view.sentinel?.incidentNumber !== undefined ? `Sentinel ${view.sentinel.incidentNumber}` : null].filter(Boolean);
  const name = numbers.length === 2 ? `${numbers[0]} (${numbers[1]})` : (numbers[0] ?? 'Incident');
  const title = (view.defender ?? view.sentinel)?.title ?? '';
  const room = MAX_WAR_ROOM_TOPIC_CHARS - name.length - 2;
  const line = toPlainLine(title, Math.max(1, room));
  return line ? `${name}: ${line}` : name;
}

/** How Graph finds a person: their Entra object id, else their sign-in name. */
function memberKey(person: { objectId?: string | undefined; upn?: string | undefined } | null | undefined): string | undefined {
  if (!person) return undefined;
  if (person.objectId && isEntraObjectId(person.objectId)) return person.objectId;
  return person.upn && person.upn.includes('@') ? person.upn : undefined;
}

/** The owner as Graph can find them: Sentinel keeps an object id, Defender a sign-in name. */
function ownerOf(view: IncidentView): Owner | null {
  return view.sentinel?.owner ?? view.defender?.owner ?? null;
}

/** Requester first, then the owner, then the people named; each person once. */
export function warRoomMembers(request: Pick<WarRoomRequest, 'view' | 'requester' | 'people'>): string[] | string {
  const requester = memberKey(request.requester);
  if (!requester) return 'Teams did not say who you are (no Entra object id or sign-in name), so I cannot add you to a chat.';
  const owner = ownerOf(request.view);
  const members: string[] = [];
  const seen = new Set<string>();
  const add = (key: string | undefined, ...aliases: Array<string | undefined>) => {
    if (!key) return;
    const names = [key, ...aliases].filter((name): name is string => Boolean(name)).map((name) => name.toLowerCase());
    if (names.some((name) => seen.has(name))) return;
    for (const name of names) seen.add(name);
    members.push(key);
  };
  add(requester, request.requester.objectId, request.requester.upn);
  add(memberKey(owner), owner?.objectId, owner?.upn);
  for (const person of request.people) add(person);
  if (members.length < 2) {
    return 'A war room needs at least one more person: name them (/warroom <id> megan@contoso.com, or in the card), or assign the incident first.';
  }
  return members;
}

/** What people read when a Graph call failed: the PortalError's own sentence says what to fix. */
function reasonOf(error: unknown): string {
  return error instanceof PortalError ? error.message : 'Teams did not answer as expected; the log has the details.';
}

export function createWarRoomService(deps: WarRoomServiceDeps): WarRoomService {
  const staleAfterMs = deps.staleAfterMs ?? WAR_ROOM_CLAIM_STALE_MS;
  const nowIso = () => deps.now().toISOString();

  const newHolder = () => `${deps.holderId}/${randomUUID()}`;

  /** Adds the bridge to the room's chat and releases `holder`'s claim: 'opened', or why it could not. */
  async function install(room: WarRoomRecord, link: WarRoomLink, holder: string): Promise<WarRoomAnswer> {
    try {
      await deps.chats.installApp(room.tenantId, link.chatId);
    } catch (error) {
      deps.log.warn({ err: error, linkId: room.linkId, chatId: link.chatId }, 'war room: could not add the bridge to the chat');
      await deps.warRooms.release(room.linkId, holder);
      return { kind: 'opened-without-bridge', link, reason: reasonOf(error) };
    }
    await deps.warRooms.markInstalled(room.linkId, holder, nowIso());
    return { kind: 'opened', link };
  }

  return {
    async linkOf(linkId) {
      return linkOfRoom(await deps.warRooms.get(linkId));
    },

    async incidentOfChat(chatId) {
      return (await deps.warRooms.findByChat(chatId))?.linkId ?? null;
    },

    async postCardOnce(chatId, post) {
      const room = await deps.warRooms.findByChat(chatId);
      if (!room) return 'not-a-war-room';
      if (room.cardActivityId !== null) return 'posted-already';
      // Both install events may reach this replica at once: each is its own claimer.
      const holder = newHolder();
      if (!(await deps.warRooms.claimCard(chatId, holder, nowIso(), staleAfterMs))) return 'posted-already';
      let activityId: string | undefined;
      try {
        activityId = await post(room.linkId);
      } finally {
        // A failed post leaves the card for the next install event or request to post.
        if (activityId === undefined) await deps.warRooms.releaseCard(chatId, holder);
      }
      if (activityId === undefined) return 'not-sent';
      await deps.warRooms.recordCard(chatId, holder, activityId, nowIso());
      return 'posted';
    },

    async open(request) {
      const linkId = request.view.linkId;
      const known = await deps.warRooms.get(linkId);
      if (known && known.tenantId.toLowerCase() !== request.tenantId.toLowerCase()) return { kind: 'other-tenant' };
      const knownLink = linkOfRoom(known);
      if (known?.appInstalled && knownLink) return { kind: 'existing', link: knownLink };

      const members = warRoomMembers(request);
      // Two requests on one replica are two claimers too.
      const holder = newHolder();
      const claim = await deps.warRooms.claim({ linkId, tenantId: request.tenantId, requestedBy: request.requester }, holder, nowIso(), staleAfterMs);
      const room = claim.room;
      const link = linkOfRoom(room);
      if (!claim.claimed) return link ? { kind: 'existing', link } : { kind: 'busy' };
      if (room.tenantId.toLowerCase() !== request.tenantId.toLowerCase()) {
        await deps.warRooms.release(linkId, holder);
        return { kind: 'other-tenant' };
      }
      if (link) {
        // Another request created the chat, or got this far before it failed or died.
        if (room.appInstalled) {
          await deps.warRooms.release(linkId, holder);
          return { kind: 'existing', link };
        }
        return install(room, link, holder);
      }

      if (typeof members === 'string') {
        await deps.warRooms.release(linkId, holder);
        return { kind: 'refused', reason: members };
      }
      let created;
      try {
        created = await deps.chats.createGroupChat(request.tenantId, { topic: warRoomTopic(request.view), members });
      } catch (error) {
        deps.log.warn({ err: error, linkId }, 'war room: could not create the chat');
        await deps.warRooms.release(linkId, holder);
        return { kind: 'refused', reason: reasonOf(error) };
      }
      const recorded = await deps.bridge.recordWarRoomChat({ linkId, holderId: holder, chatId: created.chatId, webUrl: created.webUrl });
      if (!recorded) {
        // Our claim was taken over (this request outlived the stale time): the other holder's chat
        // is the incident's; this one stays unused.
        deps.log.error({ linkId, chatId: created.chatId }, 'war room: created a chat after losing the claim; it is not the incident war room');
        const current = linkOfRoom(await deps.warRooms.get(linkId));
        return current ? { kind: 'existing', link: current } : { kind: 'busy' };
      }
      return install(room, { chatId: created.chatId, url: created.webUrl }, holder);
    },
  };
}
