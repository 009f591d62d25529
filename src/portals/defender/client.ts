// Defender XDR incidents through Microsoft Graph v1.0 /security/incidents, as a PortalClient.
import { GraphError, type Client } from '@microsoft/microsoft-graph-client';
import type { TokenCredential } from '@azure/identity';
import { PortalError } from '../../domain/errors.ts';
import type { EditableField, Incident, IncidentComment } from '../../domain/incident.ts';
import type { IncidentEdit, ListChangedOptions, PortalClient } from '../../sync/ports.ts';
import { formatBridgeComment, type BridgeComment } from '../../domain/attribution.ts';
import { assertWritable, resolveEdit, SILENT_LOGGER, writableSet, type PortalLogger } from '../capability.ts';
import { type PortalAuthority, type PortalIdentity } from '../http/credential.ts';
import { invalidResponse } from '../http/errors.ts';
import { type FetchLike } from '../http/fetch.ts';
import { resolveRetryOptions, type RetryPolicyOptions, type Sleep } from '../http/retry.ts';
import { isObject, isoInstant, str } from '../wire.ts';
import type { PortalOperation, PortalRequestRecorder } from '../http/request-recorder.ts';
import { connectGraph, forOperation, graphFailureToPortalError } from './graph-pipeline.ts';
import { domainPatchToGraph, graphCommentToDomain, graphIncidentToDomain } from './mapping.ts';

/** Documented maximum: `$top` above 50 is refused with 400 ("The limit of '50' for Top query has been exceeded"). */
export const GRAPH_MAX_PAGE_SIZE = 50;

export type DefenderClientOptions = PortalAuthority & PortalIdentity & DefenderClientSettings;

export interface DefenderClientSettings {
  /** https://graph.microsoft.com, or the simulator URL. */
  graphEndpoint: string;
  /** Extra CA to trust (the simulators'); certificate checking is never switched off. */
  caCertPem?: string;
  /** Capability profile. Default: title, description, status, classification, owner, tags (not severity). */
  writableFields?: readonly EditableField[];
  retry?: Partial<RetryPolicyOptions>;
  /**
   * `$expand=alerts` on list and get (default true). Product names, tactics and techniques are only
   * derivable from the alerts; without it they are reported empty. It makes pages heavier, but it
   * is one call per page instead of one per incident.
   */
  expandAlerts?: boolean;
  logger?: PortalLogger;
  /** Told about every request sent (metrics). */
  requests?: PortalRequestRecorder;
  /** Test seams. */
  credential?: TokenCredential;
  fetch?: FetchLike;
  sleep?: Sleep;
  random?: () => number;
  now?: () => number;
}

export function createDefenderClient(options: DefenderClientOptions): PortalClient {
  const retry = resolveRetryOptions(options.retry);
  const writable = writableSet('defender', options.writableFields);
  const log = options.logger ?? SILENT_LOGGER;
  const now = options.now ?? Date.now;
  const expandAlerts = options.expandAlerts ?? true;
  const graphOrigin = new URL(options.graphEndpoint).origin;
  const client: Client = connectGraph(options, retry);

  const incidentPath = (id: string) => {
    if (typeof id !== 'string' || id.length === 0 || id.length > 128) throw new TypeError('a Defender incident id is a non-empty string');
    return `/security/incidents/${encodeURIComponent(id)}`;
  };

  async function call<T>(what: string, run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw graphFailureToPortalError('defender', what, error, signal, now());
    }
  }

  function request(path: string, operation: PortalOperation) {
    // Without this header Graph reports awaitingAction as unknownFutureValue (evolvable enum).
    return forOperation(client.api(path), operation).header('Prefer', 'include-unknown-enum-members');
  }

  async function readIncident(id: string): Promise<Incident | null> {
    try {
      const req = request(incidentPath(id), 'get');
      const raw: unknown = await (expandAlerts ? req.expand('alerts') : req).get();
      return graphIncidentToDomain(raw, { log });
    } catch (error) {
      if (error instanceof GraphError && error.statusCode === 404) return null;
      if (error instanceof PortalError) throw error;
      throw graphFailureToPortalError('defender', `GET incident ${id}`, error, undefined, now());
    }
  }

  async function mustRead(id: string): Promise<Incident> {
    const fresh = await readIncident(id);
    if (!fresh) throw new PortalError('defender', 'not-found', `Defender incident ${id} does not exist (HTTP 404)`);
    return fresh;
  }

  return {
    portal: 'defender',

    async *listChangedSince(since: string | undefined, listOptions: ListChangedOptions = {}): AsyncIterable<Incident[]> {
      const top = Math.max(1, Math.min(GRAPH_MAX_PAGE_SIZE, Math.floor(listOptions.pageSize ?? GRAPH_MAX_PAGE_SIZE)));
      const signal = listOptions.signal;
      let req = request('/security/incidents', 'list').top(top);
      // Inclusive: an incident updated exactly at the cursor is listed again; the caller de-duplicates.
      if (since !== undefined) req = req.filter(`lastUpdateDateTime ge ${isoInstant(since, 'since')}`);
      if (expandAlerts) req = req.expand('alerts');
      if (signal) req = req.option('signal', signal);
      let page: unknown = await call('list incidents', () => req.get(), signal);
      for (;;) {
        if (!isObject(page) || !Array.isArray(page.value)) throw invalidResponse('defender', 'list incidents', 'the page has no value array');
        yield page.value.map((raw) => graphIncidentToDomain(raw, { log }));
        const nextLink = str(page['@odata.nextLink']);
        if (!nextLink) return;
        if (new URL(nextLink).origin !== graphOrigin) {
          // Never follow (and send a token) to a host we were not configured for.
          throw invalidResponse('defender', 'list incidents', `@odata.nextLink points to another origin (${new URL(nextLink).origin})`);
        }
        let nextReq = request(nextLink, 'list');
        if (signal) nextReq = nextReq.option('signal', signal);
        page = await call('list incidents (next page)', () => nextReq.get(), signal);
      }
    },

    get: readIncident,

    /**
     * PATCHes the fields of the edit (Graph returns the full incident). A function edit is computed
     * on `base`, or on a fresh GET without one. Graph has no etag on incidents, so a portal user's
     * write between that read and the PATCH can still be overwritten: callers that must not lose a
     * delta read back and re-apply. Graph has no way to write on behalf of a user: lastModifiedBy
     * becomes the app ("API-App:..."); the caller names the analyst in a change note (addComment).
     */
    async update(id: string, edit: IncidentEdit, base?: Incident): Promise<Incident> {
      const current = typeof edit === 'function' ? (base ?? (await readIncident(id))) : base;
      const patch = resolveEdit(edit, () => {
        if (!current) throw new PortalError('defender', 'not-found', `Defender incident ${id} does not exist (HTTP 404); nothing was written`);
        return current;
      });
      if (patch === null) return current ?? (await mustRead(id));
      assertWritable('defender', writable, patch);
      const body = domainPatchToGraph(patch, log);
      const raw: unknown = await call(`PATCH incident ${id}`, () => request(incidentPath(id), 'write').patch(body));
      if (isObject(raw) && Array.isArray(raw.alerts)) return graphIncidentToDomain(raw, { log });
      // A PATCH changes no alert, so the alert-derived facts of the view we wrote on top of still
      // hold: reuse them instead of spending a GET of the Graph budget (150 requests/min).
      if (isObject(raw) && typeof raw.id === 'string' && current?.id === id) {
        return { ...graphIncidentToDomain(raw, { log }), additionalData: current.additionalData, ...(current.alertDetails ? { alertDetails: current.alertDetails } : {}) };
      }
      // The PATCH response carries no alerts (and may be empty): read back for the full picture.
      return mustRead(id);
    },

    /**
     * Graph comments have no id, so `commentKey` cannot make this idempotent: the caller looks for
     * its `ref` before writing again when an answer was lost.
     */
    async addComment(id: string, bridgeComment: BridgeComment, _commentKey: string): Promise<IncidentComment> {
      const comment = formatBridgeComment(bridgeComment);
      const raw: unknown = await call(`POST comment on incident ${id}`, () =>
        request(`${incidentPath(id)}/comments`, 'comment').post({ '@odata.type': 'microsoft.graph.security.alertComment', comment }),
      );
      // The response is the incident's whole comment list; ours is the newest with this text.
      const list = isObject(raw) && Array.isArray(raw.value) ? raw.value.map(graphCommentToDomain) : [];
      const written = list.filter((c): c is IncidentComment => c !== null && c.text === comment).at(-1);
      return written ?? { text: comment, author: bridgeComment.author, createdAt: new Date(now()).toISOString() };
    },

    async listComments(id: string): Promise<IncidentComment[]> {
      return (await mustRead(id)).comments;
    },

    writableFields: () => writable,
  };
}
