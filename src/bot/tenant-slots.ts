// At most a few deliveries per tenant at a time, in the order they came.
//
// A change fanned out to 500 channels released 500 bursts at once. Each reads the store and claims its
// card before its first send, and they advanced in step: the first card went out only once all 500
// had done that (0.9 s of a 10 s floor). With a bound, the first bursts send at once and the rest
// follow as slots free up, while enough wait on the tenant's rate limit to keep it busy. Per tenant,
// so one customer's fan-out never holds back another's.
export type WithSlot = <T>(key: string, work: () => Promise<T>) => Promise<T>;

export function createKeyedSlots(limit: number): WithSlot {
  if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`A slot limit must be a whole number of at least 1, got ${limit}.`);
  const states = new Map<string, { active: number; waiting: Array<() => void> }>();
  return async <T>(key: string, work: () => Promise<T>): Promise<T> => {
    let state = states.get(key);
    if (!state) {
      state = { active: 0, waiting: [] };
      states.set(key, state);
    }
    const mine = state;
    if (mine.active >= limit) await new Promise<void>((resolve) => mine.waiting.push(resolve));
    else mine.active += 1;
    try {
      return await work();
    } finally {
      // The slot passes to the next in line as it is; the last one out forgets the key.
      const next = mine.waiting.shift();
      if (next) next();
      else if ((mine.active -= 1) === 0) states.delete(key);
    }
  };
}
