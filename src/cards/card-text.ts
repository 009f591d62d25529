// Small pieces of card text shared by the incident card, its alert sections and the list card:
// severity markers and times as analysts read them. Pure.
import type { Severity } from '../domain/incident.ts';

/** A severity's colour as an emoji: text is only ever `default` or `accent` (text-colors.ts). */
export const SEVERITY_MARKERS: Record<Severity, string> = {
  high: '🔴',
  medium: '🟠',
  low: '🟡',
  informational: '🔵',
  unknown: '⚪',
};

/** Epoch ms of an ISO-8601 instant; null for anything else ('' included). */
export function parseInstant(value: unknown): number | null {
  if (typeof value !== 'string' || value === '') return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago"; older than a week: the UTC date. */
export function relativeTime(thenMs: number, nowMs: number): string {
  const seconds = Math.round((nowMs - thenMs) / 1000);
  if (seconds < 0) return formatUtc(thenMs); // clock skew or a future date: say exactly when
  if (seconds < 60) return 'just now';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  if (days <= 7) return `${days} d ago`;
  return formatUtc(thenMs);
}

/** "2026-03-02 10:00 UTC". */
export function formatUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
