// The connector status card: current settings, drift warnings, prerequisites, open requests.
import type { ConnectorStatus } from '../approvals/types.ts';
import { INTEGRATION_METHOD_LABELS, SETTING_LABELS } from '../approvals/connector-facts.ts';
import { describeChange } from '../approvals/diff.ts';
import { storedChanges } from '../approvals/stored-records.ts';
import { renderTemplate, type AdaptiveCard } from './render.ts';
import { CONNECTOR_VERBS } from './connector-verbs.ts';
import { actorName, formatTime, safe } from './connector-format.ts';
import { wordOf } from '../domain/display-words.ts';

export interface ConnectorStatusView {
  facts: { title: string; value: string }[];
  eventTables: string;
  driftWarnings: { text: string }[];
  requirements: { text: string }[];
  pending: { text: string }[];
  approversChannel: string;
  readAt: string;
  refreshVerb: string;
}

export function buildConnectorStatusView(status: ConnectorStatus): ConnectorStatusView {
  const c = status.snapshot.config;
  return {
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
    approversChannel: status.approversConversationId
      ? 'Set. Approval requests are posted there.'
      : 'Not set: an approver runs "/connector approvers" in the approvers\' channel.',
    readAt: formatTime(status.snapshot.readAt),
    refreshVerb: CONNECTOR_VERBS.refresh,
  };
}

export function renderConnectorStatusCard(status: ConnectorStatus): AdaptiveCard {
  return renderTemplate('connector-status', buildConnectorStatusView(status));
}
