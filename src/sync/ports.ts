// Ports the sync engine declares and the portal clients implement. The engine never sees an SDK.
import type { BridgeComment } from '../domain/attribution.ts';
import type { EditableField, Incident, IncidentComment, IncidentPatch, Portal } from '../domain/incident.ts';
import type { ConnectorConfig, ConnectorSnapshot } from '../domain/connector.ts';

/**
 * What to write: a patch, or a function from the incident as the portal now shows it to the patch
 * (an edit expressed as a delta, such as "add tag x"). A client that re-reads on a Conflict calls
 * the function again on the fresh read, so a retry never writes values computed from a stale one.
 * An empty patch writes nothing.
 */
export type IncidentEdit = IncidentPatch | ((current: Incident) => IncidentPatch);

export interface ListChangedOptions {
  signal?: AbortSignal;
  /** Page size hint; clients clamp it to the API's documented maximum (Graph 50, ARM 1000). */
  pageSize?: number;
}

/** One portal's incidents, in the domain model. */
export interface PortalClient {
  readonly portal: Portal;
  /**
   * Every incident whose last-modified time is >= `since` (inclusive, so nothing is lost at a
   * clock or page boundary; the caller de-duplicates), following all pages. `since` undefined
   * lists everything. Yields page by page.
   */
  listChangedSince(since: string | undefined, options?: ListChangedOptions): AsyncIterable<Incident[]>;
  /** null when the incident does not exist (404). */
  get(id: string): Promise<Incident | null>;
  /**
   * Writes `edit` (see IncidentEdit). Neither API can credit a person: the portals name the app,
   * and the bridge names the analyst in a comment and on its cards instead. Throws
   * PortalError with code 'not-writable' for a field the capability profile forbids. Sentinel
   * re-reads and re-applies the edit on an etag Conflict, a bounded number of times.
   * `base` is the freshest view the caller has: a function edit is computed on it (Defender reads
   * the incident first without it), and a client may use it to avoid a read-back.
   */
  update(id: string, edit: IncidentEdit, base?: Incident): Promise<Incident>;
  /**
   * Adds a comment the bridge writes, in the attribution format of domain/attribution.ts (who it
   * is from, and the request's ref when given, so a write whose answer was lost can be found).
   * `commentKey` makes the write idempotent where the API allows (Sentinel comment id).
   */
  addComment(id: string, comment: BridgeComment, commentKey: string): Promise<IncidentComment>;
  listComments(id: string): Promise<IncidentComment[]>;
  /** Fields this client may write through its API (the configured capability profile). */
  writableFields(): ReadonlySet<EditableField>;
}

/** Sentinel-only extras. */
export interface SentinelPortalClient extends PortalClient {
  /** The Sentinel incident that mirrors the Defender incident with this Graph id, or null. */
  findByProviderIncidentId(graphId: string): Promise<Incident | null>;
}

/** Reads and writes the Defender XDR connector's configuration in the Sentinel workspace. */
export interface ConnectorSettingsClient {
  read(): Promise<ConnectorSnapshot>;
  /**
   * Applies `next` on top of the snapshot it was computed from. Throws PortalError 'conflict'
   * when the base version is stale. Returns the configuration read back after writing.
   */
  write(base: ConnectorSnapshot, next: ConnectorConfig): Promise<ConnectorSnapshot>;
}

/** Durable jobs (pg-boss in production; an in-memory fake in unit tests). */
export interface JobOptions {
  /** Only one queued job per key: a burst of changes to one incident becomes one job. */
  singletonKey?: string;
  /** Delay before the job may run, in seconds. */
  startAfterSeconds?: number;
}

export interface JobContext {
  id: string;
  /** 0 on the first try. */
  retryCount: number;
}

export type JobHandler<T> = (data: T, context: JobContext) => Promise<void>;

export interface QueueDefinition {
  name: string;
  /** Retries before the job goes to the dead-letter queue. */
  retryLimit: number;
  /** Seconds before the first retry; doubled per retry when `retryBackoff`. */
  retryDelaySeconds: number;
  retryBackoff: boolean;
  /** Longest a job may run before it counts as failed (a hung portal call). */
  expireInSeconds: number;
}

export interface JobQueue {
  /** Creates (idempotently) a queue and its dead-letter queue. */
  define(queue: QueueDefinition): Promise<void>;
  /** Returns the job id, or null when a job with the same singletonKey is already queued. */
  send<T extends object>(queue: string, data: T, options?: JobOptions): Promise<string | null>;
  /**
   * send() of many jobs to one queue in one write: each is refused as send() would refuse it.
   * Returns how many were queued.
   */
  sendMany<T extends object>(queue: string, jobs: ReadonlyArray<{ data: T; options?: JobOptions }>): Promise<number>;
  /** Starts `concurrency` workers for the queue on this replica. */
  work<T extends object>(queue: string, options: { concurrency: number }, handler: JobHandler<T>): Promise<void>;
  /** Stops fetching; in-flight jobs finish (graceful) or return to the queue. */
  stop(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
}
