// The audit trail of connector change requests: who asked, who decided, when, what, and how it ended.
import type { HistoryItem } from '../approvals/types.ts';
import { describeChange } from '../approvals/diff.ts';
import { storedChanges, storedOutcome } from '../approvals/stored-records.ts';
import { renderTemplate, type AdaptiveCard } from './render.ts';
import { actorName, customerText, formatTime, safe } from './connector-format.ts';

export interface ConnectorHistoryView {
  /** Escaped customer name; '' when nothing needs saying. */
  customer: string;
  empty: boolean;
  items: { heading: string; lines: { text: string }[] }[];
}

export function buildConnectorHistoryView(history: readonly HistoryItem[], customer: string | null = null): ConnectorHistoryView {
  return {
    customer: customerText(customer),
    empty: history.length === 0,
    items: history.map(({ request, events }) => {
      const outcome = storedOutcome(request);
      const lines: { text: string }[] = [
        { text: `Requested by ${actorName(request.requester)} at ${formatTime(request.createdAt)}: "${safe(request.reason, 200)}"` },
        { text: `Changes: ${safe(storedChanges(request).map(describeChange).join('; '))}` },
      ];
      for (const e of events) {
        if (e.action === 'approval.approved' || e.action === 'approval.rejected') {
          lines.push({ text: `${e.action === 'approval.approved' ? 'Approved' : 'Rejected'} by ${actorName(e.actor)} at ${formatTime(e.at)}` });
        }
      }
      if (outcome && outcome.kind !== 'applying') {
        const text = outcome.kind === 'applied'
          ? `Outcome: applied at version ${safe(outcome.version, 80)}`
          : outcome.kind === 'rejected'
            ? `Outcome: rejected${outcome.reason ? `: ${safe(outcome.reason, 200)}` : ''}`
            : `Outcome: ${outcome.kind}: ${safe(outcome.message, 400)}`;
        lines.push({ text });
      }
      return { heading: `${safe(request.id, 64)}: ${request.state}`, lines };
    }),
  };
}

export function renderConnectorHistoryCard(history: readonly HistoryItem[], customer: string | null = null): AdaptiveCard {
  return renderTemplate('connector-history', buildConnectorHistoryView(history, customer));
}
