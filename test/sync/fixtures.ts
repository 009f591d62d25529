// Test helpers for the pure sync modules: incident builders and a minimal model of what each
// portal shows after a write, so tests can apply reconcile's output and poll again.
import type { EditableField, Incident, IncidentComment, IncidentPatch, Portal } from '../../src/domain/incident.ts';
import { EDITABLE_FIELDS } from '../../src/domain/incident.ts';
import { formatBridgeComment } from '../../src/domain/attribution.ts';
import { projectStatus } from '../../src/sync/projection.ts';
import type { CommentCopy, ReconcileInput, ReconcileResult } from '../../src/sync/reconcile.ts';
import { reconcile } from '../../src/sync/reconcile.ts';

export const T0 = '2026-03-01T10:00:00.000Z';

export function at(minutes: number): string {
  return new Date(Date.parse(T0) + minutes * 60_000).toISOString();
}

/** What both portals show of the same incident when they agree. */
const SAME_ON_BOTH_PORTALS = {
  title: 'Multi-stage incident on one endpoint',
  description: 'Suspicious PowerShell activity',
  severity: 'medium',
  classification: 'undetermined',
  owner: null,
  tags: [],
  systemTags: [],
  additionalData: { alertsCount: 1, productNames: ['microsoftDefenderForEndpoint'], tactics: ['Execution'], techniques: ['T1059'] },
  comments: [],
  lastModifiedBy: 'alice@contoso.com',
  createdAt: T0,
  lastUpdatedAt: T0,
} satisfies Partial<Incident>;

export function defenderIncident(overrides: Partial<Incident> = {}): Incident {
  return {
    portal: 'defender',
    id: '29',
    providerIncidentId: '29',
    tenantId: 'tenant-1',
    ...SAME_ON_BOTH_PORTALS,
    status: 'active',
    webUrl: 'https://security.microsoft.com/incident2/29/overview?tid=tenant-1',
    ...overrides,
  };
}

export function sentinelIncident(overrides: Partial<Incident> = {}): Incident {
  return {
    portal: 'sentinel',
    id: '7cc984fe-61a2-43c2-a1a4-3583c8a89da2',
    incidentNumber: 4711,
    providerIncidentId: '29',
    providerName: 'Microsoft XDR',
    ...SAME_ON_BOTH_PORTALS,
    status: 'new',
    webUrl: 'https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/x',
    ...overrides,
  };
}

export function comment(text: string, minutes: number, author = 'Alice'): IncidentComment {
  return { text, author, createdAt: at(minutes) };
}

export const ALL_WRITABLE: ReadonlySet<EditableField> = new Set(EDITABLE_FIELDS);
/** Graph's documented PATCH set (2025 revision): everything but severity. */
export const DEFENDER_PROFILE: ReadonlySet<EditableField> = new Set(EDITABLE_FIELDS.filter((field) => field !== 'severity'));
export const WRITABLE = { defender: DEFENDER_PROFILE, sentinel: ALL_WRITABLE };
export const EVERYTHING_WRITABLE = { defender: ALL_WRITABLE, sentinel: ALL_WRITABLE };

/** The bridge's app identity as Graph reports it in lastModifiedBy after the bridge writes. */
export const BRIDGE_IDENTITY = 'API-App:incident-bridge';

/** What a portal shows after the bridge PATCHes/PUTs `patch` at `when`. */
export function applyPatch(incident: Incident, patch: IncidentPatch, when: string): Incident {
  const next: Incident = { ...incident, lastUpdatedAt: when, lastModifiedBy: BRIDGE_IDENTITY };
  if (patch.title !== undefined) next.title = patch.title;
  if (patch.description !== undefined) next.description = patch.description;
  if (patch.severity !== undefined) next.severity = patch.severity;
  if (patch.status !== undefined) next.status = projectStatus(incident.portal, patch.status);
  if (patch.classification !== undefined) next.classification = patch.classification;
  if (patch.determination !== undefined) next.determination = patch.determination;
  if (patch.classificationComment !== undefined) next.classificationComment = patch.classificationComment;
  if (patch.owner !== undefined) {
    // Graph's assignedTo holds a UPN only; Sentinel keeps the whole owner.
    next.owner = patch.owner === null ? null : incident.portal === 'defender' ? { upn: patch.owner.upn ?? patch.owner.displayName ?? '' } : { ...patch.owner };
  }
  if (patch.tags !== undefined) next.tags = [...patch.tags];
  return next;
}

/** What a portal shows after the bridge posts attributed copies of `copies` at `when`. */
export function applyCopies(incident: Incident, copies: readonly CommentCopy[], when: string): Incident {
  if (copies.length === 0) return incident;
  const added = copies.map((copy) => ({
    text: formatBridgeComment({ kind: 'copy', author: copy.author, text: copy.text, from: copy.source }),
    author: 'incident-bridge',
    createdAt: when,
  }));
  return { ...incident, comments: [...incident.comments, ...added], lastUpdatedAt: when, lastModifiedBy: BRIDGE_IDENTITY };
}

/** Applies a reconcile result to both portals, as the engine does after a successful run. */
export function applyResult(
  pair: { defender: Incident; sentinel: Incident | null },
  result: ReconcileResult,
  when: string,
): { defender: Incident; sentinel: Incident | null } {
  const writes = (portal: Portal, incident: Incident): Incident => {
    const patch = result.writes[portal];
    const touched = Object.values(patch).some((value) => value !== undefined) ? applyPatch(incident, patch, when) : incident;
    return applyCopies(touched, portal === 'defender' ? result.comments.toDefender : result.comments.toSentinel, when);
  };
  return {
    defender: writes('defender', pair.defender),
    sentinel: pair.sentinel ? writes('sentinel', pair.sentinel) : null,
  };
}

export function run(input: Omit<ReconcileInput, 'writable'> & { writable?: ReconcileInput['writable'] }): ReconcileResult {
  return reconcile({ writable: WRITABLE, bridgeIdentities: [BRIDGE_IDENTITY], ...input });
}

/** Reconciles a pair to agreement (first sight + apply), returning the settled pair and snapshot. */
export function settle(defender: Incident, sentinel: Incident, writable = WRITABLE) {
  const first = run({ defender, sentinel, snapshot: null, writable });
  const pair = applyResult({ defender, sentinel }, first, at(1));
  const second = run({ defender: pair.defender, sentinel: pair.sentinel, snapshot: first.nextSnapshot, writable });
  return { pair: { defender: pair.defender, sentinel: pair.sentinel as Incident }, snapshot: second.nextSnapshot, first, second };
}
