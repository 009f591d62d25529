// A fake bridge that behaves, seen from Teams, like the sync engine: an accepted edit is applied to
// both sides of the incident, completed, and announced as a ChangeEvent, the way the engine
// announces a write it has read back. Built on the in-memory fake (test/fakes/bridge.ts), which on
// its own leaves incidents untouched and edits 'accepted' until a test settles them.
//
// Not a sync engine: no portals, no conflicts, no retries. Enough to drive the real bot through
// a real client end to end until the full product is wired.
import type { Incident, Portal } from '../../../src/domain/incident.ts';
import type { EditRequest } from '../../../src/sync/api.ts';
import { formatBridgeComment, fromTeams } from '../../../src/domain/attribution.ts';
import type { ChangeEvent, FieldChange, IncidentView } from '../../../src/domain/change-events.ts';
import { createFakeBridge, type FakeBridge, type FakeBridgeOptions } from '../../fakes/bridge.ts';

export interface ApplyingBridge extends FakeBridge {
  /** Announces the incident as new (kind 'created'), as the engine does when a watcher first sees it. */
  announce(linkId: string): Promise<ChangeEvent>;
  /** Resolves when every edit submitted so far has been applied and announced. */
  idle(): Promise<void>;
  /** Failures of applying or announcing an edit (e.g. a consumer threw); a test asserts it stays empty. */
  readonly errors: unknown[];
}

const PRIMARY: Portal = 'defender';

function sidesOf(view: IncidentView): Incident[] {
  return [view.defender, view.sentinel].filter((incident): incident is Incident => incident !== null);
}

/** Applies the request to both sides; returns what changed, as the engine would report it. */
export function applyEdit(view: IncidentView, request: EditRequest, at: string): { view: IncidentView; changes: FieldChange[] } {
  const next = structuredClone(view);
  const primary = next.defender ?? next.sentinel;
  if (!primary) return { view: next, changes: [] };
  const by = request.actor.displayName;
  const changes: FieldChange[] = [];
  const record = (field: FieldChange['field'], from: unknown, to: unknown) => changes.push({ field, from, to, portal: PRIMARY, by, fromTeams: true });
  const edit = request.changes;

  if (edit.severity !== undefined && edit.severity !== primary.severity) record('severity', primary.severity, edit.severity);
  if (edit.status !== undefined && edit.status !== primary.status) record('status', primary.status, edit.status);
  if (edit.classification !== undefined && edit.classification !== primary.classification) record('classification', primary.classification, edit.classification);
  if (edit.owner !== undefined) record('owner', primary.owner, edit.owner);
  const removed = new Set((edit.tagsRemove ?? []).map((tag) => tag.toLowerCase()));
  const tags = [...primary.tags.filter((tag) => !removed.has(tag.toLowerCase())), ...(edit.tagsAdd ?? []).filter((tag) => !primary.tags.includes(tag))];
  if (tags.join('\u0000') !== primary.tags.join('\u0000')) record('tags', primary.tags, tags);
  if (edit.comment !== undefined) record('comment', null, edit.comment);

  for (const incident of sidesOf(next)) {
    if (edit.severity !== undefined) incident.severity = edit.severity;
    if (edit.status !== undefined) incident.status = edit.status;
    if (edit.classification !== undefined) incident.classification = edit.classification;
    if (edit.owner !== undefined) incident.owner = edit.owner;
    incident.tags = [...tags];
    // As the portals show the bridge's writes: the comment attributed in its text, by the app.
    if (edit.comment !== undefined) incident.comments = [...incident.comments, { text: formatBridgeComment({ kind: 'comment', author: by, text: edit.comment }), author: 'API-App:e2e', createdAt: at }];
    // As the engine shows a portal it wrote for an analyst.
    incident.lastModifiedBy = fromTeams(by);
    incident.lastUpdatedAt = at;
  }
  return { view: next, changes };
}

export function createApplyingBridge(options: FakeBridgeOptions = {}): ApplyingBridge {
  const now = options.now ?? (() => new Date());
  const fake = createFakeBridge(options);
  const submitToFake = fake.submitEdit;
  const errors: unknown[] = [];
  const inFlight = new Set<Promise<void>>();
  let seq = 0;
  const nextEventId = () => {
    seq += 1;
    return { id: `e2e-evt-${seq}`, seq };
  };

  async function applyAndAnnounce(requestId: string, request: EditRequest): Promise<void> {
    const view = await fake.findIncident(request.linkId);
    if (!view) {
      await fake.failEdit(requestId, 'the incident is gone');
      return;
    }
    const at = now().toISOString();
    const applied = applyEdit(view, request, at);
    fake.put(applied.view);
    // As the engine does: the read-back announces the change, then the outcome follows.
    await fake.emit({
      ...nextEventId(),
      kind: 'updated',
      linkId: view.linkId,
      pairId: view.pairId,
      incident: applied.view,
      changes: applied.changes,
      actor: request.actor,
      editRequestId: requestId,
      occurredAt: at,
    });
    await fake.completeEdit(requestId);
  }

  const submitEdit: FakeBridge['submitEdit'] = async (request) => {
    const result = await submitToFake(request);
    if (!result.duplicate && result.outcome.state === 'accepted') {
      // After the submit returned, as the engine's write jobs run after the request is stored.
      const work: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => applyAndAnnounce(result.requestId, request))
        .catch((error: unknown) => {
          errors.push(error);
        })
        .finally(() => inFlight.delete(work));
      inFlight.add(work);
    }
    return result;
  };

  return Object.assign(fake, {
    submitEdit,
    errors,
    async announce(linkId: string): Promise<ChangeEvent> {
      const view = await fake.findIncident(linkId);
      if (!view) throw new Error(`applying bridge: no incident ${linkId}; put() it first`);
      const event: ChangeEvent = { ...nextEventId(), kind: 'created', linkId: view.linkId, pairId: view.pairId, incident: view, changes: [], occurredAt: now().toISOString() };
      await fake.emit(event);
      return event;
    },
    async idle(): Promise<void> {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  });
}
