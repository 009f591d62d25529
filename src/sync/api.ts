// The sync engine's public API, as the Teams side (bot, cards, approvals) sees it.
// The bot depends on these types only, never on portal clients or the store.
import type {
  Actor,
  Classification,
  Incident,
  Owner,
  Portal,
  Severity,
  Status,
} from '../domain/incident.ts';

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
}

export interface EditChanges {
  severity?: Exclude<Severity, 'unknown'>;
  tagsAdd?: string[];
  tagsRemove?: string[];
  comment?: string;
  status?: Status;
  classification?: Classification;
  /** null unassigns. */
  owner?: Owner | null;
}

export interface EditRequest {
  /** Same key, same request: a retried card click or command is accepted once. */
  idempotencyKey: string;
  /** Defender incident id, Sentinel incident number, or the bridge link id. */
  incidentRef: string;
  changes: EditChanges;
  actor: Actor;
}

export type FieldName = keyof EditChanges | 'tags';

export type FieldOutcome =
  | { state: 'pending' }
  | { state: 'written' }
  /** Not writable through this API; the change was taken by the other route (native sync) and read back. */
  | { state: 'viaOtherRoute'; verified: boolean }
  | { state: 'failed'; reason: string };

export interface EditOutcome {
  requestId: string;
  linkId: string;
  /** 'accepted': stored durably, writes queued. 'completed': every field written or verified. */
  state: 'accepted' | 'completed' | 'partial' | 'failed';
  perPortal: Record<Portal, Partial<Record<FieldName, FieldOutcome>>>;
  /** Both portals were read back and agree on every requested field. */
  converged: boolean;
  updatedAt: string;
  /**
   * When each of the request's comment writes was last sent, by `<portal>:<comment ref>` (one comment
   * has the same ref on both portals). A write whose answer was lost may still land: it is looked
   * for, and sent again only after a settling time.
   */
  commentsSentAt?: Record<string, string>;
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
  limit?: number;
}

/** Restricts a lookup to some pairs (a conversation's scope); unset: every pair. */
export interface PairRestriction {
  pairIds?: readonly string[];
}

export interface FieldChange {
  field: 'title' | 'description' | 'severity' | 'status' | 'classification' | 'owner' | 'tags' | 'productNames' | 'additionalData' | 'comment' | 'lastModifiedBy';
  from: unknown;
  to: unknown;
  /** Where the change was first seen. */
  portal: Portal;
  /** Who made it, as the portal reports it, or the analyst for edits made through the bridge. */
  by: string;
  /** A concurrent, different edit of the same field on the other portal that lost the conflict rule. */
  overridden?: { portal: Portal; value: unknown };
}

export interface ChangeEvent {
  /** Unique and stable: a redelivered event carries the same id, so consumers can de-duplicate. */
  id: string;
  /** Monotonic position in the stream. */
  seq: number;
  kind: 'created' | 'updated' | 'merged';
  linkId: string;
  pairId: string;
  incident: IncidentView;
  changes: FieldChange[];
  /** Set on edits made through the bridge. */
  actor?: Actor;
  editRequestId?: string;
  occurredAt: string;
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
  /** Resolves when the request reaches a final state (or the signal aborts); for waiting on outcomes. */
  waitForEditOutcome(requestId: string, signal?: AbortSignal): Promise<EditOutcome>;
  subscribe(consumer: ChangeConsumer): () => void;
}
