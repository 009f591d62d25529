// Small formatting helpers shared by the connector card view models. Every string that did not
// come from our own code (reasons, names, table names read from the portal, error messages) goes
// through escapeForTextBlock before it reaches a template.
import { escapeForTextBlock } from './escape.ts';
import type { Actor } from '../domain/incident.ts';
import type { ConsequenceSeverity } from '../approvals/diff.ts';

export const MAX_NAME_LENGTH = 80;
export const MAX_LINE_LENGTH = 400;

export function safe(text: unknown, maxLength = MAX_LINE_LENGTH): string {
  return escapeForTextBlock(text, maxLength);
}

export function safeMultiline(text: unknown, maxLength = MAX_LINE_LENGTH): string {
  return escapeForTextBlock(text, maxLength, { multiline: true });
}

/** A customer's name for a connector card; '' when the card names none. */
export function customerText(customer: string | null | undefined): string {
  return customer ? escapeForTextBlock(customer, MAX_NAME_LENGTH) : '';
}

export function actorName(actor: Actor | null | undefined): string {
  if (!actor) return 'unknown';
  return safe(actor.displayName || actor.upn || actor.objectId, MAX_NAME_LENGTH);
}

/** "2026-03-02 09:00 UTC": explicit, the same for everyone, and not a Teams date function. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * A consequence's severity, in words led by an emoji: text colours stay `default` (text-colors.ts
 * says why), so the marker carries the hue.
 */
export function severityLabel(severity: ConsequenceSeverity): string {
  return severity === 'critical' ? '🔴 Critical' : severity === 'warning' ? '⚠️ Warning' : 'ℹ️ Note';
}
