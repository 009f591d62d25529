// fast-check arbitraries and a small model of the two portals for the reconcile properties:
// agreed incident pairs, analysts' concurrent edits (optionally already mirrored by the portals'
// own sync), and the native mirroring that follows the bridge's writes.
import fc from 'fast-check';
import {
  CLASSIFICATIONS,
  EDITABLE_FIELDS,
  SEVERITIES,
  type Classification,
  type EditableField,
  type Incident,
  type IncidentComment,
  type Owner,
  type Portal,
  type Severity,
  type Status,
} from '../../src/domain/incident.ts';
import { formatBridgeComment } from '../../src/domain/attribution.ts';
import { commentFingerprint } from '../../src/sync/fingerprint.ts';
import { joinSeverity, joinStatus, ownersEqual, projectStatus, tagSetsEqual } from '../../src/sync/projection.ts';
import type { ReconcileResult } from '../../src/sync/reconcile.ts';
import { at, defenderIncident, sentinelIncident } from './fixtures.ts';

export type Pair = { defender: Incident; sentinel: Incident };
export type Writable = { defender: ReadonlySet<EditableField>; sentinel: ReadonlySet<EditableField> };

const TAG_POOL = ['a', 'b', 'c', 'd', 'e', 'Phishing'];
const COMMENT_POOL = ['ack', ' ack ', 'ack\n', 'Isolated the host', 'Isolated  the host', 'Called the user', 'Reset password'];
const OWNERS: Array<Owner | null> = [null, { upn: 'ann@contoso.com' }, { upn: 'BOB@contoso.com' }, { upn: 'bob@contoso.com' }, { upn: 'cy@contoso.com' }];
const CANONICAL_STATUSES: Status[] = ['new', 'active', 'inProgress', 'awaitingAction', 'resolved'];

const text = fc.string({ minLength: 0, maxLength: 12 });

export const writableArbitrary: fc.Arbitrary<Writable> = fc.record({
  defender: fc.subarray([...EDITABLE_FIELDS]).map((fields) => new Set(fields) as ReadonlySet<EditableField>),
  sentinel: fc.subarray([...EDITABLE_FIELDS]).map((fields) => new Set(fields) as ReadonlySet<EditableField>),
});

/** A pair that agrees on everything, each portal in its own vocabulary, with shared comment history. */
export const agreedPairArbitrary: fc.Arbitrary<Pair> = fc
  .record({
    title: text,
    description: text,
    severity: fc.constantFrom<Severity>(...SEVERITIES),
    defenderSeverityUnknown: fc.boolean(),
    status: fc.constantFrom(...CANONICAL_STATUSES),
    classification: fc.constantFrom<Classification>(...CLASSIFICATIONS),
    owner: fc.constantFrom(...OWNERS),
    tags: fc.uniqueArray(fc.constantFrom(...TAG_POOL), { maxLength: 4 }),
    history: fc.array(fc.constantFrom(...COMMENT_POOL), { maxLength: 3 }),
  })
  .map((canonical) => {
    const comments = canonical.history.map((body, index): IncidentComment => ({ text: body, author: 'History', createdAt: at(-60 + index) }));
    const common = {
      title: canonical.title,
      description: canonical.description,
      classification: canonical.classification,
      owner: canonical.owner,
      tags: canonical.tags,
      comments,
      lastUpdatedAt: at(0),
    };
    return {
      defender: defenderIncident({
        ...common,
        severity: canonical.defenderSeverityUnknown ? 'unknown' : canonical.severity,
        status: projectStatus('defender', canonical.status),
      }),
      sentinel: sentinelIncident({ ...common, severity: canonical.severity, status: projectStatus('sentinel', canonical.status) }),
    };
  });

/** Two portals seen for the first time, each with its own arbitrary values. */
export const unrelatedPairArbitrary: fc.Arbitrary<Pair> = fc
  .tuple(agreedPairArbitrary, agreedPairArbitrary, fc.integer({ min: -2, max: 2 }))
  .map(([left, right, skew]) => ({
    defender: left.defender,
    sentinel: { ...right.sentinel, lastUpdatedAt: at(skew) },
  }));

export type Edit =
  | { kind: 'title' | 'description'; side: Portal; value: string; mirrored: boolean }
  | { kind: 'severity'; side: Portal; value: Exclude<Severity, 'unknown'>; mirrored: boolean }
  | { kind: 'status'; side: Portal; value: Status; mirrored: boolean }
  | { kind: 'classification'; side: Portal; value: Classification; mirrored: boolean }
  | { kind: 'owner'; side: Portal; value: Owner | null; mirrored: boolean }
  | { kind: 'tagAdd' | 'tagRemove'; side: Portal; value: string; mirrored: boolean }
  | { kind: 'comment'; side: Portal; value: string; mirrored: boolean };

const side = fc.constantFrom<Portal>('defender', 'sentinel');
const mirrored = fc.boolean();

export const editArbitrary: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constantFrom('title' as const, 'description' as const), side, value: text, mirrored }),
  fc.record({ kind: fc.constant('severity' as const), side, value: fc.constantFrom(...SEVERITIES), mirrored }),
  fc.record({ kind: fc.constant('status' as const), side, value: fc.constantFrom(...CANONICAL_STATUSES), mirrored }),
  fc.record({ kind: fc.constant('classification' as const), side, value: fc.constantFrom(...CLASSIFICATIONS), mirrored }),
  fc.record({ kind: fc.constant('owner' as const), side, value: fc.constantFrom(...OWNERS), mirrored }),
  fc.record({ kind: fc.constantFrom('tagAdd' as const, 'tagRemove' as const), side, value: fc.constantFrom(...TAG_POOL), mirrored }),
  fc.record({ kind: fc.constant('comment' as const), side, value: fc.constantFrom(...COMMENT_POOL), mirrored }),
);

/** Fields the real products mirror between themselves (connector documentation). */
const NATIVELY_MIRRORED = new Set<Edit['kind']>(['title', 'description', 'severity', 'tagAdd', 'tagRemove', 'comment']);

function applyEditTo(incident: Incident, edit: Edit, when: string, author: string): Incident {
  const next: Incident = { ...incident, lastUpdatedAt: when, lastModifiedBy: author };
  switch (edit.kind) {
    case 'title':
      next.title = edit.value;
      break;
    case 'description':
      next.description = edit.value;
      break;
    case 'severity':
      next.severity = edit.value;
      break;
    case 'status':
      next.status = projectStatus(incident.portal, edit.value);
      break;
    case 'classification':
      next.classification = edit.value;
      break;
    case 'owner':
      next.owner = edit.value;
      break;
    case 'tagAdd':
      next.tags = incident.tags.includes(edit.value) ? incident.tags : [...incident.tags, edit.value];
      break;
    case 'tagRemove':
      next.tags = incident.tags.filter((tag) => tag !== edit.value);
      break;
    case 'comment':
      next.comments = [...incident.comments, { text: edit.value, author, createdAt: when }];
      break;
  }
  return next;
}

/** Applies analysts' edits in order, one minute apart from minute 10; mirrored ones reach the other portal 30 s later. */
export function applyEdits(pair: Pair, edits: readonly Edit[], startMinute = 10): Pair {
  let current = pair;
  edits.forEach((edit, index) => {
    const when = at(startMinute + index);
    const author = `analyst-${index}@contoso.com`;
    const other: Portal = edit.side === 'defender' ? 'sentinel' : 'defender';
    current = { ...current, [edit.side]: applyEditTo(current[edit.side], edit, when, author) };
    if (edit.mirrored && NATIVELY_MIRRORED.has(edit.kind)) {
      current = { ...current, [other]: applyEditTo(current[other], edit, at(startMinute + index + 0.5), author) };
    }
  });
  return current;
}

/**
 * The portals' own sync after the bridge wrote: natively mirrored fields the target's API could
 * not write arrive, the originals of the bridge's comment copies arrive on the target (as the
 * products mirror every new comment), and the bridge's copies arrive back on the source.
 */
export function nativeMirror(pair: Pair, result: ReconcileResult, when: string): Pair {
  const next = { defender: { ...pair.defender, lastUpdatedAt: when }, sentinel: { ...pair.sentinel, lastUpdatedAt: when } };
  // The agreed value reaches a portal whose API could not take it, for the fields the products
  // mirror (status, classification and owner are not among them).
  for (const item of result.notWritable) {
    const target = next[item.portal];
    if (item.field === 'title') target.title = item.value as string;
    if (item.field === 'description') target.description = item.value as string;
    if (item.field === 'severity' && item.value !== 'unknown') target.severity = item.value as Exclude<Severity, 'unknown'>;
    if (item.field === 'tags') target.tags = [...(item.value as string[])];
  }
  // Last-modified-by is among the fields the products sync: both now name the latest modifier.
  const latest = pair.sentinel.lastUpdatedAt > pair.defender.lastUpdatedAt ? pair.sentinel : pair.defender;
  next.defender.lastModifiedBy = latest.lastModifiedBy;
  next.sentinel.lastModifiedBy = latest.lastModifiedBy;
  const mirror = (copies: ReconcileResult['comments']['toSentinel'], target: Portal): void => {
    const source: Portal = target === 'defender' ? 'sentinel' : 'defender';
    for (const copy of copies) {
      next[target].comments = [...next[target].comments, { text: copy.text, author: copy.author, createdAt: when }];
      const attributed = formatBridgeComment({ kind: 'copy', author: copy.author, text: copy.text, from: source });
      next[source].comments = [...next[source].comments, { text: attributed, author: 'sync', createdAt: when }];
    }
  };
  mirror(result.comments.toSentinel, 'sentinel');
  mirror(result.comments.toDefender, 'defender');
  return next;
}

/** Do the two portals show the same value of `field`, each in its own vocabulary? */
export function portalsAgree(field: EditableField, pair: Pair): boolean {
  const { defender, sentinel } = pair;
  switch (field) {
    case 'title':
      return defender.title === sentinel.title;
    case 'description':
      return defender.description === sentinel.description;
    case 'severity':
      return joinSeverity(defender.severity, sentinel.severity) !== undefined;
    case 'status':
      return joinStatus(defender.status, sentinel.status) !== undefined;
    case 'classification':
      return defender.classification === sentinel.classification;
    case 'owner':
      return ownersEqual(defender.owner, sentinel.owner);
    case 'tags':
      return tagSetsEqual(defender.tags, sentinel.tags);
  }
}

export function fingerprintCounts(incident: Incident): Map<string, number> {
  const counts = new Map<string, number>();
  for (const comment of incident.comments) {
    const fingerprint = commentFingerprint(comment.text);
    counts.set(fingerprint, (counts.get(fingerprint) ?? 0) + 1);
  }
  return counts;
}
