// The store's repository ports: one narrow interface per kind of record. The sync engine, the bot
// and approvals code against these; src/store/sql/ implements them over the Db port (PGlite or a
// PostgreSQL server) and test/fakes/memory-store.ts implements them in memory. One contract suite
// (test/store/contract/) runs against every implementation.
//
// Conventions
// - Timestamps are ISO-8601 strings in UTC ("2024-05-01T10:00:00.000Z").
// - "Not found" is `null`; expected races (a lost compare-and-set, a claim someone else holds) are
//   ordinary results, never exceptions. Exceptions (StoreError) mean the store itself failed.
// - JSON columns round-trip plain JSON: no Dates, no undefined inside arrays, no class instances.
import type { Actor, Incident, Portal, Severity, Status } from '../domain/incident.ts';
import type { ConnectorConfig } from '../domain/connector.ts';
import type { ChangeEvent, PortalSyncState } from '../domain/change-events.ts';
import type { EditChanges, EditOutcome } from '../domain/edits.ts';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

// ---------------------------------------------------------------------------------------------
// Cursors

/**
 * Where a watcher resumes listing one portal of one pair. Portals list with an inclusive ">= since"
 * filter (nothing is lost at a page or clock boundary), so the cursor also keeps the ids already
 * seen at exactly `since`; the watcher skips those on the next pass.
 */
export interface PortalCursor {
  since: string;
  idsAtSince: string[];
}

/** When a watcher last finished listing a portal: the instant its listing started. */
export interface PortalListing {
  pairId: string;
  portal: Portal;
  listedAt: string;
}

export interface CursorRepository {
  get(pairId: string, portal: Portal): Promise<PortalCursor | null>;
  /** Unconditional upsert: one watcher per (pair, portal) runs at a time (see LeaseRepository). */
  set(pairId: string, portal: Portal, cursor: PortalCursor): Promise<void>;
  /**
   * Records a completed listing. Never moves back: a replica that lost the watcher's lease in the
   * middle of a poll may finish after the new holder's newer listing.
   */
  recordListing(listing: PortalListing): Promise<void>;
  /** The last completed listing of every (pair, portal) ever listed. */
  listings(): Promise<PortalListing[]>;
  /**
   * A watcher's first listing of a portal: stores the live cursor (from now on) and marks the
   * backfill of everything older as pending, in one write. `set` leaves the mark as it is.
   */
  startBackfill(pairId: string, portal: Portal, cursor: PortalCursor): Promise<void>;
  /** The portals of a pair whose backfill is still pending. */
  pendingBackfills(pairId: string): Promise<Portal[]>;
  /** The backfill walked every page: clears the mark. */
  finishBackfill(pairId: string, portal: Portal): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Incident links

/**
 * Last synced per-field values, owned by reconcile (the "base" of its three-way merge). Keyed by
 * field name; the store keeps it as opaque JSON.
 */
export type LinkSnapshot = JsonObject;

/** Per-portal sync state shown on cards, plus whatever reconcile keeps alongside (opaque JSON). */
export type LinkSyncState = Partial<Record<Portal, PortalSyncState>> & { [key: string]: JsonValue | undefined };

/** A Defender incident and its Sentinel counterpart, as the bridge last saw and synced them. */
export interface IncidentLink {
  /** The bridge's own id (caller-generated, e.g. a UUID); stable across merges. */
  linkId: string;
  pairId: string;
  /** Graph incident id; unique within a pair. */
  defenderId: string;
  /** Sentinel incident resource name (GUID), once the counterpart is found. */
  sentinelId?: string;
  sentinelNumber?: number;
  /** Set when the Defender incident was merged (redirected) into the incident of this other link. */
  mergedIntoLinkId?: string;
  snapshot: LinkSnapshot;
  defenderView: Incident | null;
  sentinelView: Incident | null;
  syncState: LinkSyncState;
  /** Optimistic-concurrency version: 1 after insert, +1 on every successful save. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** What a caller saves; the store owns version and timestamps. */
export type LinkDraft = Omit<IncidentLink, 'version' | 'createdAt' | 'updatedAt'>;

export type SaveLinkResult =
  | { ok: true; link: IncidentLink }
  /**
   * 'version-conflict': the stored version is not `expectedVersion` (another replica saved first);
   *   `current` is what is stored now: re-read, re-reconcile, retry.
   * 'duplicate': inserting (expectedVersion null) but the linkId, or the defenderId within the pair,
   *   is taken; `current` is the existing link.
   */
  | { ok: false; reason: 'version-conflict' | 'duplicate'; current: IncidentLink | null };

/** One link of a batch save: what save() takes. */
export interface LinkSave {
  link: LinkDraft;
  expectedVersion: number | null;
}

export interface LinkListFilter {
  /** Severity at or above this on either view (informational < low < medium < high; 'unknown' is lowest). */
  minSeverity?: Exclude<Severity, 'unknown'>;
  /** Status equal on either view. */
  status?: Status;
  /** An analyst tag on either view (exact, case-sensitive). */
  tag?: string;
  /** A product name in additionalData.productNames on either view (case-insensitive). */
  productName?: string;
  pairId?: string;
  /** Only links of these pairs; unset: every pair. */
  pairIds?: readonly string[];
  /** Merged-away links are hidden unless asked for. */
  includeMerged?: boolean;
  /**
   * Words to search for (searchWords: at most MAX_SEARCH_WORDS, each at most MAX_SEARCH_WORD_CHARS).
   * Every word must match: the Defender id or link id exactly, the Sentinel number (digits, with or
   * without '#'), a tag (case-insensitive), or a part of the title or of the owner's sign-in or
   * display name (case-insensitive), on either view.
   */
  text?: string;
  /** Default 50, at most 500. */
  limit?: number;
  /** Matches skipped first, for paging (most recent first). Default 0. */
  offset?: number;
}

export interface MergeResult {
  from: IncidentLink;
  into: IncidentLink;
  /** Cards re-pointed to `into` (their conversation had no card for `into` yet). */
  movedCards: CardRecord[];
  /**
   * Cards of `from` in conversations that already had a card for `into`; they were removed from
   * the table so that each conversation keeps one card per incident. The caller may edit those
   * activities to say "merged into ...".
   */
  supersededCards: CardRecord[];
}

export interface LinkRepository {
  get(linkId: string): Promise<IncidentLink | null>;
  findByDefenderId(pairId: string, defenderId: string): Promise<IncidentLink | null>;
  /** The links of these Defender ids in the pair (one per id found), in no particular order. */
  findByDefenderIds(pairId: string, defenderIds: readonly string[]): Promise<IncidentLink[]>;
  findBySentinelId(pairId: string, sentinelId: string): Promise<IncidentLink | null>;
  findBySentinelNumber(pairId: string, sentinelNumber: number): Promise<IncidentLink | null>;
  /**
   * Links a user-typed reference may mean, across all pairs: a link id, a Defender id, a Sentinel
   * id, or (when all digits) a Sentinel number. Several results mean the reference is ambiguous.
   */
  findByRef(ref: string): Promise<IncidentLink[]>;
  /**
   * Compare-and-set. `expectedVersion` null inserts a new link (version 1); a number updates only
   * when the stored version still equals it, and bumps it. Two replicas cannot clobber each other.
   */
  save(link: LinkDraft, expectedVersion: number | null): Promise<SaveLinkResult>;
  /**
   * save() for many links in one transaction of a few statements (a page of listed incidents
   * costs what one link does): each entry is inserted or compared-and-set as save() would, and its
   * result is at the same index. At most one entry per linkId; of two inserts of one Defender id,
   * the first is stored and the second is its duplicate. All or nothing when the store fails: an
   * entry whose data it refuses saves none of them, and the error is thrown (save them one at a
   * time to find which).
   */
  saveMany(saves: readonly LinkSave[]): Promise<SaveLinkResult[]>;
  /** Most recently saved first. Links with no stored view yet are left out (nothing to show). */
  list(filter: LinkListFilter): Promise<IncidentLink[]>;
  /**
   * Marks `fromLinkId` merged into `intoLinkId` (bumping its version), moves its cards, re-points
   * its card copies and its edit requests to `intoLinkId`. Change events and audit entries stay where they
   * were written (append-only history). Idempotent: repeating it moves nothing more.
   * Returns null when either link does not exist.
   */
  merge(fromLinkId: string, intoLinkId: string): Promise<MergeResult | null>;
}

// ---------------------------------------------------------------------------------------------
// Quarantine (records the store refused)

/**
 * Where a record failed: 'view' when the watcher could not store a listed view on its link,
 * 'sync' when a link sync could not save the reconciled link.
 */
export const QUARANTINE_STAGES = ['view', 'sync'] as const;
export type QuarantineStage = (typeof QUARANTINE_STAGES)[number];

export interface QuarantineKey {
  pairId: string;
  portal: Portal;
  /** Graph incident id or Sentinel incident name ('sync' records: the link's Defender id). */
  incidentId: string;
  stage: QuarantineStage;
}

export interface QuarantinedRecord extends QuarantineKey {
  linkId: string | null;
  /** SQLSTATE (e.g. '22P02') or StoreError code of the last failure; never the record's text. */
  errorCode: string;
  /** The portal's last-modified time of the version that failed: a newer one is retried at once. */
  seenUpdatedAt: string;
  /** Failed attempts so far, 1 after the first. */
  attempts: number;
  firstFailedAt: string;
  lastFailedAt: string;
  /** When the bounded retry schedule tries it next. */
  retryAt: string;
}

export type QuarantineEntry = Omit<QuarantinedRecord, 'firstFailedAt'>;

export interface QuarantineRepository {
  /** Upsert by key: stores this failure; a known record keeps its firstFailedAt. */
  record(entry: QuarantineEntry): Promise<QuarantinedRecord>;
  get(key: QuarantineKey): Promise<QuarantinedRecord | null>;
  /** Returns false when the record was not quarantined. */
  release(key: QuarantineKey): Promise<boolean>;
  /** A pair's records, soonest retryAt first. Default limit 100, at most 1000. */
  list(pairId: string, limit?: number): Promise<QuarantinedRecord[]>;
  /** How many records each (pair, portal) has in quarantine; pairs with none are left out. */
  counts(): Promise<Array<{ pairId: string; portal: Portal; count: number }>>;
}

// ---------------------------------------------------------------------------------------------
// Edit requests

export interface StoredEditRequest {
  /** Caller-generated id (e.g. a UUID). */
  id: string;
  /** Unique: a retried card click or command maps to the first request. */
  idempotencyKey: string;
  /** The incident it edits (the link it was merged into takes it over). */
  linkId: string;
  changes: EditChanges;
  actor: Actor;
  /** Its state is the request's: 'accepted' until final. */
  outcome: EditOutcome;
  createdAt: string;
  updatedAt: string;
}

export type NewEditRequest = Pick<StoredEditRequest, 'id' | 'idempotencyKey' | 'linkId' | 'changes' | 'actor' | 'outcome'>;

export interface EditRequestUpdate {
  outcome: EditOutcome;
}

export interface EditRequestRepository {
  /**
   * Atomic insert-or-get by idempotencyKey: of N concurrent callers with the same key exactly one
   * inserts (duplicate false); the rest get that stored request (duplicate true), whatever id they
   * proposed.
   */
  insertOrGet(request: NewEditRequest): Promise<{ request: StoredEditRequest; duplicate: boolean }>;
  get(id: string): Promise<StoredEditRequest | null>;
  getByIdempotencyKey(key: string): Promise<StoredEditRequest | null>;
  /**
   * Replaces the outcome of a request that is still 'accepted' and returns the updated request. A
   * final outcome is never replaced: null when the request is final already (another try of its
   * job finished it, even one running at the same time) or does not exist.
   */
  update(id: string, update: EditRequestUpdate): Promise<StoredEditRequest | null>;
  /** Requests still 'accepted', oldest first: what crash recovery must resume. */
  listUnfinished(limit?: number): Promise<StoredEditRequest[]>;
  /** The link's most recently submitted request, or null. */
  latestForLink(linkId: string): Promise<StoredEditRequest | null>;
}

// ---------------------------------------------------------------------------------------------
// Change events (transactional outbox)

/** A change event as appended; the store assigns `seq`. */
export type NewChangeEvent = Omit<ChangeEvent, 'seq'>;

export interface ChangeEventRepository {
  /**
   * Appends events in order and returns the ones that were new, with their seq. An event whose id
   * is already stored is skipped (idempotent). Call it on the transaction-bound repositories (see
   * Store.transaction) so an event commits together with the link update that caused it.
   * Appends are serialized (transaction-scoped advisory lock) so seq order equals commit order and
   * a reader never skips an event that commits late with a lower seq.
   */
  append(events: NewChangeEvent[]): Promise<ChangeEvent[]>;
  /** Events with seq > afterSeq, ascending. Default limit 100. */
  readAfter(afterSeq: number, limit?: number): Promise<ChangeEvent[]>;
  /** Last acknowledged seq of a consumer; 0 when it never acknowledged anything. */
  getOffset(consumer: string): Promise<number>;
  /** Records that `consumer` handled everything up to `seq`. Never moves an offset backwards. */
  ack(consumer: string, seq: number): Promise<void>;
  /** Events after the consumer's offset, ascending. */
  readPending(consumer: string, limit?: number): Promise<ChangeEvent[]>;
  /** One incident's events with fromSeq <= seq <= toSeq: the latest `limit` of them (default 100), ascending. */
  readForLink(linkId: string, fromSeq: number, toSeq: number, limit?: number): Promise<ChangeEvent[]>;
  /** Highest seq stored, 0 when empty. */
  latestSeq(): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// Parked change events (events one consumer kept failing on)

/**
 * An event the dispatcher set aside for one consumer after its bounded retries, while later events
 * delivered (src/sync/dispatcher.ts). The event itself stays in the outbox; this records why that
 * consumer skipped it, so every replica and a restart agree it was skipped on purpose.
 */
export interface ParkedEvent {
  consumer: string;
  seq: number;
  eventId: string;
  linkId: string;
  pairId: string;
  /** The failure's code or error class (e.g. 'TypeError'); never its message, which may quote incident text. */
  errorCode: string;
  /** Deliveries that failed before it was parked. */
  attempts: number;
  parkedAt: string;
}

export interface ParkedEventRepository {
  /**
   * Upsert by (consumer, seq): parking an event again (a replica died between parking it and
   * moving the offset) keeps its first parkedAt and takes the new details. Call it in the same
   * transaction as the ack that moves the consumer past it.
   */
  park(event: ParkedEvent): Promise<ParkedEvent>;
  /** A consumer's parked events, oldest seq first. Default limit 100, at most 1000. */
  list(consumer: string, limit?: number): Promise<ParkedEvent[]>;
  /** How many events each consumer has parked; consumers with none are left out. */
  counts(): Promise<Array<{ consumer: string; count: number }>>;
}

// ---------------------------------------------------------------------------------------------
// Conversations and subscriptions

/** Teams conversationType values (Activity.conversation.conversationType). */
export const CONVERSATION_SCOPES = ['personal', 'groupChat', 'channel'] as const;
export type ConversationScope = (typeof CONVERSATION_SCOPES)[number];

export interface ConversationRecord {
  /** Teams conversation id (conversation.id of the reference). */
  id: string;
  /** botbuilder ConversationReference, as JSON, for proactive messages. */
  reference: JsonObject;
  scope: ConversationScope;
  tenantId: string;
  teamId?: string;
  channelId?: string;
  active: boolean;
  /** Why sends stopped (e.g. 'bot removed', '403 from Teams'); set while inactive. */
  deactivatedReason?: string;
  updatedAt: string;
}

export type ConversationDraft = Omit<ConversationRecord, 'active' | 'deactivatedReason' | 'updatedAt'>;

export interface ConversationRepository {
  /** Inserts or replaces the reference and marks the conversation active again. */
  upsert(conversation: ConversationDraft): Promise<ConversationRecord>;
  get(id: string): Promise<ConversationRecord | null>;
  /** Returns false when the conversation is unknown. */
  deactivate(id: string, reason: string): Promise<boolean>;
  listActive(filter?: { tenantId?: string }): Promise<ConversationRecord[]>;
  /**
   * A person's active personal chat with the bot (the chat whose reference's `user` is them), found
   * by Entra object id or, failing that, by UPN (case-insensitive); null when the bot is not
   * installed for them. The most recently updated one when there are several.
   */
  findPersonal(person: { objectId?: string | undefined; upn?: string | undefined }): Promise<ConversationRecord | null>;
}

export interface SubscriptionFilters {
  minSeverity?: Exclude<Severity, 'unknown'>;
  products?: string[];
  tags?: string[];
  pairIds?: string[];
  statuses?: Status[];
}

export interface SubscriptionRecord {
  /** Caller-generated id. */
  id: string;
  conversationId: string;
  filters: SubscriptionFilters;
  createdBy: Actor | null;
  createdAt: string;
}

export type SubscriptionDraft = Omit<SubscriptionRecord, 'createdAt'>;

export interface SubscriptionRepository {
  add(subscription: SubscriptionDraft): Promise<SubscriptionRecord>;
  /** Returns false when there was no such subscription. */
  remove(id: string): Promise<boolean>;
  listForConversation(conversationId: string): Promise<SubscriptionRecord[]>;
  /** Subscriptions of active conversations only: what the notifier matches events against. */
  listActive(): Promise<SubscriptionRecord[]>;
}

// ---------------------------------------------------------------------------------------------
// Sent notices (notices sent once, whichever replica or redelivery gets there first)

export interface NoticeLogRepository {
  /** Claims the notice `key` before sending it: true for the first claimer, false ever after. */
  claim(key: string, at: string): Promise<boolean>;
  /** Gives up a claim whose send failed, so that a redelivery may send it. False when there was none. */
  release(key: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// Acknowledgement deadlines and escalation (per conversation)

/** The severities a deadline can be set for. */
export type DeadlineSeverity = Exclude<Severity, 'unknown'>;

export interface EscalationContact {
  upn: string;
  /** Entra object id, when the directory knew them. */
  objectId?: string;
  displayName?: string;
}

export interface EscalationPolicy {
  conversationId: string;
  /** Seconds from an incident's creation (or from when the policy was set, if later) to its deadline. */
  deadlines: Partial<Record<DeadlineSeverity, number>>;
  contacts: EscalationContact[];
  updatedBy: Actor | null;
  updatedAt: string;
}

export const ESCALATION_TIMER_STATES = ['pending', 'cancelled', 'fired'] as const;
export type EscalationTimerState = (typeof ESCALATION_TIMER_STATES)[number];

/** One incident's acknowledgement deadline in one conversation. */
export interface EscalationTimer {
  conversationId: string;
  linkId: string;
  dueAt: string;
  state: EscalationTimerState;
  updatedAt: string;
}

export interface EscalationRepository {
  getPolicy(conversationId: string): Promise<EscalationPolicy | null>;
  /** Inserts or replaces a conversation's policy. */
  setPolicy(policy: Omit<EscalationPolicy, 'updatedAt'>): Promise<EscalationPolicy>;
  /** Removes the policy and every timer of the conversation. False when there was no policy. */
  deletePolicy(conversationId: string): Promise<boolean>;
  listPolicies(): Promise<EscalationPolicy[]>;
  /**
   * Sets a pending deadline: inserts it, or moves a still pending one to `dueAt`. A timer that fired
   * or was cancelled stays as it is (an incident escalates once per conversation). Returns the timer
   * as it is now.
   */
  scheduleTimer(conversationId: string, linkId: string, dueAt: string, now: string): Promise<EscalationTimer>;
  /** Cancels the pending timers of an incident (every conversation, or one); returns how many. */
  cancelTimers(linkId: string, now: string, conversationId?: string): Promise<number>;
  /**
   * Fires a pending timer due at exactly `dueAt` (a timer moved since is not this one): true for the
   * one caller that fired it, false for everyone else, whatever the replicas.
   */
  fireTimer(conversationId: string, linkId: string, dueAt: string, now: string): Promise<boolean>;
  /** A conversation's timers in one state, soonest due first. */
  listTimers(conversationId: string, state: EscalationTimerState): Promise<EscalationTimer[]>;
  getTimer(conversationId: string, linkId: string): Promise<EscalationTimer | null>;
}

// ---------------------------------------------------------------------------------------------
// Triage records (what the digest and the deadlines read, without portal calls)

/** One incident's triage facts, kept current from the change events. */
export interface TriageRecord {
  linkId: string;
  pairId: string;
  /** How analysts name it: the Defender id, else the Sentinel number. */
  ref: string;
  title: string;
  severity: Severity;
  open: boolean;
  /** Someone owns it (either portal). */
  assigned: boolean;
  acknowledged: boolean;
  /** The incident's creation in its portal. */
  createdAt: string;
  /** When the bridge first saw it acknowledged; null while it is not. */
  acknowledgedAt: string | null;
  /** Acknowledged already when the bridge first saw it: no time to acknowledge is known. */
  acknowledgedOnFirstSight: boolean;
  /** When the bridge saw it closed; null while open. */
  resolvedAt: string | null;
  /** What subscription filters match on (bot/subscription-filter.ts FilterSubject), as opaque JSON. */
  subject: JsonObject;
  updatedAt: string;
}

export interface TriageRepository {
  get(linkId: string): Promise<TriageRecord | null>;
  /** Inserts or replaces the record of `record.linkId`. */
  put(record: Omit<TriageRecord, 'updatedAt'>): Promise<TriageRecord>;
  /**
   * Records that are open, or were created, acknowledged or resolved at or after `since`; oldest
   * created first. Records of links merged into another are left out. At most `limit` (default
   * 5,000, at most 20,000).
   */
  listActive(since: string, limit?: number): Promise<TriageRecord[]>;
}

// ---------------------------------------------------------------------------------------------
// Cards

export interface CardRecord {
  conversationId: string;
  linkId: string;
  /** 'posting': a replica claimed the right to post and has not recorded the activity yet. */
  state: 'posting' | 'posted';
  /** Teams activity id of the card, once posted. */
  activityId: string | null;
  /** Hash of the last rendered card, to skip no-op updates. */
  lastHash: string | null;
  /** Replica that holds the 'posting' claim. */
  claimedBy: string | null;
  claimedAt: string | null;
  updatedAt: string;
}

/**
 * A card message of an incident posted outside the notifier's announcements (the answer to a
 * command, a search result inserted into a conversation), registered so that the notifier keeps
 * it current like the announced card (without threaded notices).
 */
export interface CardCopy {
  conversationId: string;
  activityId: string;
  linkId: string;
  /** Hash of what the message shows now. */
  lastHash: string;
  updatedAt: string;
}

/**
 * Copies kept current per (conversation, incident): the newest few. Someone typing /incident 29 all
 * day must not cost a Teams call per copy on every change; older copies stay as they are, and Teams
 * refreshes them into the current card when someone views them (the card's refresh block).
 */
export const MAX_CARD_COPIES_PER_CONVERSATION = 5;

/** Which incident a card message in a conversation shows, as far as the bridge posted or registered it. */
export interface CardMessage {
  conversationId: string;
  activityId: string;
  linkId: string;
  /** 'announced': the notifier's card (with its thread); 'copy': a registered CardCopy. */
  kind: 'announced' | 'copy';
}

export type CardClaim =
  | { claimed: true; card: CardRecord }
  /** Someone else posted it, or is posting it now: update `card` instead (when posted) or skip. */
  | { claimed: false; card: CardRecord };

export interface CardRepository {
  get(conversationId: string, linkId: string): Promise<CardRecord | null>;
  /**
   * The posted card or registered copy whose Teams message is `activityId` in the conversation:
   * which incident a message shows, so a click on it cannot act on (or overwrite it with) another
   * incident.
   */
  findByActivity(conversationId: string, activityId: string): Promise<CardMessage | null>;
  listForLink(linkId: string): Promise<CardRecord[]>;
  /**
   * Claim-to-post: inserts a 'posting' row; of concurrent claimers exactly one wins. A 'posting'
   * claim older than `staleAfterMs` (its holder crashed between claim and post) can be taken over.
   * Choose staleAfterMs well above the send timeout, or a slow poster and the taker both post.
   */
  claim(conversationId: string, linkId: string, holderId: string, now: string, staleAfterMs: number): Promise<CardClaim>;
  /** Records the posted activity. False when `holderId` no longer holds the claim. */
  markPosted(conversationId: string, linkId: string, holderId: string, activityId: string, hash: string, now: string): Promise<boolean>;
  /** Gives up a 'posting' claim after a failed send so another attempt can claim. */
  releaseClaim(conversationId: string, linkId: string, holderId: string): Promise<boolean>;
  /** Records an in-place update of a posted card. False when no posted card exists. */
  recordUpdate(conversationId: string, linkId: string, hash: string, now: string): Promise<boolean>;
  remove(conversationId: string, linkId: string): Promise<boolean>;
  /**
   * Registers (or re-registers) a copy. Keeps the newest MAX_CARD_COPIES_PER_CONVERSATION copies of
   * the incident in that conversation and forgets older ones.
   */
  registerCopy(copy: Omit<CardCopy, 'updatedAt'>, now: string): Promise<CardCopy>;
  /** The incident's copies, in one conversation or in all, oldest first. */
  listCopies(linkId: string, conversationId?: string): Promise<CardCopy[]>;
  /** Records an in-place update of a copy. False when the copy is not registered. */
  recordCopyUpdate(conversationId: string, activityId: string, hash: string, now: string): Promise<boolean>;
  removeCopy(conversationId: string, activityId: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// Card refreshes (cards a change made stale, until they are sent)

/**
 * A card of an incident in a conversation that the notifier has still to bring up to date, for the
 * events `firstSeq`..`lastSeq` of that incident. Recorded before those events are acknowledged and
 * cleared once the card is sent, so a stop or a crash between the two loses no update: a replica
 * takes a refresh over once its claim is stale.
 */
export interface CardRefresh {
  conversationId: string;
  linkId: string;
  /** The announced card (and its thread) is due, not only the registered copies. */
  announce: boolean;
  firstSeq: number;
  lastSeq: number;
  claimedBy: string;
  claimedAt: string;
  /** Sends that failed so far. */
  attempts: number;
}

export type CardRefreshMark = Pick<CardRefresh, 'conversationId' | 'linkId' | 'announce'> & { seq: number };

export interface CardRefreshRepository {
  /**
   * Upserts one refresh per entry, claimed by `holderId` at `now`: `announce` is kept once set, and
   * the seq range widens to include `seq`.
   */
  mark(entries: readonly CardRefreshMark[], holderId: string, now: string): Promise<void>;
  /** Removes the refresh once everything up to `deliveredSeq` was sent; false when a later event marked it again. */
  clear(conversationId: string, linkId: string, deliveredSeq: number): Promise<boolean>;
  /** Counts a failed send; returns the attempts so far, or null when there is no such refresh. */
  recordFailure(conversationId: string, linkId: string): Promise<number | null>;
  /** Gives a refresh up (it kept failing). */
  drop(conversationId: string, linkId: string): Promise<boolean>;
  /**
   * Claims for `holderId` the refreshes whose claim is older than `staleAfterMs` (their holder stopped
   * or died before sending), at most `limit`; of concurrent claimers each refresh goes to one.
   */
  claimStale(holderId: string, now: string, staleAfterMs: number, limit?: number): Promise<CardRefresh[]>;
  /** Makes `holderId`'s claims stale at once (it is stopping), so another replica takes them over without waiting. */
  releaseClaims(holderId: string): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// War rooms (one Teams group chat per incident)

/**
 * An incident's war room, as far as it got: claimed (someone is creating it), its chat created,
 * the bridge installed in the chat, the incident's card posted there. Each step is recorded as it
 * completes, so a request after a crash resumes where the last one stopped and never creates a
 * second chat for the incident.
 */
export interface WarRoomRecord {
  linkId: string;
  /** The Teams tenant the chat lives in (the tenant of the conversation it was asked from). */
  tenantId: string;
  requestedBy: Actor;
  /** Set once Graph created the chat. */
  chatId: string | null;
  /** Graph's chat.webUrl, with the chat id. */
  webUrl: string | null;
  /** The bridge's Teams app is installed in the chat. */
  appInstalled: boolean;
  /** The incident card's message in the chat, once posted. */
  cardActivityId: string | null;
  /** Who is creating the chat or installing the app right now; null when nobody is. */
  holderId: string | null;
  claimedAt: string | null;
  /** Who is posting the card in the chat right now. */
  cardHolderId: string | null;
  cardClaimedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export type WarRoomDraft = Pick<WarRoomRecord, 'linkId' | 'tenantId' | 'requestedBy'>;

export type WarRoomClaim =
  | { claimed: true; room: WarRoomRecord }
  /** Someone else holds it (and it is not stale): `room` says how far they got. */
  | { claimed: false; room: WarRoomRecord };

export interface WarRoomRepository {
  get(linkId: string): Promise<WarRoomRecord | null>;
  /** The war room whose chat is `chatId`. */
  findByChat(chatId: string): Promise<WarRoomRecord | null>;
  /**
   * Claim-to-work, as the cards' claim-to-post: inserts the record (claimed by `holderId`) when the
   * incident has none; else takes it when nobody holds it, `holderId` already does, or the claim
   * is older than `staleAfterMs` (its holder died). Of concurrent claimers exactly one wins, across
   * replicas. An existing record keeps its tenant and requester.
   */
  claim(draft: WarRoomDraft, holderId: string, now: string, staleAfterMs: number): Promise<WarRoomClaim>;
  /** Records the created chat. False when `holderId` no longer holds the claim. */
  recordChat(linkId: string, holderId: string, chatId: string, webUrl: string, now: string): Promise<boolean>;
  /** Records the app installed in the chat and releases the claim. False when `holderId` no longer holds it. */
  markInstalled(linkId: string, holderId: string, now: string): Promise<boolean>;
  /**
   * Gives up the claim after a failure: a record with no chat yet is deleted (the next request
   * starts afresh), one with a chat keeps it (the next request only installs the app).
   */
  release(linkId: string, holderId: string): Promise<boolean>;
  /** Claim-to-post the card in the chat; true when `holderId` may post it (nobody posted or is posting it). */
  claimCard(chatId: string, holderId: string, now: string, staleAfterMs: number): Promise<boolean>;
  /** Records the posted card. False when `holderId` does not hold the card claim. */
  recordCard(chatId: string, holderId: string, activityId: string, now: string): Promise<boolean>;
  /** Gives up the card claim after a failed post, so a later install event posts it. */
  releaseCard(chatId: string, holderId: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// Connector change approvals and settings

export const APPROVAL_STATES = ['pending', 'approved', 'rejected', 'expired', 'stale', 'applying', 'applied', 'failed'] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];

export interface ApprovalRequest {
  id: string;
  /** The pair whose workspace's connector the request changes (PairConfig.id). */
  pairId: string;
  requester: Actor;
  reason: string;
  /** ConnectorSnapshot.version the proposal was computed from. */
  baseVersion: string;
  baseConfig: ConnectorConfig;
  proposedConfig: ConnectorConfig;
  /** Owned by approvals/ (field-level diff); stored as opaque JSON. */
  diff: JsonValue;
  /** Owned by approvals/ (what the change will do); stored as opaque JSON. */
  consequences: JsonValue;
  state: ApprovalState;
  decidedBy: Actor | null;
  decidedAt: string | null;
  expiresAt: string;
  outcome: JsonValue | null;
  /** conversationId -> activityId of the approval card posted there. */
  cards: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export type NewApprovalRequest = Omit<ApprovalRequest, 'state' | 'decidedBy' | 'decidedAt' | 'outcome' | 'cards' | 'createdAt' | 'updatedAt'> &
  Partial<Pick<ApprovalRequest, 'cards'>>;

/** Fields a transition may set along with the state. */
export type ApprovalPatch = Partial<Pick<ApprovalRequest, 'decidedBy' | 'decidedAt' | 'outcome'>>;

export interface ApprovalRepository {
  create(request: NewApprovalRequest): Promise<ApprovalRequest>;
  /** By id, whatever its pair: callers check that the request's pair is the one they act for. */
  get(id: string): Promise<ApprovalRequest | null>;
  /** One pair's requests, newest first. */
  list(filter: { pairId: string; states?: ApprovalState[]; limit?: number }): Promise<ApprovalRequest[]>;
  /**
   * One conditional UPDATE: moves `id` to `to` only while its state is one of `from`. Of two
   * concurrent approvers exactly one gets the request back; the other gets null (re-read it).
   */
  transition(id: string, from: readonly ApprovalState[], to: ApprovalState, patch?: ApprovalPatch): Promise<ApprovalRequest | null>;
  /** Records one approval card (atomic JSON merge, so concurrent posts to two channels both stick). */
  setCard(id: string, conversationId: string, activityId: string): Promise<ApprovalRequest | null>;
  /** Moves every 'pending' request of the pair with expiresAt <= now to 'expired' and returns them. */
  expireDue(now: string, pairId: string): Promise<ApprovalRequest[]>;
  /** Gives requests stored before requests had a pair to `pairId`; returns how many. */
  assignUnpaired(pairId: string): Promise<number>;
}

/** Well-known settings keys. */
export const SETTING_KEYS = {
  /** JSON string: the conversation id of the approvers' channel. */
  approversConversationId: 'approvals.approversConversationId',
} as const;

export interface SettingsRepository {
  get(key: string): Promise<JsonValue | null>;
  set(key: string, value: JsonValue, updatedBy?: Actor): Promise<void>;
  delete(key: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// Audit

export interface AuditEntry {
  /** Store-assigned, increasing. */
  id: number;
  at: string;
  /** Who did it; the bridge's own jobs use objectId 'system:<component>'. */
  actor: Actor;
  /** Dotted verb, e.g. 'edit.submitted', 'approval.approved', 'connector.applied'. */
  action: string;
  /** What it was done to, e.g. 'link:<linkId>', 'approval:<id>'. */
  subject: string;
  /** The pair a connector entry is about; null for entries about no one pair (incident edits). */
  pairId: string | null;
  details: JsonObject;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'pairId'> & { pairId?: string | null };

export interface AuditRepository {
  append(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Oldest first; `from` inclusive, `to` exclusive. Default limit 100. `pairId`: that pair's entries only. */
  list(filter?: { subject?: string; pairId?: string; from?: string; to?: string; limit?: number }): Promise<AuditEntry[]>;
  /** Gives the unpaired entries whose subject starts with one of `subjectPrefixes` to `pairId`; returns how many. */
  assignUnpaired(pairId: string, subjectPrefixes: readonly string[]): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// Shared rate limits

export interface TokenTake {
  granted: boolean;
  /** Tokens left after this take. */
  tokens: number;
  /** When not granted: ms until `cost` tokens will have refilled. 0 when granted. */
  retryAfterMs: number;
}

export interface RateLimitRepository {
  /**
   * Records a Teams "Retry-After" for a key (tenant or conversation) so every replica pauses.
   * Only ever extends: an earlier `untilIso` than the stored one is ignored.
   */
  setRetryAfter(key: string, untilIso: string): Promise<void>;
  /** The stored pause end, or null when none is stored or it is not after `now` (when given). */
  getRetryAfter(key: string, now?: string): Promise<string | null>;
  /**
   * Token bucket shared by all replicas, evaluated in one SQL statement under the row lock:
   * refills `refillPerSecond` since the last take (capped at `capacity`), then grants `cost`
   * (default 1) tokens when available. Concurrent takers never get more than the bucket holds.
   * A new key starts full.
   */
  take(key: string, capacity: number, refillPerSecond: number, now: string, cost?: number): Promise<TokenTake>;
}

// ---------------------------------------------------------------------------------------------
// Leases (one replica runs a given watcher)

export interface Lease {
  name: string;
  holderId: string;
  expiresAt: string;
}

/**
 * Time-bound exclusive leases. The SQL implementation measures time with the database clock, the
 * one clock all replicas share; the in-memory fake uses its injected clock.
 *
 * Why a lease table rather than only pg-boss singleton keys: a singleton key stops a second
 * *queued* (or active) job, but says nothing about who runs a long watcher pass, cannot be renewed
 * mid-pass, and is not visible to code outside the job. A lease names its holder, is renewed while
 * the pass runs, expires if the replica dies, and works with or without the queue. Use both: a
 * scheduled job per pair (singleton key against piling up) whose handler runs only while holding
 * the pair's lease.
 */
export interface LeaseRepository {
  /**
   * One conditional upsert: acquires `name` when it is free, expired, or already held by
   * `holderId` (then it renews). Returns the lease when `holderId` holds it afterwards, else null.
   */
  tryAcquire(name: string, holderId: string, ttlMs: number): Promise<Lease | null>;
  /** Extends a lease `holderId` still holds (even if just expired and not yet taken). */
  renew(name: string, holderId: string, ttlMs: number): Promise<Lease | null>;
  /** Returns false when `holderId` did not hold it. */
  release(name: string, holderId: string): Promise<boolean>;
  /** The current unexpired lease, or null. */
  get(name: string): Promise<Lease | null>;
  /**
   * Hands a lease from a holder that fell silent to `holderId`: succeeds only while `seen.holderId`
   * holds it and has not renewed it since `seen` was read (its expiry has not moved). For a holder
   * proven gone, or one watched not renewing for longer than it renews; never a blind steal.
   */
  takeOver(seen: Lease, holderId: string, ttlMs: number): Promise<Lease | null>;
  /** The unexpired leases whose names start with `prefix`, by name. */
  listLive(prefix: string): Promise<Lease[]>;
}

// ---------------------------------------------------------------------------------------------
// The whole store

export interface Repositories {
  cursors: CursorRepository;
  links: LinkRepository;
  editRequests: EditRequestRepository;
  changeEvents: ChangeEventRepository;
  conversations: ConversationRepository;
  subscriptions: SubscriptionRepository;
  cards: CardRepository;
  approvals: ApprovalRepository;
  settings: SettingsRepository;
  audit: AuditRepository;
  rateLimits: RateLimitRepository;
  leases: LeaseRepository;
  quarantine: QuarantineRepository;
  parkedEvents: ParkedEventRepository;
  cardRefreshes: CardRefreshRepository;
  notices: NoticeLogRepository;
  escalations: EscalationRepository;
  triage: TriageRepository;
  warRooms: WarRoomRepository;
}

export interface Store extends Repositories {
  /**
   * Runs `fn` with repositories bound to one transaction: everything commits together, or
   * nothing does when `fn` throws (the error is rethrown). Typical use: save a link (CAS) and
   * append its change events atomically. Do not call the outer store's repositories inside `fn`
   * (on PGlite, the single connection is busy with the transaction: that would wait forever).
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
