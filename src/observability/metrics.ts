// Prometheus metrics (prom-client), on a registry of their own: created once in the composition
// root and injected, so tests build as many as they like and nothing touches prom-client's global
// default registry. GET /metrics (server/http.ts) renders it.
//
// The modules that count things declare the narrow recorder they need (SyncMetrics, the portals'
// PortalRequestRecorder, TeamsSendMetrics, NotifierMetrics, InvokeMetrics); this file implements
// them all. Gauges of shared state (quarantine, parked events, sync lag, job queues) are read from
// the store when scraped, so every replica reports the same values.
//
// Labels are bounded: pair ids and portals come from the configuration, the others from fixed
// sets. No label ever carries an incident, a title, a conversation or a person. The README's
// "Metrics" section lists every metric with what it means and an alert to start from.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ChangeEventKind } from '../domain/change-events.ts';
import type { EditState } from '../domain/edits.ts';
import type { Portal } from '../domain/incident.ts';
import type { InvokeMetrics, InvokeName } from '../bot/adapter.ts';
import type { SendResult, TeamsSendMetrics, TeamsWaitReason } from '../bot/guarded-sender.ts';
import type { DeliveryResult, NotifierMetrics } from '../bot/notifier.ts';
import type { SendOperation } from '../bot/send-policy.ts';
import type { PortalOperation, PortalRequestRecorder } from '../portals/http/request-recorder.ts';
import type { SyncMetrics } from '../sync/sync-context.ts';

export interface QuarantineCount {
  pairId: string;
  portal: Portal;
  count: number;
}

export interface ParkedEventCount {
  consumer: string;
  count: number;
}

/** When a pair's watcher last finished listing a portal (the start of that listing). */
export interface SyncListing {
  pairId: string;
  portal: Portal;
  listedAt: string;
}

/** A job queue's jobs by state. */
export interface JobQueueCount {
  queue: string;
  ready: number;
  deferred: number;
  active: number;
}

export interface DeadJobCount {
  /** The queue whose jobs these were (not its dead-letter queue's name). */
  queue: string;
  count: number;
}

export interface MetricsOptions {
  /** Records in quarantine now, per pair and portal (the store's count: every replica agrees). */
  quarantineCounts: () => Promise<QuarantineCount[]>;
  /** Change events parked now, per consumer (the store's count). */
  parkedEventCounts: () => Promise<ParkedEventCount[]>;
  /** The last completed listing of each configured pair and portal (the store's). */
  syncListings: () => Promise<SyncListing[]>;
  /** The sync job queues' counts (pg-boss's). */
  jobQueueCounts: () => Promise<JobQueueCount[]>;
  /** Jobs in each sync queue's dead-letter queue (pg-boss's). */
  deadJobCounts: () => Promise<DeadJobCount[]>;
  /** Reports a failed read of a gauge's values (named); that gauge keeps its last values. */
  onCollectError?: (error: unknown, metric: string) => void;
  /** Epoch milliseconds, for the sync lag. Default Date.now. */
  now?: () => number;
}

export interface Metrics extends SyncMetrics, TeamsSendMetrics, NotifierMetrics, InvokeMetrics {
  readonly contentType: string;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>;
  /** The recorder of one pair's portal client. */
  portalRequests(pairId: string, portal: Portal): PortalRequestRecorder;
}

/**
 * Teams waits about 5 s for an invoke's answer and the bot answers within its 4 s deadline
 * (bot/bot-application.ts), so the buckets are finest between 2 and 6 s.
 */
export const INVOKE_SECONDS_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 4, 4.5, 5, 6, 8, 10, 15];
/** Conversations one change reaches: one channel to an MSSP's hundreds. */
export const FAN_OUT_BUCKETS = [0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];

/** 2xx, 4xx, ...; 'none' when no response came. */
export function statusClass(status: number | undefined): string {
  return status === undefined ? 'none' : `${Math.floor(status / 100)}xx`;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const now = options.now ?? Date.now;

  /**
   * A gauge whose values are read when scraped. A failed read is reported and keeps the values of
   * the last good one; the rest of the scrape still renders.
   */
  function storeGauge<T>(name: string, help: string, labelNames: string[], read: () => Promise<T[]>, set: (gauge: Gauge, item: T) => void): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        let items: T[];
        try {
          items = await read();
        } catch (error) {
          options.onCollectError?.(error, name);
          return;
        }
        this.reset();
        for (const item of items) set(this, item);
      },
    });
  }

  const quarantinedTotal = new Counter({
    name: 'incident_bridge_quarantined_records_total',
    help: 'Incident records the store refused and quarantined (each counted once, when it entered quarantine).',
    labelNames: ['pair', 'portal'],
    registers: [registry],
  });
  storeGauge('incident_bridge_quarantined_records', 'Incident records in quarantine now, waiting for a retry.', ['pair', 'portal'], options.quarantineCounts, (gauge, { pairId, portal, count }) =>
    gauge.set({ pair: pairId, portal }, count),
  );
  const parkedTotal = new Counter({
    name: 'incident_bridge_parked_events_total',
    help: 'Change events a consumer kept failing on and that were parked so later events could be delivered.',
    labelNames: ['consumer'],
    registers: [registry],
  });
  storeGauge('incident_bridge_parked_events', 'Change events parked now, per consumer.', ['consumer'], options.parkedEventCounts, (gauge, { consumer, count }) => gauge.set({ consumer }, count));

  storeGauge(
    'incident_bridge_sync_lag_seconds',
    "Seconds since the start of the watcher's last completed listing of the portal: changes committed since may not be seen yet.",
    ['pair', 'portal'],
    options.syncListings,
    (gauge, { pairId, portal, listedAt }) => gauge.set({ pair: pairId, portal }, Math.max(0, (now() - Date.parse(listedAt)) / 1000)),
  );
  storeGauge('incident_bridge_job_queue_jobs', 'Jobs in a sync queue by state (ready, deferred, active), as the job queue last counted them.', ['queue', 'state'], options.jobQueueCounts, (gauge, counts) => {
    for (const state of ['ready', 'deferred', 'active'] as const) gauge.set({ queue: counts.queue, state }, counts[state]);
  });
  storeGauge('incident_bridge_job_queue_dead_jobs', "Jobs whose retries were exhausted, waiting in their queue's dead-letter queue.", ['queue'], options.deadJobCounts, (gauge, { queue, count }) =>
    gauge.set({ queue }, count),
  );

  const portalRequestsTotal = new Counter({
    name: 'incident_bridge_portal_requests_total',
    help: 'HTTP requests to a portal (each attempt, retries included), by operation and status class.',
    labelNames: ['pair', 'portal', 'operation', 'status'],
    registers: [registry],
  });
  const portalThrottledTotal = new Counter({
    name: 'incident_bridge_portal_throttled_total',
    help: 'Portal answers with HTTP 429 (too many requests).',
    labelNames: ['pair', 'portal', 'operation'],
    registers: [registry],
  });

  const editOutcomesTotal = new Counter({
    name: 'incident_bridge_edit_outcomes_total',
    help: 'Edit requests whose outcome became final, by state (completed, partial, failed).',
    labelNames: ['state'],
    registers: [registry],
  });

  const teamsSendsTotal = new Counter({
    name: 'incident_bridge_teams_sends_total',
    help: 'Proactive Teams sends, updates and replies, by how they ended after retries.',
    labelNames: ['operation', 'result'],
    registers: [registry],
  });
  const teamsThrottledTotal = new Counter({
    name: 'incident_bridge_teams_throttled_total',
    help: 'Teams answers with HTTP 429 that reached the bridge (after the Bot Connector client retried).',
    labelNames: ['operation'],
    registers: [registry],
  });
  const teamsWaitSecondsTotal = new Counter({
    name: 'incident_bridge_teams_wait_seconds_total',
    help: 'Seconds Teams sends waited before an attempt: for rate-limit tokens, a shared Retry-After pause, or a retry backoff.',
    labelNames: ['reason'],
    registers: [registry],
  });

  const fanOut = new Histogram({
    name: 'incident_bridge_card_fanout_conversations',
    help: 'Conversations one change event was queued for (announced cards and card copies), by event kind.',
    labelNames: ['kind'],
    buckets: FAN_OUT_BUCKETS,
    registers: [registry],
  });
  const deliveriesTotal = new Counter({
    name: 'incident_bridge_notifier_deliveries_total',
    help: "Bursts of one incident's changes for one conversation brought to its cards, by result.",
    labelNames: ['result'],
    registers: [registry],
  });

  const invokeSeconds = new Histogram({
    name: 'incident_bridge_invoke_duration_seconds',
    help: 'Seconds from receiving a Teams invoke (a card action) to answering it, by invoke name and status class.',
    labelNames: ['name', 'status'],
    buckets: INVOKE_SECONDS_BUCKETS,
    registers: [registry],
  });

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    recordQuarantined: (pairId, portal) => quarantinedTotal.inc({ pair: pairId, portal }),
    recordParkedEvent: (consumer) => parkedTotal.inc({ consumer }),
    recordEditOutcome: (state: EditState) => editOutcomesTotal.inc({ state }),
    portalRequests: (pairId, portal) => ({
      recordRequest(operation: PortalOperation, status: number | undefined) {
        portalRequestsTotal.inc({ pair: pairId, portal, operation, status: statusClass(status) });
        if (status === 429) portalThrottledTotal.inc({ pair: pairId, portal, operation });
      },
    }),
    recordSend: (operation: SendOperation, result: SendResult) => teamsSendsTotal.inc({ operation, result }),
    recordThrottled: (operation: SendOperation) => teamsThrottledTotal.inc({ operation }),
    recordWait: (reason: TeamsWaitReason, seconds: number) => teamsWaitSecondsTotal.inc({ reason }, seconds),
    recordFanOut: (kind: ChangeEventKind, conversations: number) => fanOut.observe({ kind }, conversations),
    recordDelivery: (result: DeliveryResult) => deliveriesTotal.inc({ result }),
    observeInvoke: (name: InvokeName, status: number, seconds: number) => invokeSeconds.observe({ name, status: statusClass(status) }, seconds),
  };
}
