// How big a card is as Teams counts it, and the budget an incident card must fit.
//
// The documented limits differ by where they were read (checked on Microsoft Learn):
// - "Format your bot messages": for years "The bot message size limit is 40 KB ... the entire
//   message payload encoded as UTF-16"; the current revision says about 100 KB and recommends
//   staying within 80 KB. Over the limit, Teams answers 413 MessageSizeTooBig.
// - The Microsoft Teams connector (Power Automate, Logic Apps): "the message size limit is about
//   28 KB" for a posted card or message.
// A card is measured both ways (UTF-8 and UTF-16 bytes of its JSON) and the larger counts, so a
// card within INCIDENT_CARD_BUDGET_BYTES fits every figure above whatever script its text is in.
import type { AdaptiveCard } from './render.ts';

/** The card's JSON, with room left under 28 KB for the activity around it (summary, envelope). */
export const INCIDENT_CARD_BUDGET_BYTES = 26_000;

export interface CardSize {
  utf8Bytes: number;
  utf16Bytes: number;
}

export function cardSize(card: AdaptiveCard): CardSize {
  const json = JSON.stringify(card);
  return { utf8Bytes: Buffer.byteLength(json, 'utf8'), utf16Bytes: json.length * 2 };
}

/** The larger of the two encodings: what the budget is compared with. */
export function cardPayloadBytes(card: AdaptiveCard): number {
  const size = cardSize(card);
  return Math.max(size.utf8Bytes, size.utf16Bytes);
}
