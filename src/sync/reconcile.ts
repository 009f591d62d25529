/**
 * reconcile: one poll's decision for one linked incident. Pure: no I/O, no clock, no randomness;
 * every instant comes from the input.
 *
 * Given the Defender incident, its Sentinel counterpart (or null) and the snapshot of what both
 * last agreed on (or null), it says what to write to each portal, which new comments to copy,
 * what to announce, which concurrent edits lost, and the snapshot to store once the writes succeed.
 *
 * THE CONFLICT RULE (documented behaviour, relied on by the engine and the cards)
 *
 * 1. Per field, three-way. A portal "changed" a field when its value differs from the snapshot as
 *    that portal can express it (projection.ts): Sentinel shows 'inProgress' and 'awaitingAction'
 *    as Active and has 'new'; Defender has no 'new' (it shows Active); classification maps through
 *    the canonical set; Defender severity 'unknown' is no value and never counts as a change.
 *    - One portal changed: the change is copied to the other.
 *    - Both changed to equivalent values (usually one edit the portals mirrored natively): nothing
 *      is written, the snapshot moves, the change is announced once, credited to the portal with
 *      the earlier lastUpdatedAt (the likelier author).
 *    - Both changed differently: a conflict. The portal with the later lastUpdatedAt wins; on a tie
 *      Defender wins (it is the incident's source). The loser's value is reported in `conflicts`
 *      and in the change's `overridden`.
 * 2. Fields: title, description, severity, status, classification, owner (same person when the
 *    lower-cased UPNs match, else the object ids), tags. determination and classificationComment
 *    ride along with a classification change (translated to the target's vocabulary, see
 *    determination.ts); a change to them alone is not propagated. A Sentinel write that closes an
 *    incident always carries the classification (and reason), because Sentinel refuses to close
 *    without one.
 * 3. Tags are a set merged per element: agreed ∪ added-on-either − removed-on-either, so concurrent
 *    tag edits on both portals all survive. A Sentinel incident seen for the first time only adds.
 * 4. Product names, alert data, Defender's alerts and their evidence, and last-modified-by are
 *    maintained by the portals: never written, announced when a portal's value moves to something
 *    not yet announced. A portal catching up
 *    with the other is silent; so are changes to last-modified-by that name the bridge itself
 *    (`bridgeIdentities`, or any change on a portal the bridge wrote since the last poll) or that
 *    accompany another announced change from the same portal.
 * 5. A field the target's API cannot write (capability profile) is not written: it is reported in
 *    `notWritable` (the portals' own sync is expected to carry it; tell the analyst), and the
 *    target's old value is remembered as awaiting native sync, so it is not mistaken for a change
 *    on the next poll. While it keeps showing that value it is listed in `awaitingNativeSync`.
 * 6. First sight (snapshot null): per field, equivalent values are agreed; otherwise the portal
 *    with the later lastUpdatedAt wins (tie: Defender) and the other is written. Comments present
 *    at first sight are history: recorded, not copied (the products themselves mirror only NEW
 *    comments). Every field is announced as a 'created' change. When Sentinel does not exist yet,
 *    nothing is written and the snapshot follows Defender; when it first appears, its fields are
 *    judged by the first-sight rule and its existing comments are history.
 * 7. Comments are matched by fingerprint (fingerprint.ts) and counted per portal. A comment NOT
 *    written by the bridge that one portal gained since the snapshot is new; as many as one portal
 *    gained beyond what the other gained too are copied to the other (text without attribution;
 *    the writer adds it). Comments the bridge wrote (attribution prefix) are never copied, so a
 *    copy never goes back to where it came from and native mirroring cannot loop. After copying an
 *    original, the native mirror of that same original may still arrive on the target: one that
 *    arrives within `nativeEchoWindowMs` of the original's creation is absorbed, not copied back.
 *    Comment edits are never synced (neither product syncs them): new text whose creation instant
 *    predates the previous poll is an edited comment, counted but not copied.
 * 8. Echoes: after the writes are applied and `nextSnapshot` stored, the next poll sees both
 *    portals agree with the snapshot and returns nothing to write, copy or announce.
 * 9. A merged Defender incident (status 'redirected') returns `merged` and writes nothing.
 */
import { CodedError } from '../domain/errors.ts';
import type { EditableField, Incident, IncidentPatch, Portal } from '../domain/incident.ts';
import type { FieldChange } from '../domain/change-events.ts';
import { SENTINEL_BENIGN_REASON, translateDetermination } from './determination.ts';
import { projectStatus, compareInstants } from './projection.ts';
import { decideComments, type CommentCopy } from './reconcile-comments.ts';
import { decideScalar, FIELD_MODELS, SCALAR_FIELDS, type FieldModel, type ScalarField } from './reconcile-fields.ts';
import { decideMaintained, isBridgeIdentity } from './reconcile-maintained.ts';
import { decideTags } from './reconcile-tags.ts';
import { SNAPSHOT_SCHEMA_VERSION, type AwaitingValues, type SyncedFieldValues, type SyncedSnapshot } from './snapshot.ts';

export type { SyncedSnapshot } from './snapshot.ts';
export { parseSyncedSnapshot } from './snapshot.ts';
export type { CommentCopy } from './reconcile-comments.ts';

/**
 * How long after a comment's creation the portals' own sync may still deliver its mirror. The
 * connector documentation says fields sync "immediately" once onboarded, but that several changes
 * within 5–10 minutes may arrive as one update; 30 minutes leaves room for that and for polling.
 */
export const DEFAULT_NATIVE_ECHO_WINDOW_MS = 30 * 60 * 1000;

export interface ReconcileInput {
  defender: Incident;
  /** null while the connector has not created the Sentinel counterpart yet. */
  sentinel: Incident | null;
  /** null at first sight. Read stored snapshots with parseSyncedSnapshot. */
  snapshot: SyncedSnapshot | null;
  writable: { defender: ReadonlySet<EditableField>; sentinel: ReadonlySet<EditableField> };
  /** lastModifiedBy values that mean the bridge itself (e.g. Graph's "API-App:<app id>"); compared case-insensitively. */
  bridgeIdentities?: readonly string[];
  nativeEchoWindowMs?: number;
}

export interface FieldRoute {
  portal: Portal;
  field: EditableField;
  /** The agreed value the portal should come to show. */
  value: unknown;
}

export interface FieldConflict {
  field: EditableField;
  winner: Portal;
  winnerValue: unknown;
  loserValue: unknown;
}

export interface ReconcileResult {
  /** Only fields that differ and the target can write. */
  writes: { defender: IncidentPatch; sentinel: IncidentPatch };
  /** The target's API cannot write it: rely on the portals' own sync, verify later, tell the analyst. */
  notWritable: FieldRoute[];
  /** Reported as notWritable on an earlier poll and still not carried over; not news. */
  awaitingNativeSync: FieldRoute[];
  /** New comments to copy; text WITHOUT attribution (the writer adds it). */
  comments: { toDefender: CommentCopy[]; toSentinel: CommentCopy[] };
  /** What to announce; empty when nothing happened. */
  changes: FieldChange[];
  conflicts: FieldConflict[];
  /** To store after the writes (and comment copies) succeed. Not before: a failed write re-runs. */
  nextSnapshot: SyncedSnapshot;
  /** Set when Defender merged this incident into another; nothing is written. */
  merged?: { into: string | null };
}

export type ReconcileErrorCode = 'reconcile-input';

export function reconcile(input: ReconcileInput): ReconcileResult {
  assertInput(input);
  const { defender } = input;
  if (defender.status === 'redirected' || defender.redirectIncidentId) {
    // The surviving incident carries on; this one only records its last state.
    const last = reconcileLinked({ ...input, sentinel: null });
    return {
      ...last,
      writes: { defender: {}, sentinel: {} },
      notWritable: [],
      awaitingNativeSync: [],
      comments: { toDefender: [], toSentinel: [] },
      merged: { into: defender.redirectIncidentId ?? null },
    };
  }
  return reconcileLinked(input);
}

function reconcileLinked(input: ReconcileInput): ReconcileResult {
  const { defender, sentinel, snapshot } = input;
  const incidents: Record<Portal, Incident | null> = { defender, sentinel };
  const bridgeIdentities = new Set((input.bridgeIdentities ?? []).map((identity) => identity.trim().toLowerCase()));
  const sentinelSeen = snapshot?.sentinelSeen ?? false;
  const order = sentinel ? compareInstants(sentinel.lastUpdatedAt, defender.lastUpdatedAt) : 0;
  const later: Portal = order > 0 ? 'sentinel' : 'defender';
  const earlier: Portal = order < 0 ? 'sentinel' : 'defender';

  const result: Omit<ReconcileResult, 'nextSnapshot' | 'comments'> = {
    writes: { defender: {}, sentinel: {} },
    notWritable: [],
    awaitingNativeSync: [],
    changes: [],
    conflicts: [],
  };
  const by = (portal: Portal): string => {
    const name = incidents[portal]?.lastModifiedBy ?? '';
    return name.trim() === '' || isBridgeIdentity(name, bridgeIdentities) ? 'unknown' : name;
  };
  const awaiting: AwaitingValues = {};
  const sources: Partial<Record<EditableField, Portal>> = {};
  const created: FieldChange[] = [];

  /** Sends the agreed value to `target`, or records that its API cannot take it. */
  const route = <F extends EditableField>(field: F, target: Portal, canonical: SyncedFieldValues[F], source: Portal): void => {
    const shown = readField(field, incidents[target] as Incident);
    if (input.writable[target].has(field)) {
      Object.assign(result.writes[target], patchFor(field, target, canonical, incidents[source] as Incident));
    } else {
      result.notWritable.push({ portal: target, field, value: canonical });
      setAwaiting(awaiting, field, target, shown);
    }
  };

  const values = {} as SyncedFieldValues;
  for (const field of SCALAR_FIELDS) {
    const decision = decideField(field, {
      defender,
      sentinel,
      base: snapshot ? snapshot[field] : undefined,
      sentinelSeen,
      awaiting: snapshot?.awaiting[field] ?? {},
      later,
      earlier,
    });
    (values as unknown as Record<ScalarField, unknown>)[field] = decision.canonical;
    sources[field] = decision.source;
    if (decision.change) {
      const { portal, from, to, overridden } = decision.change;
      result.changes.push({ field, from, to, portal, by: by(portal), ...(overridden ? { overridden } : {}) });
    }
    if (decision.conflict) result.conflicts.push({ field, ...decision.conflict });
    if (decision.target && sentinel) route(field, decision.target, decision.canonical as never, decision.source);
    for (const portal of decision.stillAwaiting) {
      setAwaiting(awaiting, field, portal, snapshot?.awaiting[field]?.[portal]);
      result.awaitingNativeSync.push({ portal, field, value: decision.canonical });
    }
    if (!snapshot) created.push(createdChange(field, decision.canonical, decision.conflict, by));
  }

  const tags = decideTags({
    defender: defender.tags,
    sentinel: sentinel?.tags ?? null,
    base: snapshot?.tags,
    sentinelSeen,
    awaiting: snapshot?.awaiting.tags ?? {},
    later,
    earlier,
  });
  values.tags = tags.canonical;
  for (const change of tags.changes) result.changes.push({ field: 'tags', from: change.from, to: change.to, portal: change.portal, by: by(change.portal) });
  if (tags.conflict) result.conflicts.push({ field: 'tags', ...tags.conflict });
  if (sentinel) for (const target of tags.targets) route('tags', target, tags.canonical, target === 'defender' ? 'sentinel' : 'defender');
  for (const portal of tags.stillAwaiting) {
    setAwaiting(awaiting, 'tags', portal, snapshot?.awaiting.tags?.[portal]);
    result.awaitingNativeSync.push({ portal, field: 'tags', value: tags.canonical });
  }
  if (!snapshot) created.push(createdChange('tags', tags.canonical, tags.conflict, by));

  requireClassificationWhenClosingSentinel(result.writes.sentinel, values, input, sources.classification ?? 'defender');

  const maintained = decideMaintained({
    defender,
    sentinel,
    previous: snapshot?.maintained ?? null,
    sentinelSeen,
    order: earlier === 'defender' ? ['defender', 'sentinel'] : ['sentinel', 'defender'],
    bridgeIdentities,
    bridgeWrote: snapshot?.bridgeWrote ?? [],
  });
  const comments = decideComments({
    defender,
    sentinel,
    tallies: snapshot?.comments ?? null,
    sentinelSeen,
    echoWindowMs: input.nativeEchoWindowMs ?? DEFAULT_NATIVE_ECHO_WINDOW_MS,
    previousSeenAt: snapshot?.seenAt ?? {},
  });

  if (snapshot) {
    const announcedBy = new Set(result.changes.flatMap((change) => (change.overridden ? [change.portal, change.overridden.portal] : [change.portal])));
    // Who made a change is already in that change's `by`; a separate last-modified-by notice would repeat it.
    result.changes.push(...maintained.changes.filter((change) => change.field !== 'lastModifiedBy' || !announcedBy.has(change.portal)));
    result.changes.push(...comments.changes);
  } else {
    result.changes.push(
      ...created,
      { field: 'productNames', from: null, to: maintained.maintained.productNames.announced, portal: 'defender', by: by('defender') },
      { field: 'additionalData', from: null, to: maintained.maintained.additionalData.announced, portal: 'defender', by: by('defender') },
    );
  }

  const copies = { defender: comments.toDefender, sentinel: comments.toSentinel };
  const bridgeWrote = (['defender', 'sentinel'] as const).filter(
    (portal) => incidents[portal] !== null && (Object.keys(result.writes[portal]).length > 0 || copies[portal].length > 0),
  );
  const classificationSource = incidents[sources.classification ?? 'defender'] ?? defender;
  const nextSnapshot: SyncedSnapshot = {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    sentinelSeen: sentinelSeen || sentinel !== null,
    ...values,
    ...(classificationSource.determination !== undefined ? { determination: classificationSource.determination } : {}),
    ...(classificationSource.classificationComment !== undefined ? { classificationComment: classificationSource.classificationComment } : {}),
    awaiting,
    maintained: maintained.maintained,
    comments: comments.tallies,
    seenAt: { defender: defender.lastUpdatedAt, ...(sentinel ? { sentinel: sentinel.lastUpdatedAt } : {}) },
    ...(bridgeWrote.length > 0 ? { bridgeWrote } : {}),
  };

  return { ...result, comments: { toDefender: comments.toDefender, toSentinel: comments.toSentinel }, nextSnapshot };
}

interface FieldInputs {
  defender: Incident;
  sentinel: Incident | null;
  base: unknown;
  sentinelSeen: boolean;
  awaiting: Partial<Record<Portal, unknown>>;
  later: Portal;
  earlier: Portal;
}

function decideField(field: ScalarField, inputs: FieldInputs): ReturnType<typeof decideScalar<unknown>> {
  const model = FIELD_MODELS[field] as FieldModel<unknown>;
  return decideScalar<unknown>({
    model,
    defender: model.read(inputs.defender),
    sentinel: inputs.sentinel ? { value: model.read(inputs.sentinel) } : null,
    base: inputs.base,
    sentinelSeen: inputs.sentinelSeen,
    awaiting: inputs.awaiting,
    later: inputs.later,
    earlier: inputs.earlier,
  });
}

function readField<F extends EditableField>(field: F, incident: Incident): SyncedFieldValues[F] {
  if (field === 'tags') return incident.tags as SyncedFieldValues[F];
  return (FIELD_MODELS[field as ScalarField] as FieldModel<SyncedFieldValues[F]>).read(incident);
}

function setAwaiting(awaiting: AwaitingValues, field: EditableField, portal: Portal, value: unknown): void {
  if (value === undefined) return;
  const entry = (awaiting[field] ?? {}) as Partial<Record<Portal, unknown>>;
  entry[portal] = value;
  (awaiting as Record<string, unknown>)[field] = entry;
}

/** The patch that makes `target` show the canonical value, in the target's own vocabulary. */
function patchFor<F extends EditableField>(field: F, target: Portal, canonical: SyncedFieldValues[F], source: Incident): IncidentPatch {
  const value = canonical as SyncedFieldValues[EditableField];
  switch (field) {
    case 'title':
      return { title: value as string };
    case 'description':
      return { description: value as string };
    case 'severity':
      return value === 'unknown' ? {} : { severity: value as Exclude<SyncedFieldValues['severity'], 'unknown'> };
    case 'status':
      return { status: projectStatus(target, value as SyncedFieldValues['status']) };
    case 'classification': {
      const classification = value as SyncedFieldValues['classification'];
      const determination = translateDetermination(source.portal, target, classification, source.determination);
      return {
        classification,
        ...(determination !== undefined ? { determination } : {}),
        ...(source.classificationComment !== undefined ? { classificationComment: source.classificationComment } : {}),
      };
    }
    case 'owner':
      return { owner: value as SyncedFieldValues['owner'] };
    case 'tags':
      return { tags: [...(value as string[])] };
  }
  return {};
}

/**
 * ARM refuses to close an incident without a classification, and a BenignPositive one without a
 * classificationReason (portal-apis.md), so a Sentinel write that closes carries both.
 */
function requireClassificationWhenClosingSentinel(patch: IncidentPatch, values: SyncedFieldValues, input: ReconcileInput, source: Portal): void {
  if (patch.status !== 'resolved' || !input.writable.sentinel.has('classification')) return;
  if (patch.classification === undefined) patch.classification = values.classification;
  if (patch.classification === 'benignPositive' && patch.determination === undefined) {
    const sentinel = input.sentinel;
    const own = sentinel?.classification === 'benignPositive' ? sentinel.determination : undefined;
    const sourceIncident = source === 'sentinel' ? sentinel : input.defender;
    patch.determination =
      own ?? translateDetermination(sourceIncident?.portal ?? 'defender', 'sentinel', 'benignPositive', sourceIncident?.determination) ?? SENTINEL_BENIGN_REASON;
  }
}

function createdChange(
  field: EditableField,
  canonical: unknown,
  conflict: { winner: Portal; loserValue: unknown } | undefined,
  by: (portal: Portal) => string,
): FieldChange {
  const portal = conflict?.winner ?? 'defender';
  const loser: Portal = portal === 'defender' ? 'sentinel' : 'defender';
  return { field, from: null, to: canonical, portal, by: by(portal), ...(conflict ? { overridden: { portal: loser, value: conflict.loserValue } } : {}) };
}

function assertInput(input: ReconcileInput): void {
  const { defender, sentinel } = input;
  if (defender.portal !== 'defender') {
    throw new CodedError<ReconcileErrorCode>('reconcile-input', `reconcile got a ${defender.portal} incident as the Defender side (id ${defender.id}); check the caller's argument order`);
  }
  if (sentinel && sentinel.portal !== 'sentinel') {
    throw new CodedError<ReconcileErrorCode>('reconcile-input', `reconcile got a ${sentinel.portal} incident as the Sentinel side (id ${sentinel.id}); check the caller's argument order`);
  }
  if (sentinel?.providerIncidentId !== undefined && sentinel.providerIncidentId !== defender.id) {
    throw new CodedError<ReconcileErrorCode>(
      'reconcile-input',
      `Sentinel incident ${sentinel.id} mirrors Defender incident ${sentinel.providerIncidentId}, not ${defender.id}; check the link's sentinelId`,
    );
  }
}
