// The pure rules of triage: when an incident counts as acknowledged, deadlines and durations, the
// triage record kept from each view, and the digest's figures and card.
import { describe, expect, test } from '@jest/globals';
import { formatDuration, isAcknowledged, isClosed, MAX_DEADLINE_SECONDS, parseDuration } from '../../src/domain/triage.ts';
import { deadlineOf } from '../../src/triage/deadlines.ts';
import { computeDigest, median } from '../../src/triage/digest.ts';
import { nextTriageRecord } from '../../src/triage/records.ts';
import { dailyCron, digestKeyOf, jobIdOf } from '../../src/triage/jobs.ts';
import { localDay, occurrenceDay } from '../../src/triage/digests.ts';
import { renderDigestCard } from '../../src/cards/digest-card.ts';
import { assertValidCard } from '../../src/cards/validate-card.ts';
import { filterSubjectOf } from '../../src/bot/subscription-filter.ts';
import type { EscalationPolicy, EscalationTimer, JsonObject, SubscriptionRecord, TriageRecord } from '../../src/store/ports.ts';
import { sampleView } from '../fakes/bridge.ts';
import { actionsOf, textBlocksOf } from '../bot/support/harness.ts';
import { triageRecordDraft } from '../store/support/fixtures.ts';

const T0 = '2026-03-02T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

describe('acknowledged and closed', () => {
  const view = sampleView();
  const defender = { ...view.defender!, status: 'active' as const, owner: null };
  const sentinel = { ...view.sentinel!, status: 'new' as const, owner: null };
  test.each([
    ['new in both portals', defender, sentinel, false],
    ['owned in Defender', { ...defender, owner: { upn: 'a@b.c' } }, sentinel, true],
    ['owned in Sentinel', defender, { ...sentinel, owner: { objectId: 'x' } }, true],
    ['in progress in Defender', { ...defender, status: 'inProgress' as const }, sentinel, true],
    ['awaiting action in Defender', { ...defender, status: 'awaitingAction' as const }, sentinel, true],
    ["Sentinel's Active (being handled)", defender, { ...sentinel, status: 'active' as const }, true],
    ['resolved in Sentinel', defender, { ...sentinel, status: 'resolved' as const }, true],
  ])('%s: %s', (_name, d, s, expected) => {
    expect(isAcknowledged([d, s])).toBe(expected);
  });

  test('closed: resolved or merged in either portal', () => {
    expect(isClosed([defender, sentinel])).toBe(false);
    expect(isClosed([{ ...defender, status: 'redirected' }, null])).toBe(true);
    expect(isClosed([defender, { ...sentinel, status: 'resolved' }])).toBe(true);
  });
});

describe('durations', () => {
  test.each([
    ['15m', 900],
    ['90min', 5400],
    ['4h', 14_400],
    ['2D', 172_800],
    ['30d', MAX_DEADLINE_SECONDS],
  ])('%s is %i seconds', (text, seconds) => expect(parseDuration(text)).toBe(seconds));

  test.each(['0m', '0h', '31d', '721h', '1.5h', '15', 'm', '-5m', '15 m', '1e3m', ''])('%j is no duration', (text) => expect(parseDuration(text)).toBeNull());

  test('formatted as analysts read them', () => {
    expect([900, 14_400, 5400, 172_800, 90_000, 30].map(formatDuration)).toEqual(['15 min', '4 h', '1 h 30 min', '2 d', '1 d 1 h', 'under a minute']);
  });
});

describe('triage records', () => {
  const fresh = () => {
    const view = sampleView();
    view.defender!.createdAt = T0;
    view.sentinel!.status = 'new';
    return view;
  };

  test('first sight of an open, unacknowledged incident', () => {
    expect(nextTriageRecord(null, 'default', fresh(), at(1))).toEqual({
      linkId: 'link-1',
      pairId: 'default',
      ref: '29',
      title: 'Suspicious sign-in from unfamiliar location',
      severity: 'medium',
      open: true,
      assigned: false,
      acknowledged: false,
      createdAt: T0,
      acknowledgedAt: null,
      acknowledgedOnFirstSight: false,
      resolvedAt: null,
      subject: filterSubjectOf('default', fresh()),
    });
  });

  test('acknowledgement and resolution are timed when first seen, and kept', () => {
    const first = { ...(nextTriageRecord(null, 'default', fresh(), at(1)) as TriageRecord), updatedAt: at(1) };
    const owned = fresh();
    owned.defender!.owner = { upn: 'alice@contoso.com' };
    const acknowledged = { ...(nextTriageRecord(first, 'default', owned, at(12)) as TriageRecord), updatedAt: at(12) };
    expect(acknowledged).toMatchObject({ acknowledged: true, assigned: true, acknowledgedAt: at(12), acknowledgedOnFirstSight: false });
    const resolved = structuredClone(owned);
    resolved.defender!.status = 'resolved';
    const closed = { ...(nextTriageRecord(acknowledged, 'default', resolved, at(90)) as TriageRecord), updatedAt: at(90) };
    expect(closed).toMatchObject({ open: false, acknowledgedAt: at(12), resolvedAt: at(90) });
    expect(nextTriageRecord(closed, 'default', resolved, at(95))).toMatchObject({ resolvedAt: at(90) });
  });

  test('an incident acknowledged when first seen has no time to acknowledge', () => {
    const owned = fresh();
    owned.sentinel!.owner = { objectId: 'x' };
    expect(nextTriageRecord(null, 'default', owned, at(500))).toMatchObject({ acknowledged: true, acknowledgedOnFirstSight: true });
  });
});

describe('deadlines', () => {
  const policy: EscalationPolicy = { conversationId: 'c', deadlines: { high: 900 }, contacts: [], updatedBy: null, updatedAt: at(-600) };
  const subscription = (filters: SubscriptionRecord['filters']): SubscriptionRecord => ({ id: 's', conversationId: 'c', filters, createdBy: null, createdAt: T0 });
  const record = (severity: 'high' | 'medium' | 'unknown' = 'high', createdAt = T0) => ({
    open: true,
    acknowledged: false,
    severity,
    createdAt,
    subject: filterSubjectOf('default', sampleView({ severity: severity === 'unknown' ? 'medium' : severity })) as unknown as JsonObject,
  });

  test('from creation, or from when the policy was set if later', () => {
    expect(deadlineOf(record(), { policy, subscriptions: [subscription({})], canSee: true })).toBe(at(15));
    expect(deadlineOf(record('high', at(-900)), { policy: { ...policy, updatedAt: at(-10) }, subscriptions: [subscription({})], canSee: true })).toBe(at(5));
  });

  test('none without a deadline for its severity, a matching subscription, sight of its pair, or while acknowledged or closed', () => {
    const context = { policy, subscriptions: [subscription({})], canSee: true };
    expect(deadlineOf(record('medium'), context)).toBeNull();
    expect(deadlineOf(record('unknown'), context)).toBeNull();
    expect(deadlineOf(record(), { ...context, subscriptions: [] })).toBeNull();
    expect(deadlineOf(record(), { ...context, subscriptions: [subscription({ tags: ['vip'] })] })).toBeNull();
    expect(deadlineOf(record(), { ...context, canSee: false })).toBeNull();
    expect(deadlineOf({ ...record(), acknowledged: true }, context)).toBeNull();
    expect(deadlineOf({ ...record(), open: false }, context)).toBeNull();
  });
});

describe('jobs', () => {
  test('a daily cron at a minute; keys and ids pg-boss accepts, stable per input', () => {
    expect(dailyCron('09:05')).toBe('5 9 * * *');
    expect(() => dailyCron('9:05')).toThrow(RangeError);
    expect(digestKeyOf('19:soc@thread.tacv2')).toMatch(/^[0-9a-f]{32}$/);
    expect(jobIdOf('a')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(jobIdOf('a')).toBe(jobIdOf('a'));
    expect(jobIdOf('a')).not.toBe(jobIdOf('b'));
  });

  test('the local day of a digest follows its time zone; a late job stands for the latest occurrence before it', () => {
    expect(localDay(new Date('2026-03-02T23:30:00Z'), 'Europe/Amsterdam')).toBe('2026-03-03');
    expect(localDay(new Date('2026-03-02T23:30:00Z'), 'UTC')).toBe('2026-03-02');
    expect(occurrenceDay(new Date('2026-03-02T08:00:00Z'), '09:00', 'Europe/Amsterdam')).toBe('2026-03-02');
    expect(occurrenceDay(new Date('2026-03-02T07:59:00Z'), '09:00', 'Europe/Amsterdam')).toBe('2026-03-01');
    expect(occurrenceDay(new Date('2026-03-01T06:00:00Z'), '09:00', 'UTC')).toBe('2026-02-28');
    expect(occurrenceDay(new Date('2026-01-01T00:30:00Z'), '23:00', 'UTC')).toBe('2025-12-31');
  });
});

describe('digest', () => {
  let n = 0;
  function record(overrides: Partial<TriageRecord> = {}): TriageRecord {
    n += 1;
    return {
      ...triageRecordDraft({ linkId: `link-${n}`, ref: String(n), title: `Incident ${n}`, createdAt: at(-60), subject: filterSubjectOf('default', sampleView()) as unknown as JsonObject }),
      updatedAt: T0,
      ...overrides,
    };
  }

  test('median of odd and even counts; none of nothing', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  test('open by severity, new and resolved in 24 h, oldest unassigned, medians over a week, overdue here', () => {
    const overdue = record({ severity: 'high', createdAt: at(-30) });
    const records = [
      record({ severity: 'high', createdAt: at(-3000) }), // oldest unassigned, created two days ago
      overdue,
      record({ severity: 'low', assigned: true, acknowledged: true, acknowledgedAt: at(-50), createdAt: at(-60) }),
      record({ open: false, acknowledged: true, createdAt: at(-120), acknowledgedAt: at(-110), resolvedAt: at(-20) }),
      record({ open: false, acknowledged: true, acknowledgedOnFirstSight: true, createdAt: at(-9000), acknowledgedAt: at(-100), resolvedAt: at(-10) }),
      record({ pairId: 'hidden', severity: 'high' }),
    ];
    const timers: EscalationTimer[] = [
      { conversationId: 'c', linkId: overdue.linkId, dueAt: at(-15), state: 'fired', updatedAt: at(-15) },
      { conversationId: 'c', linkId: records[0]!.linkId, dueAt: at(30), state: 'pending', updatedAt: at(-60) },
    ];
    const digest = computeDigest({ records, subscriptions: [], canSee: (pairId) => pairId !== 'hidden', timers, now: T0 });
    expect(digest.openBySeverity).toEqual({ high: 2, medium: 0, low: 1, informational: 0, unknown: 0 });
    expect(digest.openTotal).toBe(3);
    expect(digest.newLastDay).toBe(3);
    expect(digest.resolvedLastDay).toBe(2);
    expect(digest.oldestUnassigned.map((incident) => incident.ref)).toEqual([records[0]!.ref, overdue.ref]);
    expect(digest.timeToAcknowledge).toEqual({ seconds: 600, count: 2 });
    expect(digest.timeToResolve).toEqual({ seconds: (100 * 60 + 8990 * 60) / 2, count: 2 });
    expect(digest.overdue).toEqual([expect.objectContaining({ ref: overdue.ref, dueAt: at(-15) })]);
  });

  test("a conversation's subscriptions scope its digest", () => {
    const high = record({ severity: 'high', subject: filterSubjectOf('default', sampleView({ severity: 'high' })) as unknown as JsonObject });
    const low = record({ severity: 'low', subject: filterSubjectOf('default', sampleView({ severity: 'low' })) as unknown as JsonObject });
    const subscriptions: SubscriptionRecord[] = [{ id: 's', conversationId: 'c', filters: { minSeverity: 'high' }, createdBy: null, createdAt: T0 }];
    expect(computeDigest({ records: [high, low], subscriptions, canSee: () => true, timers: [], now: T0 }).openTotal).toBe(1);
  });

  test('the card: every figure, escaped titles, "Open card" per row, the schedule; valid whatever the titles', () => {
    const hostile = record({ title: '[Approve](https://evil.example) <at>All</at> ${x}', severity: 'high' });
    const digest = computeDigest({ records: [hostile], subscriptions: [], canSee: () => true, timers: [{ conversationId: 'c', linkId: hostile.linkId, dueAt: at(-5), state: 'fired', updatedAt: at(-5) }], now: T0 });
    const card = renderDigestCard(digest, { schedule: 'Posted daily at 09:00 (UTC).', openCommand: (incident) => ({ text: `/incident ${incident.linkId}`, displayText: `/incident ${incident.ref}` }) });
    assertValidCard(card);
    const shown = textBlocksOf(card).join('\n');
    expect(shown).not.toContain('](');
    expect(shown).not.toContain('<at>');
    expect(shown).toContain('⏰ Overdue (1)');
    expect(shown).toContain('Oldest unassigned (1)');
    expect(shown).toContain('Posted daily at 09:00 (UTC).');
    expect(actionsOf(card, 'Action.Submit')).toHaveLength(2);
    expect(JSON.stringify(card)).toContain('"Median time to acknowledge (7 d)","value":"no incidents yet"');
  });
});
