// Per-field three-way decisions for the single-valued synced fields (title, description, severity,
// status, classification, owner). Pure. The rules are documented in reconcile.ts.
import type { Incident, Portal } from '../domain/incident.ts';
import {
  joinSeverity,
  joinStatus,
  ownersEqual,
  richerOwner,
  severityAgrees,
  statusAgrees,
} from './projection.ts';
import type { SyncedFieldValues } from './snapshot.ts';

export const SCALAR_FIELDS = ['title', 'description', 'severity', 'status', 'classification', 'owner'] as const;
export type ScalarField = (typeof SCALAR_FIELDS)[number];

export interface FieldModel<V> {
  read(incident: Incident): V;
  /** Whether `shown` is how `portal` expresses the canonical value. */
  agrees(portal: Portal, shown: V, canonical: V): boolean;
  /** Plain equality of two values in one portal's vocabulary (for values awaiting native sync). */
  equal(a: V, b: V): boolean;
  /** The canonical value both portal values express, or undefined when they disagree. */
  join(defender: V, sentinel: V): V | undefined;
  /** A canonical value that agrees with `shown` may be described more fully by it (owner ids). */
  refine?(canonical: V, shown: V): V;
}

const exact = <V>(a: V, b: V): boolean => a === b;

const text = (read: (incident: Incident) => string): FieldModel<string> => ({
  read,
  agrees: (_portal, shown, canonical) => shown === canonical,
  equal: exact,
  join: (defender, sentinel) => (defender === sentinel ? defender : undefined),
});

export const FIELD_MODELS: { [F in ScalarField]: FieldModel<SyncedFieldValues[F]> } = {
  title: text((incident) => incident.title),
  description: text((incident) => incident.description),
  severity: {
    read: (incident) => incident.severity,
    agrees: severityAgrees,
    equal: exact,
    join: joinSeverity,
  },
  status: {
    read: (incident) => incident.status,
    agrees: statusAgrees,
    equal: exact,
    join: joinStatus,
  },
  classification: {
    read: (incident) => incident.classification,
    // The canonical set is the intersection both portals express, so no projection is needed.
    agrees: (_portal, shown, canonical) => shown === canonical,
    equal: exact,
    join: (defender, sentinel) => (defender === sentinel ? defender : undefined),
  },
  owner: {
    read: (incident) => incident.owner,
    agrees: (_portal, shown, canonical) => ownersEqual(shown, canonical),
    equal: ownersEqual,
    join: (defender, sentinel) => (ownersEqual(defender, sentinel) ? richerOwner(defender, sentinel) : undefined),
    refine: (canonical, shown) => richerOwner(canonical, shown),
  },
};

export interface SideValue<V> {
  portal: Portal;
  value: V;
}

export interface ScalarDecision<V> {
  canonical: V;
  /** The portal whose value the canonical one came from (for ride-along details and attribution). */
  source: Portal;
  /** The portal that must be brought to `canonical`, when it does not show it yet. */
  target?: Portal;
  change?: { portal: Portal; from: V | null; to: V; overridden?: SideValue<V> };
  conflict?: { winner: Portal; winnerValue: V; loserValue: V };
  /** Portals that still show a value awaiting native sync (unchanged since it was reported). */
  stillAwaiting: Portal[];
}

export interface ScalarContext<V> {
  model: FieldModel<V>;
  defender: V;
  /** Absent: no Sentinel counterpart yet. (Wrapped, because null is a legitimate owner value.) */
  sentinel: { value: V } | null;
  /** The agreed value; undefined at first sight of the incident. */
  base: V | undefined;
  /** false: Sentinel has no agreed history yet (it was just created), so it is judged as at first sight. */
  sentinelSeen: boolean;
  awaiting: Partial<Record<Portal, V>>;
  /** Which portal wins a conflict: the later lastUpdatedAt, tie -> Defender. */
  later: Portal;
  /** Which portal most likely changed first when both show the same new value: the earlier lastUpdatedAt. */
  earlier: Portal;
}

export function decideScalar<V>(context: ScalarContext<V>): ScalarDecision<V> {
  const { model, defender, base, awaiting } = context;
  const isAwaited = (portal: Portal, value: V): boolean => {
    const waiting = awaiting[portal];
    return waiting !== undefined && model.equal(value, waiting);
  };
  const changedFromBase = (portal: Portal, value: V): boolean =>
    base === undefined || (!model.agrees(portal, value, base) && !isAwaited(portal, value));

  if (context.sentinel === null) {
    // Only Defender exists: follow it, write nothing.
    if (base === undefined || !changedFromBase('defender', defender)) {
      return { canonical: base ?? defender, source: 'defender', stillAwaiting: [] };
    }
    return { canonical: defender, source: 'defender', change: { portal: 'defender', from: base, to: defender }, stillAwaiting: [] };
  }

  const sentinel = context.sentinel.value;
  if (base === undefined || !context.sentinelSeen) return decideFirstSight(context, sentinel);

  const values: Record<Portal, V> = { defender, sentinel };
  const changed = {
    defender: changedFromBase('defender', defender),
    sentinel: changedFromBase('sentinel', sentinel),
  };
  const stillAwaiting = (canonical: V): Portal[] =>
    (['defender', 'sentinel'] as const).filter((portal) => !model.agrees(portal, values[portal], canonical) && isAwaited(portal, values[portal]));

  if (!changed.defender && !changed.sentinel) {
    let canonical: V = base;
    if (model.refine) {
      for (const portal of ['defender', 'sentinel'] as const) {
        if (model.agrees(portal, values[portal], canonical)) canonical = model.refine(canonical, values[portal]);
      }
    }
    return { canonical, source: 'defender', stillAwaiting: stillAwaiting(canonical) };
  }

  if (changed.defender !== changed.sentinel) {
    const source: Portal = changed.defender ? 'defender' : 'sentinel';
    const other: Portal = source === 'defender' ? 'sentinel' : 'defender';
    const canonical = values[source];
    return {
      canonical,
      source,
      ...(model.agrees(other, values[other], canonical) ? {} : { target: other }),
      change: { portal: source, from: base, to: values[source] },
      stillAwaiting: [],
    };
  }

  // Both changed.
  const joined = model.join(defender, sentinel);
  if (joined !== undefined) {
    // Usually one portal's edit mirrored natively before this poll: announce it once, credited to
    // the portal that most likely made it (the earlier last update).
    return { canonical: joined, source: context.earlier, change: { portal: context.earlier, from: base, to: values[context.earlier] }, stillAwaiting: [] };
  }
  return resolveConflict(context, values, base);
}

function decideFirstSight<V>(context: ScalarContext<V>, sentinel: V): ScalarDecision<V> {
  const { model, defender, base } = context;
  const joined = model.join(defender, sentinel);
  if (joined !== undefined) {
    const defenderMoved = base !== undefined && !model.agrees('defender', defender, base);
    return {
      canonical: joined,
      source: 'defender',
      ...(defenderMoved ? { change: { portal: 'defender' as Portal, from: base, to: defender } } : {}),
      stillAwaiting: [],
    };
  }
  return resolveConflict(context, { defender, sentinel }, base);
}

function resolveConflict<V>(context: ScalarContext<V>, values: Record<Portal, V>, base: V | undefined): ScalarDecision<V> {
  const { model } = context;
  const winner = context.later;
  const loser: Portal = winner === 'defender' ? 'sentinel' : 'defender';
  const canonical = values[winner];
  const announce = base === undefined || !model.agrees(winner, values[winner], base);
  return {
    canonical,
    source: winner,
    ...(model.agrees(loser, values[loser], canonical) ? {} : { target: loser }),
    ...(announce && base !== undefined
      ? { change: { portal: winner, from: base, to: canonical, overridden: { portal: loser, value: values[loser] } } }
      : {}),
    conflict: { winner, winnerValue: values[winner], loserValue: values[loser] },
    stillAwaiting: [],
  };
}
