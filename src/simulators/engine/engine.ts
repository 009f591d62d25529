// The simulated portals' behaviour behind the APIs: Defender alert correlation and incidents, the
// Sentinel workspace, the Defender -> Sentinel incident flow, Microsoft incident creation rules and
// the portals' own mirroring of synced fields and new comments (with optional coalescing).
// API layers validate wire input and call these operations with canonical values.
import { randomUUID } from 'node:crypto';
import {
  SENTINEL_PROVIDER_NAME,

  XDR_PROVIDER_NAME,
  armSeverityToGraph,
  graphSeverityToArm,
  severityRank,
} from './catalog.ts';
import type { ServiceSourceInfo } from './catalog.ts';
import { SimError } from './errors.ts';
import { additionalDataFromAlerts, fieldsFromDefender, fieldsFromSentinel, mirroredDifferences } from './mirror.ts';
import { newEtag, seedState } from './seed.ts';
import type {
  AlertComment,
  ChangeActor,
  CommentAuthor,
  DefenderAlert,
  DefenderIncident,
  SentinelComment,
  SentinelIncident,
  SentinelLabel,
  SentinelOwner,
  SimState,
} from '../state/model.ts';
import type { RuntimeConfig } from '../options.ts';

/** What Defender writes as lastModifiedBy for its own (non-user, non-API) changes. */
export const DEFENDER_SYSTEM_ACTOR = 'Microsoft Defender XDR';

export interface RaiseAlertInput {
  serviceSource: ServiceSourceInfo;
  title: string;
  severity: string; // Graph spelling
  description?: string;
  category?: string;
  mitreTechniques?: string[];
  entities?: unknown[];
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

/** What a PUT may set: the incident's writable properties (labels without a type: the body's are User labels). */
export type SentinelWrite = Pick<
  SentinelIncident,
  'title' | 'description' | 'severity' | 'status' | 'classification' | 'classificationReason' | 'classificationComment' | 'owner' | 'firstActivityTimeUtc' | 'lastActivityTimeUtc'
> & {
  labels: Array<{ labelName: string }>;
  /** The etag the client last saw; a stale one is a Conflict. Absent: last write wins. */
  etag?: string;
};

export interface DirectoryUser {
  objectId: string;
  userPrincipalName: string;
  displayName: string;
}

export interface EngineDeps {
  tenantId: string;
  clock: () => Date;
  runtime: RuntimeConfig;
  /** ARM id of the workspace's Microsoft.SecurityInsights provider scope (for rule ids). */
  securityInsightsScope: string;
  directory: readonly DirectoryUser[];
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

/** Defender's lastModifiedBy as an ARM systemData actor: apps and the service itself are Applications. */
function actorFromDefender(lastModifiedBy: string): ChangeActor {
  const application = lastModifiedBy.startsWith('API-App:') || lastModifiedBy === DEFENDER_SYSTEM_ACTOR;
  return { name: lastModifiedBy, type: application ? 'Application' : 'User' };
}

function ownerFromDirectory(owner: SentinelOwner, directory: readonly DirectoryUser[]): SentinelOwner {
  const known = directory.find(
    (user) =>
      (owner.objectId && user.objectId === owner.objectId) ||
      (owner.userPrincipalName && user.userPrincipalName.toLowerCase() === owner.userPrincipalName.toLowerCase()),
  );
  if (!known) {
    const any = owner.objectId ?? owner.userPrincipalName ?? owner.email ?? owner.assignedTo;
    return { ...owner, ownerType: owner.ownerType ?? (any ? 'User' : null) };
  }
  return {
    objectId: known.objectId,
    email: known.userPrincipalName,
    assignedTo: known.displayName,
    userPrincipalName: known.userPrincipalName,
    ownerType: 'User',
  };
}

export function createPortalEngine(deps: EngineDeps): PortalEngine {
  let state: SimState = seedState(deps.tenantId, deps.runtime.integrationMethod, deps.clock().toISOString());
  const timers = new Set<NodeJS.Timeout>();
  /** Pending coalesced mirrors, keyed by direction and incident. */
  const pendingMirrors = new Map<string, { timer: NodeJS.Timeout; comments: Array<{ text: string; author: string }> }>();

  const now = () => deps.clock().toISOString();

  function schedule(delayMs: number, context: string, work: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      timers.delete(timer);
      try {
        work();
      } catch (error) {
        deps.onError(error, context); // a timer never throws; the next event retries naturally
      }
    }, delayMs);
    timer.unref();
    timers.add(timer);
    return timer;
  }

  function defenderIncident(id: string): DefenderIncident {
    const incident = state.defender.incidents[id];
    if (!incident) throw new SimError('not-found', `Defender incident '${id}' does not exist.`);
    return incident;
  }

  function sentinelIncident(name: string): SentinelIncident {
    const incident = state.sentinel.incidents[name];
    if (!incident) throw new SimError('not-found', `Incident '${name}' was not found in the workspace.`);
    return incident;
  }

  function alertsOf(incident: DefenderIncident): DefenderAlert[] {
    return incident.alertIds.map((id) => state.defender.alerts[id]).filter((alert): alert is DefenderAlert => alert !== undefined);
  }

  function sentinelCounterpart(defenderId: string): SentinelIncident | undefined {
    return Object.values(state.sentinel.incidents).find(
      (incident) => incident.providerName === XDR_PROVIDER_NAME && incident.providerIncidentId === defenderId,
    );
  }

  function xdrConnectorIncidentsEnabled(): boolean {
    return Object.values(state.sentinel.dataConnectors).some((connector) => {
      if (connector.kind !== 'MicrosoftThreatProtection') return false;
      const dataTypes = connector.properties.dataTypes as { incidents?: { state?: string } } | undefined;
      return dataTypes?.incidents?.state === 'Enabled';
    });
  }

  function alertsReachSentinel(info: ServiceSourceInfo): boolean {
    return Object.values(state.sentinel.dataConnectors).some((connector) => {
      const dataTypes = connector.properties.dataTypes as { alerts?: { state?: string }; incidents?: { state?: string } } | undefined;
      if (connector.kind === 'MicrosoftThreatProtection') return dataTypes?.incidents?.state === 'Enabled' || dataTypes?.alerts?.state === 'Enabled';
      return connector.kind === info.alertConnectorKind && dataTypes?.alerts?.state === 'Enabled';
    });
  }

  function changed(): void {
    deps.onChange();
  }

  // ---- Defender -> Sentinel incident flow ----------------------------------------------------

  function newSentinelIncident(fields: Omit<SentinelIncident, 'name' | 'etag' | 'incidentNumber' | 'createdTimeUtc' | 'lastModifiedTimeUtc' | 'providerIncidentId'> & { providerIncidentId?: string }): SentinelIncident {
    const number = state.sentinel.nextIncidentNumber++;
    const at = now();
    const incident: SentinelIncident = {
      ...fields,
      name: randomUUID(),
      etag: newEtag(),
      incidentNumber: number,
      createdTimeUtc: at,
      lastModifiedTimeUtc: at,
      providerIncidentId: fields.providerIncidentId ?? String(number),
    };
    state.sentinel.incidents[incident.name] = incident;
    state.sentinel.comments[incident.name] = [];
    return incident;
  }

  function importDefenderIncident(defenderId: string): void {
    delete state.sentinel.pendingImports[defenderId];
    const source = state.defender.incidents[defenderId];
    if (!source || source.status === 'redirected' || sentinelCounterpart(defenderId)) return;
    if (!xdrConnectorIncidentsEnabled()) return;
    const fields = fieldsFromDefender(source, alertsOf(source));
    const actor = actorFromDefender(source.lastModifiedBy);
    const incident = newSentinelIncident({
      title: fields.title,
      description: fields.description,
      severity: fields.severity,
      status: source.status === 'resolved' ? 'Closed' : source.status === 'inProgress' ? 'Active' : 'New',
      classification: null,
      classificationReason: null,
      classificationComment: null,
      owner: { objectId: null, email: null, assignedTo: null, userPrincipalName: null, ownerType: null },
      labels: fields.tags.map((labelName) => ({ labelName, labelType: 'User' as const })),
      firstActivityTimeUtc: fields.additional.firstActivityTimeUtc,
      lastActivityTimeUtc: fields.additional.lastActivityTimeUtc,
      providerName: XDR_PROVIDER_NAME,
      providerIncidentId: source.id,
      providerIncidentUrl: defenderIncidentUrl(source),
      alertsCount: fields.additional.alertsCount,
      alertProductNames: fields.additional.alertProductNames,
      tactics: fields.additional.tactics,
      techniques: fields.additional.techniques,
      relatedAnalyticRuleIds: [],
      createdBy: actor,
      lastModifiedBy: actor,
    });
    for (const comment of source.comments) {
      appendSentinelComment(incident.name, comment.comment, authorFromDisplayName(comment.createdByDisplayName), comment.createdDateTime);
    }
    changed();
  }

  function defenderIncidentCreated(incident: DefenderIncident): void {
    if (!xdrConnectorIncidentsEnabled()) return; // the connector only carries incidents while enabled
    if (deps.runtime.integrationMethod === 'defenderPortal') {
      importDefenderIncident(incident.id);
      return;
    }
    const dueAt = new Date(deps.clock().getTime() + deps.runtime.azurePortalDelayMs).toISOString();
    state.sentinel.pendingImports[incident.id] = dueAt;
    schedule(deps.runtime.azurePortalDelayMs, `importing Defender incident ${incident.id} into Sentinel`, () => importDefenderIncident(incident.id));
  }

  function defenderIncidentUrl(incident: DefenderIncident): string {
    return `https://security.microsoft.com/incident2/${incident.id}/overview?tid=${incident.tenantId}`;
  }

  // ---- native mirroring -----------------------------------------------------------------------

  function authorFromDisplayName(displayName: string): CommentAuthor {
    return displayName.includes('@') ? { name: displayName, userPrincipalName: displayName, email: displayName } : { name: displayName };
  }

  /**
   * A new comment counts as an incident update (Sentinel automation rules trigger "When incident is
   * updated" on "Comments: added"), so lastModifiedTimeUtc moves; the etag stays, because the
   * incident's own properties did not change and an in-flight PUT must not fail on it.
   */
  function touchSentinelIncidentForComment(incidentName: string, at: string): void {
    const incident = state.sentinel.incidents[incidentName];
    if (incident && at > incident.lastModifiedTimeUtc) incident.lastModifiedTimeUtc = at;
  }

  function appendSentinelComment(incidentName: string, message: string, author: CommentAuthor, at = now()): SentinelComment {
    const comment: SentinelComment = { name: randomUUID(), etag: newEtag(), message, createdTimeUtc: at, lastModifiedTimeUtc: at, author };
    (state.sentinel.comments[incidentName] ??= []).push(comment);
    touchSentinelIncidentForComment(incidentName, at);
    return comment;
  }

  function mirrorDefenderToSentinel(defenderId: string, comments: Array<{ text: string; author: string }>): void {
    const source = state.defender.incidents[defenderId];
    const target = sentinelCounterpart(defenderId);
    if (!source || !target) return;
    const from = fieldsFromDefender(source, alertsOf(source));
    const differences = mirroredDifferences(from, fieldsFromSentinel(target));
    if (differences.length > 0) {
      target.title = from.title;
      target.description = from.description;
      target.severity = from.severity;
      const autoAssigned = target.labels.filter((label) => label.labelType === 'AutoAssigned');
      target.labels = [...from.tags.map((labelName): SentinelLabel => ({ labelName, labelType: 'User' })), ...autoAssigned];
      target.alertsCount = from.additional.alertsCount;
      target.alertProductNames = from.additional.alertProductNames;
      target.tactics = from.additional.tactics;
      target.techniques = from.additional.techniques;
      target.firstActivityTimeUtc = from.additional.firstActivityTimeUtc;
      target.lastActivityTimeUtc = from.additional.lastActivityTimeUtc;
      target.lastModifiedBy = actorFromDefender(source.lastModifiedBy);
      target.lastModifiedTimeUtc = now();
      target.etag = newEtag();
    }
    for (const comment of comments) appendSentinelComment(target.name, comment.text, authorFromDisplayName(comment.author));
    if (differences.length > 0 || comments.length > 0) changed();
  }

  function mirrorSentinelToDefender(sentinelName: string, comments: Array<{ text: string; author: string }>): void {
    const source = state.sentinel.incidents[sentinelName];
    if (!source || source.providerName !== XDR_PROVIDER_NAME) return;
    const target = state.defender.incidents[source.providerIncidentId];
    if (!target) return;
    const from = fieldsFromSentinel(source);
    const to = fieldsFromDefender(target, alertsOf(target));
    // Additional data is Defender's own (derived from its alerts); it only flows towards Sentinel.
    const differences = mirroredDifferences(from, to).filter((field) => field !== 'additional');
    const at = now();
    if (differences.length > 0) {
      target.displayName = from.title;
      target.description = from.description ?? '';
      if (differences.includes('severity')) target.severity = armSeverityToGraph(from.severity);
      target.customTags = [...from.tags];
      target.lastModifiedBy = source.lastModifiedBy.name;
      target.lastUpdateDateTime = at;
    }
    for (const comment of comments) {
      target.comments.push({ comment: comment.text, createdByDisplayName: comment.author, createdDateTime: at });
      target.lastUpdateDateTime = at;
    }
    if (differences.length > 0 || comments.length > 0) changed();
  }

  /** Mirrors now, or within the coalescing window as one update carrying the latest values. */
  function requestMirror(direction: 'toSentinel' | 'toDefender', id: string, comment?: { text: string; author: string }): void {
    if (!deps.runtime.nativeSync) return;
    const run = (comments: Array<{ text: string; author: string }>) =>
      direction === 'toSentinel' ? mirrorDefenderToSentinel(id, comments) : mirrorSentinelToDefender(id, comments);
    const windowMs = deps.runtime.coalesceWindowMs;
    if (windowMs <= 0) {
      run(comment ? [comment] : []);
      return;
    }
    const key = `${direction}:${id}`;
    const pending = pendingMirrors.get(key);
    if (pending) {
      if (comment) pending.comments.push(comment);
      return;
    }
    const entry = { comments: comment ? [comment] : [], timer: undefined as unknown as NodeJS.Timeout };
    entry.timer = schedule(windowMs, `mirroring ${direction} ${id}`, () => {
      pendingMirrors.delete(key);
      run(entry.comments);
    });
    pendingMirrors.set(key, entry);
  }

  // ---- incident creation rules (the documented duplicates) ------------------------------------

  function applyIncidentCreationRules(alert: DefenderAlert, info: ServiceSourceInfo): void {
    if (!info.creationRuleProduct || !alertsReachSentinel(info)) return;
    const severity = graphSeverityToArm(alert.severity);
    for (const rule of Object.values(state.sentinel.alertRules)) {
      const p = rule.properties;
      if (rule.kind !== 'MicrosoftSecurityIncidentCreation' || p.enabled !== true || p.productFilter !== info.creationRuleProduct) continue;
      const severities = Array.isArray(p.severitiesFilter) ? (p.severitiesFilter as string[]) : [];
      if (severities.length > 0 && !severities.includes(severity)) continue;
      const include = Array.isArray(p.displayNamesFilter) ? (p.displayNamesFilter as string[]) : [];
      if (include.length > 0 && !include.some((text) => alert.title.includes(text))) continue;
      const exclude = Array.isArray(p.displayNamesExcludeFilter) ? (p.displayNamesExcludeFilter as string[]) : [];
      if (exclude.some((text) => alert.title.includes(text))) continue;
      const actor: ChangeActor = { name: String(p.displayName ?? 'Microsoft Sentinel'), type: 'Application' };
      const additional = additionalDataFromAlerts([alert]);
      newSentinelIncident({
        title: alert.title,
        description: alert.description,
        severity,
        status: 'New',
        classification: null,
        classificationReason: null,
        classificationComment: null,
        owner: { objectId: null, email: null, assignedTo: null, userPrincipalName: null, ownerType: null },
        labels: [],
        firstActivityTimeUtc: additional.firstActivityTimeUtc,
        lastActivityTimeUtc: additional.lastActivityTimeUtc,
        providerName: SENTINEL_PROVIDER_NAME,
        providerIncidentUrl: null,
        alertsCount: 1,
        alertProductNames: additional.alertProductNames,
        tactics: additional.tactics,
        techniques: additional.techniques,
        relatedAnalyticRuleIds: [`${deps.securityInsightsScope}/alertRules/${rule.name}`],
        createdBy: actor,
        lastModifiedBy: actor,
      });
    }
  }

  // ---- Defender operations --------------------------------------------------------------------

  function followRedirects(incident: DefenderIncident): DefenderIncident {
    let current = incident;
    for (let hops = 0; current.status === 'redirected' && current.redirectIncidentId && hops < 100; hops++) {
      const next = state.defender.incidents[current.redirectIncidentId];
      if (!next) break;
      current = next;
    }
    return current;
  }

  function recomputeFromAlerts(incident: DefenderIncident): void {
    const alerts = alertsOf(incident);
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
    const at = now();
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
      evidence: input.entities ?? [],
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
    changed();
    if (isNew) defenderIncidentCreated(incident);
    else requestMirror('toSentinel', incident.id);
    applyIncidentCreationRules(alert, input.serviceSource);
    return { alertId, incidentId: incident.id };
  }

  function updateDefenderIncident(id: string, changes: DefenderChanges, modifiedBy: string): DefenderIncident {
    const incident = defenderIncident(id);
    const before = fieldsFromDefender(incident, alertsOf(incident));
    for (const [field, value] of Object.entries(changes)) {
      if (value !== undefined) (incident as unknown as Record<string, unknown>)[field] = Array.isArray(value) ? [...value] : value;
    }
    incident.lastUpdateDateTime = now();
    incident.lastModifiedBy = modifiedBy;
    changed();
    if (mirroredDifferences(fieldsFromDefender(incident, alertsOf(incident)), before).length > 0) requestMirror('toSentinel', id);
    return incident;
  }

  function addDefenderComment(id: string, text: string, author: string): AlertComment[] {
    const incident = defenderIncident(id);
    const at = now();
    incident.comments.push({ comment: text, createdByDisplayName: author, createdDateTime: at });
    incident.lastUpdateDateTime = at;
    changed();
    requestMirror('toSentinel', id, { text, author });
    return incident.comments;
  }

  function mergeDefenderIncidents(sourceId: string, intoId: string): void {
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
    delete state.sentinel.pendingImports[source.id];
    changed();
    requestMirror('toSentinel', source.id);
    requestMirror('toSentinel', target.id);
  }

  // ---- Sentinel operations --------------------------------------------------------------------

  function putSentinelIncident(name: string, write: SentinelWrite, actor: ChangeActor): { incident: SentinelIncident; created: boolean } {
    const existing = state.sentinel.incidents[name];
    if (existing && write.etag !== undefined && write.etag !== existing.etag) {
      throw new SimError('conflict', `Newer version of resource '${name}' exists. Data was not saved`);
    }
    const owner = ownerFromDirectory(write.owner, deps.directory);
    const at = now();
    if (!existing) {
      const incident: SentinelIncident = {
        name,
        etag: newEtag(),
        incidentNumber: state.sentinel.nextIncidentNumber++,
        title: write.title,
        description: write.description,
        severity: write.severity,
        status: write.status,
        classification: write.classification,
        classificationReason: write.classificationReason,
        classificationComment: write.classificationComment,
        owner,
        labels: write.labels.map((label) => ({ labelName: label.labelName, labelType: 'User' })),
        firstActivityTimeUtc: write.firstActivityTimeUtc,
        lastActivityTimeUtc: write.lastActivityTimeUtc,
        createdTimeUtc: at,
        lastModifiedTimeUtc: at,
        providerName: SENTINEL_PROVIDER_NAME,
        providerIncidentId: '',
        providerIncidentUrl: null,
        alertsCount: 0,
        alertProductNames: [],
        tactics: [],
        techniques: [],
        relatedAnalyticRuleIds: [],
        createdBy: actor,
        lastModifiedBy: actor,
      };
      incident.providerIncidentId = String(incident.incidentNumber);
      state.sentinel.incidents[name] = incident;
      state.sentinel.comments[name] = [];
      changed();
      return { incident, created: true };
    }
    const before = fieldsFromSentinel(existing);
    const autoAssigned = new Set(existing.labels.filter((l) => l.labelType === 'AutoAssigned').map((l) => l.labelName));
    existing.title = write.title;
    existing.description = write.description;
    existing.severity = write.severity;
    existing.status = write.status;
    existing.classification = write.classification;
    existing.classificationReason = write.classificationReason;
    existing.classificationComment = write.classificationComment;
    existing.owner = owner;
    existing.labels = write.labels.map((label) => ({ labelName: label.labelName, labelType: autoAssigned.has(label.labelName) ? 'AutoAssigned' : 'User' }));
    existing.firstActivityTimeUtc = write.firstActivityTimeUtc ?? existing.firstActivityTimeUtc;
    existing.lastActivityTimeUtc = write.lastActivityTimeUtc ?? existing.lastActivityTimeUtc;
    existing.lastModifiedTimeUtc = at;
    existing.lastModifiedBy = actor;
    existing.etag = newEtag();
    changed();
    if (mirroredDifferences(fieldsFromSentinel(existing), before).length > 0) requestMirror('toDefender', name);
    return { incident: existing, created: false };
  }

  function deleteSentinelIncident(name: string): boolean {
    if (!state.sentinel.incidents[name]) return false;
    delete state.sentinel.incidents[name];
    delete state.sentinel.comments[name];
    changed();
    return true;
  }

  function putSentinelComment(incidentName: string, commentName: string, message: string, author: CommentAuthor): { comment: SentinelComment; created: boolean } {
    const incident = sentinelIncident(incidentName);
    const comments = (state.sentinel.comments[incidentName] ??= []);
    const existing = comments.find((comment) => comment.name === commentName);
    if (existing) {
      // Edits are never mirrored (documented limit of the portals' sync).
      existing.message = message;
      existing.lastModifiedTimeUtc = now();
      existing.etag = newEtag();
      changed();
      return { comment: existing, created: false };
    }
    const at = now();
    const comment: SentinelComment = { name: commentName, etag: newEtag(), message, createdTimeUtc: at, lastModifiedTimeUtc: at, author };
    comments.push(comment);
    touchSentinelIncidentForComment(incidentName, at);
    changed();
    requestMirror('toDefender', incident.name, { text: message, author: author.userPrincipalName ?? author.name ?? author.objectId ?? 'Microsoft Sentinel' });
    return { comment, created: true };
  }

  function deleteSentinelComment(incidentName: string, commentName: string): boolean {
    sentinelIncident(incidentName);
    const comments = state.sentinel.comments[incidentName] ?? [];
    const index = comments.findIndex((comment) => comment.name === commentName);
    if (index < 0) return false;
    comments.splice(index, 1);
    changed();
    return true;
  }

  function integrationMethodChanged(): void {
    if (deps.runtime.integrationMethod !== 'defenderPortal') return;
    for (const connector of Object.values(state.sentinel.dataConnectors)) {
      if (connector.kind === 'MicrosoftThreatProtection') continue;
      const dataTypes = connector.properties.dataTypes as { alerts?: { state?: string } } | undefined;
      if (dataTypes?.alerts && dataTypes.alerts.state !== 'Disabled') {
        dataTypes.alerts.state = 'Disabled';
        connector.etag = newEtag();
        connector.lastModifiedTimeUtc = now();
      }
    }
    changed();
  }

  function clearTimers(): void {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    pendingMirrors.clear();
  }

  return {
    state: () => state,
    replaceState(next) {
      clearTimers();
      state = next;
    },
    raiseAlert,
    updateDefenderIncident,
    addDefenderComment,
    mergeDefenderIncidents,
    alertsOf,
    putSentinelIncident,
    deleteSentinelIncident,
    putSentinelComment,
    deleteSentinelComment,
    sentinelCounterpart,
    integrationMethodChanged,
    markChanged: changed,
    reset() {
      clearTimers();
      state.defender = { nextIncidentId: 1, nextAlertNumber: 1, incidents: {}, alerts: {} };
      state.sentinel.incidents = {};
      state.sentinel.comments = {};
      state.sentinel.pendingImports = {};
      state.sentinel.nextIncidentNumber = 1;
      changed();
    },
    resume() {
      for (const [defenderId, dueAt] of Object.entries(state.sentinel.pendingImports)) {
        const delay = Math.max(0, Date.parse(dueAt) - deps.clock().getTime());
        schedule(delay, `importing Defender incident ${defenderId} into Sentinel`, () => importDefenderIncident(defenderId));
      }
    },
    stop: clearTimers,
  };
}

