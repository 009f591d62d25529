// Capability profiles: which incident fields each API may write. Graph's PATCH documents
// assignedTo, classification, determination, status, customTags (2022) plus displayName,
// description, summary (2025); severity is in no revision, v1.0 or beta. ARM PUT writes them all.
import { PortalError } from '../domain/errors.ts';
import { EDITABLE_FIELDS, type EditableField, type Incident, type IncidentPatch, type Portal } from '../domain/incident.ts';
import type { IncidentEdit } from '../sync/ports.ts';

export const DEFENDER_DEFAULT_WRITABLE: readonly EditableField[] = ['title', 'description', 'status', 'classification', 'owner', 'tags'];
export const SENTINEL_DEFAULT_WRITABLE: readonly EditableField[] = EDITABLE_FIELDS;

export function writableSet(portal: Portal, configured: readonly EditableField[] | undefined): ReadonlySet<EditableField> {
  const fields = configured ?? (portal === 'defender' ? DEFENDER_DEFAULT_WRITABLE : SENTINEL_DEFAULT_WRITABLE);
  for (const field of fields) {
    if (!(EDITABLE_FIELDS as readonly string[]).includes(field)) {
      throw new TypeError(`unknown writable field "${String(field)}" for ${portal}; use some of ${EDITABLE_FIELDS.join(', ')}`);
    }
  }
  return new Set(fields);
}

/** The editable fields a patch touches. determination/classificationComment travel with classification. */
export function fieldsOfPatch(patch: IncidentPatch): EditableField[] {
  const fields: EditableField[] = [];
  if (patch.title !== undefined) fields.push('title');
  if (patch.description !== undefined) fields.push('description');
  if (patch.severity !== undefined) fields.push('severity');
  if (patch.status !== undefined) fields.push('status');
  if (patch.classification !== undefined || patch.determination !== undefined || patch.classificationComment !== undefined) fields.push('classification');
  if (patch.owner !== undefined) fields.push('owner');
  if (patch.tags !== undefined) fields.push('tags');
  return fields;
}

export function assertWritable(portal: Portal, writable: ReadonlySet<EditableField>, patch: IncidentPatch): void {
  const refused = fieldsOfPatch(patch).filter((field) => !writable.has(field));
  if (refused.length > 0) {
    throw new PortalError(
      portal,
      'not-writable',
      `${portal} API cannot write ${refused.join(', ')} (capability profile: ${[...writable].join(', ') || 'nothing'}). ` +
        'Rely on the portals\' own sync for this field, or change the profile if the API now allows it.',
    );
  }
}

export interface PortalLogger {
  warn(details: object, message: string): void;
}

export const SILENT_LOGGER: PortalLogger = { warn() {} };

/**
 * The patch to write on top of the incident as it now is (`current`, built only for a function
 * edit), checked against the capability profile; null when there is nothing to write.
 */
export function resolveEdit(edit: IncidentEdit, current: () => Incident): IncidentPatch | null {
  const patch = typeof edit === 'function' ? edit(current()) : edit;
  return Object.values(patch).every((value) => value === undefined) ? null : patch;
}
