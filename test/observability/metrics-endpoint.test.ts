// GET /metrics of the real composition (startBridge over the embedded simulators, a fake Bot
// Connector for Teams): after incidents are synced, cards posted, an edit applied and a card
// action answered, every metric the README documents is exposed, the activity shows in its series,
// and every label value comes from a bounded set, however many incidents and conversations there are.
// The same run shows which units of work the bridge hands to tracing.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Activity } from 'botbuilder';
import { startBridge, type RunningBridge } from '../../src/start-bridge.ts';
import { INVOKE_NAMES } from '../../src/bot/adapter.ts';
import { SEND_RESULTS } from '../../src/bot/guarded-sender.ts';
import { loadConfig } from '../../src/config/config.ts';
import { readEnvironment } from '../../src/config/env-files.ts';
import { CHANGE_EVENT_KINDS } from '../../src/domain/change-events.ts';
import { EDIT_STATES } from '../../src/domain/edits.ts';
import { PORTALS } from '../../src/domain/incident.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import type { Traced } from '../../src/observability/tracing.ts';
import { PORTAL_OPERATIONS } from '../../src/portals/http/request-recorder.ts';
import { QUEUES } from '../../src/sync/sync-context.ts';
import { invokeActivity, messageActivity, ALICE } from '../bot/support/activities.ts';
import { startFakeConnector, type FakeConnector } from '../bot/support/fake-connector.ts';
import { waitFor } from '../sync-integration/support/harness.ts';
import { seedEmbeddedDatabase } from '../support/embedded-database.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The Agents Playground's tenant, which the local configuration serves. */
const SERVED_TENANT = '00000000-0000-0000-0000-0000000000001';

/** The metric names the README's "Metrics" table documents. */
function documentedMetrics(): string[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/^\| `(incident_bridge_[a-z_]+)` \|/gm)].map((match) => match[1]!);
}

interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The bridge's own samples in a Prometheus text exposition. */
function bridgeSeries(text: string): Series[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('incident_bridge_'))
    .map((line) => {
      const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`unreadable sample: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1]!, pair[2]!]));
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

const queues = Object.values(QUEUES) as string[];
/** Every value each label may take. */
const BOUNDED: Record<string, (value: string) => boolean> = {
  pair: (value) => value === 'default',
  portal: (value) => (PORTALS as readonly string[]).includes(value),
  operation: (value) => (PORTAL_OPERATIONS as readonly string[]).includes(value) || ['send', 'update', 'reply'].includes(value),
  status: (value) => /^[1-5]xx$/.test(value) || value === 'none',
  state: (value) => (EDIT_STATES as readonly string[]).includes(value) || ['ready', 'deferred', 'active'].includes(value),
  queue: (value) => queues.includes(value),
  consumer: (value) => value === 'teams-notifier',
  result: (value) => (SEND_RESULTS as readonly string[]).includes(value) || ['delivered', 'skipped', 'failed'].includes(value),
  reason: (value) => ['rate-limit', 'pause', 'retry'].includes(value),
  kind: (value) => (CHANGE_EVENT_KINDS as readonly string[]).includes(value),
  name: (value) => (INVOKE_NAMES as readonly string[]).includes(value),
  le: (value) => value === '+Inf' || Number.isFinite(Number(value)),
};

function unboundedLabels(series: Series[]): string[] {
  return series.flatMap((one) => Object.entries(one.labels).filter(([label, value]) => !BOUNDED[label]?.(value)).map(([label, value]) => `${one.name}{${label}="${value}"}`));
}

/** An activity in a channel of its own, from the served tenant. */
function inChannel<T extends Partial<Activity>>(activity: T, channelId: string, serviceUrl: string): T {
  const conversation = { ...activity.conversation, id: `${channelId};messageid=root-1`, tenantId: SERVED_TENANT } as Activity['conversation'];
  return { ...activity, serviceUrl, conversation, channelData: { tenant: { id: SERVED_TENANT }, team: { id: '19:team@thread.tacv2' }, channel: { id: channelId } } };
}

describe('GET /metrics of the running bridge', () => {
  const dataDir = path.join(ROOT, 'test-results', `metrics-endpoint-${randomUUID().slice(0, 8)}`);
  let bridge: RunningBridge;
  let connector: FakeConnector;
  /** The units of work the bridge traced (what telemetry turns into spans). */
  const units: Array<{ name: string; attributes: Readonly<Record<string, string>> }> = [];
  const traced: Traced = (name, attributes, work) => {
    units.push({ name, attributes });
    return work();
  };

  beforeAll(async () => {
    connector = await startFakeConnector();
    await seedEmbeddedDatabase(dataDir);
    const config = loadConfig(
      readEnvironment(ROOT, { TEAMSFX_ENV: 'local', DATA_DIR: dataDir, PORTAL_CA_FILE: '', SIM_PORT: '0', SIM_EVENTS_PER_MINUTE: '0', POLL_INTERVAL_SECONDS: '0.5', LOG_LEVEL: 'silent' }),
    );
    bridge = await startBridge(config, { log: createSilentLogger(), port: 0, simulatorOverrides: { port: 0 }, trace: traced });
  }, 60_000);

  afterAll(async () => {
    await bridge?.close();
    await connector?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const post = (activity: Partial<Activity>) =>
    fetch(`${bridge.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
  const scrape = async () => (await fetch(`${bridge.url}/metrics`)).text();
  const postedCards = () => connector.calls.filter((call) => call.method === 'POST' && Array.isArray(call.body?.['attachments'])).length;

  /** Raises an incident in Defender and waits until the bridge linked it with its Sentinel copy. */
  async function linkedIncident(title: string): Promise<{ defenderId: string; linkId: string }> {
    const { incidentId } = bridge.simulators!.control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title, severity: 'high' });
    const link = await waitFor(`incident ${incidentId} to be linked`, async () => {
      const found = await bridge.context.store.links.findByDefenderId('default', incidentId);
      return found?.sentinelId && found.sentinelView ? found : null;
    });
    return { defenderId: incidentId, linkId: link.linkId };
  }

  test('after activity every documented metric is exposed, the activity shows, and every label value is bounded', async () => {
    const documented = documentedMetrics();
    expect(documented.length).toBeGreaterThanOrEqual(16);

    expect((await post(inChannel(messageActivity('/subscribe', { scope: 'channel' }), '19:metrics-a@thread.tacv2', connector.url))).status).toBe(200);
    const first = await linkedIncident('Metrics: first incident');
    await waitFor('a card to be posted', () => postedCards() >= 1);
    const { requestId } = await bridge.engine.api.submitEdit({ idempotencyKey: randomUUID(), linkId: first.linkId, changes: { tagsAdd: ['metrics'] }, actor: { objectId: ALICE.aadObjectId!, displayName: ALICE.name } });
    await waitFor('the edit to be completed', async () => (await bridge.engine.api.getEditOutcome(requestId))?.state === 'completed');
    const invoke = inChannel(invokeActivity('refreshCard', { linkId: first.linkId }, { scope: 'channel' }), '19:metrics-a@thread.tacv2', connector.url);
    expect((await post(invoke)).status).toBe(200);
    await waitFor('the notifier to deliver the edit', async () => bridgeSeries(await scrape()).some((one) => one.name === 'incident_bridge_notifier_deliveries_total' && one.value >= 2));

    const text = await scrape();
    for (const name of documented) expect(text).toContain(`# TYPE ${name} `);
    const series = bridgeSeries(text);
    const value = (name: string, labels: Record<string, string>) => series.find((one) => one.name === name && Object.entries(labels).every(([label, v]) => one.labels[label] === v))?.value;
    expect(value('incident_bridge_portal_requests_total', { pair: 'default', portal: 'defender', operation: 'list', status: '2xx' })).toBeGreaterThan(0);
    expect(value('incident_bridge_portal_requests_total', { pair: 'default', portal: 'sentinel', operation: 'write', status: '2xx' })).toBeGreaterThan(0);
    expect(value('incident_bridge_sync_lag_seconds', { pair: 'default', portal: 'defender' })).toBeLessThan(30);
    expect(value('incident_bridge_sync_lag_seconds', { pair: 'default', portal: 'sentinel' })).toBeLessThan(30);
    for (const queue of queues) {
      expect(value('incident_bridge_job_queue_jobs', { queue, state: 'ready' })).toEqual(expect.any(Number));
      expect(value('incident_bridge_job_queue_dead_jobs', { queue })).toBe(0);
    }
    expect(value('incident_bridge_edit_outcomes_total', { state: 'completed' })).toBe(1);
    expect(value('incident_bridge_teams_sends_total', { operation: 'send', result: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(value('incident_bridge_card_fanout_conversations_count', { kind: 'created' })).toBeGreaterThanOrEqual(1);
    expect(value('incident_bridge_notifier_deliveries_total', { result: 'delivered' })).toBeGreaterThanOrEqual(2);
    expect(value('incident_bridge_invoke_duration_seconds_count', { name: 'adaptiveCard/action', status: '2xx' })).toBe(1);
    expect(unboundedLabels(series)).toEqual([]);
    const unitNames = new Set(units.map((unit) => unit.name));
    for (const name of ['incident-bridge poll', 'incident-bridge sync-link', 'incident-bridge apply-edit', 'incident-bridge deliver']) expect(unitNames).toContain(name);
    expect(units.find((unit) => unit.name === 'incident-bridge apply-edit')?.attributes).toEqual({ 'incident_bridge.request': requestId });

    // More incidents, more conversations, and invokes named by the caller: still no new label values.
    for (const channel of ['19:metrics-b@thread.tacv2', '19:metrics-c@thread.tacv2']) {
      expect((await post(inChannel(messageActivity('/subscribe', { scope: 'channel' }), channel, connector.url))).status).toBe(200);
    }
    const cardsBefore = postedCards();
    const more = [await linkedIncident('Metrics: Jane Doe on host-4711'), await linkedIncident('Metrics: third')];
    await waitFor('cards in the three channels', () => postedCards() >= cardsBefore + 3 * more.length);
    await post({ ...invoke, name: `incident ${more[0]!.defenderId} for Jane Doe` });
    const after = bridgeSeries(await scrape());
    expect(unboundedLabels(after)).toEqual([]);
    const distinct = (all: Series[]) => new Set(all.flatMap((one) => Object.entries(one.labels).filter(([label]) => label !== 'le').map(([label, v]) => `${label}=${v}`)));
    const added = [...distinct(after)].filter((labelValue) => !distinct(series).has(labelValue));
    // New values can only be members of the fixed sets seen for the first time (say, another invoke name).
    expect(added.filter((labelValue) => /metrics-|Jane|4711|Metrics:/.test(labelValue) || more.some((incident) => labelValue.includes(incident.linkId)))).toEqual([]);
    expect(value('incident_bridge_invoke_duration_seconds_count', { name: 'adaptiveCard/action', status: '2xx' })).toBe(1);
    expect(after.find((one) => one.name === 'incident_bridge_invoke_duration_seconds_count' && one.labels['name'] === 'other')?.value).toBe(1);
  }, 120_000);
});
