import { afterEach, describe, expect, test } from '@jest/globals';
import { register as globalRegistry } from 'prom-client';
import { createMetrics, type QuarantineCount } from '../../src/observability/metrics.ts';
import { createHttpServer, type HttpServer } from '../../src/server/http.ts';

describe('metrics', () => {
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  test('the quarantine counter and gauge, and the process default metrics, on an injected registry only', async () => {
    let counts: QuarantineCount[] = [{ pairId: 'contoso', portal: 'defender', count: 2 }];
    const metrics = createMetrics({ quarantineCounts: async () => counts, parkedEventCounts: async () => [] });
    metrics.recordQuarantined('contoso', 'defender');
    metrics.recordQuarantined('contoso', 'defender');
    metrics.recordQuarantined('fabrikam', 'sentinel');
    let text = await metrics.render();
    expect(text).toContain('incident_bridge_quarantined_records_total{pair="contoso",portal="defender"} 2');
    expect(text).toContain('incident_bridge_quarantined_records_total{pair="fabrikam",portal="sentinel"} 1');
    expect(text).toContain('incident_bridge_quarantined_records{pair="contoso",portal="defender"} 2');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_heap_size_used_bytes');

    // The gauge follows the store; a released record disappears from it.
    counts = [];
    text = await metrics.render();
    expect(text).not.toMatch(/^incident_bridge_quarantined_records\{/m);
    // Two instances do not collide, and prom-client's global registry is left alone.
    expect(() => createMetrics({ quarantineCounts: async () => [], parkedEventCounts: async () => [] })).not.toThrow();
    expect(await globalRegistry.getMetricsAsJSON()).toEqual([]);
  });

  test('a failed count keeps the gauge as it was and is reported; rendering still succeeds', async () => {
    const errors: unknown[] = [];
    let fail = false;
    const metrics = createMetrics({
      quarantineCounts: async () => {
        if (fail) throw new Error('store down');
        return [{ pairId: 'p', portal: 'sentinel', count: 1 }];
      },
      parkedEventCounts: async () => [],
      onCollectError: (error) => errors.push(error),
    });
    await metrics.render();
    fail = true;
    expect(await metrics.render()).toContain('incident_bridge_quarantined_records{pair="p",portal="sentinel"} 1');
    expect(errors).toHaveLength(1);
  });

  test('GET /metrics serves the Prometheus text format', async () => {
    const metrics = createMetrics({ quarantineCounts: async () => [{ pairId: 'p1', portal: 'defender', count: 3 }], parkedEventCounts: async () => [{ consumer: 'teams-notifier', count: 1 }] });
    server = createHttpServer({
      adapter: { handleRequest: async () => undefined },
      app: { run: async () => true },
      health: async () => ({}),
      metrics,
    });
    const port = await server.listen(0);
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(metrics.contentType);
    const body = await response.text();
    expect(body).toContain('# TYPE incident_bridge_quarantined_records gauge');
    expect(body).toContain('incident_bridge_quarantined_records{pair="p1",portal="defender"} 3');
    expect(body).toContain('# TYPE incident_bridge_quarantined_records_total counter');
    expect(body).toContain('# TYPE incident_bridge_parked_events gauge');
    expect(body).toContain('incident_bridge_parked_events{consumer="teams-notifier"} 1');
    expect(body).toContain('# TYPE incident_bridge_parked_events_total counter');
  });

  test('the parked-events counter and gauge: the counter per park, the gauge from the store', async () => {
    let counts = [{ consumer: 'teams-notifier', count: 2 }];
    const metrics = createMetrics({ quarantineCounts: async () => [], parkedEventCounts: async () => counts });
    metrics.recordParkedEvent('teams-notifier');
    let text = await metrics.render();
    expect(text).toContain('incident_bridge_parked_events_total{consumer="teams-notifier"} 1');
    expect(text).toContain('incident_bridge_parked_events{consumer="teams-notifier"} 2');
    counts = [];
    text = await metrics.render();
    expect(text).not.toMatch(/^incident_bridge_parked_events\{/m);
  });
});
