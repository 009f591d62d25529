// When an incident counts as acknowledged, and the durations analysts set acknowledgement deadlines
// with. Pure: imports nothing of ours but the incident model.
import type { Incident, Severity } from './incident.ts';

/**
 * Acknowledged: someone owns it, or someone is working on it or has closed it, in either portal.
 * Defender says so with inProgress, awaitingAction, resolved (or redirected: merged away); Sentinel
 * with Active ("being handled") or Closed. A new incident (Defender active, Sentinel New) without
 * an owner is not.
 */
export function isAcknowledged(incidents: readonly (Incident | null)[]): boolean {
  return incidents.some((incident) => {
    if (!incident) return false;
    if (incident.owner) return true;
    if (incident.portal === 'sentinel') return incident.status === 'active' || incident.status === 'resolved';
    return incident.status !== 'active' && incident.status !== 'new';
  });
}

/** Closed in either portal: resolved, or merged into another incident. */
export function isClosed(incidents: readonly (Incident | null)[]): boolean {
  return incidents.some((incident) => incident !== null && (incident.status === 'resolved' || incident.status === 'redirected'));
}

/** Severities a deadline can be set for (Defender's 'unknown' is none of them). */
export type DeadlineSeverity = Exclude<Severity, 'unknown'>;

/** The longest acknowledgement deadline: 30 days (a longer one is no deadline anyone watches). */
export const MAX_DEADLINE_SECONDS = 30 * 24 * 3600;

const UNIT_SECONDS: Record<string, number> = { m: 60, min: 60, h: 3600, d: 86_400 };

/**
 * "15m", "4h", "2d" (also "90min") as seconds; null for anything else, for 0 and for more than 30
 * days. Whole numbers only: "1.5h" is written "90m".
 */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,6})(m|min|h|d)$/i.exec(text.trim());
  if (!match) return null;
  const seconds = Number(match[1]) * (UNIT_SECONDS[(match[2] ?? '').toLowerCase()] ?? 0);
  return seconds > 0 && seconds <= MAX_DEADLINE_SECONDS ? seconds : null;
}

/** 900 -> "15 min", 14400 -> "4 h", 5400 -> "1 h 30 min", 172800 -> "2 d"; whole minutes, rounded down. */
export function formatDuration(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const parts = [days ? `${days} d` : '', hours ? `${hours} h` : '', minutes ? `${minutes} min` : ''].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : 'under a minute';
}
