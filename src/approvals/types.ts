// Shapes the approvals service hands to its callers (bot routes, cards) and stores as JSON.
import { CodedError } from '../domain/errors.ts';
import type { Actor } from '../domain/incident.ts';
import type { ConnectorConfig, ConnectorSnapshot } from '../domain/connector.ts';
import type { ApprovalRequest } from '../store/ports.ts';
import type { ConfigChange, Consequence } from './diff.ts';

/** What happened to a request, stored in ApprovalRequest.outcome (plain JSON). */
export type ApprovalOutcome =
  | { kind: 'rejected'; reason: string | null }
  | { kind: 'expired'; message: string }
  | {
      kind: 'stale';
      message: string;
      /** The live configuration when staleness was found, when it could be read. */
      liveVersion: string | null;
      liveConfig: ConnectorConfig | null;
    }
  | { kind: 'applying'; startedAt: string }
  | { kind: 'applied'; message: string; attempts: number; version: string; config: ConnectorConfig }
  | {
      kind: 'failed';
      message: string;
      /** PortalError code, or 'read-back-mismatch' / 'unexpected'. */
      errorCode: string;
      attempts: number;
      /** Changes the read-back configuration shows as made / not made; null when it could not be read. */
      applied: ConfigChange[] | null;
      notApplied: ConfigChange[] | null;
      liveVersion: string | null;
      liveConfig: ConnectorConfig | null;
    };

export type ApprovalErrorCode =
  | 'invalid-proposal' // the proposal breaks a rule (see details)
  | 'invalid-reason' // the reason is missing or too long
  | 'form-outdated' // the form was built from an older configuration
  | 'not-found' // no request with this id
  | 'not-pending' // already decided or closed
  | 'already-decided' // lost the race: someone else decided first
  | 'expired'
  | 'self-approval'
  | 'not-approver'
  | 'not-analyst' // only analysts (and approvers) may request a change
  | 'stale'
  | 'connector-unavailable' // the connector configuration could not be read
  | 'roles-unavailable'; // the actor's group membership could not be checked (the message says why)

export class ApprovalError extends CodedError<ApprovalErrorCode> {
  /** The request as it stands after the refusal (e.g. moved to 'expired'), when there is one. */
  readonly request?: ApprovalRequest;
  readonly details?: readonly { field: string; message: string }[];
  constructor(
    code: ApprovalErrorCode,
    message: string,
    options?: { cause?: unknown; request?: ApprovalRequest | null; details?: readonly { field: string; message: string }[] },
  ) {
    super(code, message, options);
    if (options?.request) this.request = options.request;
    if (options?.details) this.details = options.details;
  }
}

/** One prerequisite, as a connector client that can check them reports it. */
export interface RequirementCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

/** Optional extra a ConnectorSettingsClient may offer (licence, roles, solution installed...). */
export interface ConnectorRequirementsChecker {
  checkRequirements(): Promise<RequirementCheck[]>;
}

export interface DriftReport {
  /** The pair whose connector was checked. */
  pairId: string;
  /** The configuration moved since the bridge last applied or saw it. */
  drifted: boolean;
  /** No earlier snapshot was known: the live one is now the baseline. */
  baseline: boolean;
  /** A change by the bridge is being applied right now; drift is checked again later. */
  deferred: boolean;
  previous: ConnectorSnapshot | null;
  live: ConnectorSnapshot;
  changes: ConfigChange[];
  consequences: Consequence[];
  /** Pending requests moved to 'stale' because their base is gone. */
  staleRequestIds: string[];
  /** Text for the approvers' channel; null when there is nothing to announce. */
  announcement: { title: string; lines: string[] } | null;
}

export interface ConnectorStatus {
  pairId: string;
  snapshot: ConnectorSnapshot;
  /** Changes made outside the bridge since it last applied or saw the configuration. */
  driftWarnings: string[];
  /** null when the connector client cannot check prerequisites. */
  requirements: RequirementCheck[] | null;
  pending: ApprovalRequest[];
}

export interface RequestResult {
  request: ApprovalRequest;
  changes: ConfigChange[];
  consequences: Consequence[];
}

export interface HistoryItem {
  request: ApprovalRequest;
  /** Audit entries about this request, oldest first: requested, approved/rejected, outcome. */
  events: { at: string; action: string; actor: Actor; details: Record<string, unknown> }[];
}
