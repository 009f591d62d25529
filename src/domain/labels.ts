// Display names for the domain's enums, shared by the card and the change notice.
import type { Classification, Portal, Severity, Status } from '../domain/incident.ts';

export const PORTAL_NAMES: Record<Portal, string> = { defender: 'Defender', sentinel: 'Sentinel' };

export const SEVERITY_LABELS: Record<Severity, string> = {
  informational: 'Informational',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  unknown: 'Unknown',
};

export const STATUS_LABELS: Record<Status, string> = {
  new: 'New',
  active: 'Active',
  inProgress: 'In progress',
  awaitingAction: 'Awaiting action',
  resolved: 'Resolved',
  redirected: 'Merged',
};

export const CLASSIFICATION_LABELS: Record<Classification, string> = {
  undetermined: 'Not classified',
  truePositive: 'True positive',
  falsePositive: 'False positive',
  benignPositive: 'Benign positive',
};

/**
 * The entry for a known enum value; undefined for anything else (callers escape and show it raw).
 * Own entries only: a value such as "constructor" must not find Object.prototype's.
 */
export function labelOf<K extends string, V = string>(labels: Record<K, V>, value: unknown): V | undefined {
  return typeof value === 'string' && Object.hasOwn(labels, value) ? labels[value as K] : undefined;
}
