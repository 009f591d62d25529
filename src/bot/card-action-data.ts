// Validates the data of an Action.Execute invoke. Pure. The data comes from the card the bot
// rendered plus what the user typed into its inputs, but it arrives over the wire: treat it as
// untrusted (a hand-crafted invoke can carry anything).
import { asSentence, commentProblem, MAX_TAG_EDIT_TEXT_CHARS } from '../domain/edit-input.ts';
import { SEVERITIES, type Severity } from '../domain/incident.ts';
import { ownValue } from '../domain/untrusted-input.ts';
import { isCardVerb, type CardVerb } from '../cards/verbs.ts';
import { refuseTooManyTags, tokenize, validateTag } from './commands/parse.ts';

/** Tags to add and to remove, as typed in the card's tag box. */
export interface TagEdit {
  add: string[];
  remove: string[];
}

export type CardAction =
  | { verb: 'setSeverity'; linkId: string; severity: Exclude<Severity, 'unknown'> }
  | { verb: 'editTags'; linkId: string; tags: TagEdit }
  | { verb: 'addComment'; linkId: string; comment: string }
  | { verb: 'assignToMe'; linkId: string }
  | { verb: 'acknowledge'; linkId: string }
  | { verb: 'refreshCard'; linkId: string };

export type CardActionResult = { ok: true; action: CardAction } | { ok: false; reason: string };

const LINK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

function stringField(data: object, name: string): string | undefined {
  const value = ownValue(data, name);
  return typeof value === 'string' ? value : undefined;
}

/**
 * Reads the tag box: "+a -b", or "a, b". The box is labelled "Add or remove tags", so a word
 * without a sign is an addition (never "make the tags exactly this": the box is not prefilled
 * with the current tags, and silently removing tags would surprise).
 */
export function parseTagText(text: string): TagEdit {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new Error('the tag box is empty; write +tag to add or -tag to remove');
  if (trimmed.length > MAX_TAG_EDIT_TEXT_CHARS) throw new Error(`the tag box is longer than ${MAX_TAG_EDIT_TEXT_CHARS} characters`);
  // Commas separate tags that may contain spaces; without commas, words (or "quoted phrases") do.
  const items = trimmed.includes(',')
    ? trimmed.split(',').map((item) => item.trim()).filter((item) => item.length > 0)
    : tokenize(trimmed);
  refuseTooManyTags(items.length);
  const add = new Set<string>();
  const remove = new Set<string>();
  for (const item of items) {
    if (item.startsWith('-')) remove.add(validateTag(item.slice(1)));
    else add.add(validateTag(item.startsWith('+') ? item.slice(1) : item));
  }
  const both = [...add].find((tag) => remove.has(tag));
  if (both !== undefined) throw new Error('a tag is both added and removed');
  return { add: [...add], remove: [...remove] };
}

export function validateCardAction(verb: unknown, rawData: unknown): CardActionResult {
  if (!isCardVerb(verb)) return { ok: false, reason: 'This button is not supported any more. Refresh the card.' };
  if (typeof rawData !== 'object' || rawData === null || Array.isArray(rawData)) {
    return { ok: false, reason: 'The card sent no data. Refresh the card and try again.' };
  }
  const data: object = rawData;
  const linkId = stringField(data, 'linkId');
  if (!linkId || !LINK_ID_PATTERN.test(linkId)) return { ok: false, reason: 'The card does not say which incident it is about. Refresh the card.' };
  const typedVerb: CardVerb = verb;
  try {
    switch (typedVerb) {
      case 'setSeverity': {
        const severity = stringField(data, 'severity')?.trim().toLowerCase();
        const match = SEVERITIES.find((value) => value === severity);
        if (!match) return { ok: false, reason: `Pick a severity: ${SEVERITIES.join(', ')}.` };
        return { ok: true, action: { verb: typedVerb, linkId, severity: match } };
      }
      case 'editTags': {
        const text = stringField(data, 'tags');
        if (text === undefined) return { ok: false, reason: 'Write the tags first.' };
        return { ok: true, action: { verb: typedVerb, linkId, tags: parseTagText(text) } };
      }
      case 'addComment': {
        const comment = stringField(data, 'comment')?.trim() ?? '';
        if (comment.length === 0) return { ok: false, reason: 'Write a comment first.' };
        const problem = commentProblem(comment);
        if (problem) return { ok: false, reason: asSentence(problem) };
        return { ok: true, action: { verb: typedVerb, linkId, comment } };
      }
      case 'assignToMe':
      case 'acknowledge':
      case 'refreshCard':
        return { ok: true, action: { verb: typedVerb, linkId } };
    }
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? asSentence(error.message) : 'Invalid input.' };
  }
}

/** Drops what would change nothing: adding a tag the incident has, removing one it lacks. */
export function effectiveTagEdit(edit: TagEdit, currentTags: readonly string[]): TagEdit {
  const current = new Set(currentTags);
  return { add: edit.add.filter((tag) => !current.has(tag)), remove: edit.remove.filter((tag) => current.has(tag)) };
}
