// Limits on what an analyst may send through the bridge, with where each figure comes from.
// Refusing early with a clear message beats a portal's 400 halfway through a two-portal write.

/**
 * Sentinel: "Number of characters per comment: 30,000" (Microsoft Sentinel service limits,
 * incident limits; learn.microsoft.com/azure/sentinel/sentinel-service-limits). Graph documents no
 * limit for alertComment, so the stricter documented figure bounds both portals. It applies to the
 * text as written, i.e. including the attribution prefix.
 */
export const MAX_COMMENT_CHARS = 30_000;

/** Sentinel: "Number of comments per incident: 100" (same service-limits table). */
export const MAX_SENTINEL_COMMENTS_PER_INCIDENT = 100;

/**
 * Neither Graph customTags nor Sentinel labels document a length limit. 128 characters is the
 * bridge's own policy: far beyond a useful tag, short enough to stay readable on a card.
 */
export const MAX_TAG_CHARS = 128;

/** Bridge policy, no documented portal figure: tags one request may add or remove. */
export const MAX_TAGS_PER_REQUEST = 50;

/** Bridge policy: a sanity bound for owner identifiers and names (no portal documents one for assignedTo). */
export const MAX_OWNER_TEXT_CHARS = 256;
