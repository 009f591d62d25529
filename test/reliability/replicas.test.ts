// Two replicas (child processes) on one PostgreSQL database, processing the same stream of portal
// changes: each change is written to the other portal once (simulator request log), exactly one
// replica runs the pair's watcher at a time, and when that replica is killed (kill -9) the other
// takes the watcher over within the lease TTL. Then analysts' edits of one incident, sent through
// both replicas at once while a portal user labels it, all land, each comment the number of times
// it was asked for. Needs the PostgreSQL server (DATABASE_URL or the
// local default); skipped when unreachable unless REQUIRE_POSTGRES=1.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DEFAULT_POLL_INTERVAL_SECONDS } from '../../src/config/config.ts';
import type { RunningSimulators } from '../../src/simulators/index.ts';
import { describePostgres, POSTGRES_URL } from '../store/support/postgres.ts';
import { replicaEnvironment, startReplica, waitFor, type ReplicaProcess } from './support/replica-process.ts';
import { commentBodies, countOf, startLocalSimulators } from './support/simulators.ts';

const POLL_SECONDS = 0.5;
// The engine's watcher lease: max(15 s, 5 polls) (src/sync/engine.ts). A takeover needs the lease to
// expire and the standby's next tick, one poll interval later.
const LEASE_TTL_MS = Math.max(15_000, POLL_SECONDS * 5 * 1000);

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function databaseUrl(name: string): string {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function watcherState(replica: ReplicaProcess): Promise<'polling' | 'standby' | 'other'> {
  const detail = (await replica.health())['watcher:default']?.detail ?? '';
  if (process.env['DEBUG_REPLICAS']) console.log(replica.pid, detail);
  return detail.startsWith('polling') ? 'polling' : detail.startsWith('standby') ? 'standby' : 'other';
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describePostgres('two replicas on one PostgreSQL database', () => {
  const database = `ib_replicas_${randomBytes(4).toString('hex')}`;
  let simulators: RunningSimulators;
  let simDir: string;
  const dataDirs: string[] = [];
  const replicas: ReplicaProcess[] = [];
  const environments: Array<ReturnType<typeof replicaEnvironment>> = [];
  const incidents: Array<{ defenderId: string; sentinelName: string }> = [];

  beforeAll(async () => {
    await adminQuery(`CREATE DATABASE ${database}`);
    simDir = mkdtempSync(join(tmpdir(), 'ib-replicas-sim-'));
    simulators = await startLocalSimulators(simDir);
    for (let i = 0; i < 6; i++) {
      const { incidentId } = simulators.control.raiseAlert({ serviceSource: 'microsoftDefenderForIdentity', title: `Replica incident ${i}`, severity: 'low', correlationKey: `replica-${i}` });
      incidents.push({ defenderId: incidentId, sentinelName: simulators.control.sentinelCounterpart(incidentId)!.name });
    }
    // Started one after the other: two fresh replicas would otherwise race to migrate the new database.
    for (const name of ['replica-a', 'replica-b']) {
      const dataDir = mkdtempSync(join(tmpdir(), `ib-${name}-`));
      dataDirs.push(dataDir);
      environments.push(replicaEnvironment(simulators, { dataDir, databaseUrl: databaseUrl(database), pollIntervalSeconds: POLL_SECONDS, replicaName: name }));
      replicas.push(await startReplica(environments.at(-1)!));
    }
  }, 120_000);

  afterAll(async () => {
    for (const replica of replicas) await replica.stop().catch(() => undefined);
    await simulators?.close();
    await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    for (const dir of [simDir, ...dataDirs]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the same stream is written once, by one watcher, and the standby takes over after a kill', async () => {
    const [a, b] = replicas as [ReplicaProcess, ReplicaProcess];
    await waitFor('all incidents linked', async () => (await a.events(0)).filter((event) => event.kind === 'created').length >= incidents.length, 60_000);

    // Exactly one replica polls the pair; sampled several times.
    for (let sample = 0; sample < 5; sample++) {
      const states = [await watcherState(a), await watcherState(b)].sort();
      expect(states).toEqual(['polling', 'standby']);
      await new Promise((resolve) => setTimeout(resolve, POLL_SECONDS * 1000));
    }

    // The stream: a Sentinel title change and a Defender comment on every incident.
    const since = new Date().toISOString();
    for (const [i, incident] of incidents.entries()) {
      simulators.control.analystUpdateSentinelIncident(incident.sentinelName, { title: `Retitled in Sentinel ${i}` }, 'bob.stone@contoso.com');
      simulators.control.analystCommentDefender(incident.defenderId, `Checked the sign-in logs ${i}`, 'ann.lee@contoso.com');
    }
    await waitFor('both changes on both portals', () => incidents.every((incident, i) =>
      simulators.control.defenderIncidents().find((d) => d.id === incident.defenderId)?.displayName === `Retitled in Sentinel ${i}`
      && commentBodies(simulators.control.sentinelComments(incident.sentinelName).map((c) => c.message)).includes(`Checked the sign-in logs ${i}`)), 60_000);
    // Give a second (wrong) writer time to show itself: a few more polls and job fetches.
    const settled = simulators.control.requests().counts;
    await waitFor('a few more polls', () => simulators.control.requests().counts.graph >= settled.graph + 6, 30_000);

    const writes = simulators.control.requests().recent.filter((entry) => entry.at >= since && entry.status < 300);
    for (const [i, incident] of incidents.entries()) {
      const patches = writes.filter((entry) => entry.method === 'PATCH' && entry.url.startsWith(`/v1.0/security/incidents/${incident.defenderId}`)).length;
      // A copied comment is PUT under an id derived from its source, so writing it again rewrites
      // the same comment: one id per copy, whoever wrote it (a second sync of the incident may).
      const commentIds = new Set(writes.filter((entry) => entry.method === 'PUT' && entry.url.includes(`/incidents/${incident.sentinelName}/comments/`)).map((entry) => entry.url.split('/comments/')[1]!.split('?')[0]));
      const graphComments = writes.filter((entry) => entry.method === 'POST' && entry.url.startsWith(`/v1.0/security/incidents/${incident.defenderId}/comments`)).length;
      expect({ incident: i, patches, commentIds: commentIds.size, graphComments }).toEqual({ incident: i, patches: 1, commentIds: 1, graphComments: 0 });
      const sentinelCopies = commentBodies(simulators.control.sentinelComments(incident.sentinelName).map((c) => c.message));
      expect(countOf(sentinelCopies, `Checked the sign-in logs ${i}`)).toBe(1);
    }

    // Kill the watcher's holder; the standby must take over within the lease TTL.
    const holder = (await watcherState(a)) === 'polling' ? a : b;
    const standby = holder === a ? b : a;
    const killedAt = Date.now();
    await holder.kill9();
    await waitFor('standby takes over the watcher', async () => (await watcherState(standby)) === 'polling', LEASE_TTL_MS + 10_000, 100);
    const takeoverMs = Date.now() - killedAt;
    // At the lease's first expiry and the standby's next tick, not a TTL later.
    expect(takeoverMs).toBeLessThan(2 * LEASE_TTL_MS);

    // And the survivor carries on alone: a new change still reaches the other portal, once.
    const after = new Date().toISOString();
    simulators.control.analystUpdateSentinelIncident(incidents[0]!.sentinelName, { title: 'Retitled after the takeover' }, 'bob.stone@contoso.com');
    await waitFor('change after takeover synced', () => simulators.control.defenderIncidents().find((d) => d.id === incidents[0]!.defenderId)?.displayName === 'Retitled after the takeover', 30_000);
    const later = simulators.control.requests().recent.filter((entry) => entry.at >= after && entry.method === 'PATCH' && entry.url.startsWith(`/v1.0/security/incidents/${incidents[0]!.defenderId}`));
    expect(later).toHaveLength(1);
  }, 240_000);

  test('analysts editing one incident through both replicas, with a portal user tagging in Sentinel, lose nothing and duplicate nothing', async () => {
    // Runs after the takeover test (the storm spends Graph's budget, which would throttle that test's
    // watcher). Both replicas start again on their data directories, at the product's default poll
    // interval: polling twice a second spends 120 of Graph's 150 requests a minute on listings,
    // and leaves the edits to queue behind the throttle for minutes.
    for (const [i, replica] of replicas.entries()) {
      if (isAlive(replica.pid)) await replica.stop();
      replicas[i] = await startReplica({ ...environments[i]!, POLL_INTERVAL_SECONDS: String(DEFAULT_POLL_INTERVAL_SECONDS) });
    }
    const [a, b] = replicas as [ReplicaProcess, ReplicaProcess];
    const { incidentId: defenderId } = simulators.control.raiseAlert({ serviceSource: 'microsoftDefenderForEndpoint', title: 'Raced by two replicas', severity: 'medium', correlationKey: 'replica-race' });
    const sentinelName = simulators.control.sentinelCounterpart(defenderId)!.name;
    const linkId = await waitFor('the raced incident linked', async () => (await a.events(0)).find((event) => event.kind === 'created' && event.incident.defender?.id === defenderId)?.linkId, 60_000);

    const analysts = Array.from({ length: 4 }, (_, n) => ({ objectId: `3f0c8a52-2222-4c1e-9d2a-5a6b7c8d9e0${n}`, upn: `analyst${n}@contoso.com`, displayName: `Analyst ${n}` }));
    // Twelve edits of one incident: each is a read-modify-write of both portals under Graph's 150
    // requests a minute, so more only stretch the run (bench:edits storms at scale).
    const tags = Array.from({ length: 8 }, (_, n) => `race-${n}`);
    const comments = ['Pulled the mail trace', 'Blocked the sender domain', 'Same words twice', 'Same words twice'];
    // Every edit at once, alternately through each replica: both replicas' job workers take them.
    const submitted = await Promise.all([
      ...tags.map((tag, n) => (n % 2 === 0 ? a : b).submit({ idempotencyKey: `race-tag-${n}`, linkId, changes: { tagsAdd: [tag] }, actor: analysts[n % analysts.length]! })),
      ...comments.map((comment, n) => (n % 2 === 0 ? b : a).submit({ idempotencyKey: `race-comment-${n}`, linkId, changes: { comment }, actor: analysts[n % analysts.length]! })),
    ]);
    // Meanwhile a portal user labels the incident in Sentinel (their own read-modify-write).
    const current = simulators.control.sentinelIncidents().find((incident) => incident.name === sentinelName)!;
    simulators.control.analystUpdateSentinelIncident(sentinelName, { labels: [...current.labels.map((label) => label.labelName), 'portal-race'] }, 'bob.stone@contoso.com');

    const expected = [...tags, 'portal-race'];
    const defender = () => simulators.control.defenderIncidents().find((incident) => incident.id === defenderId)!;
    const sentinel = () => simulators.control.sentinelIncidents().find((incident) => incident.name === sentinelName)!;
    await waitFor('every tag on both portals', () =>
      expected.every((tag) => defender().customTags.includes(tag) && sentinel().labels.some((label) => label.labelName === tag)), 120_000);
    const outcomes = await Promise.all(submitted.map(async (result) => {
      let outcome = await a.outcome(result.requestId);
      await waitFor(`outcome of ${result.requestId}`, async () => {
        outcome = await a.outcome(result.requestId);
        return outcome !== null && outcome.state !== 'accepted';
      }, 120_000);
      return outcome!;
    }));
    expect(outcomes.map((outcome) => outcome.state)).toEqual(submitted.map(() => 'completed'));

    const defenderTexts = commentBodies(defender().comments.map((c) => c.comment));
    const sentinelTexts = commentBodies(simulators.control.sentinelComments(sentinelName).map((c) => c.message));
    for (const comment of new Set(comments)) {
      const wanted = countOf(comments, comment);
      expect({ comment, defender: countOf(defenderTexts, comment), sentinel: countOf(sentinelTexts, comment) }).toEqual({ comment, defender: wanted, sentinel: wanted });
    }
  }, 240_000);
});
