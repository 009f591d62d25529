// The sync engine's public API, as the Teams side (bot, cards, approvals) sees it.
// The bot depends on these types only, never on portal clients or the store.
import type { Actor, Severity, Status } from '../domain/incident.ts';
import type { ChangeEvent, IncidentView } from '../domain/change-events.ts';
import type { EditChanges, EditOutcome } from '../domain/edits.ts';

export interface EditRequest {
  /** Same key, same request: a retried card click or command is accepted once. */
  idempotencyKey: string;
  /** The incident, as the caller resolved it within its conversation's scope (findIncident). */
  linkId: string;
  changes: EditChanges;
  actor: Actor;
}

export interface SubmitResult {
  requestId: string;
  /** true when this idempotency key was seen before; the earlier request stands. */
  duplicate: boolean;
  outcome: EditOutcome;
}

export interface IncidentListFilter {
  minSeverity?: Exclude<Severity, 'unknown'>;
  status?: Status;
  tag?: string;
  productName?: string;
  pairId?: string;
  /** Only these pairs (the pairs a conversation's tenant may see); unset: every pair. */
  pairIds?: readonly string[];
  /** Search words (LinkListFilter.text): ids, numbers, tags, title and owner. */
  text?: string;
  limit?: number;
  /** Matches skipped first (paging), most recent first. */
  offset?: number;
}

/** Restricts a lookup to some pairs (a conversation's scope); unset: every pair. */
export interface PairRestriction {
  pairIds?: readonly string[];
}

export interface CardRegistration {
  conversationId: string;
  activityId: string;
  linkId: string;
  /** The card hash of what the posted message shows: nothing is sent while it still shows that. */
  shownHash: string;
}

/** A war room chat Graph just created, recorded by the one who holds the war room's claim. */
export interface WarRoomChat {
  linkId: string;
  holderId: string;
  chatId: string;
  webUrl: string;
}

export interface ChangeConsumer {
  /** A stable name; the engine remembers per consumer what was delivered. */
  name: string;
  /** Called at least once per event; must be idempotent. Throwing redelivers later. */
  handle(event: ChangeEvent): Promise<void>;
}

export interface BridgeApi {
  /** A ref that names incidents of several pairs resolves to one inside `within`, if any. */
  findIncident(ref: string, within?: PairRestriction): Promise<IncidentView | null>;
  listIncidents(filter: IncidentListFilter): Promise<IncidentView[]>;
  submitEdit(request: EditRequest): Promise<SubmitResult>;
  getEditOutcome(requestId: string): Promise<EditOutcome | null>;
  /** The outcome of the incident's most recent edit request, if any: what its cards show. */
  latestEditOutcome(linkId: string): Promise<EditOutcome | null>;
  /**
   * Keeps a card message posted outside the announcements (an answer to a command) current: it is
   * recorded, and a 'card-registered' event in the same transaction has the consumers bring it up
   * to date, in order with every other change of the incident.
   */
  registerCard(card: CardRegistration): Promise<void>;
  /**
   * Records the incident's war room chat (WarRoomRepository.recordChat) and, in the same
   * transaction, a 'war-room' event that has the consumers show its link on every card of the
   * incident. False when `holderId` no longer holds the war room's claim (nothing is recorded).
   */
  recordWarRoomChat(chat: WarRoomChat): Promise<boolean>;
  subscribe(consumer: ChangeConsumer): () => void;
}
