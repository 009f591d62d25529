// npm run bench:edits: an edit storm through the real write path, counted from both portals.
//
// 500 edits of 20 incidents by 10 analysts are submitted at the same moment to the real sync engine
// (PGlite store, pg-boss queue, the real portal clients) against the HTTPS simulators with the
// documented rate limits (Graph 150 requests/min per app; ARM writes: a bucket of 200 refilled
// 10/s). 429s (Retry-After 1) on Graph PATCH/POST and ARM PUT, and 409 Conflicts on ARM PUT, are
// injected, and portal users add labels in Sentinel while the storm runs.
//
// Why: edits are deltas re-applied to the freshest state; under throttling, conflicts and concurrent
// portal users nothing may be lost (a tag, a comment, a portal user's label) and nothing written
// twice (a comment retried after a 429). Once every outcome is final, the bench reads both portals'
// final state from the simulators and prints, per incident, expected vs found tags (seeded tags plus
// adds plus portal users' labels, minus removes), comments (each once; one pair of requests posts
// the same text on purpose and must appear twice), and whether severity and status agree between
// the portals. It ends with "lost=N duplicated=N" and the elapsed time against the floor the rate
// limits allow; it exits non-zero if anything was lost or duplicated.
import type { Actor, Severity, Status } from '../src/domain/incident.ts';
import { DEFAULT_RETRY_POLICY } from '../src/portals/http/retry.ts';
import { DEFAULT_ARM_BUCKET, DEFAULT_GRAPH_REQUESTS_PER_MINUTE } from '../src/simulators/options.ts';
import type { EditChanges, EditOutcome } from '../src/domain/edits.ts';
import { commentFingerprint } from '../src/sync/fingerprint.ts';
import { startHarness, waitFor, type LinkedIncident, type SyncHarness } from '../test/sync-integration/support/harness.ts';

const INCIDENTS = 20;
const ANALYSTS = 10;
const EDITS = 500;
const SEED_TAGS = 5;
const PORTAL_LABELS = 20;
const FAULT_COUNT = 30;
const POLL_MS = 2_000; // the product default poll interval
const OUTCOME_TIMEOUT_MS = 30 * 60_000;
const CONVERGE_TIMEOUT_MS = 3 * 60_000;

// Sentinel has three states; every open Defender state but 'new' is Active there.
const SENTINEL_STATUS: Record<string, string> = { new: 'New', active: 'Active', inProgress: 'Active', awaitingAction: 'Active', resolved: 'Closed', redirected: 'Closed' };
const SEVERITY_CYCLE: Array<Exclude<Severity, 'unknown'>> = ['low', 'medium', 'high', 'informational'];
const STATUS_CYCLE: Status[] = ['inProgress', 'resolved', 'active', 'awaitingAction'];
/** Kinds per round of 20 requests (one per incident): 4 adds, 3 comments, 1 remove, 1 severity, 1 status in 10 rounds. */
const KIND_CYCLE = ['add', 'comment', 'add', 'remove', 'comment', 'severity', 'add', 'status', 'comment', 'add'] as const;
type Kind = (typeof KIND_CYCLE)[number];

interface Planned {
  index: number;
  incident: number;
  kind: Kind;
  changes: EditChanges;
  actor: Actor;
}

interface Expectation {
  tags: Set<string>;
  removed: Set<string>;
  comments: Map<string, number>;
  severities: Set<string>;
  statuses: Set<string>;
}

const note = (message: string) => process.stdout.write(`  .. ${message}\n`);
const analyst = (n: number): Actor => ({ objectId: `00000000-0000-4000-8000-${String(0xa100 + n).padStart(12, '0')}`, displayName: `Analyst ${n}` });
const seedTag = (incident: number, n: number) => `seed-${incident}-${n}`;
const sharedComment = (incident: number) => `Same note twice on incident ${incident}`;

/** The storm: request i edits incident i % 20; its kind cycles per round so every incident gets every kind. */
function planStorm(): Planned[] {
  const removesSoFar = new Map<number, number>();
  const plan: Planned[] = [];
  for (let index = 0; index < EDITS; index++) {
    const incident = index % INCIDENTS;
    const round = Math.floor(index / INCIDENTS);
    const kind = KIND_CYCLE[round % KIND_CYCLE.length]!;
    plan.push({ index, incident, kind, changes: changesFor(kind, index, incident, round, removesSoFar), actor: analyst(index % ANALYSTS) });
  }
  return plan;
}

function changesFor(kind: Kind, index: number, incident: number, round: number, removesSoFar: Map<number, number>): EditChanges {
  switch (kind) {
    case 'add':
      return { tagsAdd: [`storm-${index}`] };
    case 'remove': {
      const n = removesSoFar.get(incident) ?? 0;
      removesSoFar.set(incident, n + 1);
      return { tagsRemove: [seedTag(incident, n % SEED_TAGS)] };
    }
    case 'comment':
      // Rounds 1 and 11 of incident 0 deliberately post the same text (two remarks, both kept).
      return { comment: incident === 0 && (round === 1 || round === 11) ? sharedComment(0) : `Storm note ${index} by analyst ${index % ANALYSTS}` };
    case 'severity':
      return { severity: SEVERITY_CYCLE[index % SEVERITY_CYCLE.length]! };
    case 'status': {
      const status = STATUS_CYCLE[index % STATUS_CYCLE.length]!;
      return status === 'resolved' ? { status, classification: 'truePositive' } : { status };
    }
  }
}

function expectationsFor(plan: Planned[]): Expectation[] {
  const expected: Expectation[] = Array.from({ length: INCIDENTS }, (_, i) => ({
    tags: new Set(Array.from({ length: SEED_TAGS }, (_, n) => seedTag(i, n))),
    removed: new Set<string>(),
    comments: new Map(),
    severities: new Set(),
    statuses: new Set(),
  }));
  for (const { incident, changes } of plan) {
    const e = expected[incident]!;
    for (const tag of changes.tagsAdd ?? []) e.tags.add(tag);
    for (const tag of changes.tagsRemove ?? []) e.removed.add(tag);
    if (changes.comment !== undefined) e.comments.set(changes.comment, (e.comments.get(changes.comment) ?? 0) + 1);
    if (changes.severity) e.severities.add(changes.severity);
    if (changes.status) e.statuses.add(changes.status);
  }
  for (const e of expected) for (const tag of e.removed) e.tags.delete(tag);
  return expected;
}

/** Seeds every incident with its seed tags through the bridge, so removes act on tags both portals hold. */
async function seedIncidents(h: SyncHarness): Promise<LinkedIncident[]> {
  const incidents: LinkedIncident[] = [];
  for (let i = 0; i < INCIDENTS; i++) incidents.push(await h.newIncident(`Edit storm incident ${i}`, { severity: 'medium' }));
  const seeded = await Promise.all(
    incidents.map((incident, i) =>
      h.engine.api.submitEdit({ idempotencyKey: `seed-${i}`, linkId: incident.linkId, changes: { tagsAdd: Array.from({ length: SEED_TAGS }, (_, n) => seedTag(i, n)) }, actor: analyst(0) }),
    ),
  );
  await Promise.all(seeded.map((result) => h.finalOutcome(result.requestId, OUTCOME_TIMEOUT_MS)));
  return incidents;
}

function injectFaults(h: SyncHarness): void {
  h.control.addFault({ api: 'graph', method: 'PATCH', status: 429, retryAfterSeconds: 1, count: FAULT_COUNT });
  h.control.addFault({ api: 'graph', method: 'POST', pathPattern: '/comments$', status: 429, retryAfterSeconds: 1, count: FAULT_COUNT });
  h.control.addFault({ api: 'arm', method: 'PUT', status: 429, retryAfterSeconds: 1, count: FAULT_COUNT });
  h.control.addFault({ api: 'arm', method: 'PUT', pathPattern: '/incidents/[^/]+$', status: 409, count: FAULT_COUNT });
}

const userLabels = (h: SyncHarness, name: string) => h.sentinel(name).labels.filter((label) => label.labelType === 'User').map((label) => label.labelName);

/** Portal users label Sentinel incidents while the storm runs (one label every 500 ms); returns the labels per incident. */
async function portalUsersLabel(h: SyncHarness, incidents: LinkedIncident[], expected: Expectation[]): Promise<number> {
  const user = h.control.directory()[0]!;
  for (let n = 0; n < PORTAL_LABELS; n++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const i = (n * 7) % INCIDENTS;
    const label = `portal-${n}`;
    const name = incidents[i]!.sentinelName;
    h.control.analystUpdateSentinelIncident(name, { labels: [...userLabels(h, name), label] }, user.userPrincipalName);
    expected[i]!.tags.add(label);
  }
  return PORTAL_LABELS;
}

async function runStorm(h: SyncHarness, incidents: LinkedIncident[], plan: Planned[]): Promise<EditOutcome[]> {
  const submitted = await Promise.all(
    plan.map((p) => h.engine.api.submitEdit({ idempotencyKey: `storm-${p.index}`, linkId: incidents[p.incident]!.linkId, changes: p.changes, actor: p.actor })),
  );
  let final = 0;
  const started = Date.now();
  const progress = setInterval(() => note(`${final}/${submitted.length} outcomes final after ${((Date.now() - started) / 1000).toFixed(0)} s`), 30_000);
  try {
    return await Promise.all(
      submitted.map(async (result) => {
        const outcome = await h.finalOutcome(result.requestId, OUTCOME_TIMEOUT_MS);
        final++;
        return outcome;
      }),
    );
  } finally {
    clearInterval(progress);
  }
}

interface Tally {
  lost: number;
  duplicated: number;
  inconsistent: number;
}

function tagsFound(h: SyncHarness, incident: LinkedIncident): { defender: Set<string>; sentinel: Set<string> } {
  return { defender: new Set(h.defender(incident.defenderId).customTags), sentinel: new Set(userLabels(h, incident.sentinelName)) };
}

/** Both portals show the expected tag set (portal users' labels travel through the bridge's polls). */
function tagsSettled(h: SyncHarness, incidents: LinkedIncident[], expected: Expectation[]): boolean {
  return incidents.every((incident, i) => {
    const found = tagsFound(h, incident);
    const want = [...expected[i]!.tags].sort().join();
    return [...found.defender].sort().join() === want && [...found.sentinel].sort().join() === want;
  });
}

function countComments(texts: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts.map(commentFingerprint)) counts.set(text, (counts.get(text) ?? 0) + 1);
  return counts;
}

/** Prints one incident's figures and adds its lost/duplicated/inconsistent counts to the tally. */
function reportIncident(h: SyncHarness, i: number, incident: LinkedIncident, e: Expectation, tally: Tally): void {
  const found = tagsFound(h, incident);
  const problems: string[] = [];
  for (const [portal, tags] of Object.entries(found)) {
    const missing = [...e.tags].filter((tag) => !tags.has(tag));
    const resurrected = [...e.removed].filter((tag) => tags.has(tag));
    const extra = [...tags].filter((tag) => !e.tags.has(tag) && !e.removed.has(tag));
    tally.lost += missing.length + resurrected.length;
    if (missing.length) problems.push(`${portal} missing tags ${missing.join(',')}`);
    if (resurrected.length) problems.push(`${portal} removed tags back ${resurrected.join(',')}`);
    if (extra.length) problems.push(`${portal} unexpected tags ${extra.join(',')}`);
  }
  const comments = { defender: countComments(h.defender(incident.defenderId).comments.map((c) => c.comment)), sentinel: countComments(h.sentinelComments(incident.sentinelName).map((c) => c.message)) };
  let commentsFound = 0;
  let commentsExpected = 0;
  for (const [portal, counts] of Object.entries(comments)) {
    for (const [text, want] of e.comments) {
      const got = counts.get(text) ?? 0;
      commentsExpected += want;
      commentsFound += got;
      if (got < want) problems.push(`${portal} comment "${text}" ${got}/${want}`);
      if (got > want) problems.push(`${portal} comment "${text}" ${got}x, wanted ${want}`);
      tally.lost += Math.max(0, want - got);
      tally.duplicated += Math.max(0, got - want);
    }
  }
  const d = h.defender(incident.defenderId);
  const s = h.sentinel(incident.sentinelName);
  const severityAgrees = d.severity.toLowerCase() === s.severity.toLowerCase() && (e.severities.size === 0 || e.severities.has(d.severity));
  const statusAgrees = SENTINEL_STATUS[d.status] === s.status && (e.statuses.size === 0 || e.statuses.has(d.status));
  if (!severityAgrees) problems.push(`severity Defender ${d.severity} vs Sentinel ${s.severity}`);
  if (!statusAgrees) problems.push(`status Defender ${d.status} vs Sentinel ${s.status}`);
  tally.inconsistent += (severityAgrees ? 0 : 1) + (statusAgrees ? 0 : 1);
  process.stdout.write(
    `incident ${String(i).padStart(2)}: tags expected ${e.tags.size} found D ${found.defender.size} S ${found.sentinel.size}; ` +
      `comments expected ${commentsExpected} found ${commentsFound} (both portals); severity ${d.severity}/${s.severity}; status ${d.status}/${s.status}` +
      `${problems.length ? `  !! ${problems.join('; ')}` : ''}\n`,
  );
}

/** The least time the storm can take: one write per request in each portal at that portal's write rate. */
function floorSeconds(): { seconds: number; limit: string; detail: string } {
  const graphS = (EDITS / DEFAULT_GRAPH_REQUESTS_PER_MINUTE) * 60;
  const armS = Math.max(0, EDITS - DEFAULT_ARM_BUCKET.writeCapacity) / DEFAULT_ARM_BUCKET.writeRefillPerSecond;
  const detail = `Graph ${EDITS} writes @${DEFAULT_GRAPH_REQUESTS_PER_MINUTE}/min = ${graphS.toFixed(1)} s; ARM ${EDITS} writes, ${DEFAULT_ARM_BUCKET.writeCapacity} burst + ${DEFAULT_ARM_BUCKET.writeRefillPerSecond}/s = ${armS.toFixed(1)} s`;
  return graphS >= armS ? { seconds: graphS, limit: `Graph ${DEFAULT_GRAPH_REQUESTS_PER_MINUTE} requests/min`, detail } : { seconds: armS, limit: `ARM write refill ${DEFAULT_ARM_BUCKET.writeRefillPerSecond}/s`, detail };
}

function outcomeStates(outcomes: EditOutcome[]): string {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) counts.set(outcome.state, (counts.get(outcome.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${state} ${n}`).join(', ');
}

async function main(): Promise<number> {
  const h = await startHarness({
    simulators: { graphRequestsPerMinute: DEFAULT_GRAPH_REQUESTS_PER_MINUTE, armBucket: DEFAULT_ARM_BUCKET },
    engine: { pollIntervalMs: POLL_MS },
    retry: DEFAULT_RETRY_POLICY,
  });
  try {
    process.stdout.write(`bench:edits: ${EDITS} concurrent edits of ${INCIDENTS} incidents by ${ANALYSTS} analysts; faults ${FAULT_COUNT}x each (Graph PATCH 429, Graph comment POST 429, ARM PUT 429, ARM incident PUT 409); ${PORTAL_LABELS} Sentinel portal-user labels\n`);
    note('creating and seeding incidents');
    const incidents = await seedIncidents(h);
    const plan = planStorm();
    const expected = expectationsFor(plan);
    const callsBefore = h.requestCounts();
    injectFaults(h);
    note('storm: submitting');
    const started = Date.now();
    const [outcomes] = await Promise.all([runStorm(h, incidents, plan), portalUsersLabel(h, incidents, expected)]);
    const elapsedS = (Date.now() - started) / 1000;
    const callsAfter = h.requestCounts();
    note(`all ${outcomes.length} outcomes final after ${elapsedS.toFixed(1)} s (${outcomeStates(outcomes)}); waiting for both portals' tags to settle`);
    const settled = await waitFor('both portals to show the expected tags', () => tagsSettled(h, incidents, expected), CONVERGE_TIMEOUT_MS).then(
      () => true,
      () => false,
    );
    await h.afterPolls(2);
    const tally: Tally = { lost: 0, duplicated: 0, inconsistent: 0 };
    incidents.forEach((incident, i) => reportIncident(h, i, incident, expected[i]!, tally));
    const floor = floorSeconds();
    process.stdout.write(`tags settled in both portals: ${settled ? 'yes' : `no (after ${CONVERGE_TIMEOUT_MS / 1000} s)`}; severity/status inconsistent: ${tally.inconsistent}\n`);
    process.stdout.write(`portal calls during the storm: Graph ${callsAfter.graph - callsBefore.graph}, ARM ${callsAfter.arm - callsBefore.arm}; minimum ${EDITS} + ${EDITS} (one write per request in each portal)\n`);
    process.stdout.write(`lost=${tally.lost} duplicated=${tally.duplicated}\n`);
    process.stdout.write(`elapsed ${elapsedS.toFixed(1)} s = ${(elapsedS / floor.seconds).toFixed(2)}x floor ${floor.seconds.toFixed(1)} s, set by ${floor.limit} (${floor.detail})\n`);
    return tally.lost === 0 && tally.duplicated === 0 ? 0 : 1;
  } finally {
    await h.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench:edits failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
