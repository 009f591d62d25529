// Pure rules of the bot layer: roles, subscription matching, send policy, burst folding, ids.
import { describe, expect, test } from '@jest/globals';
import { roleOf } from '../../src/bot/access.ts';
import { conversationsToNotify, describeFilters, matchesFilters } from '../../src/bot/subscription-filter.ts';
import { backoffDelayMs, classifySendFailure, describeSendFailure, parseRetryAfterMs, tenantBucketRule } from '../../src/bot/send-policy.ts';
import { mergeBurst } from '../../src/bot/change-burst.ts';
import { baseConversationId, toThreadReference, toTopLevelReference } from '../../src/bot/conversation-reference.ts';
import { cardActionIdempotencyKey, commandIdempotencyKey } from '../../src/bot/idempotency.ts';
import { effectiveTagEdit, parseTagText } from '../../src/bot/card-action-data.ts';
import { ownerFromActor } from '../../src/bot/identity.ts';
import { planEdit } from '../../src/sync/plan-edit.ts';
import { defenderIncident, sentinelIncident, WRITABLE } from '../sync/fixtures.ts';
import type { ChangeEvent } from '../../src/domain/change-events.ts';
import { sampleView } from '../fakes/bridge.ts';
import { restError } from './support/fake-sender.ts';

describe('roles', () => {
  const alice = { objectId: 'AAAA-1', upn: 'Alice@Contoso.com', displayName: 'Alice' };
  test('local mode without ANALYSTS: everyone is an analyst; a real tenant fails closed', () => {
    expect(roleOf(alice, [], { analysts: undefined, approvers: [], localMode: true })).toBe('analyst');
    expect(roleOf(alice, [], { analysts: undefined, approvers: [], localMode: false })).toBe('viewer');
  });
  test('listed by object id, UPN (any case) or group; approvers are analysts too', () => {
    const policy = (analysts: string[], approvers: string[] = []) => ({ analysts, approvers, localMode: true });
    expect(roleOf(alice, [], policy(['aaaa-1']))).toBe('analyst');
    expect(roleOf(alice, [], policy(['alice@contoso.COM']))).toBe('analyst');
    expect(roleOf(alice, ['G-1'], policy(['g-1']))).toBe('analyst');
    expect(roleOf(alice, [], policy(['someone-else']))).toBe('viewer');
    expect(roleOf(alice, [], policy(['someone-else'], [' alice@contoso.com ']))).toBe('approver');
    expect(roleOf({ objectId: '', displayName: 'x' }, [], policy(['']))).toBe('viewer');
  });
});

describe('subscription matching', () => {
  const view = sampleView({ severity: 'medium', tags: ['Phishing'], productNames: ['microsoftDefenderForEndpoint'], tenantId: 'T-1' });
  const at = { pairId: 'contoso', incident: view };
  test.each([
    [{}, true],
    [{ minSeverity: 'medium' as const }, true],
    [{ minSeverity: 'high' as const }, false],
    [{ tags: ['phishing'] }, true],
    [{ tags: ['vip'] }, false],
    [{ products: ['endpoint'] }, true],
    [{ products: ['Defender for Endpoint'] }, true],
    [{ products: ['identity'] }, false],
    [{ statuses: ['active' as const] }, true],
    [{ statuses: ['resolved' as const] }, false],
    [{ pairIds: ['CONTOSO'] }, true],
    [{ pairIds: ['t-1'] }, true],
    [{ pairIds: ['fabrikam'] }, false],
    [{ minSeverity: 'low' as const, tags: ['vip', 'phishing'], products: ['identity', 'endpoint'] }, true],
  ])('%j -> %s', (filters, expected) => {
    expect(matchesFilters(filters, at)).toBe(expected);
  });

  test('either portal view can satisfy a criterion (one side may lag)', () => {
    const lagging = structuredClone(view);
    if (lagging.sentinel) lagging.sentinel.severity = 'high';
    expect(matchesFilters({ minSeverity: 'high' }, { pairId: 'x', incident: lagging })).toBe(true);
  });

  test('each conversation once, however many subscriptions match', () => {
    const sub = (id: string, conversationId: string, filters = {}) => ({ id, conversationId, filters, createdBy: null, createdAt: '' });
    expect(conversationsToNotify([sub('1', 'c1'), sub('2', 'c1'), sub('3', 'c2', { tags: ['vip'] }), sub('4', 'c3')], at)).toEqual(['c1', 'c3']);
  });

  test('described for replies', () => {
    expect(describeFilters({})).toBe('every incident');
    expect(describeFilters({ minSeverity: 'high', tags: ['a', 'b'] })).toBe('severity ≥ high, tag a or b');
    // Statuses read as they are typed in commands, never as enum values.
    expect(describeFilters({ statuses: ['inProgress', 'awaitingAction', 'new'] })).toBe('status in-progress or awaiting-action or new');
  });
});

describe('send policy', () => {
  test('reads status, Retry-After and error code from a botbuilder-style error', () => {
    expect(describeSendFailure(restError({ status: 429, retryAfter: '7', errorCode: 'Throttled' }))).toEqual({ status: 429, retryAfter: '7', errorCode: 'Throttled' });
    expect(describeSendFailure({ code: 'ECONNRESET' })).toEqual({ networkCode: 'ECONNRESET' });
    expect(describeSendFailure('nope')).toEqual({});
  });

  test.each([
    [{ status: 429 }, 'send', 'retry'],
    [{ status: 412 }, 'update', 'retry'],
    [{ status: 502 }, 'reply', 'retry'],
    [{ status: 504 }, 'send', 'retry'],
    [{ status: 403 }, 'send', 'conversationGone'],
    [{ status: 404 }, 'send', 'conversationGone'],
    [{ status: 404 }, 'update', 'messageGone'],
    [{ status: 404, errorCode: 'ConversationNotFound' }, 'update', 'conversationGone'],
    [{ status: 400 }, 'send', 'fail'],
    [{ status: 500 }, 'send', 'fail'],
    [{ networkCode: 'ECONNRESET' }, 'send', 'retry'],
    [{}, 'send', 'fail'],
  ] as const)('%j on %s -> %s', (failure, operation, verdict) => {
    expect(classifySendFailure(failure, operation)).toBe(verdict);
  });

  test('Retry-After as seconds or HTTP date; backoff 2, 4, 8 s plus up to 50% jitter', () => {
    const now = Date.parse('2024-05-01T10:00:00Z');
    expect(parseRetryAfterMs('3', now)).toBe(3000);
    expect(parseRetryAfterMs('Wed, 01 May 2024 10:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfterMs('Wed, 01 May 2024 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect([0, 1, 2, 5].map((retry) => backoffDelayMs(retry, () => 0))).toEqual([2000, 4000, 8000, 8000]);
    expect(backoffDelayMs(0, () => 1)).toBe(3000);
  });

  test('the tenant bucket grants at most the limit less one in any second, and refills at all but 2.25 of it', () => {
    for (const rps of [3, 30, 50, 1000]) {
      const rule = tenantBucketRule(rps);
      expect(rule.capacity + rule.refillPerSecond).toBe(rps - 1);
      expect(rule.refillPerSecond).toBe(rps - 2.25);
    }
    for (const bad of [2, 30.5, Number.NaN, 1001]) expect(() => tenantBucketRule(bad)).toThrow(RangeError);
  });
});

describe('burst folding', () => {
  const base = (seq: number, changes: ChangeEvent['changes'], kind: ChangeEvent['kind'] = 'updated'): ChangeEvent => ({
    id: `e${seq}`, seq, kind, linkId: 'l', pairId: 'p', incident: sampleView({ title: `v${seq}` }), changes, occurredAt: '',
  });
  test('first from, last to, comments all kept, round trips dropped, latest view', () => {
    const merged = mergeBurst([
      base(3, [{ field: 'comment', from: null, to: 'second', portal: 'sentinel', by: 'Raj' }, { field: 'status', from: 'inProgress', to: 'active', portal: 'defender', by: 'Jo' }]),
      base(1, [{ field: 'severity', from: 'low', to: 'medium', portal: 'defender', by: 'Jo' }, { field: 'status', from: 'active', to: 'inProgress', portal: 'defender', by: 'Jo' }]),
      base(2, [{ field: 'severity', from: 'medium', to: 'high', portal: 'sentinel', by: 'Raj' }, { field: 'comment', from: null, to: 'first', portal: 'sentinel', by: 'Raj' }]),
    ]);
    expect(merged.seq).toBe(3);
    expect(merged.incident.defender?.title).toBe('v3');
    expect(merged.changes).toEqual([
      { field: 'severity', from: 'low', to: 'high', portal: 'defender', by: 'Jo, Raj' },
      { field: 'comment', from: null, to: 'first', portal: 'sentinel', by: 'Raj' },
      { field: 'comment', from: null, to: 'second', portal: 'sentinel', by: 'Raj' },
    ]);
  });
  test('a burst that starts with creation reads as a creation', () => {
    expect(mergeBurst([base(1, [], 'created'), base(2, [])]).kind).toBe('created');
    expect(() => mergeBurst([])).toThrow();
  });
});

describe('conversation ids and keys', () => {
  test('threads are cut for posts and added for replies in channels only', () => {
    expect(baseConversationId('19:a@thread.tacv2;messageid=123')).toBe('19:a@thread.tacv2');
    const channel = { conversation: { id: '19:a@thread.tacv2;messageid=9', conversationType: 'channel', isGroup: true, name: '' } };
    expect(toTopLevelReference(channel).conversation?.id).toBe('19:a@thread.tacv2');
    expect(toThreadReference(toTopLevelReference(channel), '555').conversation?.id).toBe('19:a@thread.tacv2;messageid=555');
    const chat = { conversation: { id: 'a:chat', conversationType: 'personal', isGroup: false, name: '' } };
    expect(toThreadReference(chat, '555').conversation?.id).toBe('a:chat');
  });

  test('idempotency keys: same delivery same key, anything else different', () => {
    expect(commandIdempotencyKey('19:c;messageid=1', 'a1')).toBe(commandIdempotencyKey('19:c', 'a1'));
    expect(commandIdempotencyKey('19:c', 'a1')).not.toBe(commandIdempotencyKey('19:c', 'a2'));
    const click = { conversationId: 'c', cardActivityId: 'card', verb: 'setSeverity', data: { linkId: 'l', severity: 'high', nonce: 'n' }, userId: 'u' };
    expect(cardActionIdempotencyKey(click)).toBe(cardActionIdempotencyKey({ ...click, data: { nonce: 'n', severity: 'high', linkId: 'l' } }));
    expect(cardActionIdempotencyKey(click)).not.toBe(cardActionIdempotencyKey({ ...click, userId: 'v' }));
    expect(cardActionIdempotencyKey(click)).not.toBe(cardActionIdempotencyKey({ ...click, data: { ...click.data, nonce: 'm' } }));
  });
});

describe('tag box', () => {
  test('signs, commas and quoted phrases; no-op changes dropped', () => {
    expect(parseTagText('+vip -phishing')).toEqual({ add: ['vip'], remove: ['phishing'] });
    expect(parseTagText('needs review, vip, -old')).toEqual({ add: ['needs review', 'vip'], remove: ['old'] });
    expect(parseTagText('"needs review" vip')).toEqual({ add: ['needs review', 'vip'], remove: [] });
    expect(effectiveTagEdit({ add: ['vip', 'phishing'], remove: ['old', 'gone'] }, ['phishing', 'old'])).toEqual({ add: ['vip'], remove: ['old'] });
    expect(() => parseTagText('  ')).toThrow('empty');
  });
});

describe('"me" as an owner', () => {
  // The Agents Playground's signed-in user: 13 hex digits in the last group, not a GUID.
  const playgroundUser = { objectId: '00000000-0000-0000-0000-0000000000020', upn: 'alexw@example.com', displayName: 'Alex Wilber' };

  test('an object id that is not a GUID is dropped when a UPN carries the owner', () => {
    const owner = ownerFromActor(playgroundUser);
    expect(owner).toEqual({ upn: 'alexw@example.com', displayName: 'Alex Wilber' });
    const plan = planEdit({ changes: { owner: owner! }, defender: defenderIncident(), sentinel: sentinelIncident(), writable: WRITABLE, actor: playgroundUser, changeNotes: true });
    expect(plan.errors).toEqual([]);
    expect(plan.patches.sentinel.owner).toEqual({ upn: 'alexw@example.com', displayName: 'Alex Wilber' });
  });

  test('a GUID object id is kept, with the UPN when known', () => {
    const objectId = 'aaaaaaaa-0000-0000-0000-000000000001';
    expect(ownerFromActor({ objectId, upn: 'alice@contoso.com', displayName: 'Alice' })).toEqual({ objectId, upn: 'alice@contoso.com', displayName: 'Alice' });
    expect(ownerFromActor({ objectId, displayName: 'Alice' })).toEqual({ objectId, displayName: 'Alice' });
  });

  test('neither a GUID nor a UPN: nobody to assign', () => {
    expect(ownerFromActor({ objectId: 'channel-user:29:emulator', displayName: 'Emulator user' })).toBeNull();
    expect(ownerFromActor({ objectId: '00000000-0000-0000-0000-0000000000020', displayName: 'Alex Wilber' })).toBeNull();
  });
});
