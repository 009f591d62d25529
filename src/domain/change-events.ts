// What the sync engine announces: linked incidents as last seen, and the change events the outbox
// carries to Teams. Pure: imports nothing of ours but the incident and edit models.
import type { Actor, Incident, Portal } from './incident.ts';
import type { EditOutcome } from './edits.ts';
import type { WarRoomLink } from './war-room.ts';

/** The per-portal state shown on a card. */
export type PortalSyncState =
  | 'inSync' // the portal shows what the bridge last agreed on
  | 'pending' // a write or a native mirror is still on its way
  | 'notWritable' // this API cannot write a changed field; the other route has not confirmed it yet
  | 'failed'; // the last write failed for good; see the edit outcome

/** A linked incident: the Defender incident and its Sentinel counterpart, as last seen. */
export interface IncidentView {
  /** The bridge's own id for the pair; stable across merges of the Sentinel side. */
  linkId: string;
  /** Which configured (tenant, workspace) pair it belongs to. */
  pairId: string;
  defender: Incident | null;
  sentinel: Incident | null;
  syncState: Record<Portal, PortalSyncState>;
  /** When a merge redirected this incident, the link it now lives in. */
  mergedIntoLinkId?: string;
  /**
   * The incident's war room, when it has one. The sync engine never sets it: the Teams side adds it
   * (read from the store when a card is rendered), so that cards link the chat.
   */
  warRoom?: WarRoomLink;
}

export interface FieldChange {
  /** 'alerts': Defender's alerts or their evidence changed; from/to are { ids, digest } (sync/snapshot.ts AlertsFact). */
  field: 'title' | 'description' | 'severity' | 'status' | 'classification' | 'owner' | 'tags' | 'productNames' | 'additionalData' | 'alerts' | 'comment' | 'lastModifiedBy';
  from: unknown;
  to: unknown;
  /** Where the change was made. */
  portal: Portal;
  /** Who made it, as the portal reports it, or the analyst for edits made through the bridge. */
  by: string;
  /** Made by an analyst in Teams, through the bridge (whichever portal showed it first). */
  fromTeams?: boolean;
  /** A concurrent, different edit of the same field on the other portal that lost the conflict rule. */
  overridden?: { portal: Portal; value: unknown };
}

export const CHANGE_EVENT_KINDS = ['created', 'updated', 'merged', 'edit-outcome', 'card-registered', 'escalated', 'war-room'] as const;
/**
 * 'created' | 'updated' | 'merged': the incident changed. 'edit-outcome': an analyst's edit request
 * moved on (written, verified, failed); `outcome` says how, recorded in the same transaction.
 * 'card-registered': a card message of the incident was posted outside the announcements (`target`),
 * to be kept current from now on. 'escalated': the incident was not acknowledged by a conversation's
 * deadline (`escalation`), recorded with its timer's firing. 'war-room': the incident's war room chat
 * was created; its cards link it from now on.
 */
export type ChangeEventKind = (typeof CHANGE_EVENT_KINDS)[number];

export interface ChangeEvent {
  /** Unique and stable: a redelivered event carries the same id, so consumers can de-duplicate. */
  id: string;
  /** Monotonic position in the stream. */
  seq: number;
  kind: ChangeEventKind;
  linkId: string;
  pairId: string;
  incident: IncidentView;
  changes: FieldChange[];
  /** Set on edits made through the bridge. */
  actor?: Actor;
  editRequestId?: string;
  /** Set on 'edit-outcome' events: the request's outcome as it was saved. */
  outcome?: EditOutcome;
  /** Set on 'card-registered' events: the message to keep current. */
  target?: { conversationId: string; activityId: string };
  /** Set on 'escalated' events: the conversation whose deadline passed, and that deadline. */
  escalation?: { conversationId: string; dueAt: string };
  occurredAt: string;
}
