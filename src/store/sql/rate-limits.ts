import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import type { RateLimitRepository, TokenTake } from '../ports.ts';
import { iso, isoParam } from './rows.ts';

/** Tolerance for float drift in refilled token counts (a bucket at 0.9999999999 is full enough). */
const EPSILON = 1e-9;

// Tokens after refill, from the row's previous state. A `now` earlier than the last take (another
// replica's clock runs ahead) refills nothing rather than going negative.
const REFILLED = `LEAST($2::double precision, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM ($4::timestamptz - b.updated_at))) * $3::double precision)`;

export function validateBucket(capacity: number, refillPerSecond: number, cost: number): void {
  if (!(Number.isFinite(capacity) && capacity > 0)) throw new StoreError('invalid-argument', `Token bucket capacity must be a positive number, got ${capacity}.`);
  if (!(Number.isFinite(refillPerSecond) && refillPerSecond > 0)) throw new StoreError('invalid-argument', `Token bucket refillPerSecond must be a positive number, got ${refillPerSecond}.`);
  if (!(Number.isFinite(cost) && cost > 0 && cost <= capacity)) throw new StoreError('invalid-argument', `Token bucket cost must be positive and at most the capacity (${capacity}), got ${cost}.`);
}

export function retryAfterMsFor(granted: boolean, tokens: number, cost: number, refillPerSecond: number): number {
  return granted ? 0 : Math.max(1, Math.ceil(((cost - tokens) / refillPerSecond) * 1000));
}

export function createSqlRateLimitRepository(db: Db): RateLimitRepository {
  return {
    async setRetryAfter(key, untilIso) {
      await db.query(
        `INSERT INTO rate_limit_pauses (key, until) VALUES ($1, $2::timestamptz)
         ON CONFLICT (key) DO UPDATE SET until = GREATEST(rate_limit_pauses.until, EXCLUDED.until)`,
        [key, isoParam(untilIso, 'untilIso')],
      );
    },

    async getRetryAfter(key, now) {
      const { rows } = await db.query<{ until: unknown }>(
        `SELECT until FROM rate_limit_pauses WHERE key = $1 AND ($2::timestamptz IS NULL OR until > $2::timestamptz)`,
        [key, now === undefined ? null : isoParam(now, 'now')],
      );
      return rows[0] === undefined ? null : iso(rows[0].until);
    },

    async take(key, capacity, refillPerSecond, now, cost = 1): Promise<TokenTake> {
      validateBucket(capacity, refillPerSecond, cost);
      // One statement under the row lock: concurrent takers queue on the row and each sees the
      // previous one's result, so the bucket never grants more than it holds.
      const { rows } = await db.query<{ tokens: number; last_granted: boolean }>(
        `INSERT INTO token_buckets AS b (key, tokens, updated_at, last_granted)
         VALUES ($1, $2::double precision - $5::double precision, $4::timestamptz, true)
         ON CONFLICT (key) DO UPDATE SET
           tokens = CASE WHEN ${REFILLED} >= $5::double precision - ${EPSILON} THEN GREATEST(0, ${REFILLED} - $5::double precision) ELSE ${REFILLED} END,
           last_granted = ${REFILLED} >= $5::double precision - ${EPSILON},
           updated_at = GREATEST(b.updated_at, $4::timestamptz)
         RETURNING tokens, last_granted`,
        [key, capacity, refillPerSecond, isoParam(now, 'now'), cost],
      );
      const row = rows[0];
      if (row === undefined) throw new StoreError('query-failed', `Token bucket ${key} returned no row.`);
      const tokens = Number(row.tokens);
      return { granted: row.last_granted, tokens, retryAfterMs: retryAfterMsFor(row.last_granted, tokens, cost, refillPerSecond) };
    },
  };
}
