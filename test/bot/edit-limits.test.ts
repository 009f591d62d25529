// One source of truth for what an edit may carry: the card's inputs, the chat command parser and
// the sync planner use the same limits, and the same bad input gets the same refusal whether it
// was typed after /comment or /tag or into the card.
import { describe, expect, test } from '@jest/globals';
import { MAX_COMMAND_TEXT, parseCommand } from '../../src/bot/commands/parse.ts';
import { MAX_COMMENT_CHARS, MAX_TAG_CHARS, MAX_TAG_EDIT_TEXT_CHARS, MAX_TAGS_PER_EDIT } from '../../src/domain/edit-input.ts';
import type { Actor } from '../../src/domain/incident.ts';
import { planEdit } from '../../src/sync/plan-edit.ts';
import { defenderIncident, EVERYTHING_WRITABLE, sentinelIncident } from '../sync/fixtures.ts';
import { invokeActivity, messageActivity } from './support/activities.ts';
import { cardsOf, createHarness, invokeAnswerOf, textsOf } from './support/harness.ts';

const actor: Actor = { objectId: '11111111-2222-3333-4444-555555555555', upn: 'jane@contoso.com', displayName: 'Jane Doe' };

/** An input of the rendered card by id. */
function inputOf(card: unknown, id: string): Record<string, unknown> | undefined {
  let found: Record<string, unknown> | undefined;
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (typeof record['type'] === 'string' && record['type'].startsWith('Input.') && record['id'] === id) found = record;
      Object.values(record).forEach(walk);
    }
  };
  walk(card);
  return found;
}

/** The text a Markdown reply shows: backslash escapes resolved. */
function shown(markdown: string): string {
  return markdown.replace(/\\(.)/g, '$1');
}

function planErrors(changes: Parameters<typeof planEdit>[0]['changes']): string[] {
  return planEdit({ changes, defender: defenderIncident(), sentinel: sentinelIncident(), writable: EVERYTHING_WRITABLE, actor, changeNotes: true }).errors;
}

describe('one limit per thing an edit carries', () => {
  test("the card's inputs, the parser and the planner accept the same longest comment and tag box, and no more", async () => {
    const h = createHarness();
    const [card] = cardsOf(await h.turn(messageActivity('/incident 29')));
    expect(inputOf(card, 'comment')?.['maxLength']).toBe(MAX_COMMENT_CHARS);
    expect(inputOf(card, 'tags')?.['maxLength']).toBe(MAX_TAG_EDIT_TEXT_CHARS);

    const longest = 'x'.repeat(MAX_COMMENT_CHARS);
    expect(parseCommand(`/comment 29 ${longest}`).kind).toBe('command');
    expect(parseCommand(`/comment 29 ${longest}x`).kind).toBe('invalid');
    expect(planErrors({ comment: longest })).toEqual([]);
    expect(planErrors({ comment: `${longest}x` })).toHaveLength(1);
    expect(`/comment 29 ${longest}`.length).toBeLessThanOrEqual(MAX_COMMAND_TEXT);

    // The tag box holds the most tags an edit may change, each as long as a tag may be.
    const fullBox = Array.from({ length: MAX_TAGS_PER_EDIT }, (_, i) => `+"${String(i).padStart(MAX_TAG_CHARS, 't')}"`).join(' ');
    expect(fullBox.length).toBeLessThanOrEqual(MAX_TAG_EDIT_TEXT_CHARS);
    const answer = invokeAnswerOf(await h.turn(invokeActivity('editTags', { linkId: 'link-1', nonce: 'full', tags: fullBox })));
    expect(answer.status).toBe(200);
    expect(h.bridge.requests.at(-1)?.changes.tagsAdd).toHaveLength(MAX_TAGS_PER_EDIT);
    expect(planErrors({ tagsAdd: h.bridge.requests.at(-1)?.changes.tagsAdd ?? [] })).toEqual([]);
  });

  const tooManyTags = Array.from({ length: MAX_TAGS_PER_EDIT + 1 }, (_, i) => `+t${i}`).join(' ');
  test.each([
    ['a control character in a comment', '/comment 29 ring\u0007ring', { verb: 'addComment', data: { comment: 'ring\u0007ring' } }, 'the comment contains a control character (U+0007)'],
    ['a text-direction override in a comment', '/comment 29 see invoice\u202Efdp.exe', { verb: 'addComment', data: { comment: 'see invoice\u202Efdp.exe' } }, 'the comment contains a text-direction character (U+202E)'],
    ['a C1 control character in a tag', '/tag 29 +bad\u0085tag', { verb: 'editTags', data: { tags: '+bad\u0085tag' } }, 'a tag contains a control character (U+0085)'],
    ['an over-long comment', `/comment 29 ${'x'.repeat(MAX_COMMENT_CHARS + 1)}`, { verb: 'addComment', data: { comment: 'x'.repeat(MAX_COMMENT_CHARS + 1) } }, 'the comment is 29,701 characters long; the limit is 29,700'],
    ['an over-long tag', `/tag 29 +${'x'.repeat(MAX_TAG_CHARS + 1)}`, { verb: 'editTags', data: { tags: `+${'x'.repeat(MAX_TAG_CHARS + 1)}` } }, 'a tag is 129 characters long; the limit is 128'],
    ['too many tags', `/tag 29 ${tooManyTags}`, { verb: 'editTags', data: { tags: tooManyTags } }, '21 tag changes in one edit; the limit is 20'],
  ])('%s gets the same refusal from the command and from the card, and nothing is submitted', async (_what, command, click, reason) => {
    const h = createHarness();
    const [reply = ''] = textsOf(await h.turn(messageActivity(command)));
    expect(shown(reply)).toContain(`I could not read that: ${reason}.`);
    const answer = invokeAnswerOf(await h.turn(invokeActivity(click.verb, { linkId: 'link-1', nonce: 'n', ...click.data })));
    expect(answer.value).toBe(`${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`);
    expect(h.bridge.submitCalls).toHaveLength(0);
  });

  test('the planner refuses the same input with the same words', () => {
    expect(planErrors({ comment: 'ring\u0007ring' })).toEqual(['The comment contains a control character (U+0007).']);
    expect(planErrors({ tagsAdd: ['bad\u0085tag'] })[0]).toMatch(/^A tag contains a control character \(U\+0085\)\./);
    expect(planErrors({ tagsAdd: Array.from({ length: MAX_TAGS_PER_EDIT + 1 }, (_, i) => `t${i}`) })).toEqual(['21 tag changes in one edit; the limit is 20.']);
  });
});
