// The command parser, case by case. Pure.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { COMMAND_NAMES, COMMAND_USAGE, MAX_COMMAND_TEXT, parseCommand, tokenize } from '../../src/bot/commands/parse.ts';
import { MAX_COMMENT_CHARS, MAX_TAG_CHARS, MAX_TAGS_PER_EDIT } from '../../src/domain/edit-input.ts';

const command = (text: string) => {
  const result = parseCommand(text);
  if (result.kind !== 'command') throw new Error(`expected a command from ${JSON.stringify(text)}, got ${JSON.stringify(result)}`);
  return result.command;
};
const refusal = (text: string) => {
  const result = parseCommand(text);
  if (result.kind !== 'invalid') throw new Error(`expected a refusal of ${JSON.stringify(text)}, got ${JSON.stringify(result)}`);
  return result;
};

describe('what counts as a command', () => {
  test.each([[undefined], [''], ['   '], ['hello bot'], ['what is the list?'.replace('list', 'lisst')]])('%p is free text', (text) => {
    expect(parseCommand(text as string | undefined)).toEqual({ kind: 'text' });
  });

  test('slash and bare forms, any case, with Teams leftovers', () => {
    expect(command('/help')).toEqual({ name: 'help' });
    expect(command('HELP me please')).toEqual({ name: 'help' });
    expect(command('\u00A0 /Incident 29 ')).toEqual({ name: 'incident', ref: '29' });
    expect(command('<at>Incident Bridge</at> /incident 29')).toEqual({ name: 'incident', ref: '29' });
    expect(command('incident&nbsp;29')).toEqual({ name: 'incident', ref: '29' });
  });

  test('unknown slash commands are reported by name', () => {
    expect(parseCommand('/delete 29')).toEqual({ kind: 'unknown', name: 'delete' });
    expect(parseCommand('/???')).toMatchObject({ kind: 'unknown' });
  });

  test('every command has a usage line', () => {
    for (const name of COMMAND_NAMES) expect(COMMAND_USAGE[name]).toMatch(new RegExp(`^/${name}`));
  });

  test('refusals carry the reason and the usage', () => {
    expect(refusal('/incident')).toEqual({ kind: 'invalid', name: 'incident', reason: 'the incident id is missing', usage: '/incident <id>' });
  });
});

describe('incident ids', () => {
  test.each([['29', '29'], ['#1042', '1042'], ['3f2a-bc', '3f2a-bc'], ['00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000001']])('%s', (input, ref) => {
    expect(command(`/incident ${input}`)).toEqual({ name: 'incident', ref });
  });
  test.each([['<script>'], ['../../etc'], ['a'.repeat(101)], ['29 30']])('%s is refused', (input) => {
    refusal(`/incident ${input}`);
  });
});

describe('/list filters', () => {
  test('all filters', () => {
    expect(command('/list severity>=HIGH status=in-progress tag="needs review" product=endpoint tenant=contoso-prod limit=25')).toEqual({
      name: 'list',
      filter: { minSeverity: 'high', status: 'inProgress', tag: 'needs review', productName: 'endpoint', pairId: 'contoso-prod', limit: 25 },
    });
    expect(command('/list minSeverity=low')).toEqual({ name: 'list', filter: { minSeverity: 'low' } });
    expect(command('/list')).toEqual({ name: 'list', filter: {} });
  });
  test.each([
    ['/list severity=high', 'severity>='],
    ['/list minSeverity>=high', 'minSeverity='],
    ['/list severity>=extreme', 'not a severity'],
    ['/list status=closed', 'not a status'],
    ['/list limit=0', 'limit must be'],
    ['/list limit=26', 'limit must be'],
    ['/list limit=ten', 'limit must be'],
    ['/list colour=red', "unknown filter 'colour'"],
    ['/list tag>=x', "takes '='"],
    ['/list tag=', 'has no value'],
    ['/list tag=a,b', 'takes one value'],
    ['/list high', 'not a filter'],
    ['/list tag="unclosed', 'not closed'],
    ['/list tenant=$bad', 'not a tenant'],
  ])('%s is refused (%s)', (text, reason) => {
    expect(refusal(text).reason).toContain(reason);
  });
});

describe('edits', () => {
  test('severity', () => {
    expect(command('/severity 29 Informational')).toEqual({ name: 'severity', ref: '29', severity: 'informational' });
    expect(refusal('/severity 29 unknown').reason).toContain('not a severity');
    expect(refusal('/severity 29 high now').reason).toContain('too many words');
  });

  test('tags', () => {
    expect(command('/tag 29 +vip -phishing +"needs review" +vip')).toEqual({ name: 'tag', ref: '29', add: ['vip', 'needs review'], remove: ['phishing'] });
    expect(refusal('/tag 29').reason).toContain('say which tags');
    expect(refusal('/tag 29 +').reason).toContain('empty');
    expect(refusal(`/tag 29 +${'x'.repeat(MAX_TAG_CHARS + 1)}`).reason).toBe('a tag is 129 characters long; the limit is 128');
    expect(refusal(`/tag 29 ${Array.from({ length: MAX_TAGS_PER_EDIT + 1 }, (_, i) => `+t${i}`).join(' ')}`).reason).toBe('21 tag changes in one edit; the limit is 20');
    expect(refusal('/tag 29 +a\u202Eb').reason).toBe('a tag contains a text-direction character (U+202E)');
  });

  test('comment keeps its text verbatim (spacing, quotes, newlines)', () => {
    expect(command('/comment 29   "Quoted"  and\nmultiline  ')).toEqual({ name: 'comment', ref: '29', text: '"Quoted"  and\nmultiline' });
    expect(command(`/comment 29 ${'x'.repeat(MAX_COMMENT_CHARS)}`)).toMatchObject({ name: 'comment' });
    expect(refusal(`/comment 29 ${'x'.repeat(MAX_COMMENT_CHARS + 1)}`).reason).toBe('the comment is 29,701 characters long; the limit is 29,700');
    expect(refusal('/comment 29 bell\u0007').reason).toBe('the comment contains a control character (U+0007)');
    expect(refusal('/comment').reason).toContain('incident id is missing');
  });

  test('assign', () => {
    expect(command('/assign 29 ME')).toEqual({ name: 'assign', ref: '29', target: { kind: 'me' } });
    expect(command('/assign 29 alex.w@contoso.onmicrosoft.com')).toEqual({ name: 'assign', ref: '29', target: { kind: 'user', upn: 'alex.w@contoso.onmicrosoft.com' } });
    expect(command('/assign 29 unassign')).toEqual({ name: 'assign', ref: '29', target: { kind: 'nobody' } });
    expect(refusal('/assign 29').reason).toContain('say who');
    expect(refusal('/assign 29 <at>x</at>@y.z').reason).toContain('not a user principal name');
  });

  test('status and classification', () => {
    expect(command('/status 29 active')).toEqual({ name: 'status', ref: '29', status: 'active' });
    expect(command('/status 29 In_Progress')).toEqual({ name: 'status', ref: '29', status: 'inProgress' });
    expect(command('/status 29 resolved TP')).toEqual({ name: 'status', ref: '29', status: 'resolved', classification: 'truePositive' });
    expect(command('/status 29 resolved benign-positive')).toEqual({ name: 'status', ref: '29', status: 'resolved', classification: 'benignPositive' });
    expect(command('/status 29 resolved undetermined')).toEqual({ name: 'status', ref: '29', status: 'resolved', classification: 'undetermined' });
    expect(refusal('/status 29').reason).toContain('say which status');
    expect(refusal('/status 29 new').reason).toContain('cannot be set');
    expect(refusal('/status 29 resolved maybe').reason).toContain('not a classification');
    expect(refusal('/status 29 resolved tp extra').reason).toContain('too many words');
  });
});

describe('subscriptions', () => {
  test('subscribe with repeated and comma-listed values', () => {
    expect(command('/subscribe severity>=medium product=endpoint,identity product=endpoint tag=vip status=active,new tenant=a,b')).toEqual({
      name: 'subscribe',
      filters: { minSeverity: 'medium', products: ['endpoint', 'identity'], tags: ['vip'], statuses: ['active', 'new'], pairIds: ['a', 'b'] },
    });
    expect(command('/subscribe')).toEqual({ name: 'subscribe', filters: {} });
    expect(refusal('/subscribe limit=5').reason).toContain('unknown filter');
  });

  test('unsubscribe and list', () => {
    expect(command('/unsubscribe')).toEqual({ name: 'unsubscribe', target: { kind: 'ask' } });
    expect(command('/unsubscribe ALL')).toEqual({ name: 'unsubscribe', target: { kind: 'all' } });
    expect(command('/unsubscribe 3fa9c2d1e0b4')).toEqual({ name: 'unsubscribe', target: { kind: 'id', id: '3fa9c2d1e0b4' } });
    expect(refusal('/unsubscribe a b').reason).toContain('too many words');
    expect(refusal('/unsubscribe <x>').reason).toContain('not a subscription id');
    expect(command('/subscriptions')).toEqual({ name: 'subscriptions' });
    expect(refusal('/subscriptions all').reason).toContain('too many words');
  });
});

test('tokenize groups quoted words and refuses an open quote', () => {
  expect(tokenize(' a  "b c"  d"e f" ')).toEqual(['a', 'b c', 'de f']);
  expect(tokenize('""')).toEqual(['']);
  expect(() => tokenize('"open')).toThrow('not closed');
});

test('very long input is refused before parsing', () => {
  expect(refusal(`/comment 29 ${'x'.repeat(MAX_COMMAND_TEXT)}`).reason).toBe(`the message is longer than ${MAX_COMMAND_TEXT} characters`);
});

describe('values are looked up as own entries, never as Object.prototype members', () => {
  const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype);

  test.each([
    ['/status 4 resolved constructor', 'not a classification'],
    ['/status 4 constructor', 'not a status'],
    ['/status 4 resolved __proto__', 'not a classification'],
    ['/subscribe status=constructor', 'not a status'],
    ['/subscribe status=toString', 'not a status'],
    ['/list status=constructor', 'not a status'],
    ['/list status=hasOwnProperty', 'not a status'],
    ['/severity 4 constructor', 'not a severity'],
  ])('%s is refused', (text, reason) => {
    expect(refusal(text).reason).toContain(reason);
  });

  test('no Object.prototype property name, in any case or spelling, is a status, severity or classification', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), fc.string()), fc.boolean(), (key, upper) => {
        const word = upper ? key.toUpperCase() : key;
        const quoted = `"${word.replace(/"/g, '')}"`;
        for (const text of [`/status 4 resolved ${quoted}`, `/list status=${quoted}`, `/subscribe status=${quoted}`, `/severity 4 ${quoted}`]) {
          const result = parseCommand(text);
          if (result.kind !== 'command') continue;
          const values = JSON.stringify(result.command, (_k, v: unknown) => (typeof v === 'function' ? 'FUNCTION' : v));
          expect(values).not.toContain('FUNCTION');
          const command = result.command;
          if (command.name === 'status') expect(['undefined', 'string']).toContain(typeof command.classification);
          if (command.name === 'list') expect(typeof (command.filter.status ?? '')).toBe('string');
          if (command.name === 'subscribe') for (const status of command.filters.statuses ?? []) expect(typeof status).toBe('string');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('numbers are plain decimal digits within bounds', () => {
  test.each(['1e1', '0x10', '0b1', '0o7', '1.0', '+5', '-1', '0', '26', '٣', '9'.repeat(100)])('limit=%s is refused', (limit) => {
    expect(refusal(`/list "limit=${limit}"`).reason).toContain('whole number from 1 to 25');
  });

  test('limit=7 and limit=025 are read as seven and twenty-five', () => {
    expect(command('/list limit=7')).toEqual({ name: 'list', filter: { limit: 7 } });
    expect(command('/list limit=025')).toEqual({ name: 'list', filter: { limit: 25 } });
  });
});

describe('text no store can hold is refused with a reason naming it', () => {
  test.each([
    ['/comment 4 hello \ud800', 'the comment contains a broken character (a lone UTF-16 surrogate'],
    ['/comment 4 hello \udc00 there', 'the comment contains a broken character'],
    ['/comment 4 hello \u0000 there', 'the comment contains a NUL character'],
    ['/tag 4 +bad\ud83d', 'a tag contains a broken character'],
    ['/tag 4 +bad\u0000tag', 'a tag contains a NUL character'],
    ['/assign 4 al\u0000ex@contoso.com', 'the user name contains a NUL character'],
    ['/assign 4 al\ud800ex@contoso.com', 'the user name contains a broken character'],
    ['/list product=\udfff', "a value of 'product' contains a broken character"],
    ['/subscribe tag=\ud800', "a value of 'tag' contains a broken character"],
  ])('%j', (text, reason) => {
    expect(refusal(text).reason).toContain(reason);
  });

  test('a whole surrogate pair (an emoji) is fine', () => {
    expect(command('/comment 4 done \ud83d\ude00')).toEqual({ name: 'comment', ref: '4', text: 'done 😀' });
    expect(command('/tag 4 +\ud83d\udd25')).toEqual({ name: 'tag', ref: '4', add: ['🔥'], remove: [] });
  });
});
