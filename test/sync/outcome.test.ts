import { describe, expect, test } from '@jest/globals';
import type { Actor } from '../../src/domain/incident.ts';
import { createOutcome, expireUnverified, outcomeState, recordVerification, recordWrite, verifyConvergence } from '../../src/sync/outcome.ts';
import { planEdit } from '../../src/sync/plan-edit.ts';
import { at, comment, defenderIncident, sentinelIncident, WRITABLE } from './fixtures.ts';

const actor: Actor = { objectId: '11111111-2222-3333-4444-555555555555', displayName: 'Jane Doe' };
const ids = { requestId: 'req-1', linkId: 'link-1' };

describe('verifyConvergence', () => {
  test('projection-aware: Sentinel Active shows inProgress, Defender Active shows new', () => {
    const result = verifyConvergence({ status: 'inProgress' }, defenderIncident({ status: 'inProgress' }), sentinelIncident({ status: 'active' }));
    expect(result).toEqual({ perPortal: { defender: { status: true }, sentinel: { status: true } }, converged: true });
    expect(verifyConvergence({ status: 'new' }, defenderIncident({ status: 'active' }), sentinelIncident({ status: 'new' })).converged).toBe(true);
  });

  test("a portal that does not show the value yet is reported per field; Defender 'unknown' shows no severity", () => {
    const result = verifyConvergence({ severity: 'high', owner: { upn: 'jane@contoso.com' } }, defenderIncident({ severity: 'unknown', owner: { upn: 'JANE@contoso.com' } }), sentinelIncident({ severity: 'high', owner: { upn: 'jane@contoso.com' } }));
    expect(result.perPortal).toEqual({ defender: { severity: false, owner: true }, sentinel: { severity: true, owner: true } });
    expect(result.converged).toBe(false);
  });

  test('tags and comments: present/absent as asked, comment found attributed or not', () => {
    const changes = { tagsAdd: ['VIP'], tagsRemove: ['old'], comment: 'Contained.' };
    const defender = defenderIncident({ tags: ['vip'], comments: [comment('[Jane Doe via incident-bridge] Contained.', 1)] });
    const sentinel = sentinelIncident({ tags: ['vip', 'old'], comments: [comment('Contained.', 1)] });
    expect(verifyConvergence(changes, defender, sentinel).perPortal).toEqual({
      defender: { tags: true, comment: true },
      sentinel: { tags: false, comment: true },
    });
  });

  test('without a Sentinel counterpart only Defender is judged', () => {
    expect(verifyConvergence({ classification: 'falsePositive' }, defenderIncident({ classification: 'falsePositive' }), null)).toEqual({
      perPortal: { defender: { classification: true }, sentinel: {} },
      converged: true,
    });
  });
});

describe('outcome lifecycle', () => {
  const plan = planEdit({ changes: { severity: 'high', comment: 'Contained.' }, defender: defenderIncident(), sentinel: sentinelIncident(), writable: WRITABLE, actor, changeNotes: true });

  test('from plan: API fields pending, other-route fields unverified, state accepted', () => {
    const outcome = createOutcome(plan, ids, at(0));
    expect(outcome).toEqual({
      requestId: 'req-1',
      linkId: 'link-1',
      state: 'accepted',
      perPortal: {
        defender: { severity: { state: 'viaOtherRoute', verified: false }, comment: { state: 'pending' } },
        sentinel: { severity: { state: 'pending' }, comment: { state: 'pending' } },
      },
      converged: false,
      updatedAt: at(0),
    });
  });

  test('writes, then a read-back verifying the other route, complete the outcome', () => {
    let outcome = createOutcome(plan, ids, at(0));
    outcome = recordWrite(outcome, 'sentinel', ['severity', 'comment'], { ok: true }, at(1));
    outcome = recordWrite(outcome, 'defender', ['comment'], { ok: true }, at(1));
    expect(outcome.state).toBe('accepted');
    const readBack = verifyConvergence({ severity: 'high', comment: 'Contained.' }, defenderIncident({ severity: 'high', comments: [comment('Contained.', 2)] }), sentinelIncident({ severity: 'high', comments: [comment('Contained.', 2)] }));
    outcome = recordVerification(outcome, readBack, at(2));
    expect(outcome.perPortal.defender.severity).toEqual({ state: 'viaOtherRoute', verified: true });
    expect(outcome).toMatchObject({ state: 'completed', converged: true, updatedAt: at(2) });
  });

  test('a failed write makes it partial; giving up on the other route says why', () => {
    let outcome = createOutcome(plan, ids, at(0));
    outcome = recordWrite(outcome, 'sentinel', ['severity', 'comment'], { ok: true }, at(1));
    outcome = recordWrite(outcome, 'defender', ['comment'], { ok: false, reason: 'forbidden: missing SecurityIncident.ReadWrite.All' }, at(1));
    expect(outcome.state).toBe('accepted'); // the other route is still open
    outcome = expireUnverified(outcome, 'the portals did not carry it within 4 minutes', at(5));
    expect(outcome.perPortal.defender.severity).toEqual({ state: 'failed', reason: 'the portals did not carry it within 4 minutes' });
    expect(outcome.state).toBe('partial');
  });

  test('a refused plan yields a failed outcome with the reasons per field', () => {
    const refused = planEdit({ changes: { status: 'resolved' }, defender: defenderIncident(), sentinel: sentinelIncident(), writable: WRITABLE, actor, changeNotes: true });
    const outcome = createOutcome(refused, ids, at(0));
    expect(outcome.state).toBe('failed');
    expect(outcome.perPortal.sentinel.status).toEqual({ state: 'failed', reason: refused.errors.join(' ') });
  });

  test('outcomeState: all failed -> failed, nothing open -> completed', () => {
    expect(outcomeState({ perPortal: { defender: { severity: { state: 'failed', reason: 'x' } }, sentinel: {} } })).toBe('failed');
    expect(outcomeState({ perPortal: { defender: { severity: { state: 'written' } }, sentinel: { severity: { state: 'viaOtherRoute', verified: true } } } })).toBe('completed');
  });
});
