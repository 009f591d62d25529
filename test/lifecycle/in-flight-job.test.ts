// SIGTERM while a job is in flight: an analyst's tag edit whose Defender write is held open by the
// Graph simulator when the bridge is stopped. The process still exits within 5 s, the job goes back
// to its queue (pg-boss: 'retry'), and after a restart the same job completes and both portals show
// the tag. The store is a PostgreSQL database of this test's own, so the job can be watched while
// the bridge runs (skipped when the server is unreachable, unless REQUIRE_POSTGRES=1).
import { afterAll, afterEach, beforeAll, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { QUEUES } from '../../src/sync/sync-context.ts';
import { startRecordingConnector, type RecordingConnector } from '../e2e/support/recording-connector.ts';
import { messageActivity, TENANT } from '../bot/support/activities.ts';
import { describePostgres, POSTGRES_URL } from '../store/support/postgres.ts';
import { killIfRunning, postActivity, simControl, startProduct, testDataDir, waitFor, type ProductProcess } from './support/product-process.ts';

const TAG = 'held-by-shutdown';

interface JobRow {
  id: string;
  state: string;
  retry_count: number;
  output: unknown;
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describePostgres('a job in flight at SIGTERM', () => {
  const database = `ib_lifecycle_${randomBytes(4).toString('hex')}`;
  const databaseUrl = (() => {
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${database}`;
    return url.toString();
  })();
  let data: ReturnType<typeof testDataDir>;
  let connector: RecordingConnector;
  let product: ProductProcess | undefined;

  const applyEditJobs = () => withClient(databaseUrl, async (client) => (await client.query<JobRow>('SELECT id, state, retry_count, output FROM pgboss.job WHERE name = $1 ORDER BY created_on', [QUEUES.applyEdit])).rows);
  const start = () => startProduct(data.path, { via: 'node', env: { DATABASE_URL: databaseUrl, ALLOWED_TENANTS: TENANT } });
  const ask = (running: ProductProcess, text: string) => postActivity(running, { ...messageActivity(text), serviceUrl: connector.url });

  beforeAll(async () => {
    await withClient(POSTGRES_URL, (client) => client.query(`CREATE DATABASE ${database}`));
    data = testDataDir('in-flight-job');
    connector = await startRecordingConnector();
  });

  afterEach(() => {
    killIfRunning(product);
    product = undefined;
  });

  afterAll(async () => {
    await connector?.close();
    data?.remove();
    await withClient(POSTGRES_URL, (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  });

  test('returns to its queue, and the same job completes after a restart', async () => {
    product = await start();
    const first = product;
    const { json } = await simControl(first, 'POST', '/_sim/alerts', { serviceSource: 'microsoftDefenderForEndpoint', title: 'Edited during a shutdown', severity: 'medium' });
    const defenderId = (json as { incidentId: string }).incidentId;
    // Linked in both portals once the incident's card offers both.
    await waitFor(`incident ${defenderId} linked to its Sentinel copy`, async () => {
      const seen = connector.calls.length;
      await ask(first, `/incident ${defenderId}`);
      return connector.calls.slice(seen).some((call) => JSON.stringify(call.body).includes('Open in Sentinel'));
    }, 30_000);

    // The Defender write of the edit is held for ten minutes: the job is in flight at the signal.
    await simControl(first, 'POST', '/_sim/faults', { api: 'graph', method: 'PATCH', pathPattern: `^/v1\\.0/security/incidents/${defenderId}$`, latencyMs: 600_000, count: 1 });
    expect(await ask(first, `/tag ${defenderId} +${TAG}`)).toBe(200);
    await waitFor('the Defender write to be held', async () => ((await simControl(first, 'GET', '/_sim/faults')).json as unknown[]).length === 0, 30_000);
    const [inFlight] = await applyEditJobs();
    expect(inFlight?.state).toBe('active');

    const sentAt = Date.now();
    first.child.kill('SIGTERM');
    const { code, at } = await first.exited;
    expect({ code, withinLimit: at - sentAt < 5_000 }).toEqual({ code: 0, withinLimit: true });
    const [returned] = await applyEditJobs();
    expect(returned).toMatchObject({ id: inFlight?.id, state: 'retry', output: { value: 'pg-boss shut down while active' } });

    product = await start();
    const second = product;
    await waitFor(`job ${inFlight?.id} completed after the restart`, async () => (await applyEditJobs()).find((job) => job.id === inFlight?.id)?.state === 'completed', 60_000);
    const state = (await simControl(second, 'GET', '/_sim/state')).json as { defenderIncidents: Array<{ id: string; customTags: string[] }>; sentinelIncidents: Array<{ providerIncidentId: string; labels: Array<{ labelName: string }> }> };
    expect(state.defenderIncidents.find((incident) => incident.id === defenderId)?.customTags).toContain(TAG);
    expect(state.sentinelIncidents.find((incident) => incident.providerIncidentId === defenderId)?.labels.map((label) => label.labelName)).toContain(TAG);
    second.child.kill('SIGTERM');
    await second.exited;
  }, 240_000);
});
