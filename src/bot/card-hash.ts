// What an incident card shows, as one hash: the incident view and the visible part of its latest
// edit's outcome. A card message whose recorded hash equals it needs no update.
import type { IncidentView } from '../domain/change-events.ts';
import { outcomeShown, type EditOutcome } from '../domain/edits.ts';
import { hashOf } from './hash.ts';

/** The outcome a card of `view` shows: its latest edit's, never another incident's. */
export function outcomeFor(view: IncidentView, outcome: EditOutcome | null): EditOutcome | null {
  return outcome && outcome.linkId === view.linkId ? outcome : null;
}

/** `overdueSince`: when the incident's deadline passed in the card's conversation (the card says so), if it did. */
export function cardHash(view: IncidentView, outcome: EditOutcome | null, overdueSince?: string | null): string {
  // The rendering itself carries a fresh nonce and the current time, so it differs on every call:
  // the hash covers what the card shows instead.
  return hashOf({ view, outcome: outcomeShown(outcomeFor(view, outcome)), ...(overdueSince ? { overdueSince } : {}) });
}
