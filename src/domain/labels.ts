// Display names for the domain's enums: the words analysts read on cards, in notices, replies and
// the change notes written to the portals. Never a raw enum value such as 'truePositive'.
import type { FieldName } from './edits.ts';
import type { Classification, Portal, Severity, Status } from './incident.ts';

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

/** How an edit's fields are named in its outcome, on the card and in notices. */
export const FIELD_LABELS: Record<FieldName, string> = {
  severity: 'severity',
  tagsAdd: 'tags added',
  tagsRemove: 'tags removed',
  tags: 'tags',
  comment: 'comment',
  status: 'status',
  classification: 'classification',
  owner: 'owner',
};

/**
 * The entry for a known enum value; undefined for anything else (callers escape and show it raw).
 * Own entries only: a value such as "constructor" must not find Object.prototype's.
 */
export function labelOf<K extends string, V = string>(labels: Record<K, V>, value: unknown): V | undefined {
  return typeof value === 'string' && Object.hasOwn(labels, value) ? labels[value as K] : undefined;
}
