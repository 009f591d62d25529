// The sync engine's public API, as the Teams side (bot, cards, approvals) sees it.
// The bot depends on these types only, never on portal clients or the store.
import type { Actor, Severity, Status } from '../domain/incident.ts';
import type { ChangeEvent, IncidentView } from '../domain/change-events.ts';
import type { EditChanges, EditOutcome } from '../domain/edits.ts';

export interface EditRequest {
  /** Same key, same request: a retried card click or command is accepted once. */
  idempotencyKey: string;
  /** Defender incident id, Sentinel incident number, or the bridge link id. */
  incidentRef: string;
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
  limit?: number;
}

/** Restricts a lookup to some pairs (a conversation's scope); unset: every pair. */
export interface PairRestriction {
  pairIds?: readonly string[];
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
