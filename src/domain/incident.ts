// The one incident model the bridge reasons about. Both portal clients map their wire formats
// to and from it; sync, cards and commands never see a Graph or ARM DTO.
// Pure: imports nothing of ours but the alert records it carries (types only).
import type { AlertDetails } from './alerts.ts';

export const PORTALS = ['defender', 'sentinel'] as const;
export type Portal = (typeof PORTALS)[number];

export const SEVERITIES = ['informational', 'low', 'medium', 'high'] as const;
/** 'unknown' only ever comes from Defender (Graph's `unknown`); Sentinel has no such value. */
export type Severity = (typeof SEVERITIES)[number] | 'unknown';

/**
 * Canonical status. Defender: active | inProgress | resolved | redirected | awaitingAction.
 * Sentinel: New | Active | Closed. 'new' exists only in Sentinel; 'inProgress' maps to Sentinel Active.
 */
export const STATUSES = ['new', 'active', 'inProgress', 'awaitingAction', 'resolved', 'redirected'] as const;
export type Status = (typeof STATUSES)[number];

/**
 * Canonical classification, the intersection both portals can express.
 * Graph unknown <-> Sentinel Undetermined; Graph informationalExpectedActivity <-> Sentinel BenignPositive.
 */
export const CLASSIFICATIONS = ['undetermined', 'truePositive', 'falsePositive', 'benignPositive'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

export interface Owner {
  /** Entra object id, when known (Sentinel owner.objectId). */
  objectId?: string;
  /** User principal name; Graph's assignedTo is usually this. */
  upn?: string;
  displayName?: string;
}

const ENTRA_OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu;

/** Entra object ids are GUIDs (8-4-4-4-12 hex digits); Sentinel refuses anything else as owner.objectId. */
export function isEntraObjectId(value: string): boolean {
  return ENTRA_OBJECT_ID.test(value);
}

export interface IncidentComment {
  /** Portal-local id when the portal has one (Sentinel comment name); Graph comments have none. */
  id?: string;
  text: string;
  /** Who wrote it, as the portal reports it (Graph createdByDisplayName, Sentinel author.name/UPN). */
  author: string;
  createdAt: string; // ISO-8601
}

/** Synced, portal-maintained facts (Sentinel additionalData; derived from alerts on Defender). */
export interface AdditionalData {
  alertsCount: number;
  productNames: string[];
  tactics: string[];
  techniques: string[];
}

export interface Incident {
  portal: Portal;
  /** Graph incident id ("29"), or the Sentinel incident resource name (a GUID). */
  id: string;
  /** Sentinel's human-facing number; undefined on Defender. */
  incidentNumber?: number;
  /** On Sentinel: the Graph id of the Defender incident it mirrors (providerIncidentId). On Defender: its own id. */
  providerIncidentId?: string;
  /** 'Microsoft XDR' / 'Microsoft 365 Defender' for Defender-sourced Sentinel incidents, 'Azure Sentinel' for native ones. */
  providerName?: string;
  tenantId?: string;
  title: string;
  description: string;
  severity: Severity;
  status: Status;
  classification: Classification;
  /** Defender determination or Sentinel classificationReason, kept verbatim per portal. */
  determination?: string;
  classificationComment?: string;
  owner: Owner | null;
  /** Analyst-editable tags: Graph customTags <-> Sentinel labels of labelType User. */
  tags: string[];
  /** Tags the portal set itself: Graph systemTags <-> Sentinel AutoAssigned labels. Read-only. */
  systemTags: string[];
  additionalData: AdditionalData;
  /**
   * Defender only, when its alerts were read (`$expand=alerts`): the alerts and the evidence they
   * name, bounded (domain/alerts.ts). Undefined otherwise: unknown, not "none".
   */
  alertDetails?: AlertDetails;
  comments: IncidentComment[];
  /**
   * Sentinel serves comments apart from the incident (additionalData.commentsCount tells how many);
   * when this differs from comments.length, `comments` is not the whole thread. Undefined on Defender.
   */
  commentsCount?: number;
  lastModifiedBy: string;
  createdAt: string;
  lastUpdatedAt: string;
  /** Defender incidentWebUrl, or Sentinel incidentUrl. */
  webUrl: string;
  /** Set when the Defender incident was merged into another (status 'redirected'). */
  redirectIncidentId?: string;
  /** Sentinel optimistic-concurrency etag; undefined on Defender. */
  etag?: string;
}

/** Fields an analyst (or reconcile) can ask a portal to change. */
export const EDITABLE_FIELDS = ['title', 'description', 'severity', 'status', 'classification', 'owner', 'tags'] as const;
export type EditableField = (typeof EDITABLE_FIELDS)[number];

export interface IncidentPatch {
  title?: string;
  description?: string;
  severity?: Exclude<Severity, 'unknown'>;
  status?: Status;
  classification?: Classification;
  determination?: string;
  classificationComment?: string;
  owner?: Owner | null;
  /** The full new tag set (not a delta): tag edits are resolved against a fresh read first. */
  tags?: string[];
}

/** Who asked for a change. Carried to every portal write so the analyst, not the bot, is credited. */
export interface Actor {
  objectId: string;
  upn?: string;
  displayName: string;
  /** The Entra tenant the person acted from (the Teams activity's): the directory that knows their groups. */
  tenantId?: string;
}
