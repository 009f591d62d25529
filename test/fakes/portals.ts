// Hand-written fakes of the two portal clients over one in-memory incident each, for unit tests of
// the write path under real concurrency. Every call awaits a delay the test chooses (so writers
// interleave), Defender PATCHes whole values without an etag (as Graph does), Sentinel checks the
// etag of the base it writes on and re-reads after a Conflict (as the ARM client does), and a
// comment write can be made to land while its answer is lost.
import { PortalError } from '../../src/domain/errors.ts';
import { EDITABLE_FIELDS, type Incident, type IncidentComment, type IncidentPatch, type Portal } from '../../src/domain/incident.ts';
import { formatBridgeComment, type BridgeComment } from '../../src/domain/attribution.ts';
import { resolveEdit } from '../../src/portals/capability.ts';
import type { IncidentEdit, PortalClient, SentinelPortalClient } from '../../src/sync/ports.ts';
import { defenderIncident, sentinelIncident } from '../sync/fixtures.ts';

export interface FakePortal {
  incident: Incident;
  /** Calls that wrote (PATCH/PUT) and comments posted, for assertions. */
  writes: number;
  /** The next `n` comment writes land but answer with a timeout. */
  loseCommentAnswers: number;
  /** The next `n` field writes are refused (400), as for a value the portal does not accept. */
  refuseWrites: number;
  /** Runs once, between the read a write is based on and the write (a portal user racing it). */
  beforeWrite?: () => void;
}

export interface FakePortals {
  defender: FakePortal;
  sentinel: FakePortal;
  clients: { defender: PortalClient; sentinel: SentinelPortalClient };
  /** A portal user's change, applied at once (not through the bridge). */
  portalUser(portal: Portal, change: (incident: Incident) => Partial<Incident>): void;
}

export function createFakePortals(options: { delay?: () => number } = {}): FakePortals {
  const delay = options.delay ?? (() => 0);
  const pause = () => new Promise((resolve) => setTimeout(resolve, delay()));
  let clock = 0;
  const stamp = () => new Date(Date.parse('2026-03-01T10:00:00.000Z') + ++clock).toISOString();
  const portals: Record<Portal, FakePortal> = {
    defender: { incident: defenderIncident(), writes: 0, loseCommentAnswers: 0, refuseWrites: 0 },
    sentinel: { incident: sentinelIncident({ etag: 'v0' }), writes: 0, loseCommentAnswers: 0, refuseWrites: 0 },
  };
  let etag = 0;
  const change = (portal: Portal, next: Partial<Incident>): void => {
    portals[portal].incident = { ...portals[portal].incident, ...next, lastUpdatedAt: stamp(), ...(portal === 'sentinel' ? { etag: `v${++etag}` } : {}) };
  };
  const apply = (patch: IncidentPatch): Partial<Incident> => {
    const next: Partial<Incident> = {};
    if (patch.title !== undefined) next.title = patch.title;
    if (patch.description !== undefined) next.description = patch.description;
    if (patch.severity !== undefined) next.severity = patch.severity;
    if (patch.status !== undefined) next.status = patch.status;
    if (patch.classification !== undefined) next.classification = patch.classification;
    if (patch.owner !== undefined) next.owner = patch.owner;
    if (patch.tags !== undefined) next.tags = [...patch.tags];
    return next;
  };
  const copy = (incident: Incident): Incident => ({ ...incident, tags: [...incident.tags], comments: [...incident.comments] });

  function client(portal: Portal): SentinelPortalClient {
    const state = portals[portal];
    const addComment = async (_id: string, bridgeComment: BridgeComment): Promise<IncidentComment> => {
      await pause();
      const comment = { text: formatBridgeComment(bridgeComment), author: 'app', createdAt: stamp() };
      change(portal, { comments: [...state.incident.comments, comment] });
      state.writes++;
      await pause();
      if (state.loseCommentAnswers > 0) {
        state.loseCommentAnswers--;
        throw new PortalError(portal, 'unavailable', `${portal} comment write timed out (the fake kept it)`);
      }
      return comment;
    };
    return {
      portal,
      async *listChangedSince() {
        yield [copy(state.incident)];
      },
      async get() {
        await pause();
        return copy(state.incident);
      },
      async findByProviderIncidentId() {
        return copy(portals.sentinel.incident);
      },
      async update(_id: string, edit: IncidentEdit, base?: Incident): Promise<Incident> {
        if (state.refuseWrites > 0) {
          state.refuseWrites--;
          throw new PortalError(portal, 'bad-request', `${portal} refused the write`);
        }
        if (portal === 'defender') {
          // Graph: the edit is computed on the caller's view (or a read), then PATCHed whole.
          const view = base ?? copy(state.incident);
          await pause();
          const patch = resolveEdit(edit, () => view);
          if (patch) {
            change(portal, apply(patch));
            state.writes++;
          }
          return copy(state.incident);
        }
        // ARM: PUT on the base's etag; a Conflict re-reads and computes the edit again.
        let view = base ?? copy(state.incident);
        for (let attempt = 0; attempt < 3; attempt++) {
          const patch = resolveEdit(edit, () => view);
          if (!patch) return view;
          await pause();
          const racing = state.beforeWrite;
          delete state.beforeWrite;
          racing?.();
          if (state.incident.etag === view.etag) {
            change(portal, apply(patch));
            state.writes++;
            return copy(state.incident);
          }
          view = copy(state.incident);
        }
        throw new PortalError('sentinel', 'conflict', 'kept changing');
      },
      addComment,
      async listComments() {
        await pause();
        return [...state.incident.comments];
      },
      writableFields: () => new Set(portal === 'defender' ? EDITABLE_FIELDS.filter((field) => field !== 'severity') : EDITABLE_FIELDS),
    };
  }

  return {
    ...portals,
    clients: { defender: client('defender'), sentinel: client('sentinel') },
    portalUser(portal, edit) {
      change(portal, edit(portals[portal].incident));
    },
  };
}
