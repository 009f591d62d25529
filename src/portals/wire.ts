// Defensive readers for portal JSON. Portal responses are untrusted input: every field is checked
// for its type, text is returned verbatim (never interpreted), and anything else is dropped.
import { instantMs } from '../domain/instant.ts';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function int(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

export function strArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function uniqueSorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

export function unique(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

/** 'TruePositive' -> 'truePositive': older Graph payloads use PascalCase for the same enum members. */
export function camelEnum(value: string): string {
  return value.length > 0 ? value.charAt(0).toLowerCase() + value.slice(1) : value;
}

/** A cursor or timestamp the caller passed: must be a real instant; returned as ISO-8601 UTC. */
export function isoInstant(value: string, what: string): string {
  const ms = instantMs(value);
  if (ms === null) {
    throw new TypeError(`${what} must be an ISO-8601 date-time such as 2026-01-01T00:00:00Z, got ${JSON.stringify(value).slice(0, 80)}`);
  }
  return new Date(ms).toISOString();
}

/**
 * A timestamp a portal served. A UTC one is kept verbatim (Graph's 7 fractional digits order and
 * compare exactly as served); one with an offset is rewritten in UTC, so that every stored
 * timestamp compares as text; anything else (absent, free text, no zone, a day that does not
 * exist) becomes '', which the watcher quarantines rather than let it move a cursor.
 */
export function portalInstant(value: unknown): string {
  if (typeof value !== 'string') return '';
  const ms = instantMs(value);
  if (ms === null) return '';
  return value.endsWith('Z') ? value : new Date(ms).toISOString();
}
