// Conversions between driver values and the ports' plain types. pg and PGlite differ: int8 is a
// string in pg and a number in PGlite; timestamptz is a Date in both; jsonb is parsed in both.
import { StoreError } from '../errors.ts';

export function iso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return new Date(value).toISOString();
  throw new StoreError('query-failed', `Expected a timestamp from the database, got ${typeof value}.`);
}

export function isoOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : iso(value);
}

export function int(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : Number(String(value));
  if (!Number.isSafeInteger(n)) throw new StoreError('query-failed', `Expected an integer from the database, got ${String(value)}.`);
  return n;
}

/** JSON text for a `$n::jsonb` parameter. */
export function json(value: unknown): string {
  return JSON.stringify(value);
}

/** JSON text or SQL NULL. */
export function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** A JS value from a jsonb column. Both drivers parse jsonb, so a string here is a JSON string value. */
export function fromJson<T>(value: unknown): T {
  return (value === undefined ? null : value) as T;
}

/** Normalizes an ISO timestamp parameter and refuses garbage before it reaches SQL. */
export function isoParam(value: string, what: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new StoreError('invalid-argument', `${what} must be an ISO-8601 timestamp, got "${value}".`);
  return new Date(ms).toISOString();
}

export function optional<T>(value: T | null | undefined): T | undefined {
  return value === null ? undefined : value;
}

/** Validates a positive integer limit and clamps it. */
export function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1) throw new StoreError('invalid-argument', `limit must be a positive integer, got ${limit}.`);
  return Math.min(limit, max);
}
