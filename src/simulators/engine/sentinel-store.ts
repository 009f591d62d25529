// The simulated Sentinel workspace's incidents and their comments: ARM-style writes with etag
// concurrency, owners resolved against the tenant's directory, and the records the connector flow
// adds (imported and rule-created incidents, mirrored comments). Changes that the portals' own
// sync mirrors are reported through `events`.
import { randomUUID } from 'node:crypto';
import { SENTINEL_PROVIDER_NAME } from './catalog.ts';
import { SimError } from './errors.ts';
import { fieldsFromSentinel, mirroredDifferences } from './mirror.ts';
import type { MirroredComment } from './mirror.ts';
import { newEtag } from './seed.ts';
import type { ChangeActor, CommentAuthor, SentinelComment, SentinelIncident, SentinelOwner, SimState } from '../state/model.ts';

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

/** What a new incident from a provider (the connector, a creation rule) carries; the store numbers and names it. */
export type NewSentinelIncident = Omit<SentinelIncident, 'name' | 'etag' | 'incidentNumber' | 'createdTimeUtc' | 'lastModifiedTimeUtc' | 'providerIncidentId'> & {
  providerIncidentId?: string;
};

/** What the rest of the portals hear about Sentinel changes (the connector flow listens). */
export interface SentinelEvents {
  /** An incident's mirrored fields changed, or it got a new comment. */
  incidentChanged(name: string, comment?: MirroredComment): void;
}

export interface SentinelStoreDeps {
  clock: () => Date;
  /** The current state (the engine may replace it, so it is read on every operation). */
  state: () => SimState;
  /** The tenant's users now (the control API may replace the directory). */
  directory: () => readonly DirectoryUser[];
  changed: () => void;
  events: SentinelEvents;
}

export interface SentinelStore {
  putSentinelIncident(name: string, write: SentinelWrite, actor: ChangeActor): { incident: SentinelIncident; created: boolean };
  deleteSentinelIncident(name: string): boolean;
  putSentinelComment(incidentName: string, commentName: string, message: string, author: CommentAuthor): { comment: SentinelComment; created: boolean };
  deleteSentinelComment(incidentName: string, commentName: string): boolean;
}

/** Adds a provider's incident with the next incident number and a new name. */
export function addSentinelIncident(sentinel: SimState['sentinel'], fields: NewSentinelIncident, at: string): SentinelIncident {
  const number = sentinel.nextIncidentNumber++;
  const incident: SentinelIncident = {
    ...fields,
    name: randomUUID(),
    etag: newEtag(),
    incidentNumber: number,
    createdTimeUtc: at,
    lastModifiedTimeUtc: at,
    providerIncidentId: fields.providerIncidentId ?? String(number),
  };
  sentinel.incidents[incident.name] = incident;
  sentinel.comments[incident.name] = [];
  return incident;
}

/**
 * A new comment counts as an incident update (Sentinel automation rules trigger "When incident is
 * updated" on "Comments: added"), so lastModifiedTimeUtc moves; the etag stays, because the
 * incident's own properties did not change and an in-flight PUT must not fail on it.
 */
function touchSentinelIncidentForComment(sentinel: SimState['sentinel'], incidentName: string, at: string): void {
  const incident = sentinel.incidents[incidentName];
  if (incident && at > incident.lastModifiedTimeUtc) incident.lastModifiedTimeUtc = at;
}

/** Appends a comment written by a provider (imported or mirrored), under a new name. */
export function appendSentinelComment(sentinel: SimState['sentinel'], incidentName: string, message: string, author: CommentAuthor, at: string): SentinelComment {
  const comment: SentinelComment = { name: randomUUID(), etag: newEtag(), message, createdTimeUtc: at, lastModifiedTimeUtc: at, author };
  (sentinel.comments[incidentName] ??= []).push(comment);
  touchSentinelIncidentForComment(sentinel, incidentName, at);
  return comment;
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

export function createSentinelStore(deps: SentinelStoreDeps): SentinelStore {
  const now = () => deps.clock().toISOString();

  function sentinelIncident(name: string): SentinelIncident {
    const incident = deps.state().sentinel.incidents[name];
    if (!incident) throw new SimError('not-found', `Incident '${name}' was not found in the workspace.`);
    return incident;
  }

  function putSentinelIncident(name: string, write: SentinelWrite, actor: ChangeActor): { incident: SentinelIncident; created: boolean } {
    const state = deps.state();
    const existing = state.sentinel.incidents[name];
    if (existing && write.etag !== undefined && write.etag !== existing.etag) {
      throw new SimError('conflict', `Newer version of resource '${name}' exists. Data was not saved`);
    }
    const owner = ownerFromDirectory(write.owner, deps.directory());
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
      deps.changed();
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
    deps.changed();
    if (mirroredDifferences(fieldsFromSentinel(existing), before).length > 0) deps.events.incidentChanged(name);
    return { incident: existing, created: false };
  }

  function deleteSentinelIncident(name: string): boolean {
    const state = deps.state();
    if (!state.sentinel.incidents[name]) return false;
    delete state.sentinel.incidents[name];
    delete state.sentinel.comments[name];
    deps.changed();
    return true;
  }

  function putSentinelComment(incidentName: string, commentName: string, message: string, author: CommentAuthor): { comment: SentinelComment; created: boolean } {
    const state = deps.state();
    const incident = sentinelIncident(incidentName);
    const comments = (state.sentinel.comments[incidentName] ??= []);
    const existing = comments.find((comment) => comment.name === commentName);
    if (existing) {
      // Edits are never mirrored (documented limit of the portals' sync).
      existing.message = message;
      existing.lastModifiedTimeUtc = now();
      existing.etag = newEtag();
      deps.changed();
      return { comment: existing, created: false };
    }
    const at = now();
    const comment: SentinelComment = { name: commentName, etag: newEtag(), message, createdTimeUtc: at, lastModifiedTimeUtc: at, author };
    comments.push(comment);
    touchSentinelIncidentForComment(state.sentinel, incidentName, at);
    deps.changed();
    deps.events.incidentChanged(incident.name, { text: message, author: author.userPrincipalName ?? author.name ?? author.objectId ?? 'Microsoft Sentinel' });
    return { comment, created: true };
  }

  function deleteSentinelComment(incidentName: string, commentName: string): boolean {
    const state = deps.state();
    sentinelIncident(incidentName);
    const comments = state.sentinel.comments[incidentName] ?? [];
    const index = comments.findIndex((comment) => comment.name === commentName);
    if (index < 0) return false;
    comments.splice(index, 1);
    deps.changed();
    return true;
  }

  return { putSentinelIncident, deleteSentinelIncident, putSentinelComment, deleteSentinelComment };
}
