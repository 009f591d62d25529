import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startTestSims } from './helpers.ts';
import type { TestSims } from './helpers.ts';

let sims: TestSims;
beforeAll(async () => {
  sims = await startTestSims();
});
afterAll(async () => {
  await sims.stop();
});
beforeEach(() => {
  sims.control.reset();
});

describe('/_sim control API', () => {
  test('faults answer the next `count` matching requests, then the service answers again', async () => {
    const added = await sims.http('POST', '/_sim/faults', { body: { api: 'graph', method: 'GET', pathPattern: '^/v1\\.0/security/incidents$', status: 503, retryAfterSeconds: 2, count: 2 } });
    expect(added.status).toBe(201);
    for (let i = 0; i < 2; i++) {
      const failed = await sims.graph('GET', '/v1.0/security/incidents');
      expect(failed.status).toBe(503);
      expect(failed.headers['retry-after']).toBe('2');
      expect(failed.json.error.code).toBe('ServiceUnavailable');
    }
    expect((await sims.graph('GET', '/v1.0/security/incidents')).status).toBe(200);
  });

  test('latency-only faults delay and then serve; DELETE clears faults; ARM faults use the ARM error shape', async () => {
    await sims.http('POST', '/_sim/faults', { body: { api: 'arm', latencyMs: 120, count: 1 } });
    const started = Date.now();
    expect((await sims.arm('GET', '/incidents')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    await sims.http('POST', '/_sim/faults', { body: { api: 'arm', status: 429, retryAfterSeconds: 1, count: 5 } });
    const throttled = await sims.arm('GET', '/incidents');
    expect(throttled.json).toEqual({ error: { code: 'TooManyRequests', message: expect.any(String) } });
    await sims.http('DELETE', '/_sim/faults');
    expect((await sims.arm('GET', '/incidents')).status).toBe(200);
  });

  test('GET /_sim/faults lists the faults still armed; a held request has taken its fault\'s use on arrival', async () => {
    await sims.http('POST', '/_sim/faults', { body: { api: 'arm', method: 'GET', pathPattern: '/incidents$', latencyMs: 1500, count: 1 } });
    await sims.http('POST', '/_sim/faults', { body: { api: 'graph', status: 503, count: 2 } });
    expect((await sims.http('GET', '/_sim/faults')).json).toEqual([
      { api: 'arm', method: 'GET', pathPattern: '/incidents$', latencyMs: 1500, count: 1, remaining: 1 },
      { api: 'graph', status: 503, count: 2, remaining: 2 },
    ]);
    const held = sims.arm('GET', '/incidents');
    for (;;) {
      const armed = (await sims.http('GET', '/_sim/faults')).json as Array<{ api: string }>;
      if (!armed.some((fault) => fault.api === 'arm')) break;
    }
    expect(sims.control.faults()).toEqual([{ api: 'graph', status: 503, count: 2, remaining: 2 }]);
    expect((await held).status).toBe(200);
  });

  test('a rewrite fault serves the response with one field of one record rewritten or removed; the incident is unchanged', async () => {
    for (const title of ['One', 'Two']) await sims.http('POST', '/_sim/alerts', { body: { serviceSource: 'microsoftDefenderForEndpoint', title, severity: 'low', correlationKey: title } });
    const before = (await sims.graph('GET', '/v1.0/security/incidents')).json.value as Array<Record<string, unknown>>;
    const target = before[0]!;
    const added = await sims.http('POST', '/_sim/faults', { body: { api: 'graph', method: 'GET', pathPattern: '^/v1\\.0/security/incidents$', rewrite: { field: 'lastUpdateDateTime', value: 'not a date', id: target.id }, count: 1 } });
    expect(added.status).toBe(201);
    const rewritten = (await sims.graph('GET', '/v1.0/security/incidents')).json.value as Array<Record<string, unknown>>;
    expect(rewritten.map((incident) => incident.lastUpdateDateTime)).toEqual(before.map((incident) => (incident.id === target.id ? 'not a date' : incident.lastUpdateDateTime)));
    expect((await sims.graph('GET', '/v1.0/security/incidents')).json.value).toEqual(before);

    // Rewrites combine: two at once, each on its own record.
    for (const [index, value] of ['first', 'second'].entries()) {
      await sims.http('POST', '/_sim/faults', { body: { api: 'graph', method: 'GET', rewrite: { field: 'lastUpdateDateTime', value, id: before[index]!.id }, count: 1 } });
    }
    const both = (await sims.graph('GET', '/v1.0/security/incidents')).json.value as Array<Record<string, unknown>>;
    expect(both.slice(0, 2).map((incident) => incident.lastUpdateDateTime)).toEqual(['first', 'second']);

    await sims.http('POST', '/_sim/faults', { body: { api: 'arm', method: 'GET', pathPattern: '/incidents$', rewrite: { field: 'properties.lastModifiedTimeUtc', value: null }, count: 1 } });
    const arm = (await sims.arm('GET', '/incidents')).json.value as Array<{ properties: Record<string, unknown> }>;
    expect(arm.length).toBeGreaterThan(0);
    for (const incident of arm) expect('lastModifiedTimeUtc' in incident.properties).toBe(false);
    expect(((await sims.arm('GET', '/incidents')).json.value as Array<{ properties: Record<string, unknown> }>)[0]!.properties.lastModifiedTimeUtc).toEqual(expect.any(String));

    for (const rewrite of [{ field: 'a..b', value: 1 }, { field: 'x' }, { field: 'x', value: 1, id: 7 }]) {
      expect((await sims.http('POST', '/_sim/faults', { body: { api: 'graph', rewrite, count: 1 } })).status).toBe(400);
    }
    expect((await sims.http('POST', '/_sim/faults', { body: { api: 'graph', status: 500, rewrite: { field: 'x', value: 1 }, count: 1 } })).status).toBe(400);
  });

  test('GET /_sim/requests counts per API and records the calling app', async () => {
    await sims.graph('GET', '/v1.0/security/incidents');
    await sims.arm('GET', '/incidents');
    const log = await sims.http('GET', '/_sim/requests');
    expect(log.json.counts.graph).toBe(1);
    expect(log.json.counts.arm).toBe(1);
    expect(log.json.counts.entra).toBeGreaterThanOrEqual(0);
    expect(log.json.recent.find((entry: { api: string }) => entry.api === 'graph')).toMatchObject({ method: 'GET', status: 200, appId: 'app-writer' });
  });

  test('alerts, config and reset over HTTP; bad input is 400 with a message', async () => {
    const raised = await sims.http('POST', '/_sim/alerts', { body: { serviceSource: 'microsoftCloudAppSecurity', title: 'Impossible travel activity', severity: 'Medium', correlationKey: 'k' } });
    expect(raised.status).toBe(201);
    expect(raised.json).toEqual({ alertId: expect.stringMatching(/^da\d+_\d+$/), incidentId: '1' });
    const again = await sims.http('POST', '/_sim/alerts', { body: { serviceSource: 'azureAdIdentityProtection', title: 'Leaked credentials', severity: 'high', correlationKey: 'k' } });
    expect(again.json.incidentId).toBe('1'); // correlated into the same incident
    const alert = await sims.graph('GET', `/v1.0/security/alerts_v2/${raised.json.alertId}`);
    expect(alert.json.serviceSource).toBe('microsoftDefenderForCloudApps');
    const config = await sims.http('POST', '/_sim/config', { body: { coalesceWindowMs: 5, graphWritableFields: ['assignedTo'] } });
    expect(config.json).toMatchObject({ coalesceWindowMs: 5, graphWritableFields: ['assignedTo'] });
    await sims.http('POST', '/_sim/config', { body: { coalesceWindowMs: 0, graphWritableFields: ['assignedTo', 'classification', 'determination', 'status', 'customTags', 'displayName', 'description', 'summary'] } });
    for (const [path, body] of [
      ['/_sim/alerts', { serviceSource: 'nope', title: 't', severity: 'low' }],
      ['/_sim/alerts', { serviceSource: 'microsoftDefenderForEndpoint', title: '', severity: 'low' }],
      ['/_sim/config', { integrationMethod: 'carrier-pigeon' }],
      ['/_sim/faults', { api: 'graph', count: 0, status: 500 }],
      ['/_sim/faults', { api: 'graph', count: 1, status: 500, pathPattern: '(' }],
      ['/_sim/native-sync', { enabled: 'yes' }],
      ['/_sim/incidents/1/merge', { into: 1 }],
    ] as const) {
      const result = await sims.http('POST', path, { body });
      expect([path, result.status]).toEqual([path, 400]);
      expect(typeof result.json.error).toBe('string');
    }
    expect((await sims.http('POST', '/_sim/alerts', { body: 'not json' })).status).toBe(400);
    await sims.http('POST', '/_sim/reset');
    expect((await sims.graph('GET', '/v1.0/security/incidents')).json.value).toEqual([]);
    expect((await sims.http('GET', '/_sim/requests')).json.counts.graph).toBe(1);
  });

  test('the control API can be turned off', async () => {
    const off = await (await import('./helpers.ts')).startTestSims({ controlApi: false });
    try {
      expect((await off.http('POST', '/_sim/reset')).status).toBe(404);
    } finally {
      await off.stop();
    }
  });
});
