// What a proposed connector configuration changes, what that will do, and whether it may be
// proposed at all. Pure: the consequences are Microsoft's documented behaviour of the Defender XDR
// connector (see connector-facts.ts and README.md), never guesses about a live workspace.
import { INTEGRATION_METHOD_NOT_WRITABLE, INTEGRATION_METHODS, type ConnectorConfig, type IntegrationMethod } from '../domain/connector.ts';
import { ownValue } from '../domain/untrusted-input.ts';
import {
  ALERT_PROVIDER_CONNECTORS_DISCONNECTED_BY_DEFENDER_PORTAL,
  DEFENDER_XDR_EVENT_TABLE_NAMES,
  DEFENDER_XDR_EVENT_TABLES,
  INCIDENT_CREATION_RULE_PRODUCTS,
  INTEGRATION_METHOD_LABELS,
  NOT_INGESTED_TABLE_PATTERN,
} from './connector-facts.ts';

export const BOOLEAN_SETTINGS = ['incidentsAndAlerts', 'turnOffIncidentCreationRules', 'entities'] as const;
export type BooleanSetting = (typeof BOOLEAN_SETTINGS)[number];

/** One setting's change. Plain JSON, so it can be stored with the request. */
export type ConfigChange =
  | { setting: 'integrationMethod'; from: IntegrationMethod; to: IntegrationMethod }
  | { setting: BooleanSetting; from: boolean; to: boolean }
  | { setting: 'eventTypes'; added: string[]; removed: string[] };

export const CONSEQUENCE_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type ConsequenceSeverity = (typeof CONSEQUENCE_SEVERITIES)[number];

export interface Consequence {
  severity: ConsequenceSeverity;
  /** One sentence for people deciding; names no attacker-controlled text. */
  text: string;
}

export interface ProposalError {
  field: keyof ConnectorConfig | 'proposal';
  message: string;
}

/** Sorted, de-duplicated event tables: ConnectorConfig's documented invariant. */
export function normalizeConfig(config: ConnectorConfig): ConnectorConfig {
  return {
    integrationMethod: config.integrationMethod,
    incidentsAndAlerts: config.incidentsAndAlerts,
    turnOffIncidentCreationRules: config.turnOffIncidentCreationRules,
    entities: config.entities,
    eventTypes: [...new Set(config.eventTypes)].sort(),
  };
}

/** Exact per-setting changes from `base` to `proposed`, in the connector page's order. */
export function diffConnectorConfig(base: ConnectorConfig, proposed: ConnectorConfig): ConfigChange[] {
  const changes: ConfigChange[] = [];
  if (base.integrationMethod !== proposed.integrationMethod) {
    changes.push({ setting: 'integrationMethod', from: base.integrationMethod, to: proposed.integrationMethod });
  }
  for (const setting of BOOLEAN_SETTINGS) {
    if (base[setting] !== proposed[setting]) changes.push({ setting, from: base[setting], to: proposed[setting] });
  }
  const before = new Set(base.eventTypes);
  const after = new Set(proposed.eventTypes);
  const added = [...after].filter((t) => !before.has(t)).sort();
  const removed = [...before].filter((t) => !after.has(t)).sort();
  if (added.length > 0 || removed.length > 0) changes.push({ setting: 'eventTypes', added, removed });
  return changes;
}

export function configsEqual(a: ConnectorConfig, b: ConnectorConfig): boolean {
  return diffConnectorConfig(a, b).length === 0;
}

/**
 * Whether `config` shows `change` as made (its target value), independently of other settings.
 * Used to report what a failed or partial apply did and did not change.
 */
export function isChangeInEffect(change: ConfigChange, config: ConnectorConfig): boolean {
  switch (change.setting) {
    case 'integrationMethod':
      return config.integrationMethod === change.to;
    case 'eventTypes': {
      const tables = new Set(config.eventTypes);
      return change.added.every((t) => tables.has(t)) && change.removed.every((t) => !tables.has(t));
    }
    default:
      return config[change.setting] === change.to;
  }
}

/**
 * Whether every way `live` differs from `base` is a step of base -> proposed (for example our own
 * earlier, partly successful write). Then re-applying on top of `live` is still the approved change.
 */
export function isProgressToward(base: ConnectorConfig, live: ConnectorConfig, proposed: ConnectorConfig): boolean {
  for (const drift of diffConnectorConfig(base, live)) {
    if (drift.setting === 'eventTypes') {
      const wanted = new Set(proposed.eventTypes);
      if (drift.added.some((t) => !wanted.has(t)) || drift.removed.some((t) => wanted.has(t))) return false;
    } else if (proposed[drift.setting] !== live[drift.setting]) {
      return false;
    }
  }
  return true;
}

export function describeChange(change: ConfigChange): string {
  switch (change.setting) {
    case 'integrationMethod':
      return `Integration method: ${INTEGRATION_METHOD_LABELS[change.from]} → ${INTEGRATION_METHOD_LABELS[change.to]}`;
    case 'incidentsAndAlerts':
      return `Connect incidents & alerts: ${onOff(change.from)} → ${onOff(change.to)}`;
    case 'turnOffIncidentCreationRules':
      // The checkbox is phrased negatively; say what happens to the rules.
      return `Microsoft incident creation rules: ${change.from ? 'turned off' : 'on'} → ${change.to ? 'turned off' : 'on'}`;
    case 'entities':
      return `Connect entities: ${onOff(change.from)} → ${onOff(change.to)}`;
    case 'eventTypes': {
      const parts: string[] = [];
      if (change.added.length > 0) parts.push(`add ${change.added.join(', ')}`);
      if (change.removed.length > 0) parts.push(`remove ${change.removed.join(', ')}`);
      return `Event tables: ${parts.join('; ')}`;
    }
  }
}

function onOff(value: boolean): string {
  return value ? 'on' : 'off';
}

/** What the changes will do, worst first within the connector page's order. */
export function consequencesOf(changes: readonly ConfigChange[], base: ConnectorConfig, proposed: ConnectorConfig): Consequence[] {
  const out: Consequence[] = [];
  for (const change of changes) {
    switch (change.setting) {
      case 'integrationMethod':
        if (change.to === 'defenderPortal') {
          out.push({
            severity: 'critical',
            text: `Switching to Defender portal integration disconnects these alert-provider connectors: ${ALERT_PROVIDER_CONNECTORS_DISCONNECTED_BY_DEFENDER_PORTAL.join(', ')}.`,
          });
          out.push({
            severity: 'warning',
            text: 'Microsoft incident creation rules are not supported in the Defender portal; alert filtering moves to alert tuning or automation rules.',
          });
        } else {
          out.push({
            severity: 'critical',
            text: 'Leaving Defender portal integration ends the unified incident queue; Defender XDR incidents reach Sentinel only through the connector ("Connect incidents & alerts").',
          });
        }
        break;
      case 'incidentsAndAlerts':
        if (!change.to) {
          out.push({
            severity: 'critical',
            text: 'Incidents stop flowing into Sentinel; the bridge can no longer link new incidents.',
          });
        } else {
          out.push({
            severity: 'info',
            text: 'Defender XDR incidents appear in Sentinel typically within five minutes; previously connected component connectors stop receiving data (they still appear connected).',
          });
        }
        break;
      case 'turnOffIncidentCreationRules':
        if (!change.to) {
          out.push({
            severity: proposed.incidentsAndAlerts ? 'critical' : 'warning',
            text: `Turning Microsoft incident creation rules back on can create duplicate incidents for these products: ${INCIDENT_CREATION_RULE_PRODUCTS.join(', ')}.`,
          });
        } else {
          out.push({
            severity: 'info',
            text: 'Microsoft incident creation rules for these products are turned off; their alert filters must be redone as alert tuning or automation rules, and Defender XDR names the incidents.',
          });
        }
        break;
      case 'entities':
        out.push(
          change.to
            ? { severity: 'info', text: 'On-premises Active Directory user entities sync through Defender for Identity (needs UEBA and the Defender for Identity sensor).' }
            : { severity: 'warning', text: 'On-premises Active Directory user entities stop syncing into Sentinel (UEBA loses that source).' },
        );
        break;
      case 'eventTypes':
        if (change.removed.length > 0) {
          out.push({
            severity: 'warning',
            text: `Data is no longer collected for these tables: ${change.removed.join(', ')}. Queries, analytics rules and workbooks that read them get no new rows.`,
          });
        }
        if (change.added.length > 0) {
          out.push({
            severity: 'info',
            text: `New tables are collected: ${change.added.join(', ')}. Advanced hunting tables are billed at ingestion (incidents and alerts are free).`,
          });
        }
        break;
    }
  }
  // Event tables stream through the connector regardless; say so when incidents are off entirely.
  if (!proposed.incidentsAndAlerts && base.incidentsAndAlerts && proposed.integrationMethod === 'azurePortal' && proposed.eventTypes.length > 0) {
    out.push({ severity: 'info', text: 'Event tables keep streaming; only incidents and alerts stop.' });
  }
  return out;
}

export function worstSeverity(consequences: readonly Consequence[]): ConsequenceSeverity {
  let worst: ConsequenceSeverity = 'info';
  for (const c of consequences) {
    if (CONSEQUENCE_SEVERITIES.indexOf(c.severity) > CONSEQUENCE_SEVERITIES.indexOf(worst)) worst = c.severity;
  }
  return worst;
}

/**
 * Checks an untrusted proposal (it comes from a card or a command) and returns it normalised, or
 * the reasons it is refused. An empty diff is refused: there is nothing to approve.
 */
export function validateProposal(base: ConnectorConfig, proposed: unknown): { ok: true; config: ConnectorConfig } | { ok: false; errors: ProposalError[] } {
  const errors: ProposalError[] = [];
  if (typeof proposed !== 'object' || proposed === null || Array.isArray(proposed)) {
    return { ok: false, errors: [{ field: 'proposal', message: 'The proposal must be an object with the connector settings.' }] };
  }
  // Own fields only: a setting inherited through the prototype is not part of the proposal.
  const p: Record<string, unknown> = Object.fromEntries(
    ['integrationMethod', ...BOOLEAN_SETTINGS, 'eventTypes'].map((name) => [name, ownValue(proposed, name)]),
  );
  const integrationMethod = p.integrationMethod;
  if (typeof integrationMethod !== 'string' || !(INTEGRATION_METHODS as readonly string[]).includes(integrationMethod)) {
    errors.push({ field: 'integrationMethod', message: `Integration method must be one of: ${INTEGRATION_METHODS.join(', ')}.` });
  }
  for (const setting of BOOLEAN_SETTINGS) {
    if (typeof p[setting] !== 'boolean') errors.push({ field: setting, message: `${setting} must be true or false.` });
  }
  const eventTypes = p.eventTypes;
  if (!Array.isArray(eventTypes) || eventTypes.some((t) => typeof t !== 'string')) {
    errors.push({ field: 'eventTypes', message: 'Event tables must be a list of table names.' });
  } else {
    for (const table of eventTypes as string[]) {
      const problem = tableProblem(table);
      if (problem) errors.push({ field: 'eventTypes', message: problem });
    }
  }
  if (errors.length > 0) return { ok: false, errors };

  const config = normalizeConfig(p as unknown as ConnectorConfig);
  // Refused here, when it is asked for: an approval could never be applied (connector-client.ts).
  if (config.integrationMethod !== base.integrationMethod) {
    errors.push({ field: 'integrationMethod', message: INTEGRATION_METHOD_NOT_WRITABLE });
  }
  if (config.integrationMethod === 'defenderPortal' && !config.turnOffIncidentCreationRules) {
    errors.push({
      field: 'turnOffIncidentCreationRules',
      message: 'Microsoft incident creation rules are not supported in the Defender portal: keep them turned off with Defender portal integration.',
    });
  }
  if (errors.length === 0 && configsEqual(normalizeConfig(base), config)) {
    errors.push({ field: 'proposal', message: 'The proposal changes nothing: it equals the current configuration.' });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}

function tableProblem(table: string): string | null {
  if (DEFENDER_XDR_EVENT_TABLE_NAMES.has(table)) return null;
  const shown = JSON.stringify(table.length > 60 ? `${table.slice(0, 60)}…` : table);
  if (NOT_INGESTED_TABLE_PATTERN.test(table)) {
    return `${shown}: Defender Vulnerability Management tables are not ingested into Microsoft Sentinel.`;
  }
  const sameLetters = DEFENDER_XDR_EVENT_TABLES.find((t) => t.name.toLowerCase() === table.toLowerCase());
  if (sameLetters) return `${shown} is not a table name; did you mean ${sameLetters.name}? (names are case-sensitive)`;
  return `${shown} is not an advanced hunting table the Defender XDR connector can stream.`;
}
