// Idempotency keys for edit requests: a retried delivery of the same command or click maps to the
// same key (and so to the first request); anything else gets a new one.
import { hashOf } from './hash.ts';
import { baseConversationId } from './conversation-reference.ts';

/**
 * A command message: Teams redelivers a message with the same activity id; activity ids are unique
 * within a conversation, hence the conversation in the key.
 */
export function commandIdempotencyKey(conversationId: string, activityId: string): string {
  return `teams-command:${hashOf([baseConversationId(conversationId), activityId])}`;
}

/**
 * A card click: the card's message id (replyToId; the invoke's own id when absent), the verb, the
 * submitted data (which includes the card's nonce) and the user. The same user clicking the same
 * button of the same rendering with the same inputs is one request.
 */
export function cardActionIdempotencyKey(input: { conversationId: string; cardActivityId: string; verb: string; data: unknown; userId: string }): string {
  return `teams-card:${hashOf([baseConversationId(input.conversationId), input.cardActivityId, input.verb, input.data, input.userId])}`;
}
