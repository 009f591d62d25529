// Facts the portals maintain themselves: product names, alert-derived data, last-modified-by.
// The bridge never writes them; it announces when they change. Pure. Rules in reconcile.ts.
import { createHash } from 'node:crypto';
import type { AlertDetails } from '../domain/alerts.ts';
import type { Incident, Portal } from '../domain/incident.ts';
import type { FieldChange } from '../domain/change-events.ts';
import { stringSetsEqual } from './projection.ts';
import type { AlertFacts, AlertsFact, ObservedFact, SyncedSnapshot } from './snapshot.ts';

type Maintained = SyncedSnapshot['maintained'];
/** The facts both portals report; alerts are Defender's alone (observeAlerts). */
type FactName = Exclude<keyof Maintained, 'alerts'>;

interface FactModel<V> {
  read(incident: Incident): V;
  equal(a: V, b: V): boolean;
  /** Values that are never announced nor remembered (empty). */
  silent(value: V): boolean;
  /** A new value on `portal` that is the bridge's own write showing through: remembered, not announced. */
  ownEcho(value: V, portal: Portal): boolean;
}

function factModels(bridgeIdentities: ReadonlySet<string>, bridgeWrote: readonly Portal[]): { [F in FactName]: FactModel<Maintained[F]['announced']> } {
  return {
    productNames: {
      read: (incident) => [...incident.additionalData.productNames].sort(),
      equal: stringSetsEqual,
      silent: () => false,
      ownEcho: () => false,
    },
    additionalData: {
      read: (incident): AlertFacts => ({
        alertsCount: incident.additionalData.alertsCount,
        tactics: [...incident.additionalData.tactics].sort(),
        techniques: [...incident.additionalData.techniques].sort(),
      }),
      equal: (a, b) => a.alertsCount === b.alertsCount && stringSetsEqual(a.tactics, b.tactics) && stringSetsEqual(a.techniques, b.techniques),
      silent: () => false,
      ownEcho: () => false,
    },
    lastModifiedBy: {
      read: (incident) => incident.lastModifiedBy,
      equal: (a, b) => a === b,
      silent: (value) => value.trim() === '',
      // The bridge's own writes change last-modified-by; announcing that would echo its own work.
      // Known identities are recognised anywhere; otherwise a change on a portal the bridge just
      // wrote is taken to be the bridge's.
      ownEcho: (value, portal) => isBridgeIdentity(value, bridgeIdentities) || bridgeWrote.includes(portal),
    },
  };
}

export function isBridgeIdentity(value: string, bridgeIdentities: ReadonlySet<string>): boolean {
  return bridgeIdentities.has(value.trim().toLowerCase());
}

export interface MaintainedContext {
  defender: Incident;
  sentinel: Incident | null;
  previous: Maintained | null;
  sentinelSeen: boolean;
  /** Portals in the order their edits happened (earlier lastUpdatedAt first). */
  order: readonly Portal[];
  /** Lower-cased lastModifiedBy values that mean "the bridge itself". */
  bridgeIdentities: ReadonlySet<string>;
  /** Portals the bridge wrote after the previous snapshot. */
  bridgeWrote: readonly Portal[];
}

export interface MaintainedDecision {
  maintained: Maintained;
  changes: FieldChange[];
}

export function decideMaintained(context: MaintainedContext): MaintainedDecision {
  const models = factModels(context.bridgeIdentities, context.bridgeWrote);
  const changes: FieldChange[] = [];
  const observe = <F extends FactName>(name: F): ObservedFact<Maintained[F]['announced']> => {
    const model = models[name] as FactModel<Maintained[F]['announced']>;
    const previous = context.previous?.[name] as ObservedFact<Maintained[F]['announced']> | undefined;
    const defenderValue = model.read(context.defender);
    if (!previous) {
      // First sight: what Defender shows is the starting point; the 'created' notice covers it.
      return { announced: defenderValue, defender: defenderValue, ...(context.sentinel ? { sentinel: model.read(context.sentinel) } : {}) };
    }
    const next: ObservedFact<Maintained[F]['announced']> = { ...previous };
    // Portals the bridge wrote go first: their echo is remembered before the other portal's copy
    // of it (native sync) is judged.
    const order = [...context.order].sort((a, b) => Number(context.bridgeWrote.includes(b)) - Number(context.bridgeWrote.includes(a)));
    for (const portal of order) {
      const incident = portal === 'defender' ? context.defender : context.sentinel;
      if (!incident) continue;
      const value = model.read(incident);
      const seen = next[portal];
      next[portal] = value;
      // Sentinel's values when it is first seen are its starting point, not a change.
      if (portal === 'sentinel' && !context.sentinelSeen) continue;
      if (seen !== undefined && model.equal(value, seen)) continue;
      // A portal catching up with what the other already showed (native sync) is not news.
      if (model.equal(value, next.announced) || model.silent(value)) continue;
      if (model.ownEcho(value, portal)) {
        // Remembered, so the portals mirroring it to each other stays quiet too.
        next.announced = value;
        continue;
      }
      changes.push({ field: name, from: next.announced, to: value, portal, by: incident.lastModifiedBy });
      next.announced = value;
    }
    return next;
  };
  const alerts = observeAlerts(context.defender, context.previous?.alerts);
  if (alerts.change) changes.push(alerts.change);
  return {
    maintained: {
      productNames: observe('productNames'),
      additionalData: observe('additionalData'),
      lastModifiedBy: observe('lastModifiedBy'),
      ...(alerts.fact ? { alerts: alerts.fact } : {}),
    },
    changes,
  };
}

/**
 * The ids of the kept alerts and a digest of what they are and what they name. Not their activity
 * times: an ongoing alert's last activity moves with every event it sees, which is not news.
 */
export function alertsFact(details: AlertDetails): AlertsFact {
  const shown = {
    alerts: details.alerts.map((alert) => [alert.id, alert.title, alert.severity, alert.status]),
    evidence: details.evidence.map((item) => [item.kind, item.name, item.detail, item.verdict, item.alertCount]),
    evidenceTotal: details.evidenceTotal,
  };
  return {
    ids: details.alerts.map((alert) => alert.id).sort(),
    digest: createHash('sha256').update(JSON.stringify(shown)).digest('hex').slice(0, 32),
  };
}

/**
 * Defender's alerts: a change is announced when what a card shows of them moves (a new alert, one
 * resolved, new evidence). First sight, and a view read without its alerts, announce nothing.
 */
function observeAlerts(defender: Incident, previous: ObservedFact<AlertsFact> | undefined): { fact?: ObservedFact<AlertsFact>; change?: FieldChange } {
  if (!defender.alertDetails) return previous ? { fact: previous } : {};
  const value = alertsFact(defender.alertDetails);
  if (!previous) return { fact: { announced: value, defender: value } };
  if (previous.announced.digest === value.digest) return { fact: { ...previous, defender: value } };
  return {
    fact: { announced: value, defender: value },
    change: { field: 'alerts', from: previous.announced, to: value, portal: 'defender', by: defender.lastModifiedBy },
  };
}
