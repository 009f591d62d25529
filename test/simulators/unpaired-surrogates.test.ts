// The simulators serve strings as JSON allows, as the real services can: a lone surrogate goes out
// as "\udXXX" and NUL as "\u0000" (well-formed JSON.stringify), in Graph and in ARM responses.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestSims, waitFor, type TestSims } from './helpers.ts';

const TITLE = 'file name \ud800.exe \u0000 tail';

describe('simulators serve unpaired surrogates and NUL escaped', () => {
  let sims: TestSims;
  beforeAll(async () => {
    sims = await startTestSims();
  });
  afterAll(async () => {
    await sims.stop();
  });

  test('raised through /_sim/alerts, served by Graph and ARM as \\udXXX and \\u0000 escapes', async () => {
    const body = JSON.stringify({ serviceSource: 'microsoftDefenderForEndpoint', title: TITLE, severity: 'high' });
    expect(body).toContain('\\ud800');
    const raised = await sims.http('POST', '/_sim/alerts', { body });
    expect(raised.status).toBe(201);
    const incidentId = raised.json.incidentId as string;

    const graph = await sims.graph('GET', `/v1.0/security/incidents/${incidentId}`);
    expect(graph.status).toBe(200);
    expect(graph.text).toContain('file name \\ud800.exe \\u0000 tail');
    expect(graph.json.displayName).toBe(TITLE);

    const sentinel = await waitFor(() => sims.control.sentinelCounterpart(incidentId), 'the Sentinel counterpart');
    const arm = await sims.arm('GET', `/incidents/${sentinel.name}`);
    expect(arm.status).toBe(200);
    expect(arm.text).toContain('\\ud800');
    expect(arm.json.properties.title).toBe(TITLE);
  });
});
