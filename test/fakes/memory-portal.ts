// In-memory portal client (src/sync/ports.ts) for unit tests of the watcher and link sync: it
// serves whatever incidents the test puts, as they are, without the mapping boundary, so a test can
// hand the engine a record the store refuses. Writes are recorded and applied naively.
import type { EditableField, Incident, IncidentComment, Portal } from '../../src/domain/incident.ts';
import { EDITABLE_FIELDS } from '../../src/domain/incident.ts';
import type { SentinelPortalClient } from '../../src/sync/ports.ts';
import { formatBridgeComment } from '../../src/domain/attribution.ts';

export interface MemoryPortal extends SentinelPortalClient {
  put(incident: Incident): void;
  readonly gets: string[];
}

export function createMemoryPortal(portal: Portal): MemoryPortal {
  const incidents = new Map<string, Incident>();
  const gets: string[] = [];
  const find = (id: string) => incidents.get(id) ?? null;
  return {
    portal,
    gets,
    put: (incident) => incidents.set(incident.id, incident),
    async *listChangedSince(since) {
      yield [...incidents.values()].filter((incident) => since === undefined || incident.lastUpdatedAt >= since).sort((a, b) => a.lastUpdatedAt.localeCompare(b.lastUpdatedAt));
    },
    async get(id) {
      gets.push(id);
      return find(id);
    },
    async update(id, patch) {
      const current = find(id);
      if (!current) throw new Error(`no incident ${id}`);
      const next = { ...current, ...Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) } as Incident;
      incidents.set(id, next);
      return next;
    },
    async addComment(id, bridgeComment): Promise<IncidentComment> {
      const current = find(id);
      if (!current) throw new Error(`no incident ${id}`);
      const comment = { text: formatBridgeComment(bridgeComment), author: 'app', createdAt: current.lastUpdatedAt };
      incidents.set(id, { ...current, comments: [...current.comments, comment] });
      return comment;
    },
    async listComments(id) {
      return find(id)?.comments ?? [];
    },
    writableFields: () => new Set<EditableField>(EDITABLE_FIELDS),
    async findByProviderIncidentId(graphId) {
      return [...incidents.values()].find((incident) => incident.providerIncidentId === graphId) ?? null;
    },
  };
}
