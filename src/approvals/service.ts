// Two-person approval of Defender XDR connector changes: request, decide, apply, audit, drift.
// I/O goes through injected ports (connector client, repositories, clock, ids, sleep), so tests
// drive every path with in-memory fakes. Rules live in state-machine.ts and diff.ts; writing an
// approved change (retries, read-back) in apply.ts; the stored JSON's decoders in stored-records.ts.
import { errorMessage } from '../domain/errors.ts';
import type { Actor } from '../domain/incident.ts';
import type { ConnectorSnapshot } from '../domain/connector.ts';
import type { ConnectorSettingsClient } from '../sync/ports.ts';
import {
  type ApprovalPatch,
  type ApprovalRepository,
  type ApprovalRequest,
  type ApprovalState,
  type AuditRepository,
  type JsonObject,
  type SettingsRepository,
} from '../store/ports.ts';
import { DEFAULT_APPLY_RETRY, applyConnectorChange, type ApplyRetryPolicy } from './apply.ts';
import { consequencesOf, describeChange, diffConnectorConfig, validateProposal } from './diff.ts';
import { DEFAULT_EXPIRY_MS, canDecide, decide, type DecisionKind } from './state-machine.ts';
import { storedSnapshot, toJson } from './stored-records.ts';
import {
  ApprovalError,
  type ApprovalOutcome,
  type ConnectorRequirementsChecker,
  type ConnectorStatus,
  type DriftReport,
  type HistoryItem,
  type RequestResult,
} from './types.ts';

/**
 * Settings key of the last connector snapshot the bridge applied or saw (drift baseline), before
 * connectors were kept per pair; legacy-pair.ts hands it to the first pair.
 */
export const LAST_KNOWN_SNAPSHOT_KEY = 'approvals.connector.lastKnownSnapshot';

/** Settings key of one pair's drift baseline. */
export function lastKnownSnapshotKeyOf(pairId: string): string {
  return `${LAST_KNOWN_SNAPSHOT_KEY}:${pairId}`;
}

/** The audit subject of a pair's drift entries (the pair is in the entry's pairId). */
export const CONNECTOR_AUDIT_SUBJECT = 'connector:defender-xdr';

/** The identity the bridge's own audit entries carry. */
export const APPROVALS_SYSTEM_ACTOR: Actor = { objectId: 'system:approvals', displayName: 'incident-bridge approvals' };

export const MAX_REASON_LENGTH = 500;

export interface ApprovalServiceDeps {
  /** The pair whose workspace's connector this service reads and changes; every record carries it. */
  pairId: string;
  connector: ConnectorSettingsClient & Partial<ConnectorRequirementsChecker>;
  approvals: ApprovalRepository;
  audit: AuditRepository;
  settings: SettingsRepository;
  /** May reject with ApprovalError 'roles-unavailable' when the actor's groups could not be checked. */
  isApprover: (actor: Actor) => boolean | Promise<boolean>;
  /**
   * Whether `actor` holds at least the analyst role. Requesting a change needs it (approvers
   * qualify too), so that a request and its approval always come from two privileged people.
   */
  isAnalyst: (actor: Actor) => boolean | Promise<boolean>;
  clock: () => Date;
  newId: () => string;
  /** Default 24 hours. */
  expiryMs?: number;
  retry?: Partial<ApplyRetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): backoff jitter. */
  random?: () => number;
}

export interface ApprovalService {
  readonly pairId: string;
  status(): Promise<ConnectorStatus>;
  request(actor: Actor, proposed: unknown, reason: string, options?: { formVersion?: string }): Promise<RequestResult>;
  /** Decides and applies; resolves with the final request (applied, failed or stale). */
  approve(id: string, actor: Actor): Promise<ApprovalRequest>;
  reject(id: string, actor: Actor, reason?: string): Promise<ApprovalRequest>;
  get(id: string): Promise<ApprovalRequest | null>;
  /** Whether `actor` may press Approve/Reject on `request` now (cards show buttons on this). */
  canDecide(request: ApprovalRequest, actor: Actor): Promise<boolean>;
  isApprover(actor: Actor): Promise<boolean>;
  /** Whether `actor` may request a change (an analyst or an approver); request() refuses anyone else. */
  mayRequest(actor: Actor): Promise<boolean>;
  history(limit?: number): Promise<HistoryItem[]>;
  /** Compares the live configuration with `lastKnown` (default: the stored baseline). */
  detectDrift(lastKnown?: ConnectorSnapshot | null): Promise<DriftReport>;
  /** Moves overdue pending requests to 'expired' (also checked at decision time). */
  expireDue(): Promise<ApprovalRequest[]>;
}

export function createApprovalService(deps: ApprovalServiceDeps): ApprovalService {
  const expiryMs = deps.expiryMs ?? DEFAULT_EXPIRY_MS;
  const retry: ApplyRetryPolicy = { ...DEFAULT_APPLY_RETRY, ...deps.retry };
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const nowIso = (): string => deps.clock().toISOString();
  const isApprover = async (actor: Actor): Promise<boolean> => Boolean(await deps.isApprover(actor));
  const pairId = deps.pairId;
  const mayRequest = async (actor: Actor): Promise<boolean> => Boolean(await deps.isAnalyst(actor)) || (await isApprover(actor));

  async function audit(actor: Actor, action: string, id: string, details: Record<string, unknown>): Promise<void> {
    await deps.audit.append({ at: nowIso(), actor, action, subject: `approval:${id}`, pairId, details: toJson(details) as JsonObject });
  }

  async function readLive(purpose: string): Promise<ConnectorSnapshot> {
    try {
      return await deps.connector.read();
    } catch (error) {
      throw new ApprovalError(
        'connector-unavailable',
        `Could not read the Defender XDR connector configuration to ${purpose}: ${errorMessage(error)} Check the Sentinel connection and try again.`,
        { cause: error },
      );
    }
  }

  async function lastKnown(): Promise<ConnectorSnapshot | null> {
    return storedSnapshot(await deps.settings.get(lastKnownSnapshotKeyOf(pairId)));
  }

  async function rememberSnapshot(snapshot: ConnectorSnapshot): Promise<void> {
    await deps.settings.set(lastKnownSnapshotKeyOf(pairId), toJson(snapshot), APPROVALS_SYSTEM_ACTOR);
  }

  async function mustGet(id: string): Promise<ApprovalRequest> {
    const request = await deps.approvals.get(id);
    // Another pair's request is not found here: one customer's id never reaches another's connector.
    if (!request || request.pairId !== pairId) throw new ApprovalError('not-found', `No connector change request with id ${JSON.stringify(id)}; check the id on the card.`);
    return request;
  }

  /** Moves `id` on; when the conditional update loses, reports who won. */
  async function move(id: string, from: readonly ApprovalState[], to: ApprovalState, patch: ApprovalPatch): Promise<ApprovalRequest> {
    const moved = await deps.approvals.transition(id, from, to, patch);
    if (moved) return moved;
    const current = await mustGet(id);
    const by = current.decidedBy ? ` by ${current.decidedBy.displayName}` : '';
    throw new ApprovalError('already-decided', `This request was already ${current.state}${by}; nothing more to do.`, { request: current });
  }

  async function expire(request: ApprovalRequest): Promise<never> {
    const message = `This request expired at ${request.expiresAt}; ask for a new one.`;
    const outcome: ApprovalOutcome = { kind: 'expired', message };
    const expired = await deps.approvals.transition(request.id, ['pending'], 'expired', { outcome: toJson(outcome) });
    if (expired) await audit(APPROVALS_SYSTEM_ACTOR, 'approval.expired', request.id, { expiresAt: request.expiresAt });
    throw new ApprovalError('expired', message, { request: expired ?? (await mustGet(request.id)) });
  }

  async function decideOrThrow(request: ApprovalRequest, actor: Actor, decision: DecisionKind, live?: ConnectorSnapshot): Promise<void> {
    const result = decide({
      decision,
      state: request.state,
      requester: request.requester,
      expiresAt: request.expiresAt,
      actor,
      actorIsApprover: await isApprover(actor),
      now: deps.clock(),
      baseVersion: live ? request.baseVersion : undefined,
      liveVersion: live?.version,
    });
    if (result.allowed) return;
    if (result.to === 'expired') await expire(request);
    if (result.to === 'stale' && live) {
      const outcome: ApprovalOutcome = { kind: 'stale', message: result.message, liveVersion: live.version, liveConfig: live.config };
      const stale = await deps.approvals.transition(request.id, ['pending'], 'stale', { outcome: toJson(outcome) });
      if (stale) await audit(actor, 'approval.stale', request.id, { baseVersion: request.baseVersion, liveVersion: live.version });
      throw new ApprovalError('stale', result.message, { request: stale ?? (await mustGet(request.id)) });
    }
    throw new ApprovalError(result.refusal === 'not-pending' ? 'not-pending' : result.refusal, result.message, { request });
  }


  async function applyApproved(approved: ApprovalRequest): Promise<ApprovalRequest> {
    const startedAt: ApprovalOutcome = { kind: 'applying', startedAt: nowIso() };
    const applying = await move(approved.id, ['approved'], 'applying', { outcome: toJson(startedAt) });
    const outcome = await applyConnectorChange({ connector: deps.connector, retry, sleep, random }, applying);
    if (outcome.kind === 'applied') {
      // Remember what we applied before announcing it, so drift detection never reports our own change.
      await rememberSnapshot({ config: outcome.config, version: outcome.version, readAt: nowIso() });
    } else if (outcome.kind === 'failed' && outcome.liveConfig && outcome.liveVersion) {
      // A partial apply is ours too. A 'stale' live state is someone else's: drift detection announces it.
      await rememberSnapshot({ config: outcome.liveConfig, version: outcome.liveVersion, readAt: nowIso() });
    }
    const finalState: ApprovalState = outcome.kind === 'applied' ? 'applied' : outcome.kind === 'stale' ? 'stale' : 'failed';
    const done = await move(approved.id, ['applying'], finalState, { outcome: toJson(outcome) });
    await audit(APPROVALS_SYSTEM_ACTOR, `connector.${finalState}`, approved.id, { outcome });
    return done;
  }

  return {
    async status() {
      const snapshot = await readLive('show its status');
      const known = await lastKnown();
      if (!known) await rememberSnapshot(snapshot);
      const driftWarnings = known && known.version !== snapshot.version
        ? diffConnectorConfig(known.config, snapshot.config).map((c) => `Changed outside the bridge: ${describeChange(c)}`)
        : [];
      let requirements = null;
      if (typeof deps.connector.checkRequirements === 'function') {
        try {
          requirements = await deps.connector.checkRequirements();
        } catch (error) {
          requirements = [{ name: 'Prerequisite check', ok: false, detail: `Could not run: ${errorMessage(error)}` }];
        }
      }
      const pending = await deps.approvals.list({ pairId, states: ['pending'], limit: 20 });
      return { pairId, snapshot, driftWarnings, requirements, pending };
    },

    async request(actor, proposed, reason, options) {
      // Checked here too, not only by the routes: whoever calls the service, a viewer files nothing.
      if (!(await mayRequest(actor))) {
        throw new ApprovalError('not-analyst', 'Only analysts can request connector changes. Ask an administrator to add you to ANALYSTS.');
      }
      const trimmedReason = typeof reason === 'string' ? reason.trim() : '';
      if (trimmedReason.length === 0 || trimmedReason.length > MAX_REASON_LENGTH) {
        throw new ApprovalError('invalid-reason', `Give a reason for the change (1 to ${MAX_REASON_LENGTH} characters): approvers decide on it.`);
      }
      const live = await readLive('compute the change');
      if (options?.formVersion !== undefined && options.formVersion !== live.version) {
        throw new ApprovalError('form-outdated', 'The connector settings changed since this form was shown; open a new form (/connector request) so your request starts from the current settings.');
      }
      const validation = validateProposal(live.config, proposed);
      if (!validation.ok) {
        throw new ApprovalError('invalid-proposal', `The proposal was refused: ${validation.errors.map((e) => e.message).join(' ')}`, { details: validation.errors });
      }
      const changes = diffConnectorConfig(live.config, validation.config);
      const consequences = consequencesOf(changes, live.config, validation.config);
      const id = deps.newId();
      const request = await deps.approvals.create({
        id,
        pairId,
        requester: actor,
        reason: trimmedReason,
        baseVersion: live.version,
        baseConfig: live.config,
        proposedConfig: validation.config,
        diff: toJson(changes),
        consequences: toJson(consequences),
        expiresAt: new Date(deps.clock().getTime() + expiryMs).toISOString(),
      });
      await audit(actor, 'approval.requested', id, { reason: trimmedReason, baseVersion: live.version, changes, consequences });
      return { request, changes, consequences };
    },

    async approve(id, actor) {
      const request = await mustGet(id);
      // Refuse the cheap cases before touching the portal.
      await decideOrThrow(request, actor, 'approve');
      const live = await readLive('check that the request still applies');
      await decideOrThrow(request, actor, 'approve', live);
      // The repository's conditional update is the arbiter: of concurrent approvers one wins.
      const approved = await move(id, ['pending'], 'approved', { decidedBy: actor, decidedAt: nowIso() });
      await audit(actor, 'approval.approved', id, {});
      return applyApproved(approved);
    },

    async reject(id, actor, reason) {
      const request = await mustGet(id);
      await decideOrThrow(request, actor, 'reject');
      const cleanReason = typeof reason === 'string' && reason.trim().length > 0 ? reason.trim().slice(0, MAX_REASON_LENGTH) : null;
      const outcome: ApprovalOutcome = { kind: 'rejected', reason: cleanReason };
      const rejected = await move(id, ['pending'], 'rejected', { decidedBy: actor, decidedAt: nowIso(), outcome: toJson(outcome) });
      await audit(actor, 'approval.rejected', id, { reason: cleanReason });
      return rejected;
    },

    async get(id) {
      const request = await deps.approvals.get(id);
      return request?.pairId === pairId ? request : null;
    },

    async canDecide(request, actor) {
      return canDecide({
        state: request.state,
        requester: request.requester,
        expiresAt: request.expiresAt,
        actor,
        // Only shows or hides buttons: roles that cannot be checked show none (a click would say why).
        actorIsApprover: await isApprover(actor).catch((error: unknown) => {
          if (error instanceof ApprovalError && error.code === 'roles-unavailable') return false;
          throw error;
        }),
        now: deps.clock(),
      });
    },

    pairId,
    isApprover,
    mayRequest,

    async history(limit = 10) {
      const requests = await deps.approvals.list({ pairId, limit: Math.max(1, Math.min(limit, 50)) });
      const items: HistoryItem[] = [];
      for (const request of requests) {
        const entries = await deps.audit.list({ subject: `approval:${request.id}`, pairId, limit: 100 });
        items.push({
          request,
          events: entries.map((e) => ({ at: e.at, action: e.action, actor: e.actor, details: e.details as Record<string, unknown> })),
        });
      }
      return items;
    },

    async detectDrift(lastKnownArg) {
      const previous = lastKnownArg === undefined ? await lastKnown() : lastKnownArg;
      const live = await readLive('check it for changes made outside the bridge');
      const quiet = { previous, live, changes: [], consequences: [], staleRequestIds: [], announcement: null };
      if (!previous) {
        await rememberSnapshot(live);
        return { pairId, drifted: false, baseline: true, deferred: false, ...quiet };
      }
      // Our own apply may be between its write and its bookkeeping: look again next time.
      if ((await deps.approvals.list({ pairId, states: ['approved', 'applying'], limit: 1 })).length > 0) {
        return { pairId, drifted: false, baseline: false, deferred: true, ...quiet };
      }
      const changes = diffConnectorConfig(previous.config, live.config);
      if (previous.version === live.version || changes.length === 0) {
        if (previous.version !== live.version) await rememberSnapshot(live);
        return { pairId, drifted: false, baseline: false, deferred: false, ...quiet };
      }
      const consequences = consequencesOf(changes, previous.config, live.config);
      const staleRequestIds: string[] = [];
      for (const pending of await deps.approvals.list({ pairId, states: ['pending'], limit: 100 })) {
        if (pending.baseVersion === live.version) continue;
        const outcome: ApprovalOutcome = {
          kind: 'stale',
          message: 'The connector configuration was changed outside the bridge after this request was made; request the change again from the current settings.',
          liveVersion: live.version,
          liveConfig: live.config,
        };
        if (await deps.approvals.transition(pending.id, ['pending'], 'stale', { outcome: toJson(outcome) })) staleRequestIds.push(pending.id);
      }
      await rememberSnapshot(live);
      await deps.audit.append({
        at: nowIso(),
        actor: APPROVALS_SYSTEM_ACTOR,
        action: 'connector.drift',
        subject: CONNECTOR_AUDIT_SUBJECT,
        pairId,
        details: toJson({ previousVersion: previous.version, liveVersion: live.version, changes, staleRequestIds }) as JsonObject,
      });
      const lines = [
        ...changes.map(describeChange),
        ...consequences.map((c) => `${c.severity.toUpperCase()}: ${c.text}`),
        ...(staleRequestIds.length > 0 ? [`Pending requests now stale: ${staleRequestIds.join(', ')}`] : []),
      ];
      return {
        pairId,
        drifted: true,
        baseline: false,
        deferred: false,
        previous,
        live,
        changes,
        consequences,
        staleRequestIds,
        announcement: { title: 'Defender XDR connector changed outside the bridge', lines },
      };
    },

    async expireDue() {
      const expired = await deps.approvals.expireDue(nowIso(), pairId);
      for (const request of expired) await audit(APPROVALS_SYSTEM_ACTOR, 'approval.expired', request.id, { expiresAt: request.expiresAt });
      return expired;
    },
  };
}
