// The simulated portals' behaviour behind the APIs, composed from one module per concern:
// defender.ts (alert correlation and the Defender incident lifecycle), sentinel-store.ts (the
// Sentinel workspace's incidents, comments and etags) and connector-flow.ts (how Defender incidents
// reach Sentinel: integration methods, delays, incident creation rules, the portals' own mirroring).
// This module owns the state they share and the engine's public surface.
// API layers validate wire input and call these operations with canonical values.
import { createConnectorFlow } from './connector-flow.ts';
import { alertsOf, createDefenderPortal } from './defender.ts';
import type { DefenderChanges, RaiseAlertInput } from './defender.ts';
import { seedState } from './seed.ts';
import { createSentinelStore } from './sentinel-store.ts';
import type { DirectoryUser, SentinelWrite } from './sentinel-store.ts';
import type {
  AlertComment,
  ChangeActor,
  CommentAuthor,
  DefenderAlert,
  DefenderIncident,
  SentinelComment,
  SentinelIncident,
  SimState,
} from '../state/model.ts';
import type { RuntimeConfig } from '../options.ts';

export type { DefenderChanges, RaiseAlertInput } from './defender.ts';
export type { DirectoryUser, SentinelWrite } from './sentinel-store.ts';

export interface EngineDeps {
  tenantId: string;
  clock: () => Date;
  runtime: RuntimeConfig;
  /** ARM id of the workspace's Microsoft.SecurityInsights provider scope (for rule ids). */
  securityInsightsScope: string;
  /** The tenant's users now (the control API may replace the directory). */
  directory: () => readonly DirectoryUser[];
  onChange: () => void;
  onError: (error: unknown, context: string) => void;
}

export interface PortalEngine {
  state(): SimState;
  replaceState(state: SimState): void;
  raiseAlert(input: RaiseAlertInput): { alertId: string; incidentId: string };
  updateDefenderIncident(id: string, changes: DefenderChanges, modifiedBy: string): DefenderIncident;
  addDefenderComment(id: string, text: string, author: string): AlertComment[];
  mergeDefenderIncidents(sourceId: string, intoId: string): void;
  alertsOf(incident: DefenderIncident): DefenderAlert[];
  putSentinelIncident(name: string, write: SentinelWrite, actor: ChangeActor): { incident: SentinelIncident; created: boolean };
  deleteSentinelIncident(name: string): boolean;
  putSentinelComment(incidentName: string, commentName: string, message: string, author: CommentAuthor): { comment: SentinelComment; created: boolean };
  deleteSentinelComment(incidentName: string, commentName: string): boolean;
  /** The Sentinel incident mirroring a Defender incident, if imported. */
  sentinelCounterpart(defenderId: string): SentinelIncident | undefined;
  /** Records that the caller changed workspace configuration in state directly (persists it). */
  markChanged(): void;
  /** Re-applies integration-method effects (connector disconnection) after a config change. */
  integrationMethodChanged(): void;
  /** Clears incidents, alerts, comments and pending work; keeps the workspace configuration. */
  reset(): void;
  /** Schedules work persisted in the state (pending Azure-portal imports) after a load. */
  resume(): void;
  stop(): void;
}

export function createPortalEngine(deps: EngineDeps): PortalEngine {
  let state: SimState = seedState(deps.tenantId, deps.runtime.integrationMethod, deps.clock().toISOString());
  const current = () => state;
  const changed = () => deps.onChange();

  const flow = createConnectorFlow({
    clock: deps.clock,
    runtime: deps.runtime,
    securityInsightsScope: deps.securityInsightsScope,
    state: current,
    changed,
    onError: deps.onError,
  });
  const defender = createDefenderPortal({
    tenantId: deps.tenantId,
    clock: deps.clock,
    state: current,
    changed,
    events: {
      incidentCreated: flow.defenderIncidentCreated,
      incidentChanged: (id, comment) => flow.requestMirror('toSentinel', id, comment),
      incidentRedirected: flow.defenderIncidentRedirected,
      alertRaised: flow.applyIncidentCreationRules,
    },
  });
  const sentinel = createSentinelStore({
    clock: deps.clock,
    state: current,
    directory: deps.directory,
    changed,
    events: { incidentChanged: (name, comment) => flow.requestMirror('toDefender', name, comment) },
  });

  return {
    state: current,
    replaceState(next) {
      flow.stop();
      state = next;
    },
    ...defender,
    alertsOf: (incident) => alertsOf(state.defender, incident),
    ...sentinel,
    sentinelCounterpart: flow.sentinelCounterpart,
    integrationMethodChanged: flow.integrationMethodChanged,
    markChanged: changed,
    reset() {
      flow.stop();
      state.defender = { nextIncidentId: 1, nextAlertNumber: 1, incidents: {}, alerts: {} };
      state.sentinel.incidents = {};
      state.sentinel.comments = {};
      state.sentinel.pendingImports = {};
      state.sentinel.nextIncidentNumber = 1;
      changed();
    },
    resume: flow.resume,
    stop: flow.stop,
  };
}
