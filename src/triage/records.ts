// An incident's triage record from its latest view: what the digest and the deadlines read. Pure.
//
// Times: acknowledgedAt and resolvedAt are when the bridge first saw the incident acknowledged
// (domain/triage.ts) and closed, within one poll of the portal change; they are kept once set
// and cleared only when the incident is reopened or released again.
import type { IncidentView } from '../domain/change-events.ts';
import { isAcknowledged, isClosed } from '../domain/triage.ts';
import { storableText } from '../domain/untrusted-text.ts';
import type { JsonObject, TriageRecord } from '../store/ports.ts';
import { filterSubjectOf } from '../bot/subscription-filter.ts';

export type TriageDraft = Omit<TriageRecord, 'updatedAt'>;

/** The record after `view` was seen at `seenAt`; `previous` is the stored one (null at first sight). */
export function nextTriageRecord(previous: TriageRecord | null, pairId: string, view: IncidentView, seenAt: string): TriageDraft | null {
  const primary = view.defender ?? view.sentinel;
  if (!primary) return null;
  const sides = [view.defender, view.sentinel];
  const acknowledged = isAcknowledged(sides);
  const open = !isClosed(sides) && !view.mergedIntoLinkId;
  const createdAt = view.defender?.createdAt || view.sentinel?.createdAt || previous?.createdAt || seenAt;
  return {
    linkId: view.linkId,
    pairId,
    ref: view.defender?.id ?? String(view.sentinel?.incidentNumber ?? primary.id),
    title: storableText(primary.title, 200),
    severity: primary.severity,
    open,
    assigned: sides.some((incident) => incident?.owner != null),
    acknowledged,
    createdAt,
    acknowledgedAt: acknowledged ? (previous?.acknowledgedAt ?? seenAt) : null,
    acknowledgedOnFirstSight: previous ? previous.acknowledgedOnFirstSight && acknowledged : acknowledged,
    resolvedAt: open ? null : (previous?.resolvedAt ?? seenAt),
    subject: filterSubjectOf(pairId, view) as unknown as JsonObject,
  };
}
