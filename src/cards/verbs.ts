// Action.Execute verbs of the incident card. The bot routes on these
// (app.adaptiveCards.actionExecute(verb, ...)); the card builders emit them. One list, so the two
// cannot drift apart.

export const CARD_VERBS = {
  /** data.severity: one of SEVERITIES (from the Input.ChoiceSet with id 'severity'). */
  setSeverity: 'setSeverity',
  /** data.tags: free text, "+a -b" or a comma list (Input.Text with id 'tags'). */
  editTags: 'editTags',
  /** data.comment: multiline text (Input.Text with id 'comment'). */
  addComment: 'addComment',
  /** Assigns the incident to the person who clicked. */
  assignToMe: 'assignToMe',
  /** Takes ownership and sets the status to in progress, in one edit (shown while nobody has acknowledged it). */
  acknowledge: 'acknowledge',
  /** Re-reads the incident and answers with a fresh card; also the Universal Actions refresh verb. */
  refreshCard: 'refreshCard',
} as const;

export type CardVerb = (typeof CARD_VERBS)[keyof typeof CARD_VERBS];

/**
 * Opens the incident's war room (a Teams group chat; data.warRoomPeople: sign-in names typed in the
 * Input.Text with that id). Not an edit of the incident: the war room feature routes it, before the
 * edit verbs (src/bot/routes/war-room.ts).
 */
export const WAR_ROOM_VERB = 'openWarRoom';

export const ALL_CARD_VERBS: readonly CardVerb[] = Object.values(CARD_VERBS);

export function isCardVerb(value: unknown): value is CardVerb {
  return typeof value === 'string' && (ALL_CARD_VERBS as readonly string[]).includes(value);
}

/**
 * Placeholder the card carries in every action's data.nonce. The bot replaces it with a fresh
 * random value each time it sends or refreshes the card (see withFreshNonce), so a click can be
 * used as an idempotency key: a retried invoke carries the same nonce, a second click on a newer
 * card a different one.
 */
export const NONCE_PLACEHOLDER = '__NONCE__';
