import { afterEach, describe, expect, test } from '@jest/globals';
import { register as globalRegistry } from 'prom-client';
import { createMetrics, type MetricsOptions, type QuarantineCount } from '../../src/observability/metrics.ts';
import { createHttpServer, type HttpServer } from '../../src/server/http.ts';

/** Metrics whose store reads answer nothing unless a test says otherwise. */
function metricsWith(overrides: Partial<MetricsOptions> = {}) {
  return createMetrics({
    quarantineCounts: async () => [],
    parkedEventCounts: async () => [],
    syncListings: async () => [],
    jobQueueCounts: async () => [],
    deadJobCounts: async () => [],
    ...overrides,
  });
}

/** The value of one sample line, e.g. sample(text, 'x_total{a="b"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  test('the quarantine counter and gauge, and the process default metrics, on an injected registry only', async () => {
    let counts: QuarantineCount[] = [{ pairId: 'contoso', portal: 'defender', count: 2 }];
    const metrics = metricsWith({ quarantineCounts: async () => counts });
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
    expect(() => metricsWith()).not.toThrow();
    expect(await globalRegistry.getMetricsAsJSON()).toEqual([]);
  });

  test('a failed read keeps that gauge as it was and is reported by name; the other gauges still render', async () => {
    const errors: Array<{ error: unknown; metric: string }> = [];
    let fail = false;
    const metrics = metricsWith({
      quarantineCounts: async () => {
        if (fail) throw new Error('store down');
        return [{ pairId: 'p', portal: 'sentinel', count: 1 }];
      },
      parkedEventCounts: async () => [{ consumer: 'teams-notifier', count: fail ? 4 : 3 }],
      onCollectError: (error, metric) => errors.push({ error, metric }),
    });
    await metrics.render();
    fail = true;
    const text = await metrics.render();
    expect(text).toContain('incident_bridge_quarantined_records{pair="p",portal="sentinel"} 1');
    expect(text).toContain('incident_bridge_parked_events{consumer="teams-notifier"} 4');
    expect(errors).toEqual([{ error: expect.any(Error), metric: 'incident_bridge_quarantined_records' }]);
  });

  test('GET /metrics serves the Prometheus text format', async () => {
    const metrics = metricsWith({ quarantineCounts: async () => [{ pairId: 'p1', portal: 'defender', count: 3 }], parkedEventCounts: async () => [{ consumer: 'teams-notifier', count: 1 }] });
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
    const metrics = metricsWith({ parkedEventCounts: async () => counts });
    metrics.recordParkedEvent('teams-notifier');
    let text = await metrics.render();
    expect(text).toContain('incident_bridge_parked_events_total{consumer="teams-notifier"} 1');
    expect(text).toContain('incident_bridge_parked_events{consumer="teams-notifier"} 2');
    counts = [];
    text = await metrics.render();
    expect(text).not.toMatch(/^incident_bridge_parked_events\{/m);
  });

  test('sync lag is the time since the start of the last completed listing, per pair and portal, at scrape time', async () => {
    let now = Date.parse('2024-05-01T10:00:10.000Z');
    const metrics = metricsWith({
      now: () => now,
      syncListings: async () => [
        { pairId: 'contoso', portal: 'defender', listedAt: '2024-05-01T10:00:08.500Z' },
        { pairId: 'contoso', portal: 'sentinel', listedAt: '2024-05-01T10:00:04.000Z' },
      ],
    });
    let text = await metrics.render();
    expect(text).toContain('# TYPE incident_bridge_sync_lag_seconds gauge');
    expect(sample(text, 'incident_bridge_sync_lag_seconds{pair="contoso",portal="defender"}')).toBe(1.5);
    expect(sample(text, 'incident_bridge_sync_lag_seconds{pair="contoso",portal="sentinel"}')).toBe(6);
    // No new listing: the lag grows with the clock.
    now += 60_000;
    text = await metrics.render();
    expect(sample(text, 'incident_bridge_sync_lag_seconds{pair="contoso",portal="defender"}')).toBe(61.5);
  });

  test('job queue depth by state and dead jobs per queue, from the queue counts', async () => {
    const metrics = metricsWith({
      jobQueueCounts: async () => [{ queue: 'sync-link', ready: 3, deferred: 2, active: 1 }],
      deadJobCounts: async () => [{ queue: 'apply-edit', count: 4 }],
    });
    const text = await metrics.render();
    expect(sample(text, 'incident_bridge_job_queue_jobs{queue="sync-link",state="ready"}')).toBe(3);
    expect(sample(text, 'incident_bridge_job_queue_jobs{queue="sync-link",state="deferred"}')).toBe(2);
    expect(sample(text, 'incident_bridge_job_queue_jobs{queue="sync-link",state="active"}')).toBe(1);
    expect(sample(text, 'incident_bridge_job_queue_dead_jobs{queue="apply-edit"}')).toBe(4);
  });

  test('portal requests by pair, portal, operation and status class; 429s also on their own counter', async () => {
    const metrics = metricsWith();
    const contosoDefender = metrics.portalRequests('contoso', 'defender');
    contosoDefender.recordRequest('list', 200);
    contosoDefender.recordRequest('list', 429);
    contosoDefender.recordRequest('list', 200);
    contosoDefender.recordRequest('write', undefined);
    metrics.portalRequests('contoso', 'sentinel').recordRequest('comment', 409);
    const text = await metrics.render();
    expect(sample(text, 'incident_bridge_portal_requests_total{pair="contoso",portal="defender",operation="list",status="2xx"}')).toBe(2);
    expect(sample(text, 'incident_bridge_portal_requests_total{pair="contoso",portal="defender",operation="list",status="4xx"}')).toBe(1);
    expect(sample(text, 'incident_bridge_portal_requests_total{pair="contoso",portal="defender",operation="write",status="none"}')).toBe(1);
    expect(sample(text, 'incident_bridge_portal_requests_total{pair="contoso",portal="sentinel",operation="comment",status="4xx"}')).toBe(1);
    expect(sample(text, 'incident_bridge_portal_throttled_total{pair="contoso",portal="defender",operation="list"}')).toBe(1);
    expect(text).not.toMatch(/^incident_bridge_portal_throttled_total\{pair="contoso",portal="sentinel"/m);
  });

  test('edits, Teams sends, waits, fan-out, deliveries and invoke latency', async () => {
    const metrics = metricsWith();
    metrics.recordEditOutcome('completed');
    metrics.recordEditOutcome('partial');
    metrics.recordEditOutcome('completed');
    metrics.recordSend('update', 'ok');
    metrics.recordSend('send', 'conversation-gone');
    metrics.recordThrottled('reply');
    metrics.recordWait('retry', 2.5);
    metrics.recordWait('retry', 4);
    metrics.recordFanOut('updated', 3);
    metrics.recordFanOut('updated', 120);
    metrics.recordDelivery('delivered');
    metrics.observeInvoke('adaptiveCard/action', 200, 0.8);
    metrics.observeInvoke('adaptiveCard/action', 200, 4.7);
    const text = await metrics.render();
    expect(sample(text, 'incident_bridge_edit_outcomes_total{state="completed"}')).toBe(2);
    expect(sample(text, 'incident_bridge_edit_outcomes_total{state="partial"}')).toBe(1);
    expect(sample(text, 'incident_bridge_teams_sends_total{operation="update",result="ok"}')).toBe(1);
    expect(sample(text, 'incident_bridge_teams_sends_total{operation="send",result="conversation-gone"}')).toBe(1);
    expect(sample(text, 'incident_bridge_teams_throttled_total{operation="reply"}')).toBe(1);
    expect(sample(text, 'incident_bridge_teams_wait_seconds_total{reason="retry"}')).toBe(6.5);
    expect(sample(text, 'incident_bridge_card_fanout_conversations_bucket{le="5",kind="updated"}')).toBe(1);
    expect(sample(text, 'incident_bridge_card_fanout_conversations_bucket{le="250",kind="updated"}')).toBe(2);
    expect(sample(text, 'incident_bridge_card_fanout_conversations_sum{kind="updated"}')).toBe(123);
    expect(sample(text, 'incident_bridge_notifier_deliveries_total{result="delivered"}')).toBe(1);
    // Buckets around Teams' 5 s deadline tell a 4.7 s answer from a 0.8 s one.
    expect(sample(text, 'incident_bridge_invoke_duration_seconds_bucket{le="1",name="adaptiveCard/action",status="2xx"}')).toBe(1);
    expect(sample(text, 'incident_bridge_invoke_duration_seconds_bucket{le="4.5",name="adaptiveCard/action",status="2xx"}')).toBe(1);
    expect(sample(text, 'incident_bridge_invoke_duration_seconds_bucket{le="5",name="adaptiveCard/action",status="2xx"}')).toBe(2);
  });
});
