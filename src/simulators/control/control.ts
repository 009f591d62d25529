// The simulator control surface (not part of Microsoft's contract): the same operations serve the
// in-process SimulatorControl used by tests and the /_sim HTTP API. Input is validated here.
import { isPlainObject } from '../http/types.ts';
import type { ApiName } from '../http/types.ts';
import type { FaultInjector, FaultSpec } from '../http/faults.ts';
import { parseFaultSpec } from '../http/faults.ts';
import type { RequestLog, RequestLogEntry } from '../http/request-log.ts';
import { GRAPH_INCIDENT_STATUSES, GRAPH_SEVERITIES, canonicalMember, resolveServiceSource, SERVICE_SOURCES, SERVICE_SOURCE_ALIASES } from '../engine/catalog.ts';
import type { DirectoryUser, PortalEngine } from '../engine/engine.ts';
import { SimError } from '../engine/errors.ts';
import { parseIncidentPatch } from '../graph/api.ts';
import { parseIncidentPut } from '../arm/incident-input.ts';
import { INTEGRATION_METHODS } from '../options.ts';
import type { RuntimeConfig } from '../options.ts';
import { CHECK_STATES } from '../state/model.ts';
import type { CheckState, DefenderIncident, SentinelComment, SentinelIncident } from '../state/model.ts';
import type { ScenarioEvent } from '../scenario/planner.ts';
import type { ScenarioRunner } from '../scenario/runner.ts';

/** Every Graph incident property a capability profile may list as writable. */
export const GRAPH_PATCHABLE_FIELDS = ['assignedTo', 'classification', 'determination', 'status', 'customTags', 'displayName', 'description', 'summary', 'severity'] as const;

export interface RaiseAlertRequest {
  serviceSource: string;
  title: string;
  severity: string;
  description?: string;
  category?: string;
  /** alertEvidence entries in Graph's shapes (checked when the alert is raised). */
  evidence?: unknown[];
  correlationKey?: string;
  mitreTechniques?: string[];
}

export type ConfigPatch = Partial<RuntimeConfig>;

export interface SentinelAnalystChanges {
  title?: string;
  description?: string | null;
  severity?: string;
  status?: string;
  classification?: string | null;
  classificationReason?: string | null;
  classificationComment?: string | null;
  labels?: string[];
  owner?: { objectId?: string; userPrincipalName?: string; email?: string; assignedTo?: string } | null;
}

export interface SimulatorControl {
  reset(): void;
  raiseAlert(input: RaiseAlertRequest): { alertId: string; incidentId: string };
  mergeIncidents(sourceId: string, intoId: string): void;
  setNativeSync(enabled: boolean): void;
  configure(patch: ConfigPatch): RuntimeConfig;
  config(): RuntimeConfig;
  addFault(spec: FaultSpec): void;
  /** Faults still armed, with the uses left: a fault whose uses are spent has met its requests. */
  faults(): Array<FaultSpec & { remaining: number }>;
  clearFaults(): void;
  requests(): { counts: Record<ApiName, number>; recent: RequestLogEntry[] };
  setCheckRequirements(states: { authorizationState?: CheckState; licenseState?: CheckState }): void;
  /** A person editing the incident in the Defender portal (can set severity and awaitingAction). */
  analystUpdateDefenderIncident(id: string, changes: Record<string, unknown>, upn: string): DefenderIncident;
  analystCommentDefender(id: string, text: string, upn: string): void;
  /** A person editing the incident in the Sentinel (Azure) portal. */
  analystUpdateSentinelIncident(name: string, changes: SentinelAnalystChanges, upn: string): SentinelIncident;
  analystCommentSentinel(name: string, text: string, upn: string): SentinelComment;
  /** The simulated tenant's users (owners and comment authors the portals resolve). */
  directory(): DirectoryUser[];
  defenderIncidents(): DefenderIncident[];
  sentinelIncidents(): SentinelIncident[];
  sentinelComments(name: string): SentinelComment[];
  sentinelCounterpart(defenderId: string): SentinelIncident | undefined;
  scenario: { start(options?: { eventsPerMinute?: number; seed?: number }): void; stop(): void; step(): ScenarioEvent; running(): boolean };
  /** Writes the state snapshot now. */
  flush(): Promise<void>;
}

export function parseRaiseAlert(input: unknown): RaiseAlertRequest | string {
  if (!isPlainObject(input)) return 'body must be a JSON object';
  const { serviceSource, title, severity, description, category, evidence, correlationKey, mitreTechniques } = input;
  const sources = [...Object.keys(SERVICE_SOURCES), ...Object.keys(SERVICE_SOURCE_ALIASES)];
  if (typeof serviceSource !== 'string' || !resolveServiceSource(serviceSource)) return `'serviceSource' must be one of ${sources.join(', ')}`;
  if (typeof title !== 'string' || title === '') return "'title' must be a non-empty string";
  const sev = canonicalMember(GRAPH_SEVERITIES, severity);
  if (!sev || sev === 'unknownFutureValue') return "'severity' must be one of unknown, informational, low, medium, high";
  if (description !== undefined && typeof description !== 'string') return "'description' must be a string";
  if (category !== undefined && typeof category !== 'string') return "'category' must be a string";
  if (evidence !== undefined && !Array.isArray(evidence)) return "'evidence' must be an array of alertEvidence objects";
  if (correlationKey !== undefined && (typeof correlationKey !== 'string' || correlationKey === '')) return "'correlationKey' must be a non-empty string";
  if (mitreTechniques !== undefined && (!Array.isArray(mitreTechniques) || !mitreTechniques.every((t) => typeof t === 'string'))) return "'mitreTechniques' must be an array of strings";
  const request: RaiseAlertRequest = { serviceSource, title, severity: sev };
  if (description !== undefined) request.description = description;
  if (category !== undefined) request.category = category;
  if (evidence !== undefined) request.evidence = evidence;
  if (correlationKey !== undefined) request.correlationKey = correlationKey;
  if (mitreTechniques !== undefined) request.mitreTechniques = mitreTechniques as string[];
  return request;
}

export function parseConfigPatch(input: unknown): ConfigPatch | string {
  if (!isPlainObject(input)) return 'body must be a JSON object';
  const patch: ConfigPatch = {};
  for (const [key, value] of Object.entries(input)) {
    switch (key) {
      case 'integrationMethod':
        if (!(INTEGRATION_METHODS as readonly unknown[]).includes(value)) return `'integrationMethod' must be one of ${INTEGRATION_METHODS.join(', ')}`;
        patch.integrationMethod = value as RuntimeConfig['integrationMethod'];
        break;
      case 'azurePortalDelayMs':
      case 'coalesceWindowMs':
      case 'graphRequestsPerMinute':
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return `'${key}' must be a number >= 0`;
        patch[key] = value;
        break;
      case 'nativeSync':
        if (typeof value !== 'boolean') return "'nativeSync' must be a boolean";
        patch.nativeSync = value;
        break;
      case 'graphWritableFields':
        if (!Array.isArray(value) || !value.every((field) => (GRAPH_PATCHABLE_FIELDS as readonly unknown[]).includes(field))) {
          return `'graphWritableFields' must be an array of ${GRAPH_PATCHABLE_FIELDS.join(', ')}`;
        }
        patch.graphWritableFields = value as string[];
        break;
      default:
        return `unknown setting '${key}'; settable: integrationMethod, azurePortalDelayMs, coalesceWindowMs, graphWritableFields, graphRequestsPerMinute, nativeSync`;
    }
  }
  return patch;
}

function badRequest(message: string): never {
  throw new SimError('bad-request', message);
}

export function createControl(deps: {
  engine: PortalEngine;
  runtime: RuntimeConfig;
  faults: FaultInjector;
  requestLog: RequestLog;
  resetThrottles: () => void;
  scenario: ScenarioRunner;
  startScenario: (options: { eventsPerMinute?: number; seed?: number }) => void;
  flush: () => Promise<void>;
  directory: () => readonly DirectoryUser[];
}): SimulatorControl {
  const { engine, runtime } = deps;
  const copy = <T>(value: T): T => structuredClone(value);
  return {
    reset() {
      deps.scenario.stop();
      engine.reset();
      deps.faults.clear();
      deps.requestLog.reset();
      deps.resetThrottles();
    },
    raiseAlert(input) {
      const parsed = parseRaiseAlert(input);
      if (typeof parsed === 'string') badRequest(parsed);
      const { serviceSource, ...rest } = parsed;
      return engine.raiseAlert({ ...rest, serviceSource: resolveServiceSource(serviceSource) as NonNullable<ReturnType<typeof resolveServiceSource>> });
    },
    mergeIncidents(sourceId, intoId) {
      engine.mergeDefenderIncidents(sourceId, intoId);
    },
    setNativeSync(enabled) {
      runtime.nativeSync = enabled;
    },
    configure(patch) {
      const parsed = parseConfigPatch(patch);
      if (typeof parsed === 'string') badRequest(parsed);
      const methodChanged = parsed.integrationMethod !== undefined && parsed.integrationMethod !== runtime.integrationMethod;
      Object.assign(runtime, parsed);
      if (methodChanged) engine.integrationMethodChanged();
      return { ...runtime, graphWritableFields: [...runtime.graphWritableFields] };
    },
    config: () => ({ ...runtime, graphWritableFields: [...runtime.graphWritableFields] }),
    addFault(spec) {
      const parsed = parseFaultSpec(spec);
      if (typeof parsed === 'string') badRequest(parsed);
      deps.faults.add(parsed);
    },
    faults: () => deps.faults.list(),
    clearFaults: () => deps.faults.clear(),
    requests: () => deps.requestLog.snapshot(),
    setCheckRequirements(states) {
      const target = engine.state().sentinel.checkRequirements;
      for (const key of ['authorizationState', 'licenseState'] as const) {
        const value = states[key];
        if (value === undefined) continue;
        if (!(CHECK_STATES as readonly string[]).includes(value)) badRequest(`'${key}' must be one of ${CHECK_STATES.join(', ')}`);
        target[key] = value;
      }
      engine.markChanged();
    },
    analystUpdateDefenderIncident(id, changes, upn) {
      const { status, ...rest } = changes;
      const parsed = parseIncidentPatch(rest, GRAPH_PATCHABLE_FIELDS);
      if (typeof parsed === 'string') badRequest(parsed);
      if (status !== undefined) {
        const member = canonicalMember(GRAPH_INCIDENT_STATUSES, status);
        if (!member || member === 'redirected' || member === 'unknownFutureValue') badRequest("'status' must be active, inProgress, resolved or awaitingAction (merge to redirect)");
        parsed.status = member;
      }
      return copy(engine.updateDefenderIncident(id, parsed, upn));
    },
    analystCommentDefender(id, text, upn) {
      if (typeof text !== 'string' || text.trim() === '') badRequest("'comment' must be a non-empty string");
      engine.addDefenderComment(id, text, upn);
    },
    analystUpdateSentinelIncident(name, changes, upn) {
      const current = engine.state().sentinel.incidents[name];
      if (!current) throw new SimError('not-found', `Incident '${name}' was not found in the workspace.`);
      const properties: Record<string, unknown> = {
        title: current.title,
        description: current.description,
        severity: current.severity,
        status: current.status,
        classification: current.classification,
        classificationReason: current.classificationReason,
        classificationComment: current.classificationComment,
        owner: current.owner,
        labels: current.labels,
        firstActivityTimeUtc: current.firstActivityTimeUtc,
        lastActivityTimeUtc: current.lastActivityTimeUtc,
      };
      for (const [key, value] of Object.entries(changes)) {
        properties[key] = key === 'labels' && Array.isArray(value) ? value.map((labelName) => ({ labelName })) : value;
      }
      const write = parseIncidentPut({ properties });
      if (typeof write === 'string') badRequest(write);
      return copy(engine.putSentinelIncident(name, write, { name: upn, type: 'User' }).incident);
    },
    analystCommentSentinel(name, text, upn) {
      if (typeof text !== 'string' || text.trim() === '') badRequest("'comment' must be a non-empty string");
      return copy(engine.putSentinelComment(name, crypto.randomUUID(), text, { name: upn, userPrincipalName: upn, email: upn }).comment);
    },
    directory: () => copy([...deps.directory()]),
    defenderIncidents: () => copy(Object.values(engine.state().defender.incidents)),
    sentinelIncidents: () => copy(Object.values(engine.state().sentinel.incidents)),
    sentinelComments: (name) => copy(engine.state().sentinel.comments[name] ?? []),
    sentinelCounterpart: (defenderId) => {
      const incident = engine.sentinelCounterpart(defenderId);
      return incident ? copy(incident) : undefined;
    },
    scenario: {
      start: (options = {}) => deps.startScenario(options),
      stop: () => deps.scenario.stop(),
      step: () => deps.scenario.step(),
      running: () => deps.scenario.running(),
    },
    flush: deps.flush,
  };
}
