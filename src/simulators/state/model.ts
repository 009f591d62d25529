// The simulated portals' data, as one JSON-serialisable snapshot. Field names follow the wire
// contracts (Graph camelCase enums, ARM PascalCase enums) so serialisation stays a thin projection.

export interface AlertComment {
  comment: string;
  createdByDisplayName: string;
  createdDateTime: string;
}

export interface DefenderAlert {
  id: string;
  providerAlertId: string;
  incidentId: string;
  tenantId: string;
  /** Wire value of serviceSource (e.g. microsoftDefenderForCloudApps). */
  serviceSource: string;
  detectionSource: string;
  productName: string;
  detectorId: string;
  title: string;
  description: string;
  recommendedActions: string;
  category: string;
  severity: string;
  status: string;
  classification: string;
  determination: string;
  assignedTo: string | null;
  mitreTechniques: string[];
  evidence: unknown[];
  createdDateTime: string;
  lastUpdateDateTime: string;
  firstActivityDateTime: string;
  lastActivityDateTime: string;
  resolvedDateTime: string | null;
}

export interface DefenderIncident {
  id: string;
  tenantId: string;
  displayName: string;
  description: string;
  summary: string | null;
  severity: string;
  status: string;
  classification: string;
  determination: string;
  assignedTo: string | null;
  customTags: string[];
  systemTags: string[];
  createdDateTime: string;
  lastUpdateDateTime: string;
  lastModifiedBy: string;
  redirectIncidentId: string | null;
  resolvingComment: string | null;
  priorityScore: number | null;
  comments: AlertComment[];
  alertIds: string[];
  /** Simulator-only: alerts raised with the same key correlate into this incident. */
  correlationKey: string | null;
}

export interface SentinelLabel {
  labelName: string;
  labelType: 'User' | 'AutoAssigned';
}

export interface SentinelOwner {
  objectId: string | null;
  email: string | null;
  assignedTo: string | null;
  userPrincipalName: string | null;
  ownerType: 'Unknown' | 'User' | 'Group' | null;
}

/** Who made a change: ARM reports it in systemData (createdBy/lastModifiedBy + type). */
export interface ChangeActor {
  name: string;
  type: 'User' | 'Application';
}

export interface SentinelIncident {
  name: string;
  etag: string;
  incidentNumber: number;
  title: string;
  description: string | null;
  severity: string;
  status: string;
  classification: string | null;
  classificationReason: string | null;
  classificationComment: string | null;
  owner: SentinelOwner;
  labels: SentinelLabel[];
  firstActivityTimeUtc: string | null;
  lastActivityTimeUtc: string | null;
  createdTimeUtc: string;
  lastModifiedTimeUtc: string;
  providerName: string;
  providerIncidentId: string;
  providerIncidentUrl: string | null;
  alertsCount: number;
  alertProductNames: string[];
  tactics: string[];
  techniques: string[];
  relatedAnalyticRuleIds: string[];
  createdBy: ChangeActor;
  lastModifiedBy: ChangeActor;
}

export interface CommentAuthor {
  objectId?: string;
  email?: string;
  name?: string;
  userPrincipalName?: string;
}

export interface SentinelComment {
  name: string;
  etag: string;
  message: string;
  createdTimeUtc: string;
  lastModifiedTimeUtc: string;
  author: CommentAuthor;
}

/** A generic ARM child resource of the workspace (data connector, alert rule, setting). */
export interface ArmRecord {
  name: string;
  kind: string;
  etag: string;
  properties: Record<string, unknown>;
  lastModifiedTimeUtc: string;
}

export const CHECK_STATES = ['Valid', 'Invalid', 'Unknown'] as const;
export type CheckState = (typeof CHECK_STATES)[number];

export interface SimState {
  version: 1;
  defender: {
    nextIncidentId: number;
    nextAlertNumber: number;
    incidents: Record<string, DefenderIncident>;
    alerts: Record<string, DefenderAlert>;
  };
  sentinel: {
    nextIncidentNumber: number;
    incidents: Record<string, SentinelIncident>;
    /** Comments per Sentinel incident name, in creation order. */
    comments: Record<string, SentinelComment[]>;
    dataConnectors: Record<string, ArmRecord>;
    alertRules: Record<string, ArmRecord>;
    settings: Record<string, ArmRecord>;
    checkRequirements: { authorizationState: CheckState; licenseState: CheckState };
    /** Defender incident id -> ISO time at which the Azure-portal integration imports it. */
    pendingImports: Record<string, string>;
  };
}
