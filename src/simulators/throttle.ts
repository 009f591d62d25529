// Rate limiters for the simulated APIs. Pure state machines driven by an injected time (ms).

/** Graph: at most `limit` requests per key in any sliding 60-second window. */
export interface SlidingWindowLimiter {
  /** Records a request at `nowMs` if allowed; otherwise returns the seconds until one is. */
  take(key: string, nowMs: number, limit: number): { allowed: true } | { allowed: false; retryAfterSeconds: number };
  reset(): void;
}

export function createSlidingWindowLimiter(windowMs = 60_000): SlidingWindowLimiter {
  const hits = new Map<string, number[]>();
  return {
    take(key, nowMs, limit) {
      const recent = (hits.get(key) ?? []).filter((at) => at > nowMs - windowMs);
      if (recent.length >= limit) {
        hits.set(key, recent);
        const oldest = recent[0] ?? nowMs;
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + windowMs - nowMs) / 1000)) };
      }
      recent.push(nowMs);
      hits.set(key, recent);
      return { allowed: true };
    },
    reset() {
      hits.clear();
    },
  };
}

/** ARM: a token bucket per key that refills continuously up to its capacity. */
export interface TokenBucket {
  take(key: string, nowMs: number): { allowed: boolean; remaining: number; retryAfterSeconds: number };
  reset(): void;
}

export function createTokenBucket(capacity: number, refillPerSecond: number): TokenBucket {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, nowMs) {
      const bucket = buckets.get(key) ?? { tokens: capacity, at: nowMs };
      const elapsedSeconds = Math.max(0, nowMs - bucket.at) / 1000;
      bucket.tokens = Math.min(capacity, bucket.tokens + elapsedSeconds * refillPerSecond);
      bucket.at = nowMs;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterSeconds: 0 };
      }
      const wait = refillPerSecond > 0 ? (1 - bucket.tokens) / refillPerSecond : 60;
      return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(wait)) };
    },
    reset() {
      buckets.clear();
    },
  };
}
