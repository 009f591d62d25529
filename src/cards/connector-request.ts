// The change-request form: the current connector settings as inputs, and the parser for what
// Teams sends back when it is submitted (untrusted: any client can post any data to the bot).
import { INTEGRATION_METHOD_NOT_WRITABLE, INTEGRATION_METHODS, type ConnectorConfig, type ConnectorSnapshot } from '../domain/connector.ts';
import { ownValue, typedTextProblem } from '../domain/untrusted-input.ts';
import { DEFENDER_XDR_EVENT_TABLES, INTEGRATION_METHOD_LABELS } from '../approvals/connector-facts.ts';
import { MAX_REASON_LENGTH } from '../approvals/service.ts';
import { renderTemplate, type AdaptiveCard } from './render.ts';
import { toPlainLine } from './escape.ts';
import { CONNECTOR_INPUT_IDS, CONNECTOR_VERBS } from './connector-verbs.ts';
import { customerText } from './connector-format.ts';

export interface ConnectorRequestView {
  /** The pair the form is for: sent back with it, and checked again when it is submitted. */
  pairId: string;
  /** Escaped customer name; '' when nothing needs saying (one pair, no name). */
  customer: string;
  ids: typeof CONNECTOR_INPUT_IDS;
  verb: string;
  formVersion: string;
  /** Sent back with the form (Action.Execute data), so the proposal keeps the current method. */
  integrationMethod: string;
  integrationMethodLabel: string;
  integrationMethodNote: string;
  incidentsAndAlerts: string;
  turnOffIncidentCreationRules: string;
  entities: string;
  eventTypes: string;
  eventTypeChoices: { title: string; value: string }[];
  maxReasonLength: number;
}

/** Which pair a connector card is about, and how it names the customer (null: not at all). */
export interface ConnectorCardPair {
  pairId: string;
  customer: string | null;
}

export function buildConnectorRequestView(snapshot: ConnectorSnapshot, pair: ConnectorCardPair): ConnectorRequestView {
  const config = snapshot.config;
  const documented = new Set(DEFENDER_XDR_EVENT_TABLES.map((t) => t.name));
  // A table enabled in the portal but not in the documented list still shows, so it can be removed.
  const extra = config.eventTypes.filter((t) => !documented.has(t));
  return {
    pairId: pair.pairId,
    customer: customerText(pair.customer),
    ids: CONNECTOR_INPUT_IDS,
    verb: CONNECTOR_VERBS.submit,
    formVersion: snapshot.version,
    integrationMethod: config.integrationMethod,
    integrationMethodLabel: INTEGRATION_METHOD_LABELS[config.integrationMethod],
    integrationMethodNote: INTEGRATION_METHOD_NOT_WRITABLE,
    incidentsAndAlerts: String(config.incidentsAndAlerts),
    turnOffIncidentCreationRules: String(config.turnOffIncidentCreationRules),
    entities: String(config.entities),
    // Input.ChoiceSet with isMultiSelect takes and returns a comma-separated string.
    eventTypes: config.eventTypes.filter((t) => !t.includes(',')).join(','),
    eventTypeChoices: [
      ...DEFENDER_XDR_EVENT_TABLES.map((t) => ({ title: `${t.name} (${t.product})`, value: t.name })),
      ...extra.filter((t) => !t.includes(',')).map((t) => ({ title: `${toPlainLine(t, 80)} (not documented)`, value: t })),
    ],
    maxReasonLength: MAX_REASON_LENGTH,
  };
}

export function renderConnectorRequestCard(snapshot: ConnectorSnapshot, pair: ConnectorCardPair): AdaptiveCard {
  return renderTemplate('connector-request', buildConnectorRequestView(snapshot, pair));
}

export type ParsedRequestForm =
  | { ok: true; proposed: ConnectorConfig; reason: string; formVersion: string | undefined; pairId: string | undefined }
  | { ok: false; errors: string[] };

const MAX_EVENT_TYPES_INPUT = 4000;

/**
 * Reads the submitted form. Shapes only: whether the tables and the combination are allowed is
 * validateProposal's job (the service runs it against the live configuration).
 */
export function parseConnectorRequestForm(data: unknown): ParsedRequestForm {
  if (typeof data !== 'object' || data === null) return { ok: false, errors: ['The form data is missing.'] };
  const field = (name: string): unknown => ownValue(data, name);
  const errors: string[] = [];
  const method = field('integrationMethod');
  if (typeof method !== 'string' || !(INTEGRATION_METHODS as readonly string[]).includes(method)) {
    errors.push('The form does not say which integration method it was made for; open a new one with /connector request.');
  }
  const toggles = {
    incidentsAndAlerts: parseToggle(field(CONNECTOR_INPUT_IDS.incidentsAndAlerts)),
    turnOffIncidentCreationRules: parseToggle(field(CONNECTOR_INPUT_IDS.turnOffIncidentCreationRules)),
    entities: parseToggle(field(CONNECTOR_INPUT_IDS.entities)),
  };
  for (const [name, value] of Object.entries(toggles)) {
    if (value === null) errors.push(`${name} must be on or off.`);
  }
  const rawTables = field(CONNECTOR_INPUT_IDS.eventTypes) ?? '';
  let eventTypes: string[] = [];
  if (typeof rawTables === 'string' && rawTables.length <= MAX_EVENT_TYPES_INPUT) {
    eventTypes = rawTables.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
  } else if (Array.isArray(rawTables) && rawTables.every((t) => typeof t === 'string') && rawTables.length <= 100) {
    eventTypes = rawTables.map((t: string) => t.trim()).filter((t) => t.length > 0);
  } else {
    errors.push('Event tables must be a comma-separated list of table names.');
  }
  const reason = field(CONNECTOR_INPUT_IDS.reason);
  if (typeof reason !== 'string' || reason.trim().length === 0) errors.push('Give a reason for the change.');
  else {
    const problem = typedTextProblem(reason, 'prose');
    if (problem) errors.push(`The reason contains ${problem}; remove it.`);
  }
  const formVersion = field('formVersion');
  const pairId = field('pairId');
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    proposed: {
      integrationMethod: method as ConnectorConfig['integrationMethod'],
      incidentsAndAlerts: toggles.incidentsAndAlerts as boolean,
      turnOffIncidentCreationRules: toggles.turnOffIncidentCreationRules as boolean,
      entities: toggles.entities as boolean,
      eventTypes,
    },
    reason: (reason as string).trim(),
    formVersion: typeof formVersion === 'string' ? formVersion : undefined,
    // Which pair is the route's to decide (and check): here only its shape.
    pairId: typeof pairId === 'string' ? pairId : undefined,
  };
}

/** Input.Toggle sends its valueOn/valueOff strings ("true"/"false" here). */
function parseToggle(value: unknown): boolean | null {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return null;
}
