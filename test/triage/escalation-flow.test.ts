// Acknowledgement deadlines end to end, with the real notifier, triage recorder and escalation job
// over the in-memory store, on a clock the test moves: an incident not acknowledged by its deadline
// is escalated once in its thread (contacts mentioned when the roster knows them), its card turns
// overdue, and acknowledging, assigning or resolving in either portal cancels what is pending.
import { describe, expect, test } from '@jest/globals';
import { sampleView } from '../fakes/bridge.ts';
import type { ChangeEvent, IncidentView } from '../../src/domain/change-events.ts';
import { fireEscalation } from '../../src/triage/escalation.ts';
import { ALICE, CHANNEL_ID, invokeActivity, messageActivity } from '../bot/support/activities.ts';
import { cardsOf, createHarness, invokeAnswerOf } from '../bot/support/harness.ts';

const T0 = '2026-03-02T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();
const ONCALL = { id: '29:oncall', name: 'SOC On-call', userPrincipalName: 'oncall@contoso.com' };

function incident(overrides: Parameters<typeof sampleView>[0] & { createdAt?: string } = {}): IncidentView {
  const view = sampleView(overrides);
  for (const side of [view.defender, view.sentinel]) if (side) side.createdAt = overrides.createdAt ?? T0;
  if (view.sentinel) view.sentinel.status = 'new';
  return view;
}

let seq = 1000;
function event(view: IncidentView, kind: ChangeEvent['kind'] = 'updated', changes: ChangeEvent['changes'] = []): ChangeEvent {
  seq += 1;
  return { id: `evt-${seq}`, seq, kind, linkId: view.linkId, pairId: view.pairId, incident: view, changes, occurredAt: new Date().toISOString() };
}

/** The incident as the sync engine stores it (what the escalation job reads), and as the bridge shows it. */
async function show(h: ReturnType<typeof createHarness>, view: IncidentView): Promise<void> {
  h.bridge.put(view);
  const current = await h.store.links.get(view.linkId);
  const saved = await h.store.links.save(
    { linkId: view.linkId, pairId: view.pairId, defenderId: view.defender!.id, snapshot: {}, defenderView: view.defender, sentinelView: view.sentinel, syncState: {} },
    current?.version ?? null,
  );
  if (!saved.ok) throw new Error(`could not store link ${view.linkId}`);
}

async function setup(subscribe = '/subscribe') {
  const h = createHarness({ members: { 'oncall@contoso.com': ONCALL } });
  h.clock.set(at(-60));
  await h.turn(messageActivity(subscribe, { scope: 'channel' }));
  await h.turn(messageActivity('/escalation high=15m medium=1h to oncall@contoso.com,lead@contoso.com', { scope: 'channel' }));
  h.clock.set(T0);
  return h;
}

describe('acknowledgement deadlines', () => {
  test('an incident not acknowledged by its deadline is escalated once: the card turns overdue and the thread mentions the contacts', async () => {
    const h = await setup();
    const view = incident({ severity: 'high' });
    await show(h, view);
    await h.bridge.emit(event(view, 'created'));
    await h.settle();
    expect(h.jobs.escalations).toEqual([{ conversationId: CHANNEL_ID, linkId: 'link-1', dueAt: at(15) }]);
    const [job] = h.jobs.escalations;

    h.clock.set(at(15));
    expect(await fireEscalation(h.triageDeps, job!)).toBe(true);
    expect(await fireEscalation(h.triageDeps, job!)).toBe(false); // a retried job, or the other replica
    await h.deliverOutbox();
    await h.settle();
    const card = h.sender.of('send')[0];
    const update = h.sender.of('update').at(-1);
    expect(update?.targetId).toBe(card?.id);
    expect(JSON.stringify(update?.activity)).toContain('⏰ Overdue: not acknowledged by its 2026-03-02 10:15 UTC deadline');
    const replies = h.sender.of('reply').filter((reply) => reply.activity.text?.startsWith('⏰'));
    expect(replies).toHaveLength(1);
    expect(replies[0]?.activity.text).toBe('⏰ Incident 29 (High) was not acknowledged within 15 min. <at>SOC On-call</at>, Shift Lead: please take it, or acknowledge it from the card.');
    expect(replies[0]?.activity.entities).toEqual([{ type: 'mention', text: '<at>SOC On-call</at>', mentioned: { id: '29:oncall', name: 'SOC On-call' } }]);

    // Whoever refreshes the card, or asks for it, sees it overdue too.
    const refreshed = invokeAnswerOf(await h.turn(invokeActivity('refreshCard', { linkId: 'link-1' }, { replyToId: card?.id ?? '' })));
    expect(JSON.stringify(refreshed.value)).toContain('⏰ Overdue');
    expect(JSON.stringify(cardsOf(await h.turn(messageActivity('/incident 29', { scope: 'channel' }))))).toContain('⏰ Overdue');

    // A redelivered 'escalated' event replies nothing more.
    await h.bridge.emit((await h.store.changeEvents.readAfter(0)).find((candidate) => candidate.kind === 'escalated')!);
    await h.settle();
    expect(h.sender.of('reply').filter((reply) => reply.activity.text?.startsWith('⏰'))).toHaveLength(1);

    // Acknowledged in Defender: the card is no longer overdue.
    const owned = structuredClone(view);
    owned.defender!.owner = { upn: 'alice@contoso.com' };
    await show(h, owned);
    await h.bridge.emit(event(owned, 'updated', [{ field: 'owner', from: null, to: { upn: 'alice@contoso.com' }, portal: 'defender', by: 'Alice' }]));
    await h.settle();
    expect(JSON.stringify(h.sender.of('update').at(-1)?.activity)).not.toContain('Overdue');
  });

  test.each([
    ['assigned in Defender', (view: IncidentView) => void (view.defender!.owner = { upn: 'bob@contoso.com' })],
    ['set in progress in Sentinel', (view: IncidentView) => void (view.sentinel!.status = 'active')],
    ['resolved in Defender', (view: IncidentView) => void (view.defender!.status = 'resolved')],
  ])('a deadline is cancelled when the incident is %s before it', async (_what, change) => {
    const h = await setup();
    const view = incident({ severity: 'medium' });
    await show(h, view);
    await h.bridge.emit(event(view, 'created'));
    expect(h.jobs.escalations.map((job) => job.dueAt)).toEqual([at(60)]);
    const changed = structuredClone(view);
    change(changed);
    h.clock.set(at(30));
    await h.bridge.emit(event(changed));
    expect(await h.store.escalations.getTimer(CHANNEL_ID, 'link-1')).toMatchObject({ state: 'cancelled' });
    await show(h, changed);
    h.clock.set(at(60));
    expect(await fireEscalation(h.triageDeps, h.jobs.escalations[0]!)).toBe(false);
    expect((await h.store.changeEvents.readAfter(0)).filter((candidate) => candidate.kind === 'escalated')).toEqual([]);
  });

  test('raising the severity moves the deadline; the job of the old deadline fires nothing', async () => {
    const h = await setup();
    const medium = incident({ severity: 'medium' });
    await show(h, medium);
    await h.bridge.emit(event(medium, 'created'));
    const high = incident({ severity: 'high' });
    await show(h, high);
    await h.bridge.emit(event(high, 'updated', [{ field: 'severity', from: 'medium', to: 'high', portal: 'defender', by: 'x' }]));
    expect(h.jobs.escalations.map((job) => job.dueAt)).toEqual([at(60), at(15)]);
    h.clock.set(at(61));
    expect(await fireEscalation(h.triageDeps, h.jobs.escalations[0]!)).toBe(false);
    expect(await fireEscalation(h.triageDeps, h.jobs.escalations[1]!)).toBe(true);
  });

  test("only incidents that match the conversation's subscriptions, and severities with a deadline, get one", async () => {
    const h = await setup('/subscribe minSeverity=high');
    await h.bridge.emit(event(incident({ linkId: 'link-medium', defenderId: '30', severity: 'medium' }), 'created'));
    await h.bridge.emit(event(incident({ linkId: 'link-low', defenderId: '31', severity: 'low' }), 'created'));
    await h.bridge.emit(event(incident({ linkId: 'link-high', defenderId: '32', severity: 'high' }), 'created'));
    expect(h.jobs.escalations.map((job) => job.linkId)).toEqual(['link-high']);
  });

  test('a policy set after an incident was raised gives it the full deadline from then, not an instant escalation', async () => {
    const h = createHarness();
    h.clock.set(T0);
    await h.turn(messageActivity('/subscribe', { scope: 'channel' }));
    const old = incident({ severity: 'high', createdAt: at(-120) });
    await show(h, old);
    await h.bridge.emit(event(old, 'created'));
    expect(h.jobs.escalations).toEqual([]);
    h.clock.set(at(5));
    await h.turn(messageActivity('/escalation high=15m to oncall@contoso.com', { scope: 'channel', from: ALICE }));
    // 15 minutes from when the policy was set (the test clock runs on from at(5)).
    expect(h.jobs.escalations).toHaveLength(1);
    const waited = Date.parse(h.jobs.escalations[0]!.dueAt) - Date.parse(at(20));
    expect(waited).toBeGreaterThanOrEqual(0);
    expect(waited).toBeLessThan(5_000);
    await h.turn(messageActivity('/escalation off', { scope: 'channel', from: ALICE }));
    h.clock.set(at(21));
    expect(await fireEscalation(h.triageDeps, h.jobs.escalations[0]!)).toBe(false);
  });
});
