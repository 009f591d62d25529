// Defender XDR's side of the simulated portals: alerts correlating into incidents, and the
// incident lifecycle (analyst and API updates, comments, merges). What Sentinel does with these
// changes is the connector flow's concern; this module only reports them through `events`.
import { randomUUID } from 'node:crypto';
import { severityRank } from './catalog.ts';
import type { ServiceSourceInfo } from './catalog.ts';
import { SimError } from './errors.ts';
import { completeEvidence } from './evidence.ts';
import { fieldsFromDefender, mirroredDifferences } from './mirror.ts';
import type { MirroredComment } from './mirror.ts';
import type { AlertComment, DefenderAlert, DefenderIncident, SimState } from '../state/model.ts';

/** What Defender writes as lastModifiedBy for its own (non-user, non-API) changes. */
export const DEFENDER_SYSTEM_ACTOR = 'Microsoft Defender XDR';

export interface RaiseAlertInput {
  serviceSource: ServiceSourceInfo;
  title: string;
  severity: string; // Graph spelling
  description?: string;
  category?: string;
  mitreTechniques?: string[];
  /** alertEvidence entries in Graph's shapes; completed and checked by completeEvidence. */
  evidence?: unknown[];
  correlationKey?: string;
}

export interface DefenderChanges {
  assignedTo?: string | null;
  classification?: string;
  determination?: string;
  status?: string;
  customTags?: string[];
  displayName?: string;
  description?: string;
  summary?: string | null;
  severity?: string;
  resolvingComment?: string | null;
}

/** What the rest of the portals hear about Defender changes (the connector flow listens). */
export interface DefenderEvents {
  /** A new incident exists. */
  incidentCreated(incident: DefenderIncident): void;
  /** An incident's mirrored fields may have changed, or it got a new comment. */
  incidentChanged(id: string, comment?: MirroredComment): void;
  /** An incident was merged into another (it is now redirected). */
  incidentRedirected(id: string): void;
  /** A new alert was raised (in a new or an existing incident). */
  alertRaised(alert: DefenderAlert, serviceSource: ServiceSourceInfo): void;
}

export interface DefenderPortalDeps {
  tenantId: string;
  clock: () => Date;
  /** The current state (the engine may replace it, so it is read on every operation). */
  state: () => SimState;
  changed: () => void;
  events: DefenderEvents;
}

export interface DefenderPortal {
  raiseAlert(input: RaiseAlertInput): { alertId: string; incidentId: string };
  updateDefenderIncident(id: string, changes: DefenderChanges, modifiedBy: string): DefenderIncident;
  addDefenderComment(id: string, text: string, author: string): AlertComment[];
  mergeDefenderIncidents(sourceId: string, intoId: string): void;
}

/** An incident's alerts, in the order they joined it. */
export function alertsOf(defender: SimState['defender'], incident: DefenderIncident): DefenderAlert[] {
  return incident.alertIds.map((id) => defender.alerts[id]).filter((alert): alert is DefenderAlert => alert !== undefined);
}

export function createDefenderPortal(deps: DefenderPortalDeps): DefenderPortal {
  const now = () => deps.clock().toISOString();

  function defenderIncident(id: string): DefenderIncident {
    const incident = deps.state().defender.incidents[id];
    if (!incident) throw new SimError('not-found', `Defender incident '${id}' does not exist.`);
    return incident;
  }

  function followRedirects(incident: DefenderIncident): DefenderIncident {
    const state = deps.state();
    let current = incident;
    for (let hops = 0; current.status === 'redirected' && current.redirectIncidentId && hops < 100; hops++) {
      const next = state.defender.incidents[current.redirectIncidentId];
      if (!next) break;
      current = next;
    }
    return current;
  }

  function recomputeFromAlerts(incident: DefenderIncident): void {
    const state = deps.state();
    const alerts = alertsOf(state.defender, incident);
    const top = alerts.reduce((max, alert) => (severityRank(alert.severity) > severityRank(max) ? alert.severity : max), incident.severity);
    incident.severity = top;
    const sources = new Set(alerts.map((alert) => alert.serviceSource));
    if (sources.size > 1) {
      // Defender renames correlated incidents after what they contain, e.g.
      // "Multi-stage incident involving Initial access & Command and control ... reported by multiple sources".
      const categories = [...new Set(alerts.map((alert) => alert.category))].slice(0, 3).join(' & ');
      incident.displayName = `Multi-stage incident involving ${categories} reported by multiple sources`;
    }
  }

  function raiseAlert(input: RaiseAlertInput): { alertId: string; incidentId: string } {
    const state = deps.state();
    const at = now();
    // Checked before anything changes: a refused alert leaves no trace.
    const evidence = completeEvidence(input.evidence ?? [], at);
    if (typeof evidence === 'string') throw new SimError('bad-request', evidence);
    const number = state.defender.nextAlertNumber++;
    // Defender alert ids look like da<.NET ticks>_<number>, e.g. da637551227677560813_-961444813.
    const ticks = (BigInt(deps.clock().getTime()) + 62_135_596_800_000n) * 10_000n;
    const alertId = `da${ticks}_${number}`;
    let incident = input.correlationKey
      ? Object.values(state.defender.incidents).find((candidate) => candidate.correlationKey === input.correlationKey)
      : undefined;
    if (incident) incident = followRedirects(incident);
    const isNew = !incident;
    if (!incident) {
      const id = String(state.defender.nextIncidentId++);
      incident = {
        id,
        tenantId: deps.tenantId,
        displayName: input.title,
        description: input.description ?? '',
        summary: null,
        severity: input.severity,
        status: 'active',
        classification: 'unknown',
        determination: 'unknown',
        assignedTo: null,
        customTags: [],
        systemTags: [],
        createdDateTime: at,
        lastUpdateDateTime: at,
        lastModifiedBy: DEFENDER_SYSTEM_ACTOR,
        redirectIncidentId: null,
        resolvingComment: null,
        priorityScore: null,
        comments: [],
        alertIds: [],
        correlationKey: input.correlationKey ?? null,
      };
      state.defender.incidents[id] = incident;
    }
    const alert: DefenderAlert = {
      id: alertId,
      providerAlertId: alertId,
      incidentId: incident.id,
      tenantId: deps.tenantId,
      serviceSource: input.serviceSource.wire,
      detectionSource: input.serviceSource.detectionSource,
      productName: input.serviceSource.productName,
      detectorId: randomUUID(),
      title: input.title,
      description: input.description ?? '',
      recommendedActions: '',
      category: input.category ?? 'SuspiciousActivity',
      severity: input.severity,
      status: 'new',
      classification: 'unknown',
      determination: 'unknown',
      assignedTo: null,
      mitreTechniques: input.mitreTechniques ?? [],
      evidence,
      createdDateTime: at,
      lastUpdateDateTime: at,
      firstActivityDateTime: at,
      lastActivityDateTime: at,
      resolvedDateTime: null,
    };
    state.defender.alerts[alertId] = alert;
    incident.alertIds.push(alertId);
    if (!isNew) {
      recomputeFromAlerts(incident);
      incident.lastUpdateDateTime = at;
      incident.lastModifiedBy = DEFENDER_SYSTEM_ACTOR;
    }
    deps.changed();
    if (isNew) deps.events.incidentCreated(incident);
    else deps.events.incidentChanged(incident.id);
    deps.events.alertRaised(alert, input.serviceSource);
    return { alertId, incidentId: incident.id };
  }

  function updateDefenderIncident(id: string, changes: DefenderChanges, modifiedBy: string): DefenderIncident {
    const state = deps.state();
    const incident = defenderIncident(id);
    const before = fieldsFromDefender(incident, alertsOf(state.defender, incident));
    const wasResolved = incident.status === 'resolved';
    for (const [field, value] of Object.entries(changes)) {
      if (value !== undefined) (incident as unknown as Record<string, unknown>)[field] = Array.isArray(value) ? [...value] : value;
    }
    incident.lastUpdateDateTime = now();
    // Resolving an incident resolves its alerts (chosen: the portal's "resolve incident" does so;
    // reopening leaves them resolved).
    if (!wasResolved && incident.status === 'resolved') {
      for (const alert of alertsOf(state.defender, incident)) {
        if (alert.status === 'resolved') continue;
        alert.status = 'resolved';
        alert.resolvedDateTime = incident.lastUpdateDateTime;
        alert.lastUpdateDateTime = incident.lastUpdateDateTime;
      }
    }
    incident.lastModifiedBy = modifiedBy;
    deps.changed();
    if (mirroredDifferences(fieldsFromDefender(incident, alertsOf(state.defender, incident)), before).length > 0) deps.events.incidentChanged(id);
    return incident;
  }

  function addDefenderComment(id: string, text: string, author: string): AlertComment[] {
    const incident = defenderIncident(id);
    const at = now();
    incident.comments.push({ comment: text, createdByDisplayName: author, createdDateTime: at });
    incident.lastUpdateDateTime = at;
    deps.changed();
    deps.events.incidentChanged(id, { text, author });
    return incident.comments;
  }

  function mergeDefenderIncidents(sourceId: string, intoId: string): void {
    const state = deps.state();
    if (sourceId === intoId) throw new SimError('bad-request', 'An incident cannot be merged into itself.');
    const source = defenderIncident(sourceId);
    const target = defenderIncident(intoId);
    if (source.status === 'redirected') throw new SimError('bad-request', `Incident '${sourceId}' was already merged into '${source.redirectIncidentId}'.`);
    if (target.status === 'redirected') throw new SimError('bad-request', `Incident '${intoId}' was merged into '${target.redirectIncidentId}'; merge into that one.`);
    const at = now();
    for (const alertId of source.alertIds) {
      const alert = state.defender.alerts[alertId];
      if (alert) {
        alert.incidentId = target.id;
        alert.lastUpdateDateTime = at;
      }
      target.alertIds.push(alertId);
    }
    source.alertIds = [];
    source.status = 'redirected';
    source.redirectIncidentId = target.id;
    source.lastUpdateDateTime = at;
    source.lastModifiedBy = DEFENDER_SYSTEM_ACTOR;
    recomputeFromAlerts(target);
    target.lastUpdateDateTime = at;
    target.lastModifiedBy = DEFENDER_SYSTEM_ACTOR;
    deps.events.incidentRedirected(source.id);
    deps.changed();
    deps.events.incidentChanged(source.id);
    deps.events.incidentChanged(target.id);
  }

  return { raiseAlert, updateDefenderIncident, addDefenderComment, mergeDefenderIncidents };
}
