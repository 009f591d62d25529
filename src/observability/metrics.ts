// Prometheus metrics (prom-client), on a registry of their own: created once in the composition
// root and injected, so tests build as many as they like and nothing touches prom-client's global
// default registry. GET /metrics (server/http.ts) renders it.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Portal } from '../domain/incident.ts';
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

export interface MetricsOptions {
  /** Records in quarantine now, per pair and portal (the store's count: every replica agrees). */
  quarantineCounts: () => Promise<QuarantineCount[]>;
  /** Change events parked now, per consumer (the store's count). */
  parkedEventCounts: () => Promise<ParkedEventCount[]>;
  /** Reports a failed read of a count; that gauge keeps its last values. */
  onCollectError?: (error: unknown) => void;
}

/** Reads the store's counts for a gauge at scrape time; a failed read keeps the gauge's last values. */
async function storeCounts<T>(read: () => Promise<T[]>, onError: MetricsOptions['onCollectError']): Promise<T[] | null> {
  try {
    return await read();
  } catch (error) {
    onError?.(error);
    return null;
  }
}

export interface Metrics extends SyncMetrics {
  readonly contentType: string;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const quarantinedTotal = new Counter({
    name: 'incident_bridge_quarantined_records_total',
    help: 'Incident records the store refused and quarantined (each counted once, when it entered quarantine).',
    labelNames: ['pair', 'portal'],
    registers: [registry],
  });
  new Gauge({
    name: 'incident_bridge_quarantined_records',
    help: 'Incident records in quarantine now, waiting for a retry.',
    labelNames: ['pair', 'portal'],
    registers: [registry],
    async collect() {
      const counts = await storeCounts(options.quarantineCounts, options.onCollectError);
      if (counts === null) return;
      this.reset();
      for (const { pairId, portal, count } of counts) this.set({ pair: pairId, portal }, count);
    },
  });
  const parkedTotal = new Counter({
    name: 'incident_bridge_parked_events_total',
    help: 'Change events a consumer kept failing on and that were parked so later events could be delivered.',
    labelNames: ['consumer'],
    registers: [registry],
  });
  new Gauge({
    name: 'incident_bridge_parked_events',
    help: 'Change events parked now, per consumer.',
    labelNames: ['consumer'],
    registers: [registry],
    async collect() {
      const counts = await storeCounts(options.parkedEventCounts, options.onCollectError);
      if (counts === null) return;
      this.reset();
      for (const { consumer, count } of counts) this.set({ consumer }, count);
    },
  });
  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    recordQuarantined: (pairId, portal) => quarantinedTotal.inc({ pair: pairId, portal }),
    recordParkedEvent: (consumer) => parkedTotal.inc({ consumer }),
  };
}
