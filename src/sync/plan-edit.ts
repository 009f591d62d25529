// An analyst's edit, planned against fresh reads of both portals and what each API can write.
// Pure. The plan says, per portal and field, whether the field is written through the API, left
// to the portals' own sync ("via the other route", verified later by reading back), or already
// shows the requested value. Invalid requests are refused as a whole with errors that say what to
// fix; nothing is guessed.
import {
  CLASSIFICATIONS,
  SEVERITIES,
  STATUSES,
  isEntraObjectId,
  type Actor,
  type Classification,
  type EditableField,
  type Incident,
  type IncidentPatch,
  type Portal,
} from '../domain/incident.ts';
import type { EditChanges, FieldName } from '../domain/edits.ts';
import { CLASSIFICATION_WORDS, ownerWord, PORTAL_NAMES, SEVERITY_WORDS, statusWord } from '../domain/display-words.ts';
import { SENTINEL_BENIGN_REASON } from './determination.ts';
import {
  asSentence,
  commentProblem,
  MAX_OWNER_TEXT_CHARS,
  MAX_SENTINEL_COMMENTS_PER_INCIDENT,
  SENTINEL_MAX_COMMENT_CHARS,
  tagCountProblem,
  tagProblem,
} from '../domain/edit-input.ts';
import { typedTextProblem } from '../domain/untrusted-input.ts';
import { actorName, formattedLength, type BridgeComment } from '../domain/attribution.ts';
import { ownersEqual, projectStatus, tagSetsEqual } from './projection.ts';

export type EditRoute = 'api' | 'viaOtherRoute' | 'unchanged';

export interface PlanEditInput {
  changes: EditChanges;
  defender: Incident;
  sentinel: Incident | null;
  writable: { defender: ReadonlySet<EditableField>; sentinel: ReadonlySet<EditableField> };
  actor: Actor;
  /** Write a change note naming the analyst where a portal cannot record who changed a field. */
  changeNotes: boolean;
}

export interface EditPlan {
  /** What to write to each portal, computed on the views the plan was made from. */
  patches: { defender: IncidentPatch; sentinel: IncidentPatch };
  /**
   * The same edit computed again on the incident as `portal` now shows it: only the API-routed
   * fields that do not show the requested value yet. Writes use this (never `patches`), so a
   * change made meanwhile, by a portal user or another request, is kept.
   */
  patchFor(portal: Portal, current: Incident): IncidentPatch;
  /** Whether `incident` shows the requested value of `field` (a read-back). */
  shows(portal: Portal, field: FieldName, incident: Incident): boolean;
  /** The analyst's comment, to post (attributed by the client) on each listed portal. */
  comment?: { text: string; portals: Portal[] };
  /**
   * Defender cannot record who changed a field (Graph's lastModifiedBy names the app and cannot be
   * set), so one short note per request names the analyst and the change there, in plain words.
   */
  changeNote?: { portal: Portal; text: string };
  /** Every requested field appears for every existing portal, even when the plan has errors. */
  routes: Record<Portal, Partial<Record<FieldName, EditRoute>>>;
  /** Non-empty: the request is refused as a whole; patches and comments are empty. */
  errors: string[];
}

interface FieldPlan<V> {
  field: EditableField & FieldName;
  label: string;
  requested: V;
  shows(portal: Portal, incident: Incident): boolean;
  patch(portal: Portal, incident: Incident): IncidentPatch;
  describe: string;
}

export function planEdit(input: PlanEditInput): EditPlan {
  const { changes, defender, sentinel, writable, actor } = input;
  const author = actorName(actor);
  const incidents: Record<Portal, Incident | null> = { defender, sentinel };
  const present = (['defender', 'sentinel'] as const).filter((portal) => incidents[portal] !== null);
  const routes: EditPlan['routes'] = { defender: {}, sentinel: {} };
  const errors = validate(changes);

  if (defender.status === 'redirected' || defender.redirectIncidentId) {
    errors.push(`Defender merged this incident into incident ${defender.redirectIncidentId ?? '(unknown)'}; edit that incident instead.`);
  }

  const fields = errors.length === 0 ? fieldPlans(changes) : [];
  // Fields written with status: Sentinel's classification when it closes the incident.
  const withStatus: Record<Portal, IncidentPatch> = { defender: {}, sentinel: {} };
  const patchFor = (portal: Portal, current: Incident): IncidentPatch => {
    const patch: IncidentPatch = {};
    for (const item of fields) {
      if (routes[portal][item.field] !== 'api' || item.shows(portal, current)) continue;
      Object.assign(patch, item.patch(portal, current), item.field === 'status' ? withStatus[portal] : {});
    }
    return patch;
  };
  const shows = (portal: Portal, field: FieldName, incident: Incident): boolean => fields.find((item) => item.field === field)?.shows(portal, incident) ?? true;
  const plan: EditPlan = { patches: { defender: {}, sentinel: {} }, patchFor, shows, routes, errors: [] };
  const audit: string[] = [];
  for (const item of fields) {
    const pending: Portal[] = [];
    for (const portal of present) {
      const incident = incidents[portal] as Incident;
      if (item.shows(portal, incident)) {
        plan.routes[portal][item.field] = 'unchanged';
      } else if (writable[portal].has(item.field)) {
        plan.routes[portal][item.field] = 'api';
      } else {
        pending.push(portal);
      }
    }
    if (pending.length === 2) {
      errors.push(`Neither Defender's nor Sentinel's API can change ${item.label} (capability profiles); change it in a portal.`);
    } else if (pending.length === 1) {
      const portal = pending[0] as Portal;
      const other: Portal = portal === 'defender' ? 'sentinel' : 'defender';
      if (incidents[other] === null) {
        errors.push(`${PORTAL_NAMES[portal]}'s API cannot change ${item.label} and the Sentinel counterpart does not exist yet; change it in the portal.`);
      } else {
        // The portals mirror each other's changes; the engine reads back to confirm it happened.
        plan.routes[portal][item.field] = 'viaOtherRoute';
      }
    }
    if (plan.routes.defender[item.field] === 'api' || plan.routes.defender[item.field] === 'viaOtherRoute') audit.push(item.describe);
  }

  checkSentinelClosing(changes, sentinel, writable.sentinel, plan, errors, withStatus.sentinel);
  for (const portal of present) plan.patches[portal] = patchFor(portal, incidents[portal] as Incident);

  if (changes.comment !== undefined && errors.length === 0) {
    // validate() held the comment to MAX_COMMENT_CHARS, which leaves room for the attribution.
    const text = changes.comment.trim();
    if (sentinel && sentinel.comments.length >= MAX_SENTINEL_COMMENTS_PER_INCIDENT) {
      errors.push(`Sentinel incident ${sentinel.incidentNumber ?? sentinel.id} already has ${sentinel.comments.length} comments, Sentinel's documented maximum is ${MAX_SENTINEL_COMMENTS_PER_INCIDENT}; add the comment in the Defender portal.`);
    } else {
      plan.comment = { text, portals: [...present] };
    }
  }
  for (const portal of present) if (changes.comment !== undefined) plan.routes[portal].comment = 'api';
  for (const item of fieldsRequested(changes)) {
    for (const portal of present) plan.routes[portal][item] ??= 'api';
  }

  if (errors.length > 0) return { patches: { defender: {}, sentinel: {} }, patchFor: () => ({}), shows, routes: plan.routes, errors };
  if (audit.length > 0 && input.changeNotes) plan.changeNote = { portal: 'defender', text: changeNoteText(author, audit) };
  return plan;
}

/** "changed severity to High, tags +phishing", cut to what a portal comment holds. */
function changeNoteText(author: string, described: readonly string[]): string {
  const full = `changed ${described.join(', ')}`;
  const note = (text: string): Omit<BridgeComment, 'ref'> => ({ kind: 'note', author, text });
  const overflow = formattedLength(note(full)) - SENTINEL_MAX_COMMENT_CHARS;
  return overflow <= 0 ? full : `${full.slice(0, full.length - overflow - 1)}…`;
}

/** The fields a request changes, comment aside. */
export function fieldsRequested(changes: EditChanges): FieldName[] {
  const names: FieldName[] = [];
  if (changes.severity !== undefined) names.push('severity');
  if (changes.status !== undefined) names.push('status');
  if (changes.classification !== undefined) names.push('classification');
  if (changes.owner !== undefined) names.push('owner');
  if (changes.tagsAdd !== undefined || changes.tagsRemove !== undefined) names.push('tags');
  return names;
}

function fieldPlans(changes: EditChanges): Array<FieldPlan<unknown>> {
  const plans: Array<FieldPlan<unknown>> = [];
  if (changes.severity !== undefined) {
    const severity = changes.severity;
    plans.push({
      field: 'severity',
      label: 'severity',
      requested: severity,
      // Strict: Defender's 'unknown' (no value) does not show the requested severity.
      shows: (_portal, incident) => incident.severity === severity,
      patch: () => ({ severity }),
      describe: `severity to ${SEVERITY_WORDS[severity]}`,
    });
  }
  if (changes.status !== undefined) {
    const status = changes.status;
    plans.push({
      field: 'status',
      label: 'the status',
      requested: status,
      shows: (portal, incident) => incident.status === projectStatus(portal, status),
      patch: (portal) => ({ status: projectStatus(portal, status) }),
      // The note is Defender's: Defender's word for the status it will show.
      describe: `status to ${statusWord('defender', status) ?? status}`,
    });
  }
  if (changes.classification !== undefined) {
    const classification = changes.classification;
    plans.push({
      field: 'classification',
      label: 'the classification',
      requested: classification,
      shows: (_portal, incident) => incident.classification === classification,
      patch: (portal) => ({ classification, ...sentinelReason(portal, classification) }),
      describe: `classification to ${CLASSIFICATION_WORDS[classification]}`,
    });
  }
  if (changes.owner !== undefined) {
    const owner = changes.owner;
    plans.push({
      field: 'owner',
      label: 'the owner',
      requested: owner,
      shows: (_portal, incident) => ownersEqual(incident.owner, owner),
      patch: () => ({ owner }),
      describe: `owner to ${ownerWord(owner)}`,
    });
  }
  if (changes.tagsAdd !== undefined || changes.tagsRemove !== undefined) {
    const add = (changes.tagsAdd ?? []).map((tag) => tag.trim());
    const remove = (changes.tagsRemove ?? []).map((tag) => tag.trim());
    const next = (incident: Incident): string[] => applyTagEdits(incident.tags, add, remove);
    const describe = [...add.map((tag) => `+${tag}`), ...remove.map((tag) => `-${tag}`)].join(' ');
    plans.push({
      field: 'tags',
      label: 'tags',
      requested: { add, remove },
      shows: (_portal, incident) => tagSetsEqual(incident.tags, next(incident)),
      patch: (_portal, incident) => ({ tags: next(incident) }),
      describe: `tags ${describe}`,
    });
  }
  return plans;
}

/**
 * Tag edits apply to the portal's current set (a fresh read), so an edit made meanwhile in the
 * portal is kept. Matching is case-insensitive: adding "Phishing" where "phishing" exists is a no-op.
 */
export function applyTagEdits(current: readonly string[], add: readonly string[], remove: readonly string[]): string[] {
  const removing = new Set(remove.map((tag) => tag.toLowerCase()));
  const result = current.filter((tag) => !removing.has(tag.toLowerCase()));
  const have = new Set(result.map((tag) => tag.toLowerCase()));
  for (const tag of add) {
    if (have.has(tag.toLowerCase())) continue;
    have.add(tag.toLowerCase());
    result.push(tag);
  }
  return result;
}

/** Sentinel refuses BenignPositive without a classificationReason; SuspiciousButExpected is the only benign one. */
function sentinelReason(portal: Portal, classification: Classification): IncidentPatch {
  return portal === 'sentinel' && classification === 'benignPositive' ? { determination: SENTINEL_BENIGN_REASON } : {};
}

/**
 * ARM refuses to close an incident without a classification. An explicit one in the request, or
 * one Sentinel already has (other than the default Undetermined), is used; otherwise the analyst
 * is asked, rather than the bridge guessing a verdict.
 */
function checkSentinelClosing(changes: EditChanges, sentinel: Incident | null, writable: ReadonlySet<EditableField>, plan: EditPlan, errors: string[], withStatus: IncidentPatch): void {
  if (changes.status !== 'resolved' || sentinel === null || plan.routes.sentinel.status !== 'api') return;
  const classification = changes.classification ?? (sentinel.classification !== 'undetermined' ? sentinel.classification : undefined);
  if (classification === undefined) {
    errors.push(
      'Sentinel requires a classification to close an incident: resolve again with a classification (true positive, benign positive, false positive or undetermined).',
    );
    return;
  }
  if (!writable.has('classification')) return;
  Object.assign(withStatus, { classification }, sentinelReason('sentinel', classification));
}

function validate(changes: EditChanges): string[] {
  const errors: string[] = [];
  const raw = changes as Record<string, unknown>;
  if (raw.severity !== undefined && !(SEVERITIES as readonly unknown[]).includes(raw.severity)) {
    errors.push(`Unknown severity ${quote(raw.severity)}; use one of ${SEVERITIES.join(', ')}.`);
  }
  if (raw.status !== undefined) {
    if (!(STATUSES as readonly unknown[]).includes(raw.status)) errors.push(`Unknown status ${quote(raw.status)}; use one of ${STATUSES.filter((s) => s !== 'redirected').join(', ')}.`);
    else if (raw.status === 'redirected') errors.push("Status 'redirected' is set by Defender when it merges incidents; it cannot be chosen.");
  }
  if (raw.classification !== undefined && !(CLASSIFICATIONS as readonly unknown[]).includes(raw.classification)) {
    errors.push(`Unknown classification ${quote(raw.classification)}; use one of ${CLASSIFICATIONS.join(', ')}.`);
  }
  if (raw.owner !== undefined) errors.push(...validateOwner(raw.owner));
  errors.push(...validateTags(raw.tagsAdd, 'tagsAdd'), ...validateTags(raw.tagsRemove, 'tagsRemove'));
  const tagChanges = (Array.isArray(raw.tagsAdd) ? raw.tagsAdd.length : 0) + (Array.isArray(raw.tagsRemove) ? raw.tagsRemove.length : 0);
  const tooManyTags = tagCountProblem(tagChanges);
  if (tooManyTags) errors.push(asSentence(tooManyTags));
  if (Array.isArray(raw.tagsAdd) && Array.isArray(raw.tagsRemove)) {
    const removing = new Set(raw.tagsRemove.filter((t): t is string => typeof t === 'string').map((t) => t.trim().toLowerCase()));
    const both = raw.tagsAdd.filter((t): t is string => typeof t === 'string' && removing.has(t.trim().toLowerCase()));
    if (both.length > 0) errors.push(`Tag ${quote(both[0])} is both added and removed; pick one.`);
  }
  if (raw.comment !== undefined) {
    if (typeof raw.comment !== 'string') errors.push('The comment must be text.');
    else {
      const problem = commentProblem(raw.comment);
      if (problem) errors.push(asSentence(problem));
    }
  }
  const requested = fieldsRequested(changes).length + (raw.comment !== undefined ? 1 : 0);
  if (requested === 0 && errors.length === 0) errors.push('The edit changes nothing.');
  return errors;
}

function validateOwner(owner: unknown): string[] {
  if (owner === null) return [];
  if (typeof owner !== 'object' || Array.isArray(owner)) return ['The owner must be a user (UPN and/or object id) or null to unassign.'];
  const value = owner as Record<string, unknown>;
  const errors: string[] = [];
  for (const key of ['upn', 'objectId', 'displayName'] as const) {
    const item = value[key];
    if (item === undefined) continue;
    if (typeof item !== 'string' || item.trim() === '' || item.length > MAX_OWNER_TEXT_CHARS || typedTextProblem(item, 'line') !== null) {
      errors.push(`The owner's ${key} must be non-empty text of at most ${MAX_OWNER_TEXT_CHARS} characters without control characters.`);
    }
  }
  if (typeof value.upn === 'string' && !/^[^@\s]+@[^@\s]+$/u.test(value.upn)) errors.push(`The owner's UPN ${quote(value.upn)} is not of the form name@domain.`);
  if (typeof value.objectId === 'string' && !isEntraObjectId(value.objectId)) {
    errors.push(`The owner's object id ${quote(value.objectId)} is not a GUID.`);
  }
  if (value.upn === undefined && value.objectId === undefined) errors.push('The owner needs a UPN or an Entra object id; a display name alone does not identify a user.');
  return errors;
}

function validateTags(tags: unknown, name: string): string[] {
  if (tags === undefined) return [];
  if (!Array.isArray(tags)) return [`${name} must be a list of tags.`];
  const errors: string[] = [];
  for (const tag of tags) {
    if (typeof tag !== 'string') {
      errors.push(`Every tag in ${name} must be text.`);
      continue;
    }
    const problem = tagProblem(tag);
    if (problem) errors.push(`${asSentence(problem)} (${name}: ${quote(tag.slice(0, 40))})`);
  }
  return errors;
}

function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
