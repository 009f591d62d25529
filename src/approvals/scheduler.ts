// Runs the periodic approval chores on one replica at a time, for every pair's connector: expire
// overdue requests and detect connector changes made outside the bridge, then update cards and
// announce drift (to that pair's approvers). One pair's failure leaves the others' chores done. A lease in the
// store (LeaseRepository) decides which replica works; the others stand by and take over when the
// holder stops renewing (it died or was stopped).
import { createSilentLogger, type Logger } from '../observability/logger.ts';
import type { ApprovalRequest, LeaseRepository } from '../store/ports.ts';
import type { ApprovalService } from './service.ts';
import type { DriftReport } from './types.ts';

/** The lease every replica competes for; one holder runs expiry and drift checks. */
export const APPROVAL_SCHEDULER_LEASE = 'approvals:scheduler';

/**
 * A drift check reads the connector, the incident creation rules and the EntityAnalytics setting:
 * three ARM reads per pair per tick, each pair against its own subscription's budget of 250 reads
 * refilled at 25/s (portal-apis.md), so once a minute is cheap and still announces a portal change
 * within a minute or two.
 */
export const DEFAULT_APPROVAL_SCHEDULER_INTERVAL_MS = 60_000;

/** What the scheduler needs from the Teams side (ConnectorCardPublisher satisfies it). */
export interface ApprovalAnnouncer {
  updateApprovalCards(request: ApprovalRequest): Promise<void>;
  announceDrift(report: DriftReport): Promise<boolean>;
}

export interface ApprovalSchedulerDeps {
  /** One service per pair, each bound to its pair's connector and records. */
  services: readonly Pick<ApprovalService, 'pairId' | 'detectDrift' | 'expireDue' | 'get'>[];
  publisher: ApprovalAnnouncer;
  leases: LeaseRepository;
  replicaId: string;
  intervalMs?: number;
  /** Default `APPROVAL_SCHEDULER_LEASE`; tests give each scheduler group its own. */
  leaseName?: string;
  log?: Logger;
  /** Called with every error a tick survived, with what it was doing. */
  onError?: (error: unknown, context: string) => void;
}

export interface ApprovalTickReport {
  /** false: another replica holds the lease, nothing was done. */
  holder: boolean;
  /** Ids of the requests expired, every pair's. */
  expired: string[];
  /** One report per pair whose connector could be checked. */
  drifts: DriftReport[];
  /** The pairs whose drift was announced. */
  announced: string[];
  errors: number;
}

export interface ApprovalScheduler {
  /** Starts the loop; the first tick runs at once. Idempotent. */
  start(): void;
  /** Stops the loop, waits for a running tick, and releases the lease. */
  stop(): Promise<void>;
  /** One tick now (tests, and the loop itself). Never throws. */
  runOnce(): Promise<ApprovalTickReport>;
  /** Whether this replica held the lease at its last tick. */
  isHolder(): boolean;
}

export function createApprovalScheduler(deps: ApprovalSchedulerDeps): ApprovalScheduler {
  const intervalMs = deps.intervalMs ?? DEFAULT_APPROVAL_SCHEDULER_INTERVAL_MS;
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new TypeError(`createApprovalScheduler: intervalMs must be a positive number of milliseconds, got ${String(deps.intervalMs)}`);
  }
  const leaseName = deps.leaseName ?? APPROVAL_SCHEDULER_LEASE;
  // Outlives a slow tick (ARM retries can take tens of seconds) yet lets a standby replica take
  // over within a few intervals when the holder dies.
  const leaseMs = Math.max(30_000, intervalMs * 3);
  const log = deps.log ?? createSilentLogger();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let holder = false;
  let current: Promise<ApprovalTickReport> | null = null;

  function report(error: unknown, context: string): void {
    log.warn({ err: error, context }, `approval scheduler: ${context} failed; trying again next tick`);
    try {
      deps.onError?.(error, context);
    } catch {
      // An error callback must not break the loop either.
    }
  }

  type PairService = ApprovalSchedulerDeps['services'][number];

  async function refreshCards(service: PairService, ids: readonly string[], requests: readonly ApprovalRequest[], counter: { errors: number }): Promise<void> {
    const byId = new Map(requests.map((r) => [r.id, r]));
    for (const id of ids) {
      try {
        const request = byId.get(id) ?? (await service.get(id));
        if (request) await deps.publisher.updateApprovalCards(request);
      } catch (error) {
        counter.errors += 1;
        report(error, `updating the cards of request ${id}`);
      }
    }
  }

  async function pairChores(service: PairService, result: ApprovalTickReport): Promise<void> {
    const pairId = service.pairId;
    try {
      const expired = await service.expireDue();
      result.expired.push(...expired.map((r) => r.id));
      await refreshCards(service, expired.map((r) => r.id), expired, result);
    } catch (error) {
      result.errors += 1;
      report(error, `expiring overdue requests of pair ${pairId}`);
    }

    try {
      const drift = await service.detectDrift();
      result.drifts.push(drift);
      if (drift.drifted) {
        log.info({ pairId, changes: drift.changes.length, staleRequestIds: drift.staleRequestIds }, 'connector changed outside the bridge');
        try {
          if (await deps.publisher.announceDrift(drift)) result.announced.push(pairId);
        } catch (error) {
          result.errors += 1;
          report(error, `announcing connector drift of pair ${pairId}`);
        }
        await refreshCards(service, drift.staleRequestIds, [], result);
      }
    } catch (error) {
      result.errors += 1;
      report(error, `checking the connector of pair ${pairId} for drift`);
    }
  }

  async function tick(): Promise<ApprovalTickReport> {
    const result: ApprovalTickReport = { holder: false, expired: [], drifts: [], announced: [], errors: 0 };
    try {
      holder = (await deps.leases.tryAcquire(leaseName, deps.replicaId, leaseMs)) !== null;
    } catch (error) {
      holder = false;
      result.errors += 1;
      report(error, 'acquiring the scheduler lease');
      return result;
    }
    result.holder = holder;
    if (!holder) return result;

    for (const service of deps.services) await pairChores(service, result);
    return result;
  }

  function runOnce(): Promise<ApprovalTickReport> {
    // Ticks never overlap: a second caller shares the running one.
    if (current) return current;
    const started = tick().finally(() => {
      current = null;
    });
    current = started;
    return started;
  }

  function schedule(delayMs: number): void {
    if (!running) return;
    timer = setTimeout(() => {
      timer = undefined;
      void runOnce().then(() => schedule(intervalMs));
    }, delayMs);
    timer.unref?.();
  }

  return {
    start() {
      if (running) return;
      running = true;
      schedule(0);
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (current) await current;
      if (holder) {
        holder = false;
        await deps.leases.release(leaseName, deps.replicaId).catch((error: unknown) => report(error, 'releasing the scheduler lease'));
      }
    },
    runOnce,
    isHolder: () => holder,
  };
}
