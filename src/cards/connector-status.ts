// The connector status card: current settings, drift warnings, prerequisites, open requests.
import type { ConnectorStatus } from '../approvals/types.ts';
import { INTEGRATION_METHOD_LABELS, SETTING_LABELS } from '../approvals/connector-facts.ts';
import { describeChange } from '../approvals/diff.ts';
import { storedChanges } from '../approvals/stored-records.ts';
import { renderTemplate, type AdaptiveCard } from './render.ts';
import { CONNECTOR_VERBS } from './connector-verbs.ts';
import { actorName, customerText, formatTime, safe } from './connector-format.ts';
import type { ApproversChannel } from '../approvals/approvers-channel.ts';
import { wordOf } from '../domain/display-words.ts';

export interface ConnectorStatusView {
  pairId: string;
  /** Escaped customer name; '' when nothing needs saying. */
  customer: string;
  facts: { title: string; value: string }[];
  eventTables: string;
  driftWarnings: { text: string }[];
  requirements: { text: string }[];
  pending: { text: string }[];
  approversChannel: string;
  readAt: string;
  refreshVerb: string;
}

/** What the status card says of the approvers' channel and whose it is. */
export interface StatusCardExtras {
  customer: string | null;
  approversChannel: ApproversChannel | null;
}

const APPROVERS_CHANNEL_TEXT: Record<ApproversChannel['scope'] | 'none', string> = {
  pair: "Set for this customer. Approval requests are posted there.",
  'every-pair': "Set for every customer without a channel of its own. Approval requests are posted there.",
  none: 'Not set: an approver runs "/connector approvers" in the approvers\' channel.',
};

export function buildConnectorStatusView(status: ConnectorStatus, extras: StatusCardExtras): ConnectorStatusView {
  const c = status.snapshot.config;
  return {
    pairId: status.pairId,
    customer: customerText(extras.customer),
    facts: [
      { title: SETTING_LABELS.integrationMethod, value: wordOf(INTEGRATION_METHOD_LABELS, c.integrationMethod) ?? safe(c.integrationMethod, 40) },
      { title: SETTING_LABELS.incidentsAndAlerts, value: c.incidentsAndAlerts ? 'On' : 'Off' },
      { title: 'Microsoft incident creation rules', value: c.turnOffIncidentCreationRules ? 'Turned off (recommended)' : 'On: duplicates possible' },
      { title: SETTING_LABELS.entities, value: c.entities ? 'On' : 'Off' },
      { title: 'Version', value: safe(status.snapshot.version, 80) },
    ],
    eventTables: c.eventTypes.length > 0 ? safe(c.eventTypes.join(', '), 2000) : 'None',
    driftWarnings: status.driftWarnings.map((w) => ({ text: safe(w) })),
    requirements: (status.requirements ?? []).map((r) => ({
      text: `${r.ok ? '✅' : '❌'} ${safe(r.name, 120)}${r.detail ? `: ${safe(r.detail, 300)}` : ''}`,
    })),
    pending: status.pending.map((p) => ({
      text: `${safe(p.id, 64)}: ${actorName(p.requester)}, expires ${formatTime(p.expiresAt)}: ${safe(storedChanges(p).map(describeChange).join('; '))}`,
    })),
    approversChannel: APPROVERS_CHANNEL_TEXT[extras.approversChannel?.scope ?? 'none'],
    readAt: formatTime(status.snapshot.readAt),
    refreshVerb: CONNECTOR_VERBS.refresh,
  };
}

export function renderConnectorStatusCard(status: ConnectorStatus, extras: StatusCardExtras): AdaptiveCard {
  return renderTemplate('connector-status', buildConnectorStatusView(status, extras));
}
