// Pure views of the fields the portals' own sync mirrors (title, description, severity, custom
// tags <-> User labels, additional data, last-modified-by) and the differences between two sides.
// Status, classification and owner are deliberately absent: the portals' sync is not modelled for them.
import { ATTACK_TACTICS, SERVICE_SOURCES, graphSeverityToArm } from './catalog.ts';
import type { DefenderAlert, DefenderIncident, SentinelIncident } from '../state/model.ts';

export interface AdditionalDataView {
  alertsCount: number;
  alertProductNames: string[];
  tactics: string[];
  techniques: string[];
  firstActivityTimeUtc: string | null;
  lastActivityTimeUtc: string | null;
}

/** A new comment on one side, as the portals' sync carries it to the other. */
export interface MirroredComment {
  text: string;
  author: string;
}

export interface MirroredFields {
  title: string;
  description: string | null;
  /** Sentinel spelling (High, Medium, Low, Informational). */
  severity: string;
  tags: string[];
  additional: AdditionalDataView;
}

export function additionalDataFromAlerts(alerts: readonly DefenderAlert[]): AdditionalDataView {
  const productNames: string[] = [];
  const tactics: string[] = [];
  const techniques: string[] = [];
  let first: string | null = null;
  let last: string | null = null;
  for (const alert of alerts) {
    const product = SERVICE_SOURCES[alert.serviceSource]?.productName ?? alert.productName;
    if (!productNames.includes(product)) productNames.push(product);
    if ((ATTACK_TACTICS as readonly string[]).includes(alert.category) && !tactics.includes(alert.category)) tactics.push(alert.category);
    for (const technique of alert.mitreTechniques) if (!techniques.includes(technique)) techniques.push(technique);
    if (first === null || alert.firstActivityDateTime < first) first = alert.firstActivityDateTime;
    if (last === null || alert.lastActivityDateTime > last) last = alert.lastActivityDateTime;
  }
  return { alertsCount: alerts.length, alertProductNames: productNames, tactics, techniques, firstActivityTimeUtc: first, lastActivityTimeUtc: last };
}

export function fieldsFromDefender(incident: DefenderIncident, alerts: readonly DefenderAlert[]): MirroredFields {
  return {
    title: incident.displayName,
    description: incident.description,
    severity: graphSeverityToArm(incident.severity),
    tags: [...incident.customTags],
    additional: additionalDataFromAlerts(alerts),
  };
}

export function fieldsFromSentinel(incident: SentinelIncident): MirroredFields {
  return {
    title: incident.title,
    description: incident.description,
    severity: incident.severity,
    tags: incident.labels.filter((label) => label.labelType === 'User').map((label) => label.labelName),
    additional: {
      alertsCount: incident.alertsCount,
      alertProductNames: [...incident.alertProductNames],
      tactics: [...incident.tactics],
      techniques: [...incident.techniques],
      firstActivityTimeUtc: incident.firstActivityTimeUtc,
      lastActivityTimeUtc: incident.lastActivityTimeUtc,
    },
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

export type MirroredFieldName = 'title' | 'description' | 'severity' | 'tags' | 'additional';

/** The mirrored fields whose values differ between `from` and `to`. */
export function mirroredDifferences(from: MirroredFields, to: MirroredFields): MirroredFieldName[] {
  const changed: MirroredFieldName[] = [];
  if (from.title !== to.title) changed.push('title');
  if ((from.description ?? '') !== (to.description ?? '')) changed.push('description');
  if (from.severity !== to.severity) changed.push('severity');
  if (!sameList(from.tags, to.tags)) changed.push('tags');
  const a = from.additional;
  const b = to.additional;
  if (
    a.alertsCount !== b.alertsCount ||
    !sameList(a.alertProductNames, b.alertProductNames) ||
    !sameList(a.tactics, b.tactics) ||
    !sameList(a.techniques, b.techniques) ||
    a.firstActivityTimeUtc !== b.firstActivityTimeUtc ||
    a.lastActivityTimeUtc !== b.lastActivityTimeUtc
  ) {
    changed.push('additional');
  }
  return changed;
}
