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

/** The label for a known enum value; undefined for anything else (callers escape and show it raw). */
export function labelOf<K extends string>(labels: Record<K, string>, value: unknown): string | undefined {
  return typeof value === 'string' && Object.hasOwn(labels, value) ? labels[value as K] : undefined;
}
