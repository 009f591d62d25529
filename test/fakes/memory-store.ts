// In-memory Store for unit tests of the sync engine, bot and approvals. It passes the same
// contract suites as the SQL store (test/store/contract/).
//
// Not for more than one process, and not a database: transactions are serialized with a mutex
// and rolled back by restoring a snapshot; a call made outside a transaction while another
// transaction is open sees that transaction's uncommitted writes. Every value going in or out is
// copied through JSON, as jsonb would, so callers cannot mutate stored state, and text PostgreSQL
// refuses (lone surrogates, NUL) is refused the same way, with the same SQLSTATE.
import { StoreError } from '../../src/store/errors.ts';
import { DEFAULT_LINK_LIST_LIMIT, MAX_LINK_LIST_LIMIT, compareText, linkMatchesFilter, searchWords } from '../../src/store/link-filter.ts';
import {
  APPROVAL_STATES,
  MAX_CARD_COPIES_PER_CONVERSATION,
  CONVERSATION_SCOPES,
  type ApprovalRepository,
  type ApprovalRequest,
  type AuditEntry,
  type AuditRepository,
  type CardCopy,
  type CardRefresh,
  type CardRefreshRepository,
  type CardRecord,
  type CardRepository,
  type ChangeEventRepository,
  type ConversationRecord,
  type ConversationRepository,
  type CursorRepository,
  type EditRequestRepository,
  type IncidentLink,
  type JsonValue,
  type Lease,
  type LeaseRepository,
  type LinkDraft,
  type LinkRepository,
  type NoticeLogRepository,
  type EscalationPolicy,
  type EscalationRepository,
  type EscalationTimer,
  type TriageRecord,
  type TriageRepository,
  type ParkedEvent,
  type ParkedEventRepository,
  type PortalCursor,
  type PortalListing,
  type QuarantineKey,
  type QuarantinedRecord,
  type QuarantineRepository,
  type RateLimitRepository,
  type SaveLinkResult,
  type Repositories,
  type SettingsRepository,
  type Store,
  type StoredEditRequest,
  type SubscriptionRecord,
  type SubscriptionRepository,
  type WarRoomRecord,
  type WarRoomRepository,
} from '../../src/store/ports.ts';
import type { ChangeEvent } from '../../src/domain/change-events.ts';
import { EDIT_STATES } from '../../src/domain/edits.ts';
import { retryAfterMsFor, validateBucket } from '../../src/store/sql/rate-limits.ts';
import { assertParkedEvent, DEFAULT_PARKED_LIST_LIMIT, MAX_PARKED_LIST_LIMIT } from '../../src/store/sql/parked-events.ts';
import { assertQuarantineEntry, DEFAULT_QUARANTINE_LIST_LIMIT, MAX_QUARANTINE_LIST_LIMIT } from '../../src/store/sql/quarantine.ts';
import { isStorableText } from '../../src/domain/untrusted-text.ts';
import { isoParam } from '../../src/store/sql/rows.ts';
import { DEFAULT_TRIAGE_LIST_LIMIT, MAX_TRIAGE_LIST_LIMIT } from '../../src/store/sql/triage.ts';

export interface MemoryStoreOptions {
  /** Clock for createdAt/updatedAt and lease expiry. Default: the real clock. */
  now?: () => Date;
}

interface State {
  cursors: Map<string, PortalCursor>;
  /** (pair, portal) keys whose backfill is pending. */
  backfills: Set<string>;
  listings: Map<string, PortalListing>;
  links: Map<string, IncidentLink>;
  editRequests: Map<string, StoredEditRequest>;
  events: ChangeEvent[];
  nextSeq: number;
  offsets: Map<string, number>;
  conversations: Map<string, ConversationRecord>;
  subscriptions: Map<string, SubscriptionRecord>;
  cards: Map<string, CardRecord>;
  /** By conversation + activity id; `seq` orders registrations. */
  cardCopies: Map<string, CardCopy & { seq: number }>;
  approvals: Map<string, ApprovalRequest>;
  settings: Map<string, JsonValue>;
  audit: AuditEntry[];
  pauses: Map<string, string>;
  buckets: Map<string, { tokens: number; updatedAt: number }>;
  leases: Map<string, { holderId: string; expiresAt: number }>;
  quarantine: Map<string, QuarantinedRecord>;
  parked: Map<string, ParkedEvent>;
  refreshes: Map<string, CardRefresh>;
  /** Sent notice key -> when it was claimed. */
  notices: Map<string, string>;
  escalationPolicies: Map<string, EscalationPolicy>;
  escalationTimers: Map<string, EscalationTimer>;
  triage: Map<string, TriageRecord>;
  warRooms: Map<string, WarRoomRecord>;
  /** Recency counter per record (the SQL store's touch_seq / created_seq). */
  tick: number;
  order: Map<string, number>;
}

function emptyState(): State {
  return {
    cursors: new Map(),
    backfills: new Set(),
    listings: new Map(),
    links: new Map(),
    editRequests: new Map(),
    events: [],
    nextSeq: 1,
    offsets: new Map(),
    conversations: new Map(),
    subscriptions: new Map(),
    cards: new Map(),
    cardCopies: new Map(),
    approvals: new Map(),
    settings: new Map(),
    audit: [],
    pauses: new Map(),
    buckets: new Map(),
    leases: new Map(),
    quarantine: new Map(),
    parked: new Map(),
    refreshes: new Map(),
    notices: new Map(),
    escalationPolicies: new Map(),
    escalationTimers: new Map(),
    triage: new Map(),
    warRooms: new Map(),
    tick: 0,
    order: new Map(),
  };
}

/** What PostgreSQL answers for text it cannot hold in jsonb (22P02 lone surrogate, 22P05 NUL). */
function refuseUnstorable(text: string): void {
  if (isStorableText(text)) return;
  const sqlState = text.includes('\u0000') ? '22P05' : '22P02';
  throw new StoreError('query-failed', `Database statement failed (${sqlState === '22P05' ? 'unsupported Unicode escape sequence' : 'invalid input syntax for type json'}) in the in-memory store`, { sqlState });
}

/** A JSON round trip, as jsonb does (drops undefined, copies deeply, refuses what PostgreSQL refuses). */
function copy<T>(value: T): T {
  if (value === undefined) return value;
  const text = JSON.stringify(value, (key: string, item: unknown) => {
    refuseUnstorable(key);
    if (typeof item === 'string') refuseUnstorable(item);
    return item;
  });
  return JSON.parse(text) as T;
}

function normIso(value: string, what: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new StoreError('invalid-argument', `${what} must be an ISO-8601 timestamp, got "${value}".`);
  return new Date(ms).toISOString();
}

function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1) throw new StoreError('invalid-argument', `limit must be a positive integer, got ${limit}.`);
  return Math.min(limit, max);
}

const cardKey = (conversationId: string, linkId: string) => JSON.stringify([conversationId, linkId]);

class Mutex {
  #tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const clock = options.now ?? (() => new Date());
  const nowIso = () => clock().toISOString();
  let state = emptyState();
  let closed = false;
  const mutex = new Mutex();

  // Every call goes through here: async like the real store, and refused after close().
  async function op<T>(fn: () => T): Promise<T> {
    await Promise.resolve();
    if (closed) throw new StoreError('closed', 'The in-memory store is closed.');
    return fn();
  }
  const stamp = (key: string) => state.order.set(key, ++state.tick);
  const seqOf = (key: string) => state.order.get(key) ?? 0;

  const cursors: CursorRepository = {
    get: (pairId, portal) => op(() => copy(state.cursors.get(`${pairId}\u0000${portal}`) ?? null)),
    set: (pairId, portal, cursor) =>
      op(() => {
        state.cursors.set(`${pairId}\u0000${portal}`, { since: cursor.since, idsAtSince: [...new Set(cursor.idsAtSince)] });
      }),
    recordListing: (listing) =>
      op(() => {
        const key = `${listing.pairId}\u0000${listing.portal}`;
        const known = state.listings.get(key);
        if (!known || Date.parse(known.listedAt) < Date.parse(listing.listedAt)) state.listings.set(key, { ...listing, listedAt: new Date(listing.listedAt).toISOString() });
      }),
    startBackfill: (pairId, portal, cursor) =>
      op(() => {
        state.cursors.set(`${pairId}\u0000${portal}`, { since: cursor.since, idsAtSince: [...new Set(cursor.idsAtSince)] });
        state.backfills.add(`${pairId}\u0000${portal}`);
      }),
    pendingBackfills: (pairId) => op(() => (['defender', 'sentinel'] as const).filter((portal) => state.backfills.has(`${pairId}\u0000${portal}`))),
    finishBackfill: (pairId, portal) =>
      op(() => {
        state.backfills.delete(`${pairId}\u0000${portal}`);
      }),
    listings: () => op(() => [...state.listings.values()].sort((a, b) => (a.pairId + a.portal).localeCompare(b.pairId + b.portal)).map((listing) => ({ ...listing }))),
  };

  const liveFirst = (a: IncidentLink, b: IncidentLink) =>
    Number(a.mergedIntoLinkId !== undefined) - Number(b.mergedIntoLinkId !== undefined) || seqOf(`link:${b.linkId}`) - seqOf(`link:${a.linkId}`);
  const findLink = (predicate: (link: IncidentLink) => boolean) => copy([...state.links.values()].filter(predicate).sort(liveFirst)[0] ?? null);

  /** save() of one link, inside the caller's op. */
  function saveLink(draft: LinkDraft, expectedVersion: number | null): SaveLinkResult {
    if (draft.linkId === '' || draft.pairId === '' || draft.defenderId === '') {
      throw new StoreError('invalid-argument', 'A link needs a non-empty linkId, pairId and defenderId.');
    }
    if (draft.sentinelNumber !== undefined && !Number.isSafeInteger(draft.sentinelNumber)) {
      throw new StoreError('invalid-argument', `sentinelNumber must be an integer, got ${draft.sentinelNumber}.`);
    }
    const clash = [...state.links.values()].find((l) => l.pairId === draft.pairId && l.defenderId === draft.defenderId && l.linkId !== draft.linkId);
    const now = nowIso();
    if (expectedVersion === null) {
      const current = state.links.get(draft.linkId) ?? clash;
      if (current !== undefined) return { ok: false as const, reason: 'duplicate' as const, current: copy(current) };
      const link = copy({ ...draft, version: 1, createdAt: now, updatedAt: now });
      state.links.set(link.linkId, link);
      stamp(`link:${link.linkId}`);
      return { ok: true as const, link: copy(link) };
    }
    if (!Number.isInteger(expectedVersion) || expectedVersion < 1) {
      throw new StoreError('invalid-argument', `expectedVersion must be null (insert) or a positive integer, got ${expectedVersion}.`);
    }
    const current = state.links.get(draft.linkId);
    if (current === undefined || current.version !== expectedVersion) {
      return { ok: false as const, reason: 'version-conflict' as const, current: copy(current ?? null) };
    }
    if (clash !== undefined) throw new StoreError('query-failed', `Defender incident ${draft.defenderId} is already linked in pair ${draft.pairId}.`);
    const link = copy({ ...draft, version: current.version + 1, createdAt: current.createdAt, updatedAt: now });
    state.links.set(link.linkId, link);
    stamp(`link:${link.linkId}`);
    return { ok: true as const, link: copy(link) };
  }

  const links: LinkRepository = {
    get: (linkId) => op(() => copy(state.links.get(linkId) ?? null)),
    findByDefenderId: (pairId, defenderId) => op(() => findLink((l) => l.pairId === pairId && l.defenderId === defenderId)),
    findBySentinelId: (pairId, sentinelId) => op(() => findLink((l) => l.pairId === pairId && l.sentinelId === sentinelId)),
    findBySentinelNumber: (pairId, number) => op(() => findLink((l) => l.pairId === pairId && l.sentinelNumber === number)),
    findByRef: (ref) =>
      op(() => {
        const trimmed = ref.trim();
        if (trimmed === '') return [];
        const number = /^\d{1,15}$/.test(trimmed) ? Number(trimmed) : null;
        return copy(
          [...state.links.values()]
            .filter((l) => l.linkId === trimmed || l.defenderId === trimmed || l.sentinelId === trimmed || (number !== null && l.sentinelNumber === number))
            .sort(liveFirst),
        );
      }),
    save: (draft, expectedVersion) => op(() => saveLink(draft, expectedVersion)),
    findByDefenderIds: (pairId, defenderIds) =>
      op(() => {
        const wanted = new Set(defenderIds);
        return copy([...state.links.values()].filter((l) => l.pairId === pairId && wanted.has(l.defenderId)));
      }),
    saveMany: (saves) =>
      op(() => {
        const linkIds = new Set(saves.map((entry) => entry.link.linkId));
        if (linkIds.size < saves.length) throw new StoreError('invalid-argument', 'A link is in the batch twice; save it once.');
        // One transaction: an entry refused half-way leaves none saved.
        const before = structuredClone(state);
        try {
          return saves.map((entry) => saveLink(entry.link, entry.expectedVersion));
        } catch (error) {
          state = before;
          throw error;
        }
      }),
    list: (filter) =>
      op(() => {
        const limit = clampLimit(filter.limit, DEFAULT_LINK_LIST_LIMIT, MAX_LINK_LIST_LIMIT);
        const offset = filter.offset ?? 0;
        if (!Number.isInteger(offset) || offset < 0) throw new StoreError('invalid-argument', `offset must be a non-negative integer, got ${offset}.`);
        if (filter.text !== undefined) {
          try {
            searchWords(filter.text);
          } catch (error) {
            throw new StoreError('invalid-argument', `The search ${(error as Error).message}.`);
          }
        }
        return copy(
          [...state.links.values()]
            .filter((link) => linkMatchesFilter(link, filter))
            .sort((a, b) => seqOf(`link:${b.linkId}`) - seqOf(`link:${a.linkId}`))
            .slice(offset, offset + limit),
        );
      }),
    merge: (fromLinkId, intoLinkId) =>
      op(() => {
        if (fromLinkId === intoLinkId) throw new StoreError('invalid-argument', `Cannot merge link ${fromLinkId} into itself.`);
        const from = state.links.get(fromLinkId);
        const into = state.links.get(intoLinkId);
        if (from === undefined || into === undefined) return null;
        if (from.mergedIntoLinkId !== intoLinkId) {
          from.mergedIntoLinkId = intoLinkId;
          from.version += 1;
          from.updatedAt = nowIso();
          stamp(`link:${fromLinkId}`);
        }
        const movedCards: CardRecord[] = [];
        const supersededCards: CardRecord[] = [];
        for (const [key, card] of [...state.cards]) {
          if (card.linkId !== fromLinkId) continue;
          state.cards.delete(key);
          if (state.cards.has(cardKey(card.conversationId, intoLinkId))) {
            supersededCards.push(card);
          } else {
            const moved = { ...card, linkId: intoLinkId };
            state.cards.set(cardKey(card.conversationId, intoLinkId), moved);
            movedCards.push(moved);
          }
        }
        for (const registered of state.cardCopies.values()) {
          if (registered.linkId === fromLinkId) registered.linkId = intoLinkId;
        }
        for (const request of state.editRequests.values()) {
          if (request.linkId === fromLinkId) {
            request.linkId = intoLinkId;
            request.updatedAt = nowIso();
          }
        }
        const byConversation = (a: CardRecord, b: CardRecord) => compareText(a.conversationId, b.conversationId);
        return copy({ from, into, movedCards: movedCards.sort(byConversation), supersededCards: supersededCards.sort(byConversation) });
      }),
  };

  const byKey = (key: string) => [...state.editRequests.values()].find((r) => r.idempotencyKey === key);
  const assertEditState = (name: string): void => {
    if (!(EDIT_STATES as readonly string[]).includes(name)) throw new StoreError('invalid-argument', `Unknown edit outcome state "${name}".`);
  };
  const editRequests: EditRequestRepository = {
    insertOrGet: (request) =>
      op(() => {
        if (request.id === '' || request.idempotencyKey === '' || request.linkId === '') {
          throw new StoreError('invalid-argument', 'An edit request needs a non-empty id, idempotencyKey and linkId.');
        }
        assertEditState(request.outcome.state);
        const existing = byKey(request.idempotencyKey);
        if (existing !== undefined) return { request: copy(existing), duplicate: true };
        if (state.editRequests.has(request.id)) throw new StoreError('query-failed', `Edit request id ${request.id} is already used by another idempotency key.`);
        const now = nowIso();
        const stored: StoredEditRequest = copy({ ...request, createdAt: now, updatedAt: now });
        state.editRequests.set(stored.id, stored);
        stamp(`edit:${stored.id}`);
        return { request: copy(stored), duplicate: false };
      }),
    get: (id) => op(() => copy(state.editRequests.get(id) ?? null)),
    getByIdempotencyKey: (key) => op(() => copy(byKey(key) ?? null)),
    update: (id, update) =>
      op(() => {
        assertEditState(update.outcome.state);
        const request = state.editRequests.get(id);
        if (request === undefined || request.outcome.state !== 'accepted') return null;
        request.outcome = copy(update.outcome);
        request.updatedAt = nowIso();
        return copy(request);
      }),
    listUnfinished: (limit) =>
      op(() =>
        copy(
          [...state.editRequests.values()]
            .filter((r) => r.outcome.state === 'accepted')
            .sort((a, b) => seqOf(`edit:${a.id}`) - seqOf(`edit:${b.id}`))
            .slice(0, clampLimit(limit, 100, 1000)),
        ),
      ),
    latestForLink: (linkId) =>
      op(() => {
        const latest = [...state.editRequests.values()].filter((r) => r.linkId === linkId).sort((a, b) => seqOf(`edit:${b.id}`) - seqOf(`edit:${a.id}`))[0];
        return copy(latest ?? null);
      }),
  };

  const readAfter = (afterSeq: number, limit?: number) => copy(state.events.filter((e) => e.seq > afterSeq).slice(0, clampLimit(limit, 100, 1000)));
  const changeEvents: ChangeEventRepository = {
    append: (events) =>
      op(() => {
        for (const event of events) {
          if (typeof event.id !== 'string' || event.id === '') throw new StoreError('invalid-argument', 'Every change event needs a non-empty id.');
        }
        const appended: ChangeEvent[] = [];
        for (const event of events) {
          if (state.events.some((e) => e.id === event.id)) continue;
          const stored = { ...copy(event), seq: state.nextSeq++ } as ChangeEvent;
          state.events.push(stored);
          appended.push(copy(stored));
        }
        return appended;
      }),
    readAfter: (afterSeq, limit) => op(() => readAfter(afterSeq, limit)),
    getOffset: (consumer) => op(() => state.offsets.get(consumer) ?? 0),
    ack: (consumer, seq) =>
      op(() => {
        if (!Number.isSafeInteger(seq) || seq < 0) throw new StoreError('invalid-argument', `ack seq must be a non-negative integer, got ${seq}.`);
        state.offsets.set(consumer, Math.max(state.offsets.get(consumer) ?? 0, seq));
      }),
    readPending: (consumer, limit) => op(() => readAfter(state.offsets.get(consumer) ?? 0, limit)),
    readForLink: (linkId, fromSeq, toSeq, limit) =>
      op(() => copy(state.events.filter((e) => e.linkId === linkId && e.seq >= fromSeq && e.seq <= toSeq).slice(-clampLimit(limit, 100, 1000)))),
    latestSeq: () => op(() => state.events.at(-1)?.seq ?? 0),
  };

  const conversations: ConversationRepository = {
    upsert: (draft) =>
      op(() => {
        if (draft.id === '' || draft.tenantId === '') throw new StoreError('invalid-argument', 'A conversation needs a non-empty id and tenantId.');
        if (!(CONVERSATION_SCOPES as readonly string[]).includes(draft.scope)) throw new StoreError('invalid-argument', `Unknown conversation scope "${draft.scope}".`);
        const record: ConversationRecord = copy({ ...draft, active: true, updatedAt: nowIso() });
        delete record.deactivatedReason;
        state.conversations.set(record.id, record);
        return copy(record);
      }),
    get: (id) => op(() => copy(state.conversations.get(id) ?? null)),
    deactivate: (id, reason) =>
      op(() => {
        const record = state.conversations.get(id);
        if (record === undefined) return false;
        record.active = false;
        record.deactivatedReason = reason;
        record.updatedAt = nowIso();
        return true;
      }),
    listActive: (filter) =>
      op(() =>
        copy(
          [...state.conversations.values()]
            .filter((c) => c.active && (filter?.tenantId === undefined || c.tenantId === filter.tenantId))
            .sort((a, b) => compareText(a.id, b.id)),
        ),
      ),
    findPersonal: (person) =>
      op(() => {
        const fold = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : undefined);
        const userOf = (c: ConversationRecord) => (c.reference['user'] ?? {}) as Record<string, unknown>;
        const byId = (c: ConversationRecord) => person.objectId !== undefined && fold(userOf(c)['aadObjectId']) === fold(person.objectId);
        const byUpn = (c: ConversationRecord) => person.upn !== undefined && fold(userOf(c)['userPrincipalName']) === fold(person.upn);
        const found = [...state.conversations.values()]
          .filter((c) => c.active && c.scope === 'personal' && (byId(c) || byUpn(c)))
          .sort((a, b) => Number(byId(b)) - Number(byId(a)) || compareText(b.updatedAt, a.updatedAt))[0];
        return copy(found ?? null);
      }),
  };

  const timerKey = (conversationId: string, linkId: string) => `${conversationId}\u0000${linkId}`;
  const escalations: EscalationRepository = {
    getPolicy: (conversationId) => op(() => copy(state.escalationPolicies.get(conversationId) ?? null)),
    setPolicy: (policy) =>
      op(() => {
        if (policy.conversationId === '') throw new StoreError('invalid-argument', 'An escalation policy needs a conversation id.');
        const stored: EscalationPolicy = copy({ ...policy, updatedAt: nowIso() });
        state.escalationPolicies.set(policy.conversationId, stored);
        return copy(stored);
      }),
    deletePolicy: (conversationId) =>
      op(() => {
        for (const [key, timer] of state.escalationTimers) if (timer.conversationId === conversationId) state.escalationTimers.delete(key);
        return state.escalationPolicies.delete(conversationId);
      }),
    listPolicies: () => op(() => copy([...state.escalationPolicies.values()].sort((a, b) => compareText(a.conversationId, b.conversationId)))),
    scheduleTimer: (conversationId, linkId, dueAt, now) =>
      op(() => {
        const key = timerKey(conversationId, linkId);
        const existing = state.escalationTimers.get(key);
        const due = isoParam(dueAt, 'dueAt');
        if (!existing) state.escalationTimers.set(key, { conversationId, linkId, dueAt: due, state: 'pending', updatedAt: isoParam(now, 'now') });
        else if (existing.state === 'pending' && existing.dueAt !== due) state.escalationTimers.set(key, { ...existing, dueAt: due, updatedAt: isoParam(now, 'now') });
        return copy(state.escalationTimers.get(key) as EscalationTimer);
      }),
    cancelTimers: (linkId, now, conversationId) =>
      op(() => {
        let cancelled = 0;
        for (const timer of state.escalationTimers.values()) {
          if (timer.linkId !== linkId || timer.state !== 'pending' || (conversationId !== undefined && timer.conversationId !== conversationId)) continue;
          timer.state = 'cancelled';
          timer.updatedAt = isoParam(now, 'now');
          cancelled += 1;
        }
        return cancelled;
      }),
    fireTimer: (conversationId, linkId, dueAt, now) =>
      op(() => {
        const timer = state.escalationTimers.get(timerKey(conversationId, linkId));
        if (!timer || timer.state !== 'pending' || timer.dueAt !== isoParam(dueAt, 'dueAt')) return false;
        timer.state = 'fired';
        timer.updatedAt = isoParam(now, 'now');
        return true;
      }),
    listTimers: (conversationId, timerState) =>
      op(() =>
        copy(
          [...state.escalationTimers.values()]
            .filter((timer) => timer.conversationId === conversationId && timer.state === timerState)
            .sort((a, b) => compareText(a.dueAt, b.dueAt) || compareText(a.linkId, b.linkId)),
        ),
      ),
    getTimer: (conversationId, linkId) => op(() => copy(state.escalationTimers.get(timerKey(conversationId, linkId)) ?? null)),
  };

  const triage: TriageRepository = {
    get: (linkId) => op(() => copy(state.triage.get(linkId) ?? null)),
    put: (record) =>
      op(() => {
        if (record.linkId === '') throw new StoreError('invalid-argument', 'A triage record needs a link id.');
        const stored: TriageRecord = copy({
          ...record,
          createdAt: isoParam(record.createdAt, 'createdAt'),
          acknowledgedAt: record.acknowledgedAt === null ? null : isoParam(record.acknowledgedAt, 'acknowledgedAt'),
          resolvedAt: record.resolvedAt === null ? null : isoParam(record.resolvedAt, 'resolvedAt'),
          updatedAt: nowIso(),
        });
        state.triage.set(record.linkId, stored);
        return copy(stored);
      }),
    listActive: (since, limit) =>
      op(() => {
        const from = isoParam(since, 'since');
        const latest = (record: TriageRecord) => [record.createdAt, record.acknowledgedAt, record.resolvedAt].filter((at): at is string => at !== null).sort().at(-1) ?? '';
        return copy(
          [...state.triage.values()]
            .filter((record) => (record.open || latest(record) >= from) && !state.links.get(record.linkId)?.mergedIntoLinkId)
            .sort((a, b) => compareText(a.createdAt, b.createdAt) || compareText(a.linkId, b.linkId))
            .slice(0, clampLimit(limit, DEFAULT_TRIAGE_LIST_LIMIT, MAX_TRIAGE_LIST_LIMIT)),
        );
      }),
  };

  const notices: NoticeLogRepository = {
    claim: (key, at) =>
      op(() => {
        if (key === '') throw new StoreError('invalid-argument', 'A notice needs a non-empty key.');
        if (state.notices.has(key)) return false;
        state.notices.set(key, at);
        return true;
      }),
    release: (key) => op(() => state.notices.delete(key)),
  };

  const subscriptions: SubscriptionRepository = {
    add: (draft) =>
      op(() => {
        if (draft.id === '') throw new StoreError('invalid-argument', 'A subscription needs a non-empty id.');
        if (!state.conversations.has(draft.conversationId)) {
          throw new StoreError('invalid-argument', `Cannot subscribe unknown conversation ${draft.conversationId}: store its conversation reference first.`);
        }
        if (state.subscriptions.has(draft.id)) throw new StoreError('query-failed', `Subscription ${draft.id} already exists.`);
        const record: SubscriptionRecord = copy({ ...draft, createdAt: nowIso() });
        state.subscriptions.set(record.id, record);
        return copy(record);
      }),
    remove: (id) => op(() => state.subscriptions.delete(id)),
    listForConversation: (conversationId) =>
      op(() => copy([...state.subscriptions.values()].filter((s) => s.conversationId === conversationId).sort((a, b) => compareText(a.id, b.id)))),
    listActive: () =>
      op(() =>
        copy(
          [...state.subscriptions.values()]
            .filter((s) => state.conversations.get(s.conversationId)?.active === true)
            .sort((a, b) => compareText(a.conversationId, b.conversationId) || compareText(a.id, b.id)),
        ),
      ),
  };

  let copySeq = 0;
  const withoutSeq = ({ seq: _seq, ...registered }: CardCopy & { seq: number }): CardCopy => registered;
  const cards: CardRepository = {
    get: (conversationId, linkId) => op(() => copy(state.cards.get(cardKey(conversationId, linkId)) ?? null)),
    findByActivity: (conversationId, activityId) =>
      op(() => {
        const announced = [...state.cards.values()]
          .filter((c) => c.conversationId === conversationId && c.state === 'posted' && c.activityId === activityId)
          .sort((a, b) => compareText(a.linkId, b.linkId))[0];
        if (announced) return { conversationId, activityId, linkId: announced.linkId, kind: 'announced' as const };
        const registered = state.cardCopies.get(cardKey(conversationId, activityId));
        return registered ? { conversationId, activityId, linkId: registered.linkId, kind: 'copy' as const } : null;
      }),
    listForLink: (linkId) =>
      op(() => copy([...state.cards.values()].filter((c) => c.linkId === linkId).sort((a, b) => compareText(a.conversationId, b.conversationId)))),
    claim: (conversationId, linkId, holderId, now, staleAfterMs) =>
      op(() => {
        if (!Number.isFinite(staleAfterMs) || staleAfterMs < 0) throw new StoreError('invalid-argument', `staleAfterMs must be a non-negative number, got ${staleAfterMs}.`);
        const at = normIso(now, 'now');
        const key = cardKey(conversationId, linkId);
        const current = state.cards.get(key);
        const takeOver =
          current !== undefined &&
          current.state === 'posting' &&
          (current.claimedBy === holderId || Date.parse(current.claimedAt ?? at) <= Date.parse(at) - staleAfterMs);
        if (current !== undefined && !takeOver) return { claimed: false as const, card: copy(current) };
        const card: CardRecord = { conversationId, linkId, state: 'posting', activityId: null, lastHash: null, claimedBy: holderId, claimedAt: at, updatedAt: at };
        state.cards.set(key, card);
        return { claimed: true as const, card: copy(card) };
      }),
    markPosted: (conversationId, linkId, holderId, activityId, hash, now) =>
      op(() => {
        const at = normIso(now, 'now');
        const card = state.cards.get(cardKey(conversationId, linkId));
        if (card === undefined || card.state !== 'posting' || card.claimedBy !== holderId) return false;
        Object.assign(card, { state: 'posted', activityId, lastHash: hash, claimedBy: null, claimedAt: null, updatedAt: at });
        return true;
      }),
    releaseClaim: (conversationId, linkId, holderId) =>
      op(() => {
        const key = cardKey(conversationId, linkId);
        const card = state.cards.get(key);
        if (card === undefined || card.state !== 'posting' || card.claimedBy !== holderId) return false;
        return state.cards.delete(key);
      }),
    recordUpdate: (conversationId, linkId, hash, now) =>
      op(() => {
        const at = normIso(now, 'now');
        const card = state.cards.get(cardKey(conversationId, linkId));
        if (card === undefined || card.state !== 'posted') return false;
        card.lastHash = hash;
        card.updatedAt = at;
        return true;
      }),
    remove: (conversationId, linkId) => op(() => state.cards.delete(cardKey(conversationId, linkId))),
    registerCopy: (registration, now) =>
      op(() => {
        const stored = { ...registration, updatedAt: normIso(now, 'now'), seq: ++copySeq };
        state.cardCopies.set(cardKey(registration.conversationId, registration.activityId), stored);
        const siblings = [...state.cardCopies.values()]
          .filter((c) => c.conversationId === registration.conversationId && c.linkId === registration.linkId)
          .sort((a, b) => b.seq - a.seq);
        for (const old of siblings.slice(MAX_CARD_COPIES_PER_CONVERSATION)) state.cardCopies.delete(cardKey(old.conversationId, old.activityId));
        return copy(withoutSeq(stored));
      }),
    listCopies: (linkId, conversationId) =>
      op(() =>
        copy(
          [...state.cardCopies.values()]
            .filter((c) => c.linkId === linkId && (conversationId === undefined || c.conversationId === conversationId))
            .sort((a, b) => compareText(a.conversationId, b.conversationId) || a.seq - b.seq)
            .map(withoutSeq),
        ),
      ),
    recordCopyUpdate: (conversationId, activityId, hash, now) =>
      op(() => {
        const registered = state.cardCopies.get(cardKey(conversationId, activityId));
        if (registered === undefined) return false;
        registered.lastHash = hash;
        registered.updatedAt = normIso(now, 'now');
        return true;
      }),
    removeCopy: (conversationId, activityId) => op(() => state.cardCopies.delete(cardKey(conversationId, activityId))),
  };

  const assertApprovalStates = (states: readonly string[]) => {
    for (const s of states) {
      if (!(APPROVAL_STATES as readonly string[]).includes(s)) throw new StoreError('invalid-argument', `Unknown approval state "${s}".`);
    }
  };
  const approvals: ApprovalRepository = {
    create: (request) =>
      op(() => {
        if (request.id === '') throw new StoreError('invalid-argument', 'An approval request needs a non-empty id.');
        if (request.pairId === '') throw new StoreError('invalid-argument', 'An approval request needs the id of its pair.');
        if (state.approvals.has(request.id)) throw new StoreError('query-failed', `Approval request ${request.id} already exists.`);
        const now = nowIso();
        const stored: ApprovalRequest = copy({
          ...request,
          expiresAt: normIso(request.expiresAt, 'expiresAt'),
          cards: request.cards ?? {},
          state: 'pending',
          decidedBy: null,
          decidedAt: null,
          outcome: null,
          createdAt: now,
          updatedAt: now,
        });
        state.approvals.set(stored.id, stored);
        stamp(`approval:${stored.id}`);
        return copy(stored);
      }),
    get: (id) => op(() => copy(state.approvals.get(id) ?? null)),
    list: (filter) =>
      op(() => {
        if (filter.states !== undefined) assertApprovalStates(filter.states);
        return copy(
          [...state.approvals.values()]
            .filter((a) => a.pairId === filter.pairId && (filter.states === undefined || filter.states.includes(a.state)))
            .sort((a, b) => seqOf(`approval:${b.id}`) - seqOf(`approval:${a.id}`))
            .slice(0, clampLimit(filter.limit, 50, 500)),
        );
      }),
    transition: (id, from, to, patch = {}) =>
      op(() => {
        assertApprovalStates([...from, to]);
        const request = state.approvals.get(id);
        if (request === undefined || !from.includes(request.state)) return null;
        request.state = to;
        if (patch.decidedBy !== undefined) request.decidedBy = copy(patch.decidedBy);
        if (patch.decidedAt !== undefined) request.decidedAt = patch.decidedAt === null ? null : normIso(patch.decidedAt, 'decidedAt');
        if (patch.outcome !== undefined) request.outcome = copy(patch.outcome);
        request.updatedAt = nowIso();
        return copy(request);
      }),
    setCard: (id, conversationId, activityId) =>
      op(() => {
        const request = state.approvals.get(id);
        if (request === undefined) return null;
        request.cards[conversationId] = activityId;
        request.updatedAt = nowIso();
        return copy(request);
      }),
    expireDue: (now, pairId) =>
      op(() => {
        const at = Date.parse(normIso(now, 'now'));
        const expired: ApprovalRequest[] = [];
        for (const request of state.approvals.values()) {
          if (request.state === 'pending' && request.pairId === pairId && Date.parse(request.expiresAt) <= at) {
            request.state = 'expired';
            request.updatedAt = nowIso();
            expired.push(request);
          }
        }
        return copy(expired.sort((a, b) => compareText(a.id, b.id)));
      }),
    assignUnpaired: (pairId) =>
      op(() => {
        // Every request made through this port has a pair; only rows from before pairs have none.
        let count = 0;
        for (const request of state.approvals.values()) {
          if (request.pairId) continue;
          request.pairId = pairId;
          count += 1;
        }
        return count;
      }),
  };

  const settings: SettingsRepository = {
    get: (key) => op(() => copy(state.settings.get(key) ?? null)),
    set: (key, value) =>
      op(() => {
        if (key === '') throw new StoreError('invalid-argument', 'A setting needs a non-empty key.');
        state.settings.set(key, copy(value));
      }),
    delete: (key) => op(() => state.settings.delete(key)),
  };

  const audit: AuditRepository = {
    append: (entry) =>
      op(() => {
        if (entry.action === '' || entry.subject === '') throw new StoreError('invalid-argument', 'An audit entry needs a non-empty action and subject.');
        const stored: AuditEntry = copy({ ...entry, pairId: entry.pairId ?? null, at: normIso(entry.at, 'at'), id: state.audit.length + 1 });
        state.audit.push(stored);
        return copy(stored);
      }),
    list: (filter = {}) =>
      op(() => {
        const from = filter.from === undefined ? undefined : Date.parse(normIso(filter.from, 'from'));
        const to = filter.to === undefined ? undefined : Date.parse(normIso(filter.to, 'to'));
        return copy(
          state.audit
            .filter((e) => (filter.subject === undefined || e.subject === filter.subject) && (filter.pairId === undefined || e.pairId === filter.pairId) && (from === undefined || Date.parse(e.at) >= from) && (to === undefined || Date.parse(e.at) < to))
            .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.id - b.id)
            .slice(0, clampLimit(filter.limit, 100, 1000)),
        );
      }),
    assignUnpaired: (pairId, subjectPrefixes) =>
      op(() => {
        const mine = state.audit.filter((e) => e.pairId === null && subjectPrefixes.some((prefix) => e.subject.startsWith(prefix)));
        for (const entry of mine) entry.pairId = pairId;
        return mine.length;
      }),
  };

  const rateLimits: RateLimitRepository = {
    setRetryAfter: (key, untilIso) =>
      op(() => {
        const until = normIso(untilIso, 'untilIso');
        const current = state.pauses.get(key);
        if (current === undefined || Date.parse(until) > Date.parse(current)) state.pauses.set(key, until);
      }),
    getRetryAfter: (key, now) =>
      op(() => {
        const until = state.pauses.get(key);
        if (until === undefined) return null;
        if (now !== undefined && Date.parse(until) <= Date.parse(normIso(now, 'now'))) return null;
        return until;
      }),
    take: (key, capacity, refillPerSecond, now, cost = 1) =>
      op(() => {
        validateBucket(capacity, refillPerSecond, cost);
        const at = Date.parse(normIso(now, 'now'));
        const bucket = state.buckets.get(key);
        const refilled = bucket === undefined ? capacity : Math.min(capacity, bucket.tokens + (Math.max(0, at - bucket.updatedAt) / 1000) * refillPerSecond);
        const granted = refilled >= cost - 1e-9;
        const tokens = granted ? Math.max(0, refilled - cost) : refilled;
        state.buckets.set(key, { tokens, updatedAt: Math.max(bucket?.updatedAt ?? at, at) });
        return { granted, tokens, retryAfterMs: retryAfterMsFor(granted, tokens, cost, refillPerSecond) };
      }),
  };

  const assertTtl = (ttlMs: number) => {
    if (!(Number.isFinite(ttlMs) && ttlMs > 0)) throw new StoreError('invalid-argument', `Lease ttlMs must be a positive number, got ${ttlMs}.`);
  };
  const toLease = (name: string, lease: { holderId: string; expiresAt: number }): Lease => ({ name, holderId: lease.holderId, expiresAt: new Date(lease.expiresAt).toISOString() });
  const leases: LeaseRepository = {
    tryAcquire: (name, holderId, ttlMs) =>
      op(() => {
        assertTtl(ttlMs);
        const now = clock().getTime();
        const current = state.leases.get(name);
        if (current !== undefined && current.holderId !== holderId && current.expiresAt > now) return null;
        const lease = { holderId, expiresAt: now + ttlMs };
        state.leases.set(name, lease);
        return toLease(name, lease);
      }),
    renew: (name, holderId, ttlMs) =>
      op(() => {
        assertTtl(ttlMs);
        const current = state.leases.get(name);
        if (current === undefined || current.holderId !== holderId) return null;
        current.expiresAt = clock().getTime() + ttlMs;
        return toLease(name, current);
      }),
    release: (name, holderId) =>
      op(() => {
        const current = state.leases.get(name);
        if (current === undefined || current.holderId !== holderId) return false;
        return state.leases.delete(name);
      }),
    get: (name) =>
      op(() => {
        const current = state.leases.get(name);
        return current === undefined || current.expiresAt <= clock().getTime() ? null : toLease(name, current);
      }),
    takeOver: (seen, holderId, ttlMs) =>
      op(() => {
        assertTtl(ttlMs);
        const current = state.leases.get(seen.name);
        if (current === undefined || current.holderId !== seen.holderId || current.expiresAt > Date.parse(seen.expiresAt)) return null;
        const lease = { holderId, expiresAt: clock().getTime() + ttlMs };
        state.leases.set(seen.name, lease);
        return toLease(seen.name, lease);
      }),
    listLive: (prefix) =>
      op(() =>
        [...state.leases]
          .filter(([name, lease]) => name.startsWith(prefix) && lease.expiresAt > clock().getTime())
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([name, lease]) => toLease(name, lease)),
      ),
  };

  const quarantineKey = (key: QuarantineKey) => JSON.stringify([key.pairId, key.portal, key.incidentId, key.stage]);
  const quarantine: QuarantineRepository = {
    record: (entry) =>
      op(() => {
        assertQuarantineEntry(entry);
        const previous = state.quarantine.get(quarantineKey(entry));
        const record: QuarantinedRecord = copy({
          ...entry,
          firstFailedAt: previous?.firstFailedAt ?? normIso(entry.lastFailedAt, 'lastFailedAt'),
          lastFailedAt: normIso(entry.lastFailedAt, 'lastFailedAt'),
          retryAt: normIso(entry.retryAt, 'retryAt'),
        });
        state.quarantine.set(quarantineKey(entry), record);
        return copy(record);
      }),
    get: (key) => op(() => copy(state.quarantine.get(quarantineKey(key)) ?? null)),
    release: (key) => op(() => state.quarantine.delete(quarantineKey(key))),
    list: (pairId, limit) =>
      op(() =>
        copy(
          [...state.quarantine.values()]
            .filter((record) => record.pairId === pairId)
            .sort((a, b) => a.retryAt.localeCompare(b.retryAt) || a.portal.localeCompare(b.portal) || compareText(a.incidentId, b.incidentId) || a.stage.localeCompare(b.stage))
            .slice(0, clampLimit(limit, DEFAULT_QUARANTINE_LIST_LIMIT, MAX_QUARANTINE_LIST_LIMIT)),
        ),
      ),
    counts: () =>
      op(() => {
        const counts = new Map<string, { pairId: string; portal: QuarantinedRecord['portal']; count: number }>();
        for (const record of state.quarantine.values()) {
          const key = JSON.stringify([record.pairId, record.portal]);
          const entry = counts.get(key) ?? { pairId: record.pairId, portal: record.portal, count: 0 };
          entry.count++;
          counts.set(key, entry);
        }
        return [...counts.values()].sort((a, b) => compareText(a.pairId, b.pairId) || a.portal.localeCompare(b.portal));
      }),
  };

  const parkedKey = (consumer: string, seq: number) => JSON.stringify([consumer, seq]);
  const parkedEvents: ParkedEventRepository = {
    park: (event) =>
      op(() => {
        assertParkedEvent(event);
        const previous = state.parked.get(parkedKey(event.consumer, event.seq));
        const parked: ParkedEvent = copy(
          previous ? { ...previous, errorCode: event.errorCode, attempts: event.attempts } : { ...event, parkedAt: normIso(event.parkedAt, 'parkedAt') },
        );
        state.parked.set(parkedKey(event.consumer, event.seq), parked);
        return copy(parked);
      }),
    list: (consumer, limit) =>
      op(() =>
        copy(
          [...state.parked.values()]
            .filter((parked) => parked.consumer === consumer)
            .sort((a, b) => a.seq - b.seq)
            .slice(0, clampLimit(limit, DEFAULT_PARKED_LIST_LIMIT, MAX_PARKED_LIST_LIMIT)),
        ),
      ),
    counts: () =>
      op(() => {
        const counts = new Map<string, number>();
        for (const parked of state.parked.values()) counts.set(parked.consumer, (counts.get(parked.consumer) ?? 0) + 1);
        return [...counts].map(([consumer, count]) => ({ consumer, count })).sort((a, b) => compareText(a.consumer, b.consumer));
      }),
  };

  const cardRefreshes: CardRefreshRepository = {
    mark: (entries, holderId, now) =>
      op(() => {
        const at = normIso(now, 'now');
        for (const entry of entries) {
          if (!Number.isSafeInteger(entry.seq) || entry.seq < 0) throw new StoreError('invalid-argument', `seq must be a non-negative integer, got ${entry.seq}.`);
          const key = cardKey(entry.conversationId, entry.linkId);
          const current = state.refreshes.get(key);
          state.refreshes.set(key, {
            conversationId: entry.conversationId,
            linkId: entry.linkId,
            announce: (current?.announce ?? false) || entry.announce,
            firstSeq: Math.min(current?.firstSeq ?? entry.seq, entry.seq),
            lastSeq: Math.max(current?.lastSeq ?? entry.seq, entry.seq),
            claimedBy: holderId,
            claimedAt: at,
            attempts: current?.attempts ?? 0,
          });
        }
      }),
    clear: (conversationId, linkId, deliveredSeq) =>
      op(() => {
        const key = cardKey(conversationId, linkId);
        const current = state.refreshes.get(key);
        if (current === undefined || current.lastSeq > deliveredSeq) return false;
        return state.refreshes.delete(key);
      }),
    recordFailure: (conversationId, linkId) =>
      op(() => {
        const current = state.refreshes.get(cardKey(conversationId, linkId));
        if (current === undefined) return null;
        current.attempts += 1;
        return current.attempts;
      }),
    drop: (conversationId, linkId) => op(() => state.refreshes.delete(cardKey(conversationId, linkId))),
    claimStale: (holderId, now, staleAfterMs, limit) =>
      op(() => {
        if (!Number.isFinite(staleAfterMs) || staleAfterMs < 0) throw new StoreError('invalid-argument', `staleAfterMs must be a non-negative number, got ${staleAfterMs}.`);
        const at = normIso(now, 'now');
        const stale = [...state.refreshes.values()]
          .filter((refresh) => Date.parse(refresh.claimedAt) <= Date.parse(at) - staleAfterMs)
          .sort((a, b) => Date.parse(a.claimedAt) - Date.parse(b.claimedAt))
          .slice(0, clampLimit(limit, 100, 1000));
        for (const refresh of stale) Object.assign(refresh, { claimedBy: holderId, claimedAt: at });
        return copy(stale);
      }),
    releaseClaims: (holderId) =>
      op(() => {
        const held = [...state.refreshes.values()].filter((refresh) => refresh.claimedBy === holderId);
        for (const refresh of held) refresh.claimedAt = new Date(0).toISOString();
        return held.length;
      }),
  };

  const checkStale = (staleAfterMs: number) => {
    if (!Number.isFinite(staleAfterMs) || staleAfterMs < 0) throw new StoreError('invalid-argument', `staleAfterMs must be a non-negative number, got ${staleAfterMs}.`);
  };
  const isStale = (claimedAt: string | null, at: string, staleAfterMs: number) => Date.parse(claimedAt ?? at) <= Date.parse(at) - staleAfterMs;
  const roomOfChat = (chatId: string) => [...state.warRooms.values()].find((room) => room.chatId === chatId);
  const warRooms: WarRoomRepository = {
    get: (linkId) => op(() => copy(state.warRooms.get(linkId) ?? null)),
    findByChat: (chatId) => op(() => copy(roomOfChat(chatId) ?? null)),
    claim: (draft, holderId, now, staleAfterMs) =>
      op(() => {
        checkStale(staleAfterMs);
        const at = normIso(now, 'now');
        const current = state.warRooms.get(draft.linkId);
        if (current === undefined) {
          const room: WarRoomRecord = copy({
            ...draft,
            chatId: null,
            webUrl: null,
            appInstalled: false,
            cardActivityId: null,
            holderId,
            claimedAt: at,
            cardHolderId: null,
            cardClaimedAt: null,
            createdAt: at,
            updatedAt: at,
          });
          state.warRooms.set(draft.linkId, room);
          return { claimed: true as const, room: copy(room) };
        }
        if (current.holderId !== null && current.holderId !== holderId && !isStale(current.claimedAt, at, staleAfterMs)) return { claimed: false as const, room: copy(current) };
        Object.assign(current, { holderId, claimedAt: at, updatedAt: at });
        return { claimed: true as const, room: copy(current) };
      }),
    recordChat: (linkId, holderId, chatId, webUrl, now) =>
      op(() => {
        const room = state.warRooms.get(linkId);
        if (room === undefined || room.holderId !== holderId || room.chatId !== null) return false;
        Object.assign(room, { chatId, webUrl, updatedAt: normIso(now, 'now') });
        return true;
      }),
    markInstalled: (linkId, holderId, now) =>
      op(() => {
        const room = state.warRooms.get(linkId);
        if (room === undefined || room.holderId !== holderId || room.chatId === null) return false;
        Object.assign(room, { appInstalled: true, holderId: null, claimedAt: null, updatedAt: normIso(now, 'now') });
        return true;
      }),
    release: (linkId, holderId) =>
      op(() => {
        const room = state.warRooms.get(linkId);
        if (room === undefined || room.holderId !== holderId) return false;
        if (room.chatId === null) return state.warRooms.delete(linkId);
        Object.assign(room, { holderId: null, claimedAt: null });
        return true;
      }),
    claimCard: (chatId, holderId, now, staleAfterMs) =>
      op(() => {
        checkStale(staleAfterMs);
        const at = normIso(now, 'now');
        const room = roomOfChat(chatId);
        if (room === undefined || room.cardActivityId !== null) return false;
        if (room.cardHolderId !== null && room.cardHolderId !== holderId && !isStale(room.cardClaimedAt, at, staleAfterMs)) return false;
        Object.assign(room, { cardHolderId: holderId, cardClaimedAt: at, updatedAt: at });
        return true;
      }),
    recordCard: (chatId, holderId, activityId, now) =>
      op(() => {
        const room = roomOfChat(chatId);
        if (room === undefined || room.cardHolderId !== holderId) return false;
        Object.assign(room, { cardActivityId: activityId, cardHolderId: null, cardClaimedAt: null, updatedAt: normIso(now, 'now') });
        return true;
      }),
    releaseCard: (chatId, holderId) =>
      op(() => {
        const room = roomOfChat(chatId);
        if (room === undefined || room.cardHolderId !== holderId) return false;
        Object.assign(room, { cardHolderId: null, cardClaimedAt: null });
        return true;
      }),
  };

  const repositories: Repositories = { cursors, links, editRequests, changeEvents, conversations, subscriptions, cards, approvals, settings, audit, rateLimits, leases, quarantine, parkedEvents, cardRefreshes, notices, escalations, triage, warRooms };
  return {
    ...repositories,
    async transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
      return mutex.run(async () => {
        if (closed) throw new StoreError('closed', 'The in-memory store is closed.');
        const snapshot = structuredClone(state);
        try {
          return await fn(repositories);
        } catch (error) {
          state = snapshot;
          throw error;
        }
      });
    },
    async close() {
      closed = true;
    },
  };
}
