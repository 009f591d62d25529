// The records the sync engine announces: an incident link as the Teams side sees it, and the change
// events the outbox carries. Pure: instants come in as input.
import { createHash } from 'node:crypto';
import type { ChangeEvent, IncidentView, PortalSyncState } from '../domain/change-events.ts';
import { outcomeShown, type EditOutcome } from '../domain/edits.ts';
import type { Incident, Portal } from '../domain/incident.ts';
import type { IncidentLink, JsonValue, LinkSyncState, NewChangeEvent } from '../store/ports.ts';

/**
 * Who the bridge last wrote a portal for, and the portal's last-modified time right after: while
 * the portal still shows that time, its lastModifiedBy (the app) is shown as that person.
 */
export interface WriteCredit {
  by: string;
  at: string;
}

const creditKey = (portal: Portal): string => `credit_${portal}`;

export function creditOf(state: LinkSyncState, portal: Portal): WriteCredit | null {
  const value = state[creditKey(portal)];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { by, at } = value as { by?: JsonValue; at?: JsonValue };
  return typeof by === 'string' && typeof at === 'string' ? { by, at } : null;
}

/** `state` with `portal` credited to `by` as of the portal's last-modified time `at`. */
export function withCredit(state: LinkSyncState, portal: Portal, credit: WriteCredit): LinkSyncState {
  return { ...state, [creditKey(portal)]: { by: credit.by, at: credit.at } };
}

function credited(incident: Incident | null, credit: WriteCredit | null): Incident | null {
  if (!incident || !credit || incident.lastUpdatedAt !== credit.at) return incident;
  return { ...incident, lastModifiedBy: credit.by };
}

export function toIncidentView(link: IncidentLink): IncidentView {
  const state = link.syncState;
  return {
    linkId: link.linkId,
    pairId: link.pairId,
    defender: credited(link.defenderView, creditOf(state, 'defender')),
    sentinel: credited(link.sentinelView, creditOf(state, 'sentinel')),
    syncState: {
      defender: (state.defender as PortalSyncState | undefined) ?? 'inSync',
      sentinel: (state.sentinel as PortalSyncState | undefined) ?? (link.sentinelView ? 'inSync' : 'pending'),
    },
    ...(link.mergedIntoLinkId ? { mergedIntoLinkId: link.mergedIntoLinkId } : {}),
  };
}

/** What a change event says; the link gives the rest. */
export type ChangeEventInput = Pick<ChangeEvent, 'kind' | 'changes' | 'actor' | 'editRequestId' | 'outcome' | 'target' | 'escalation' | 'occurredAt'>;

/**
 * The id is a digest of what the event says, so appending the same event again after a crash adds
 * nothing (the outbox skips known ids) and consumers see each change once.
 */
export function changeEvent(link: IncidentLink, input: ChangeEventInput): NewChangeEvent {
  const identity =
    input.kind === 'edit-outcome'
      ? [link.linkId, input.kind, input.editRequestId, outcomeShown(input.outcome ?? null)]
      : input.kind === 'card-registered' || input.kind === 'war-room'
        ? [link.linkId, input.kind, input.target ?? null, input.occurredAt]
        : input.kind === 'escalated'
          ? [link.linkId, input.kind, input.escalation]
          : [link.linkId, input.kind, input.changes, input.editRequestId ?? null];
  const id = createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 40);
  return {
    id,
    kind: input.kind,
    linkId: link.linkId,
    pairId: link.pairId,
    incident: toIncidentView(link),
    changes: input.changes,
    ...(input.actor ? { actor: input.actor } : {}),
    ...(input.editRequestId ? { editRequestId: input.editRequestId } : {}),
    ...(input.outcome ? { outcome: input.outcome } : {}),
    ...(input.target ? { target: input.target } : {}),
    ...(input.escalation ? { escalation: input.escalation } : {}),
    occurredAt: input.occurredAt,
  };
}

/** Whether a card would show `next` differently from `previous`. */
export function outcomeVisiblyChanged(previous: EditOutcome | null, next: EditOutcome): boolean {
  return JSON.stringify(outcomeShown(previous)) !== JSON.stringify(outcomeShown(next));
}
