// The approval card of one connector change request: the diff, what it will do, who asked and why,
// until when, and the outcome once decided. The card posted to channels never carries buttons; it
// asks Teams for a per-user refresh, and only someone who may decide (an approver who is not the
// requester, while the request is pending) gets the view with Approve/Reject.
import type { ApprovalRequest, ApprovalState } from '../store/ports.ts';
import { describeChange, worstSeverity } from '../approvals/diff.ts';
import { storedChanges, storedConsequences, storedOutcome } from '../approvals/stored-records.ts';
import { isExpired } from '../approvals/state-machine.ts';
import { renderTemplate, type AdaptiveCard } from './render.ts';
import { CONNECTOR_INPUT_IDS, CONNECTOR_VERBS, MAX_REFRESH_USER_IDS } from './connector-verbs.ts';
import { actorName, customerText, formatTime, safe, safeMultiline, severityLabel } from './connector-format.ts';
import type { CardTextColor } from './text-colors.ts';

export interface ConnectorApprovalView {
  approvalId: string;
  /** Escaped customer name; '' when nothing needs saying (one pair, no name). */
  customer: string;
  title: string;
  stateLabel: string;
  stateColor: CardTextColor;
  requester: string;
  reason: string;
  requestedAt: string;
  expiresAt: string;
  decided: string;
  changes: { text: string }[];
  consequences: { text: string }[];
  outcome: { text: string }[];
  canDecide: boolean;
  verbs: { approve: string; reject: string };
  rejectReasonId: string;
  refresh: { action: { type: 'Action.Execute'; verb: string; title: string; data: { approvalId: string } }; userIds?: string[] };
}

export interface ApprovalViewOptions {
  /** The viewer may press Approve/Reject now (service.canDecide). Shared channel views: false. */
  canDecide: boolean;
  now: Date;
  /** Teams user ids (MRI) to refresh automatically; Teams honours at most 60. */
  refreshUserIds?: readonly string[];
  /** The customer whose connector the request changes; null or unset when nothing needs saying. */
  customer?: string | null;
}

const STATE_LABELS: Record<ApprovalState, string> = {
  pending: 'Waiting for approval',
  approved: 'Approved, applying…',
  applying: 'Approved, applying…',
  applied: 'Applied',
  failed: 'Failed',
  rejected: 'Rejected',
  expired: 'Expired',
  stale: 'Stale: configuration changed',
};

/** `accent` while the request is open or being applied; text-colors.ts says why nothing else. */
const STATE_COLORS: Record<ApprovalState, CardTextColor> = {
  pending: 'accent',
  approved: 'accent',
  applying: 'accent',
  applied: 'default',
  failed: 'default',
  rejected: 'default',
  expired: 'default',
  stale: 'default',
};

export function buildConnectorApprovalView(request: ApprovalRequest, options: ApprovalViewOptions): ConnectorApprovalView {
  // A pending request past its expiry shows as expired even before anyone touches it.
  const state: ApprovalState = request.state === 'pending' && isExpired(request.expiresAt, options.now) ? 'expired' : request.state;
  const consequences = storedConsequences(request);
  const worst = worstSeverity(consequences);
  const decided = request.decidedBy
    ? `${state === 'rejected' ? 'Rejected' : 'Approved'} by ${actorName(request.decidedBy)} at ${formatTime(request.decidedAt)}`
    : '';
  const refreshUserIds = options.refreshUserIds?.slice(0, MAX_REFRESH_USER_IDS);
  return {
    approvalId: request.id,
    customer: customerText(options.customer),
    title: `Defender XDR connector change${worst === 'critical' ? ' (critical)' : ''}`,
    stateLabel: STATE_LABELS[state],
    stateColor: STATE_COLORS[state],
    requester: actorName(request.requester),
    reason: safeMultiline(request.reason, 500),
    requestedAt: formatTime(request.createdAt),
    expiresAt: formatTime(request.expiresAt),
    decided,
    changes: storedChanges(request).map((c) => ({ text: safe(describeChange(c)) })),
    consequences: consequences.map((c) => ({ text: `${severityLabel(c.severity)}: ${safe(c.text, 600)}`, })),
    outcome: outcomeLines(request),
    canDecide: options.canDecide && state === 'pending',
    verbs: { approve: CONNECTOR_VERBS.approve, reject: CONNECTOR_VERBS.reject },
    rejectReasonId: CONNECTOR_INPUT_IDS.rejectReason,
    refresh: {
      action: { type: 'Action.Execute', verb: CONNECTOR_VERBS.refresh, title: 'Refresh', data: { approvalId: request.id } },
      ...(refreshUserIds && refreshUserIds.length > 0 ? { userIds: [...refreshUserIds] } : {}),
    },
  };
}

function outcomeLines(request: ApprovalRequest): { text: string }[] {
  const outcome = storedOutcome(request);
  if (!outcome) return [];
  switch (outcome.kind) {
    case 'applying':
      return [{ text: `Applying since ${formatTime(outcome.startedAt)}` }];
    case 'applied':
      return [{ text: `✅ Applied (${outcome.attempts} attempt(s)); read back and confirmed.` }];
    case 'rejected':
      return outcome.reason ? [{ text: `Reason: ${safe(outcome.reason, 500)}` }] : [];
    case 'expired':
    case 'stale':
      return [{ text: `⚠️ ${safe(outcome.message, 600)}` }];
    case 'failed': {
      const lines = [{ text: `❌ ${safe(outcome.message, 800)}` }];
      if (outcome.applied && outcome.applied.length > 0) lines.push({ text: `Applied: ${safe(outcome.applied.map(describeChange).join('; '))}` });
      if (outcome.notApplied && outcome.notApplied.length > 0) lines.push({ text: `Not applied: ${safe(outcome.notApplied.map(describeChange).join('; '))}` });
      return lines;
    }
  }
}

export function renderConnectorApprovalCard(request: ApprovalRequest, options: ApprovalViewOptions): AdaptiveCard {
  return renderTemplate('connector-approval', buildConnectorApprovalView(request, options));
}
