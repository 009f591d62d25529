// Edit requests from the Teams side through the real engine: stored before acknowledged, applied
// once per idempotency key, reported per portal and per field, attributed to the analyst, and
// verified by reading both portals back. Native mirroring is OFF unless a test says otherwise.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import type { DirectoryUser } from '../../src/simulators/index.ts';
import { ANALYST, startHarness, waitFor, type SyncHarness } from './support/harness.ts';

let h: SyncHarness;
let owner: DirectoryUser;

beforeAll(async () => {
  h = await startHarness();
  owner = h.control.directory()[1]!;
});
afterEach(() => {
  h.control.setNativeSync(false);
});
afterAll(async () => {
  await h?.close();
});

const commentWrites = (sentinelName: string) =>
  h.control.requests().recent.filter((r) => r.api === 'arm' && r.method === 'PUT' && r.url.includes(`/incidents/${sentinelName}/comments/`)).length;

describe('submitEdit', () => {
  test('is stored durably before it is acknowledged, and a repeated idempotency key is one request with one write', async () => {
    const incident = await h.newIncident('Edit idempotency');
    const request = { idempotencyKey: `card-click-${incident.defenderId}`, incidentRef: incident.defenderId, changes: { comment: 'Escalated to IR' }, actor: ANALYST };
    const [first, second] = await Promise.all([h.engine.api.submitEdit(request), h.engine.api.submitEdit(request)]);
    // Both calls resolved, so the request is already in the store.
    expect(await h.store.editRequests.get(first.requestId)).not.toBeNull();
    expect(second.requestId).toBe(first.requestId);
    expect([first.duplicate, second.duplicate].sort()).toEqual([false, true]);

    const outcome = await h.engine.api.waitForEditOutcome(first.requestId, AbortSignal.timeout(20_000));
    expect(outcome.state).toBe('completed');
    const third = await h.engine.api.submitEdit(request);
    expect(third).toMatchObject({ requestId: first.requestId, duplicate: true });
    await h.afterPolls(2);
    expect(h.sentinelComments(incident.sentinelName).filter((c) => c.message.includes('Escalated to IR'))).toHaveLength(1);
    expect(h.defender(incident.defenderId).comments.filter((c) => c.comment.includes('Escalated to IR'))).toHaveLength(1);
    expect(commentWrites(incident.sentinelName)).toBe(1);
  });

  test('reports per portal and per field, attributes the writes to the analyst, and verifies convergence by reading back', async () => {
    const incident = await h.newIncident('Edit outcome');
    const { requestId } = await h.engine.api.submitEdit({
      idempotencyKey: `outcome-${incident.defenderId}`,
      incidentRef: String(incident.sentinelNumber),
      changes: { status: 'inProgress', tagsAdd: ['triaged'], owner: { upn: owner.userPrincipalName, objectId: owner.objectId }, classification: 'truePositive', comment: 'Taking this one' },
      actor: ANALYST,
    });
    const outcome = await h.engine.api.waitForEditOutcome(requestId, AbortSignal.timeout(20_000));
    const written = { state: 'written' };
    expect(outcome).toMatchObject({
      state: 'completed',
      converged: true,
      perPortal: {
        defender: { status: written, tags: written, owner: written, classification: written, comment: written },
        sentinel: { status: written, tags: written, owner: written, classification: written, comment: written },
      },
    });
    const defender = h.defender(incident.defenderId);
    const sentinel = h.sentinel(incident.sentinelName);
    expect(defender).toMatchObject({ status: 'inProgress', classification: 'truePositive', customTags: ['triaged'] });
    expect(defender.assignedTo?.toLowerCase()).toBe(owner.userPrincipalName.toLowerCase());
    expect(sentinel).toMatchObject({ status: 'Active', classification: 'TruePositive' });
    expect(sentinel.owner.userPrincipalName?.toLowerCase()).toBe(owner.userPrincipalName.toLowerCase());
    // Attribution: neither API writes as a user, so the comment text names the analyst.
    // The request's ref at the end lets a retry find the comment it may already have written.
    const attributed = /^\[Jane Doe via incident-bridge\] Taking this one \[ref [0-9a-f]{8}\]$/;
    expect(h.sentinelComments(incident.sentinelName).map((c) => c.message)).toContainEqual(expect.stringMatching(attributed));
    expect(defender.comments.map((c) => c.comment)).toContainEqual(expect.stringMatching(attributed));
    // Graph records the app as the modifier: an audit comment names the analyst and what changed.
    expect(defender.comments.map((c) => c.comment)).toContainEqual(expect.stringMatching(/^\[Jane Doe via incident-bridge\] changed status to In progress/));

    // The change event is the analyst's, tied to the request, and the bridge's own writes are not
    // announced a second time by the watcher.
    const event = await waitFor('the edit change event', () => h.eventsFor(incident.linkId).find((e) => e.editRequestId === requestId));
    expect(event.actor).toEqual(ANALYST);
    expect(event.changes.map((c) => c.field)).toEqual(expect.arrayContaining(['status', 'tags', 'owner', 'classification', 'comment']));
    await h.afterPolls(2);
    const later = h.eventsFor(incident.linkId).filter((e) => e.seq > event.seq);
    expect(later.flatMap((e) => e.changes).filter((c) => ['status', 'tags', 'owner', 'classification', 'comment'].includes(c.field))).toEqual([]);
  });

  test('severity with native mirroring OFF: written to Sentinel, reported as failed for Defender with the reason', async () => {
    const incident = await h.newIncident('Edit severity, no native sync');
    const { requestId } = await h.engine.api.submitEdit({ idempotencyKey: `sev-off-${incident.defenderId}`, incidentRef: incident.defenderId, changes: { severity: 'high' }, actor: ANALYST });
    const outcome = await h.engine.api.waitForEditOutcome(requestId, AbortSignal.timeout(30_000));
    expect(outcome.state).toBe('partial');
    expect(outcome.converged).toBe(false);
    expect(outcome.perPortal.sentinel.severity).toEqual({ state: 'written' });
    expect(outcome.perPortal.defender.severity).toMatchObject({ state: 'failed', reason: expect.stringContaining('cannot be written through its API') });
    expect(h.sentinel(incident.sentinelName).severity).toBe('High');
    expect(h.defender(incident.defenderId).severity).toBe('medium');
    // The analyst is named on Defender, which cannot record who changed the severity.
    expect((await h.engine.api.findIncident(incident.defenderId))?.syncState.defender).toBe('notWritable');
  });

  test('severity with native mirroring ON: taken by the other route and verified by reading Defender back', async () => {
    const incident = await h.newIncident('Edit severity, native sync');
    h.control.setNativeSync(true);
    const { requestId } = await h.engine.api.submitEdit({ idempotencyKey: `sev-on-${incident.defenderId}`, incidentRef: incident.defenderId, changes: { severity: 'high' }, actor: ANALYST });
    const outcome = await h.engine.api.waitForEditOutcome(requestId, AbortSignal.timeout(30_000));
    expect(outcome).toMatchObject({
      state: 'completed',
      converged: true,
      perPortal: { sentinel: { severity: { state: 'written' } }, defender: { severity: { state: 'viaOtherRoute', verified: true } } },
    });
    expect(h.defender(incident.defenderId).severity).toBe('high');
    await h.afterPolls(2);
    expect((await h.engine.api.findIncident(incident.defenderId))?.syncState).toEqual({ defender: 'inSync', sentinel: 'inSync' });
  });

  test('refuses bad input clearly: an empty edit and an unknown incident', async () => {
    await expect(h.engine.api.submitEdit({ idempotencyKey: 'empty', incidentRef: '1', changes: {}, actor: ANALYST })).rejects.toMatchObject({ code: 'empty-edit' });
    await expect(h.engine.api.submitEdit({ idempotencyKey: 'unknown', incidentRef: 'no-such-incident', changes: { comment: 'x' }, actor: ANALYST })).rejects.toMatchObject({ code: 'unknown-incident' });
  });
});
