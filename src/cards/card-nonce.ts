// Fills the idempotency nonce into a rendered card. Cards are rendered with NONCE_PLACEHOLDER in
// every action's data.nonce; the bot calls withNonce(card, randomUUID()) each time it sends or
// refreshes a card. A retried invoke of the same click carries the same nonce (so the bot can use
// `${nonce}:${verb}:${userAadObjectId}` as the edit request's idempotency key); a click on the next
// card carries a new one.
import type { AdaptiveCard } from './render.ts';
import { NONCE_PLACEHOLDER } from './verbs.ts';

const NONCE_SHAPE = /^[A-Za-z0-9_-]{8,128}$/;

/** A copy of `card` with every `data.nonce` placeholder replaced by `nonce`. */
export function withNonce(card: AdaptiveCard, nonce: string): AdaptiveCard {
  if (!NONCE_SHAPE.test(nonce)) {
    throw new RangeError('withNonce: the nonce must be 8-128 characters of A-Z a-z 0-9 _ - (e.g. crypto.randomUUID())');
  }
  return replaceNonce(card, nonce) as AdaptiveCard;
}

function replaceNonce(node: unknown, nonce: string): unknown {
  if (Array.isArray(node)) return node.map((item) => replaceNonce(item, nonce));
  if (node === null || typeof node !== 'object') return node;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    result[key] = key === 'nonce' && value === NONCE_PLACEHOLDER ? nonce : replaceNonce(value, nonce);
  }
  return result;
}
