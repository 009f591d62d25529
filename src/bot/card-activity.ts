// Wraps a rendered Adaptive Card into the message activity Teams receives.
import { randomUUID } from 'node:crypto';
import { CardFactory, MessageFactory, type Activity } from 'botbuilder';
import type { AdaptiveCard } from '../cards/render.ts';
import { withNonce } from '../cards/card-nonce.ts';
import { toPlainLine } from '../cards/escape.ts';
import type { IncidentView } from '../domain/change-events.ts';

/**
 * A copy of the card with a fresh idempotency nonce in its action data (src/cards/card-nonce.ts).
 * A retried invoke of the same click carries the same nonce, so the edit is accepted once; a click
 * on a newer rendering carries a new one, so a deliberate repeat is a new edit.
 */
export function withFreshNonce(card: AdaptiveCard, nonce: string = randomUUID()): AdaptiveCard {
  return withNonce(card, nonce);
}

/** The incident's title as one plain, bounded line (untrusted text), for notification previews. */
export function incidentSummary(view: IncidentView): string {
  const incident = view.defender ?? view.sentinel;
  return toPlainLine(incident ? incident.title : 'Incident', 120);
}

export function cardActivity(card: AdaptiveCard, view?: IncidentView): Partial<Activity> {
  const activity = MessageFactory.attachment(CardFactory.adaptiveCard(withFreshNonce(card)));
  // Teams shows `summary` in notifications and the activity feed instead of "sent a card".
  if (view) activity.summary = incidentSummary(view);
  return activity;
}

export function textActivity(text: string): Partial<Activity> {
  return MessageFactory.text(text);
}
