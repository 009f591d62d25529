// Validation of Sentinel incident and comment PUT bodies (pure). Read-only properties in a body are
// ignored, as ARM does; the writable ones are checked against the 2025-09-01 spec enums.
import { isPlainObject } from '../http/types.ts';
import {
  ARM_CLASSIFICATIONS,
  ARM_CLASSIFICATION_REASONS,
  ARM_OWNER_TYPES,
  ARM_REASONS_BY_CLASSIFICATION,
  ARM_SEVERITIES,
  ARM_STATUSES,
  canonicalMember,
} from '../engine/catalog.ts';
import type { SentinelWrite } from '../engine/engine.ts';
import type { SentinelOwner } from '../state/model.ts';

// Sentinel's documented comment size limit.
export const MAX_COMMENT_LENGTH = 30_000;

function optionalString(value: unknown, name: string): string | null | { error: string } {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') return { error: `'properties.${name}' must be a string.` };
  return value;
}

function optionalDate(value: unknown, name: string): string | null | { error: string } {
  const text = optionalString(value, name);
  if (text === null || typeof text !== 'string') return text;
  if (Number.isNaN(Date.parse(text))) return { error: `'properties.${name}' must be an ISO-8601 date-time.` };
  return new Date(text).toISOString();
}

function parseOwner(value: unknown): SentinelOwner | string {
  const empty: SentinelOwner = { objectId: null, email: null, assignedTo: null, userPrincipalName: null, ownerType: null };
  if (value === undefined || value === null) return empty;
  if (!isPlainObject(value)) return "'properties.owner' must be an object.";
  const owner = { ...empty };
  for (const field of ['objectId', 'email', 'assignedTo', 'userPrincipalName'] as const) {
    const v = value[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') return `'properties.owner.${field}' must be a string.`;
    owner[field] = v;
  }
  if (owner.objectId !== null && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(owner.objectId)) {
    return `'properties.owner.objectId' must be a GUID, not '${owner.objectId}'.`;
  }
  if (value.ownerType !== undefined && value.ownerType !== null) {
    const type = canonicalMember(ARM_OWNER_TYPES, value.ownerType);
    if (!type) return `'properties.owner.ownerType' must be one of ${ARM_OWNER_TYPES.join(', ')}.`;
    owner.ownerType = type as SentinelOwner['ownerType'];
  }
  return owner;
}

export function parseIncidentPut(body: unknown): SentinelWrite | string {
  if (!isPlainObject(body)) return 'The request body must be a JSON object with a \'properties\' object.';
  const props = body.properties;
  if (!isPlainObject(props)) return "The request body must contain a 'properties' object.";
  if (typeof props.title !== 'string' || props.title.trim() === '') return "'properties.title' is required and must be a non-empty string.";
  const severity = canonicalMember(ARM_SEVERITIES, props.severity);
  if (!severity) return `'properties.severity' is required and must be one of ${ARM_SEVERITIES.join(', ')}.`;
  const status = canonicalMember(ARM_STATUSES, props.status);
  if (!status) return `'properties.status' is required and must be one of ${ARM_STATUSES.join(', ')}.`;
  let classification: string | null = null;
  if (props.classification !== undefined && props.classification !== null) {
    classification = canonicalMember(ARM_CLASSIFICATIONS, props.classification) ?? null;
    if (!classification) return `'properties.classification' must be one of ${ARM_CLASSIFICATIONS.join(', ')}.`;
  }
  let classificationReason: string | null = null;
  if (props.classificationReason !== undefined && props.classificationReason !== null) {
    classificationReason = canonicalMember(ARM_CLASSIFICATION_REASONS, props.classificationReason) ?? null;
    if (!classificationReason) return `'properties.classificationReason' must be one of ${ARM_CLASSIFICATION_REASONS.join(', ')}.`;
  }
  if (status === 'Closed' && !classification) {
    return "Closing an incident requires 'properties.classification' (Undetermined, TruePositive, BenignPositive or FalsePositive).";
  }
  if (classification === 'BenignPositive' && !classificationReason) {
    return "Classification 'BenignPositive' requires 'properties.classificationReason' (SuspiciousButExpected).";
  }
  if (classification && classificationReason) {
    const allowed = ARM_REASONS_BY_CLASSIFICATION[classification] ?? [];
    if (!allowed.includes(classificationReason)) {
      return `Classification reason '${classificationReason}' does not apply to classification '${classification}'${allowed.length ? `; use ${allowed.join(' or ')}` : ''}.`;
    }
  }
  const description = optionalString(props.description, 'description');
  if (description !== null && typeof description === 'object') return description.error;
  const classificationComment = optionalString(props.classificationComment, 'classificationComment');
  if (classificationComment !== null && typeof classificationComment === 'object') return classificationComment.error;
  const first = optionalDate(props.firstActivityTimeUtc, 'firstActivityTimeUtc');
  if (first !== null && typeof first === 'object') return first.error;
  const last = optionalDate(props.lastActivityTimeUtc, 'lastActivityTimeUtc');
  if (last !== null && typeof last === 'object') return last.error;
  const owner = parseOwner(props.owner);
  if (typeof owner === 'string') return owner;
  const labels: Array<{ labelName: string }> = [];
  if (props.labels !== undefined && props.labels !== null) {
    if (!Array.isArray(props.labels)) return "'properties.labels' must be an array of {labelName}.";
    for (const label of props.labels) {
      if (!isPlainObject(label) || typeof label.labelName !== 'string' || label.labelName.trim() === '') {
        return "Each entry of 'properties.labels' must be an object with a non-empty 'labelName'.";
      }
      if (!labels.some((existing) => existing.labelName === label.labelName)) labels.push({ labelName: label.labelName });
    }
  }
  if (body.etag !== undefined && body.etag !== null && typeof body.etag !== 'string') return "'etag' must be a string.";
  const write: SentinelWrite = {
    title: props.title,
    description,
    severity,
    status,
    classification,
    classificationReason,
    classificationComment,
    owner,
    labels,
    firstActivityTimeUtc: first,
    lastActivityTimeUtc: last,
  };
  if (typeof body.etag === 'string') write.etag = body.etag;
  return write;
}

export function parseCommentPut(body: unknown): string | { message: string } {
  if (!isPlainObject(body) || !isPlainObject(body.properties)) return "The request body must be {\"properties\":{\"message\":\"...\"}}.";
  const message = body.properties.message;
  if (typeof message !== 'string' || message.trim() === '') return "'properties.message' is required and must be a non-empty string.";
  if (message.length > MAX_COMMENT_LENGTH) return `'properties.message' is ${message.length} characters; the limit is ${MAX_COMMENT_LENGTH}.`;
  return { message };
}
