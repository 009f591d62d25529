// Sentinel incidents through ARM Microsoft.SecurityInsights (stable 2025-09-01), as a PortalClient.
import { createHash } from 'node:crypto';
import { PortalError } from '../../domain/errors.ts';
import type { EditableField, Incident, IncidentComment } from '../../domain/incident.ts';
import type { IncidentEdit, ListChangedOptions, SentinelPortalClient } from '../../sync/ports.ts';
import { formatBridgeComment, type BridgeComment } from '../../domain/attribution.ts';
import { assertWritable, resolveEdit, SILENT_LOGGER, writableSet } from '../capability.ts';
import { invalidResponse } from '../http/errors.ts';
import { isObject, isoInstant, str } from '../wire.ts';
import { armFailure, type ArmResponse } from './arm-pipeline.ts';
import { createArmWorkspace, type ArmWorkspaceOptions } from './common.ts';
import { applyPatchToArm, armCommentToDomain, armIncidentToDomain } from './mapping.ts';

/** Incidents_List documents `$top` with "maximum": 1000. */
export const ARM_MAX_PAGE_SIZE = 1000;
/** Re-read and re-apply on an etag Conflict at most this many times in total. */
export const SENTINEL_UPDATE_ATTEMPTS = 3;

export type SentinelClientOptions = ArmWorkspaceOptions & {
  /** Capability profile. Default: every editable field. */
  writableFields?: readonly EditableField[];
  /** Default page size for listChangedSince (clamped to 1..1000). Default 1000. */
  pageSize?: number;
};

const INCIDENT_ID = /^[A-Za-z0-9-]{1,128}$/;

/** A stable comment id from the caller's key, so a retried addComment overwrites rather than duplicates. */
export function commentIdFromKey(commentKey: string): string {
  const hex = createHash('sha256').update(`incident-bridge:${commentKey}`).digest('hex');
  // Shaped like a UUID (version nibble 5-like), which is what the portal itself uses for comment ids.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function createSentinelClient(options: SentinelClientOptions): SentinelPortalClient {
  const writable = writableSet('sentinel', options.writableFields);
  const log = options.logger ?? SILENT_LOGGER;
  const { requester, basePath, now } = createArmWorkspace(options);
  const defaultPageSize = clampPageSize(options.pageSize ?? ARM_MAX_PAGE_SIZE);
  const mapping = { log, ...(options.tenantId ? { tenantId: options.tenantId } : {}) };

  const incidentPath = (id: string) => {
    if (!INCIDENT_ID.test(id)) throw new TypeError(`"${String(id).slice(0, 40)}" is not a Sentinel incident id (the incident's resource name, a GUID)`);
    return `${basePath}/incidents/${id}`;
  };

  function ok(response: ArmResponse, what: string): unknown {
    if (response.status >= 200 && response.status < 300) return response.body;
    throw armFailure('sentinel', what, response, now());
  }

  async function* pages(firstPath: string, what: string, signal?: AbortSignal): AsyncGenerator<unknown[]> {
    let next: string | undefined = firstPath;
    while (next) {
      const page = ok(await requester.send('GET', next, { what, operation: 'list', ...(signal ? { signal } : {}) }), what);
      if (!isObject(page) || !Array.isArray(page.value)) throw invalidResponse('sentinel', what, 'the page has no value array');
      yield page.value;
      next = str(page.nextLink) || undefined;
    }
  }

  // The last raw resource seen per incident (from a list page or a GET). An update whose base view
  // carries the same etag PUTs on top of it without a GET; a stale one gets 409 and re-reads. ARM's
  // write bucket (10/s) is the sync's floor, so every read saved shortens a burst's read side.
  const lastSeen = new Map<string, { etag: string; raw: unknown }>();
  const LAST_SEEN_LIMIT = 5000;
  function remember(raw: unknown): void {
    if (!isObject(raw) || typeof raw.name !== 'string' || typeof raw.etag !== 'string') return;
    lastSeen.delete(raw.name);
    lastSeen.set(raw.name, { etag: raw.etag, raw });
    if (lastSeen.size > LAST_SEEN_LIMIT) lastSeen.delete(lastSeen.keys().next().value as string);
  }

  async function readRaw(id: string): Promise<unknown | null> {
    const what = `GET incident ${id}`;
    const response = await requester.send('GET', incidentPath(id), { what, operation: 'get' });
    if (response.status === 404) return null;
    const raw = ok(response, what);
    remember(raw);
    return raw;
  }

  async function listComments(id: string): Promise<IncidentComment[]> {
    const comments: IncidentComment[] = [];
    for await (const page of pages(`${incidentPath(id)}/comments`, `list comments of incident ${id}`)) {
      for (const raw of page) {
        const comment = armCommentToDomain(raw);
        if (comment) comments.push(comment);
      }
    }
    return comments.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  return {
    portal: 'sentinel',

    async *listChangedSince(since: string | undefined, listOptions: ListChangedOptions = {}): AsyncIterable<Incident[]> {
      const top = listOptions.pageSize !== undefined ? clampPageSize(listOptions.pageSize) : defaultPageSize;
      const query = [`$top=${top}`];
      // Inclusive: an incident modified exactly at the cursor is listed again; the caller de-duplicates.
      if (since !== undefined) query.push(`$filter=${encodeURIComponent(`properties/lastModifiedTimeUtc ge ${isoInstant(since, 'since')}`)}`);
      for await (const page of pages(`${basePath}/incidents?${query.join('&')}`, 'list incidents', listOptions.signal)) {
        yield page.map((raw) => {
          remember(raw);
          return armIncidentToDomain(raw, mapping);
        });
      }
    },

    async get(id: string): Promise<Incident | null> {
      const raw = await readRaw(id);
      return raw === null ? null : armIncidentToDomain(raw, mapping);
    },

    async findByProviderIncidentId(graphId: string): Promise<Incident | null> {
      if (typeof graphId !== 'string' || graphId.length === 0 || graphId.length > 128) throw new TypeError('a Defender incident id is a non-empty string');
      // OData string literal: single quotes are doubled.
      const filter = `properties/providerIncidentId eq '${graphId.replace(/'/g, "''")}'`;
      for await (const page of pages(`${basePath}/incidents?$top=50&$filter=${encodeURIComponent(filter)}`, `find incident for Defender ${graphId}`)) {
        for (const raw of page) {
          const incident = armIncidentToDomain(raw, mapping);
          if (incident.providerIncidentId === graphId) return incident;
        }
      }
      return null;
    },

    /**
     * GET (fresh etag) -> compute the edit on it -> PUT with the etag in the body. On 409 Conflict
     * (someone wrote in between) the incident is re-read and the edit computed again on the fresh
     * read, up to 3 attempts in all; then PortalError 'conflict'. An edit that computes to nothing
     * writes nothing. ARM has no way to write on behalf of a user either: the change is credited to
     * the app's service principal, so `actor` is not sent; the caller adds an audit comment.
     */
    async update(id: string, edit: IncidentEdit, base?: Incident): Promise<Incident> {
      const what = `PUT incident ${id}`;
      let lastConflict: PortalError | undefined;
      for (let attempt = 1; attempt <= SENTINEL_UPDATE_ATTEMPTS; attempt += 1) {
        const seen = lastSeen.get(id);
        const reuse = attempt === 1 && base?.etag !== undefined && seen?.etag === base.etag;
        const current = reuse ? seen.raw : await readRaw(id);
        if (current === null) throw new PortalError('sentinel', 'not-found', `Sentinel incident ${id} does not exist (HTTP 404); nothing was written`);
        const patch = resolveEdit(edit, () => armIncidentToDomain(current, mapping));
        if (patch === null) return armIncidentToDomain(current, mapping);
        assertWritable('sentinel', writable, patch);
        const body = applyPatchToArm(current, patch, log);
        const response = await requester.send('PUT', incidentPath(id), { body, what, operation: 'write' });
        if (response.status === 409 || response.status === 412) {
          lastConflict = armFailure('sentinel', what, response, now());
          log.warn({ portal: 'sentinel', incidentId: id, attempt }, 'etag conflict; re-reading and re-applying');
          continue;
        }
        const written = ok(response, what);
        remember(written);
        return armIncidentToDomain(written, mapping);
      }
      throw new PortalError(
        'sentinel',
        'conflict',
        `Sentinel incident ${id} kept changing underneath us: ${SENTINEL_UPDATE_ATTEMPTS} writes in a row hit a newer version. It is retried later.`,
        { ...(lastConflict ? { cause: lastConflict } : {}), status: 409 },
      );
    },

    /** PUT comments/{id} with an id derived from `commentKey`: repeating the call rewrites the same comment. */
    async addComment(id: string, comment: BridgeComment, commentKey: string): Promise<IncidentComment> {
      if (typeof commentKey !== 'string' || commentKey.length === 0) throw new TypeError('commentKey is required (it makes the comment write idempotent)');
      const commentId = commentIdFromKey(commentKey);
      const what = `PUT comment on incident ${id}`;
      const body = { properties: { message: formatBridgeComment(comment) } };
      const raw = ok(await requester.send('PUT', `${incidentPath(id)}/comments/${commentId}`, { body, what, operation: 'comment' }), what);
      const written = armCommentToDomain(raw);
      if (!written) throw invalidResponse('sentinel', what, 'the comment has no message');
      return written;
    },

    listComments,

    writableFields: () => writable,
  };
}

function clampPageSize(size: number): number {
  return Math.max(1, Math.min(ARM_MAX_PAGE_SIZE, Math.floor(Number.isFinite(size) ? size : ARM_MAX_PAGE_SIZE)));
}
