// How Defender incidents reach the Sentinel workspace, and how the portals' own sync keeps the
// pair aligned afterwards: the Microsoft Defender XDR connector (only while its incidents data type
// is enabled), the integration method (Defender portal: at once; Azure portal: after a delay,
// persisted so a restart keeps it), Microsoft incident creation rules (the documented duplicates),
// and native mirroring of synced fields and new comments, optionally coalesced into one update.
import { SENTINEL_PROVIDER_NAME, XDR_PROVIDER_NAME, armSeverityToGraph, graphSeverityToArm } from './catalog.ts';
import type { ServiceSourceInfo } from './catalog.ts';
import { DEFENDER_SYSTEM_ACTOR, alertsOf } from './defender.ts';
import { additionalDataFromAlerts, fieldsFromDefender, fieldsFromSentinel, mirroredDifferences } from './mirror.ts';
import type { MirroredComment } from './mirror.ts';
import { newEtag } from './seed.ts';
import { addSentinelIncident, appendSentinelComment } from './sentinel-store.ts';
import { createTimerSet } from './timers.ts';
import type { ChangeActor, CommentAuthor, DefenderAlert, DefenderIncident, SentinelIncident, SentinelLabel, SimState } from '../state/model.ts';
import type { RuntimeConfig } from '../options.ts';

export type MirrorDirection = 'toSentinel' | 'toDefender';

export interface ConnectorFlowDeps {
  clock: () => Date;
  runtime: RuntimeConfig;
  /** ARM id of the workspace's Microsoft.SecurityInsights provider scope (for rule ids). */
  securityInsightsScope: string;
  /** The current state (the engine may replace it, so it is read on every operation). */
  state: () => SimState;
  changed: () => void;
  onError: (error: unknown, context: string) => void;
}

export interface ConnectorFlow {
  /** A new Defender incident: imported now, later (Azure portal) or not at all (connector off). */
  defenderIncidentCreated(incident: DefenderIncident): void;
  /** A merged-away Defender incident is never imported. */
  defenderIncidentRedirected(defenderId: string): void;
  /** Incident creation rules may turn a new alert into a Sentinel incident of its own. */
  applyIncidentCreationRules(alert: DefenderAlert, info: ServiceSourceInfo): void;
  /** Mirrors now, or within the coalescing window as one update carrying the latest values. */
  requestMirror(direction: MirrorDirection, id: string, comment?: MirroredComment): void;
  /** The Sentinel incident mirroring a Defender incident, if imported. */
  sentinelCounterpart(defenderId: string): SentinelIncident | undefined;
  /** Re-applies integration-method effects (connector disconnection) after a config change. */
  integrationMethodChanged(): void;
  /** Schedules the pending Azure-portal imports persisted in the state (after a load). */
  resume(): void;
  /** Cancels pending imports' timers and coalesced mirrors (the persisted due times stay). */
  stop(): void;
}

/** Defender's lastModifiedBy as an ARM systemData actor: apps and the service itself are Applications. */
function actorFromDefender(lastModifiedBy: string): ChangeActor {
  const application = lastModifiedBy.startsWith('API-App:') || lastModifiedBy === DEFENDER_SYSTEM_ACTOR;
  return { name: lastModifiedBy, type: application ? 'Application' : 'User' };
}

function defenderIncidentUrl(incident: DefenderIncident): string {
  return `https://security.microsoft.com/incident2/${incident.id}/overview?tid=${incident.tenantId}`;
}

function authorFromDisplayName(displayName: string): CommentAuthor {
  return displayName.includes('@') ? { name: displayName, userPrincipalName: displayName, email: displayName } : { name: displayName };
}

export function createConnectorFlow(deps: ConnectorFlowDeps): ConnectorFlow {
  const timers = createTimerSet(deps.onError);
  /** Pending coalesced mirrors, keyed by direction and incident. */
  const pendingMirrors = new Map<string, { timer: NodeJS.Timeout; comments: MirroredComment[] }>();

  const now = () => deps.clock().toISOString();
  /**
   * The portals' own sync is asynchronous (Microsoft documents it as near real time, not
   * instantaneous): a mirrored change is applied after the change it carries, never at the same
   * instant, even when the simulated window is 0.
   */
  const after = (sourceChangedAt: string): string => {
    const source = Date.parse(sourceChangedAt);
    const current = deps.clock().getTime();
    return Number.isFinite(source) && current <= source ? new Date(source + 1).toISOString() : new Date(current).toISOString();
  };

  // ---- the Defender XDR connector ------------------------------------------------------------

  // Imported incidents by Defender id, so that importing and mirroring stay O(1) in a workspace of
  // tens of thousands. Built from the state; it stays complete while no Sentinel incident is created
  // elsewhere (every creation takes the next incident number, so a changed number rebuilds it), and
  // an import adds its own entry. A hit is checked against the state, which wins.
  let counterparts: { state: SimState | null; atNumber: number; byDefenderId: Map<string, string> } = { state: null, atNumber: -1, byDefenderId: new Map() };

  function currentCounterparts(): Map<string, string> {
    const state = deps.state();
    if (counterparts.state !== state || counterparts.atNumber !== state.sentinel.nextIncidentNumber) {
      const byDefenderId = new Map<string, string>();
      for (const incident of Object.values(state.sentinel.incidents)) {
        if (incident.providerName === XDR_PROVIDER_NAME) byDefenderId.set(incident.providerIncidentId, incident.name);
      }
      counterparts = { state, atNumber: state.sentinel.nextIncidentNumber, byDefenderId };
    }
    return counterparts.byDefenderId;
  }

  function sentinelCounterpart(defenderId: string): SentinelIncident | undefined {
    const state = deps.state();
    const name = currentCounterparts().get(defenderId);
    const incident = name === undefined ? undefined : state.sentinel.incidents[name];
    if (name === undefined || (incident?.providerName === XDR_PROVIDER_NAME && incident.providerIncidentId === defenderId)) return incident;
    // The indexed incident was deleted: look again.
    return Object.values(state.sentinel.incidents).find((candidate) => candidate.providerName === XDR_PROVIDER_NAME && candidate.providerIncidentId === defenderId);
  }

  function xdrConnectorIncidentsEnabled(): boolean {
    const state = deps.state();
    return Object.values(state.sentinel.dataConnectors).some((connector) => {
      if (connector.kind !== 'MicrosoftThreatProtection') return false;
      const dataTypes = connector.properties.dataTypes as { incidents?: { state?: string } } | undefined;
      return dataTypes?.incidents?.state === 'Enabled';
    });
  }

  function alertsReachSentinel(info: ServiceSourceInfo): boolean {
    const state = deps.state();
    return Object.values(state.sentinel.dataConnectors).some((connector) => {
      const dataTypes = connector.properties.dataTypes as { alerts?: { state?: string }; incidents?: { state?: string } } | undefined;
      if (connector.kind === 'MicrosoftThreatProtection') return dataTypes?.incidents?.state === 'Enabled' || dataTypes?.alerts?.state === 'Enabled';
      return connector.kind === info.alertConnectorKind && dataTypes?.alerts?.state === 'Enabled';
    });
  }

  function importDefenderIncident(defenderId: string): void {
    const state = deps.state();
    delete state.sentinel.pendingImports[defenderId];
    const source = state.defender.incidents[defenderId];
    if (!source || source.status === 'redirected' || sentinelCounterpart(defenderId)) return;
    if (!xdrConnectorIncidentsEnabled()) return;
    const fields = fieldsFromDefender(source, alertsOf(state.defender, source));
    const actor = actorFromDefender(source.lastModifiedBy);
    const incident = addSentinelIncident(state.sentinel, {
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
    }, now());
    // The index was current before this import (sentinelCounterpart above): it stays so with it.
    if (counterparts.state === state && counterparts.atNumber === incident.incidentNumber) {
      counterparts.byDefenderId.set(source.id, incident.name);
      counterparts.atNumber = state.sentinel.nextIncidentNumber;
    }
    for (const comment of source.comments) {
      appendSentinelComment(state.sentinel, incident.name, comment.comment, authorFromDisplayName(comment.createdByDisplayName), comment.createdDateTime);
    }
    deps.changed();
  }

  function defenderIncidentCreated(incident: DefenderIncident): void {
    const state = deps.state();
    if (!xdrConnectorIncidentsEnabled()) return; // the connector only carries incidents while enabled
    if (deps.runtime.integrationMethod === 'defenderPortal') {
      importDefenderIncident(incident.id);
      return;
    }
    const dueAt = new Date(deps.clock().getTime() + deps.runtime.azurePortalDelayMs).toISOString();
    state.sentinel.pendingImports[incident.id] = dueAt;
    timers.schedule(deps.runtime.azurePortalDelayMs, `importing Defender incident ${incident.id} into Sentinel`, () => importDefenderIncident(incident.id));
  }


  // ---- native mirroring -----------------------------------------------------------------------

  function mirrorDefenderToSentinel(defenderId: string, comments: MirroredComment[]): void {
    const state = deps.state();
    const source = state.defender.incidents[defenderId];
    const target = sentinelCounterpart(defenderId);
    if (!source || !target) return;
    const from = fieldsFromDefender(source, alertsOf(state.defender, source));
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
      target.lastModifiedTimeUtc = after(source.lastUpdateDateTime);
      target.etag = newEtag();
    }
    for (const comment of comments) appendSentinelComment(state.sentinel, target.name, comment.text, authorFromDisplayName(comment.author), after(source.lastUpdateDateTime));
    if (differences.length > 0 || comments.length > 0) deps.changed();
  }

  function mirrorSentinelToDefender(sentinelName: string, comments: MirroredComment[]): void {
    const state = deps.state();
    const source = state.sentinel.incidents[sentinelName];
    if (!source || source.providerName !== XDR_PROVIDER_NAME) return;
    const target = state.defender.incidents[source.providerIncidentId];
    if (!target) return;
    const from = fieldsFromSentinel(source);
    const to = fieldsFromDefender(target, alertsOf(state.defender, target));
    // Additional data is Defender's own (derived from its alerts); it only flows towards Sentinel.
    const differences = mirroredDifferences(from, to).filter((field) => field !== 'additional');
    const at = after(source.lastModifiedTimeUtc);
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
    if (differences.length > 0 || comments.length > 0) deps.changed();
  }

  function requestMirror(direction: MirrorDirection, id: string, comment?: MirroredComment): void {
    if (!deps.runtime.nativeSync) return;
    const run = (comments: MirroredComment[]) =>
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
    entry.timer = timers.schedule(windowMs, `mirroring ${direction} ${id}`, () => {
      pendingMirrors.delete(key);
      run(entry.comments);
    });
    pendingMirrors.set(key, entry);
  }

  // ---- incident creation rules (the documented duplicates) ------------------------------------

  function applyIncidentCreationRules(alert: DefenderAlert, info: ServiceSourceInfo): void {
    const state = deps.state();
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
      addSentinelIncident(state.sentinel, {
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
      }, now());
    }
  }

  // ---- integration method and lifecycle ------------------------------------------------------

  function integrationMethodChanged(): void {
    const state = deps.state();
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
    deps.changed();
  }

  function defenderIncidentRedirected(defenderId: string): void {
    delete deps.state().sentinel.pendingImports[defenderId];
  }

  function resume(): void {
    for (const [defenderId, dueAt] of Object.entries(deps.state().sentinel.pendingImports)) {
      const delay = Math.max(0, Date.parse(dueAt) - deps.clock().getTime());
      timers.schedule(delay, `importing Defender incident ${defenderId} into Sentinel`, () => importDefenderIncident(defenderId));
    }
  }

  function stop(): void {
    timers.clear();
    pendingMirrors.clear();
  }

  return {
    defenderIncidentCreated,
    defenderIncidentRedirected,
    applyIncidentCreationRules,
    requestMirror,
    sentinelCounterpart,
    integrationMethodChanged,
    resume,
    stop,
  };
}
