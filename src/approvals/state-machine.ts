// The life of a connector change request, as pure rules:
//
//   pending --approve--> approved --> applying --> applied
//      |                                  |  \--> failed
//      |                                  \----> stale      (the portal answered 409: base is stale)
//      +--reject--> rejected
//      +--(expiry passed at decision time)--> expired
//      +--(live version no longer the base)--> stale
//
// Four eyes: only approvers may decide, and the requester can never approve their own request,
// even when they are an approver too. The service asks these functions, then lets the repository's
// conditional transition arbitrate between concurrent deciders.
import type { Actor } from '../domain/incident.ts';
import type { ApprovalState } from '../store/ports.ts';

/** Default life of a pending request: 24 hours. */
export const DEFAULT_EXPIRY_MS = 24 * 60 * 60 * 1000;

export const FINAL_STATES: readonly ApprovalState[] = ['applied', 'failed', 'rejected', 'expired', 'stale'];

/** Every move the machine allows; anything else is a bug or a lost race. */
export const TRANSITIONS: Readonly<Record<ApprovalState, readonly ApprovalState[]>> = {
  pending: ['approved', 'rejected', 'expired', 'stale'],
  approved: ['applying', 'stale', 'failed'],
  applying: ['applied', 'failed', 'stale'],
  applied: [],
  failed: [],
  rejected: [],
  expired: [],
  stale: [],
};

export function canTransition(from: ApprovalState, to: ApprovalState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isFinal(state: ApprovalState): boolean {
  return FINAL_STATES.includes(state);
}

export type DecisionKind = 'approve' | 'reject';

export interface DecisionInput {
  decision: DecisionKind;
  state: ApprovalState;
  requester: Actor;
  expiresAt: string;
  actor: Actor;
  actorIsApprover: boolean;
  now: Date;
  /** For approvals: the snapshot version the request was computed from, and the live one. */
  baseVersion?: string;
  liveVersion?: string;
}

export type DecisionRefusal =
  | 'not-pending' // already decided, applied, or closed
  | 'expired' // the expiry passed; the request moves to 'expired'
  | 'self-approval' // four eyes: the requester cannot approve their own request
  | 'not-approver' // only approvers may approve or reject
  | 'stale'; // the live configuration moved on; the request moves to 'stale'

export type DecisionResult =
  | { allowed: true; to: 'approved' | 'rejected' }
  /** `to`: the state the request must move to because of what was found (expired, stale). */
  | { allowed: false; refusal: DecisionRefusal; message: string; to?: 'expired' | 'stale' };

export function sameActor(a: Actor, b: Actor): boolean {
  return a.objectId.toLowerCase() === b.objectId.toLowerCase();
}

export function isExpired(expiresAt: string, now: Date): boolean {
  return now.getTime() >= Date.parse(expiresAt);
}

/** Applies the rules in a fixed order, so the answer never depends on who asks first. */
export function decide(input: DecisionInput): DecisionResult {
  if (input.state !== 'pending') {
    return { allowed: false, refusal: 'not-pending', message: `This request is already ${input.state}; nothing to decide.` };
  }
  if (isExpired(input.expiresAt, input.now)) {
    return { allowed: false, refusal: 'expired', message: `This request expired at ${input.expiresAt}; ask for a new one.`, to: 'expired' };
  }
  if (input.decision === 'approve' && sameActor(input.actor, input.requester)) {
    return {
      allowed: false,
      refusal: 'self-approval',
      message: 'You requested this change, so you cannot approve it: a second approver must (four-eyes rule).',
    };
  }
  if (!input.actorIsApprover) {
    return {
      allowed: false,
      refusal: 'not-approver',
      message: `Only connector approvers can ${input.decision} change requests; ask an approver.`,
    };
  }
  if (input.decision === 'approve' && input.baseVersion !== undefined && input.liveVersion !== undefined && input.baseVersion !== input.liveVersion) {
    return {
      allowed: false,
      refusal: 'stale',
      message: `The connector configuration changed since this request was made (version ${input.baseVersion}, now ${input.liveVersion}), so it cannot be applied as approved. Request the change again from the current settings.`,
      to: 'stale',
    };
  }
  return { allowed: true, to: input.decision === 'approve' ? 'approved' : 'rejected' };
}

/** Whether `actor` may press Approve/Reject now: the rule cards use to show the buttons. */
export function canDecide(input: Omit<DecisionInput, 'decision' | 'baseVersion' | 'liveVersion'>): boolean {
  return (
    input.state === 'pending' &&
    !isExpired(input.expiresAt, input.now) &&
    input.actorIsApprover &&
    !sameActor(input.actor, input.requester)
  );
}
