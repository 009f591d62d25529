// Durable jobs and schedules: a thin port over pg-boss 12 on the store's own database.
//
// pg-boss 12 facts this relies on (checked against node_modules/pg-boss/dist, v12.38.0):
// - ESM only: `import { PgBoss } from 'pg-boss'`.
// - Queues must exist before send/work/schedule (since v10): `createQueue(name, options)`. It is
//   idempotent but keeps an existing queue's settings (create_queue() is INSERT ... ON CONFLICT DO
//   NOTHING), so createQueue here follows it with updateQueue to apply changed retry settings.
//   The policy cannot change after creation. A dead letter queue is a queue name set on the source
//   queue (`deadLetter`), and must itself exist first (foreign key dead_letter -> queue(name)).
// - Retries: `retryLimit` (default 2), `retryDelay` seconds (default 0), `retryBackoff`
//   (exponential with jitter: retryDelay * (2^n/2 + 2^n/2 * random()) for retry n = 1, 2, ...,
//   capped by `retryDelayMax`). After the last retry fails, the job is copied into the dead
//   letter queue.
// - `work(name, options, handler)`: handler receives an array of jobs (batchSize); with
//   `burstWhenBatchFull` a fetch that came back full is followed by the next at once (no polling
//   delay; ignored at batchSize 1); with
//   `perJobResults: true` it returns one { id, status } per job, so one failing job in a batch
//   does not fail the others. `pollingIntervalSeconds` must be >= 0.5.
// - `singletonKey` de-duplicates only through the queue policy (unique indexes in plans.js):
//   'short' = one queued ('created') job per key; 'singleton' = one active job per key;
//   'stately' = one queued and one active per key; 'standard' ignores it. A refused send()
//   resolves null. `insert(name, jobs)` runs send()'s statement for many jobs at once (the queue's
//   settings and policy, ON CONFLICT DO NOTHING), so keys de-duplicate there as they do for send().
// - PGlite: `fromPglite(pglite)` + `backend: 'pglite'`. The adapter runs parameterless multi-
//   statement SQL through exec() and rolls back an aborted transaction after an error. PGlite
//   serializes query()/exec()/transaction() on one mutex, so pg-boss statements wait while a store
//   transaction is open and never interleave with it.
// - PostgreSQL: pg-boss opens its own small pool from the connection string (it needs LISTEN and
//   session-pinned transactions that a shared pool would complicate).
// - pg-boss emits 'error' events; an EventEmitter without an 'error' listener would crash the
//   process, so one is always attached (loops never throw out of a timer).
// - stop({ graceful, timeout }) waits for active handlers up to `timeout` ms, then fails what is
//   still running so it retries elsewhere; with a custom db adapter it does not close PGlite.
// - Schedules: `schedule(name, cron, data, { tz, key, missed })` keeps one row per (queue, key) in
//   pg-boss's own table (an upsert), evaluated in `tz` with cron-parser, so a daily 09:00 stays
//   09:00 local time across daylight-saving changes. Every instance runs a cron pass every
//   `cronMonitorIntervalSeconds` (default 30) but only the one that claims the pass (a row update
//   on the database's clock) sends, and the job it sends for an occurrence is throttled to one per
//   occurrence: once across replicas. `missed: 'once'` sends one job for the latest occurrence that
//   came due while no pass ran (all replicas down). Keys allow only [\w.\-/].
// - `clock`: the source of time and timers; a `TestClock` drives an instance by hand and is
//   attached to the schema (job_now()), so JavaScript and PostgreSQL agree on "now" (tests).
import { PgBoss, fromPglite, type Clock, type Job, type JobResult, type JobWithMetadata } from 'pg-boss';
import type { Db } from './db.ts';
import { StoreError } from './errors.ts';
import { assertSchemaName } from './schema-name.ts';

export const QUEUE_POLICIES = ['standard', 'short', 'singleton', 'stately'] as const;
export type QueuePolicy = (typeof QUEUE_POLICIES)[number];

export interface BossQueueDefinition {
  name: string;
  /** What singletonKey de-duplicates (see above). Default 'standard'. Fixed once created. */
  policy?: QueuePolicy;
  /** Retries after the first attempt. Default 3. */
  retryLimit?: number;
  /** Seconds before a retry (the base of the backoff). Default 5. */
  retryDelaySeconds?: number;
  /** Exponential backoff with jitter. Default true. */
  retryBackoff?: boolean;
  /** Upper bound of one backoff delay, seconds. Default 300. */
  retryDelayMaxSeconds?: number;
  /** Queue that receives jobs whose retries are exhausted; created when missing. */
  deadLetter?: string;
  /** Seconds a handler may run before the job counts as failed. Default 900 (pg-boss default). */
  expireInSeconds?: number;
  /**
   * Seconds (>= 10) a running job may go without its worker's heartbeat before pg-boss fails it
   * (and retries it per the queue's settings). A replica killed mid-job (kill -9) otherwise leaves
   * the job 'active' until expireInSeconds, blocking its singleton key that long. Unset: none.
   */
  heartbeatSeconds?: number;
}

export interface SendOptions {
  /** De-duplication key, per the queue's policy; send() resolves null when refused. */
  singletonKey?: string;
  retryLimit?: number;
  retryBackoff?: boolean;
  /** Seconds. */
  retryDelay?: number;
  /** When the job may start: a Date, an ISO string, or seconds from now. */
  startAfter?: Date | string | number;
  /** Caller-chosen job id (UUID), for idempotent sends. */
  id?: string;
  /**
   * A transaction-bound Db (from Db.transaction): the job is inserted in that transaction, so it
   * exists if and only if the caller's other writes commit (e.g. an edit request and its write
   * jobs). The queue must have been created by this process (its settings are cached).
   */
  tx?: Db;
}

export interface WorkOptions {
  /** Jobs fetched per poll; the handler still gets them one at a time. Default 1. */
  batchSize?: number;
  /** Default 2; pg-boss refuses less than 0.5. */
  pollingIntervalSeconds?: number;
  /** Jobs of this batch handled concurrently. Default 1 (in order). */
  concurrency?: number;
}

export interface QueueJob<T> {
  id: string;
  queue: string;
  data: T;
  /** 0 on the first attempt. */
  retryCount: number;
  /** Aborted when the job expires or the queue stops without grace. */
  signal: AbortSignal;
}

export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

export interface JobInfo<T> {
  id: string;
  queue: string;
  data: T;
  state: JobState;
  retryCount: number;
  retryLimit: number;
  retryBackoff: boolean;
  startAfter: string;
  startedOn: string | null;
  completedOn: string | null;
  /** The handler's error (serialized) on failed jobs. */
  output: unknown;
}

/** A queue's jobs by state, as pg-boss's monitor last counted them (about once a minute). */
export interface QueueCounts {
  queue: string;
  /** Waiting and due: a worker may fetch them now. */
  ready: number;
  /** Waiting for their start time (retries in backoff, scheduled jobs). */
  deferred: number;
  active: number;
}

/** A recurring job of a queue (pg-boss schedule). */
export interface RecurringJob<T> {
  key: string;
  /** Five-field cron (minute hour day-of-month month day-of-week). */
  cron: string;
  /** IANA time zone the cron is read in. */
  timeZone: string;
  data: T;
}

export interface BossQueue {
  /** Idempotent; creates the dead letter queue first when one is named. */
  createQueue(definition: BossQueueDefinition): Promise<void>;
  /**
   * Sends `data` to `queue` at every occurrence of `cron` in `timeZone`, once per occurrence across
   * every replica; one schedule per (queue, key): scheduling a key again replaces it. An occurrence
   * missed while no replica ran is sent once when one runs again.
   */
  schedule<T extends object>(queue: string, recurring: RecurringJob<T>): Promise<void>;
  /** Removes the schedule of `key`, if any. */
  unschedule(queue: string, key: string): Promise<void>;
  schedules<T>(queue: string): Promise<RecurringJob<T>[]>;
  send<T extends object>(queue: string, data: T, options?: SendOptions): Promise<string | null>;
  /**
   * Many jobs to one queue in one statement (pg-boss insert, the statement send() runs for one):
   * each is de-duplicated by its singletonKey per the queue's policy, as send() is. Returns how
   * many were queued.
   */
  sendMany<T extends object>(queue: string, jobs: ReadonlyArray<{ data: T; options?: Pick<SendOptions, 'singletonKey' | 'startAfter'> }>): Promise<number>;
  /**
   * Runs `handler` for each job; a throw fails that job (retried per the queue's settings, then
   * dead-lettered). Returns the worker id.
   */
  work<T>(queue: string, handler: (job: QueueJob<T>) => Promise<void>, options?: WorkOptions): Promise<string>;
  /** Jobs of a queue, for status pages and tests. */
  findJobs<T>(queue: string, filter?: { id?: string; data?: object }): Promise<JobInfo<T>[]>;
  /**
   * The counts of the named queues that exist. They come from pg-boss's queue table, which its
   * monitor refreshes (monitorIntervalSeconds, 60 s by default), so every replica reads the same.
   */
  counts(queues: readonly string[]): Promise<QueueCounts[]>;
  /**
   * Fails every job marked active (each is retried per its queue's settings) and returns how many.
   * Only for a database no other process works: called at start on the embedded one, before any
   * worker runs, it hands a killed process's jobs back at once instead of after their missed
   * heartbeat (10 s or more, and the supervisor's next pass).
   */
  failActiveOfDeadProcess(reason: string): Promise<number>;
  stop(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
}

export interface BossQueueConfig {
  db: Db;
  /** pg-boss's schema. Default 'pgboss'; tests use their own. */
  schema?: string;
  /** Errors from pg-boss's background loops (maintenance, polling). Default: ignored. */
  onError?: (error: Error) => void;
  /** Connections in pg-boss's own pool (PostgreSQL only). Default 4. */
  maxConnections?: number;
  /** How often pg-boss runs maintenance (expiry, retention), seconds. Default: pg-boss's. */
  superviseIntervalSeconds?: number;
  /**
   * How often pg-boss recounts its queues for counts(), seconds (it needs a maintenance pass too, so
   * the recount waits for the longer of the two). Default: pg-boss's (60).
   */
  monitorIntervalSeconds?: number;
  /** How often cron schedules are evaluated, seconds. Default: pg-boss's (30). */
  cronMonitorIntervalSeconds?: number;
  /** How often the jobs schedules send are fetched, seconds. Default: pg-boss's (5). */
  cronWorkerIntervalSeconds?: number;
  /** pg-boss's clock; tests pass a TestClock to move time by hand. Default: the system clock. */
  clock?: Clock;
}

const DEFAULT_QUEUE: Required<Omit<BossQueueDefinition, 'name' | 'deadLetter' | 'policy' | 'heartbeatSeconds'>> = {
  retryLimit: 3,
  retryDelaySeconds: 5,
  retryBackoff: true,
  retryDelayMaxSeconds: 300,
  expireInSeconds: 900,
};

/** pg-boss's IDatabase over a (transaction-bound) Db: pg-boss's send is one parameterized statement. */
function asPgBossDatabase(tx: Db): { executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> } {
  return { executeSql: async (text, values) => ({ rows: (await tx.query(text, values ?? [])).rows }) };
}

function isoOrNull(value: Date | null | undefined): string | null {
  return value instanceof Date ? value.toISOString() : value == null ? null : new Date(value).toISOString();
}

function toJobInfo<T>(job: JobWithMetadata<T>): JobInfo<T> {
  return {
    id: job.id,
    queue: job.name,
    data: job.data,
    state: job.state,
    retryCount: job.retryCount,
    retryLimit: job.retryLimit,
    retryBackoff: job.retryBackoff,
    startAfter: isoOrNull(job.startAfter) ?? '',
    startedOn: isoOrNull(job.startedOn),
    completedOn: isoOrNull(job.completedOn),
    output: job.output,
  };
}

export async function createBossQueue(config: BossQueueConfig): Promise<BossQueue> {
  const schema = assertSchemaName(config.schema ?? 'pgboss');
  const target = config.db.target;
  const common = {
    schema,
    ...(config.superviseIntervalSeconds !== undefined ? { superviseIntervalSeconds: config.superviseIntervalSeconds } : {}),
    ...(config.monitorIntervalSeconds !== undefined ? { monitorIntervalSeconds: config.monitorIntervalSeconds } : {}),
    ...(config.cronMonitorIntervalSeconds !== undefined ? { cronMonitorIntervalSeconds: config.cronMonitorIntervalSeconds } : {}),
    ...(config.cronWorkerIntervalSeconds !== undefined ? { cronWorkerIntervalSeconds: config.cronWorkerIntervalSeconds } : {}),
    ...(config.clock !== undefined ? { clock: config.clock } : {}),
  };
  const boss =
    target.kind === 'pglite'
      ? new PgBoss({ ...common, db: fromPglite(target.pglite), backend: 'pglite' })
      : new PgBoss({ ...common, connectionString: target.connectionString, max: config.maxConnections ?? 4, application_name: 'incident-bridge-jobs' });
  boss.on('error', (error: Error) => config.onError?.(error));

  try {
    await boss.start();
  } catch (error) {
    throw new StoreError('unavailable', `Could not start the job queue (pg-boss, schema ${schema}): ${(error as Error).message}`, { cause: error });
  }

  const known = new Set<string>();

  async function createQueue(definition: BossQueueDefinition): Promise<void> {
    if (definition.deadLetter !== undefined && !known.has(definition.deadLetter)) {
      await createQueue({ name: definition.deadLetter });
    }
    const settings = { ...DEFAULT_QUEUE, ...definition };
    const options = {
      retryLimit: settings.retryLimit,
      retryDelay: settings.retryDelaySeconds,
      retryBackoff: settings.retryBackoff,
      // pg-boss refuses retryDelayMax without backoff.
      ...(settings.retryBackoff ? { retryDelayMax: settings.retryDelayMaxSeconds } : {}),
      expireInSeconds: settings.expireInSeconds,
      ...(definition.heartbeatSeconds !== undefined ? { heartbeatSeconds: definition.heartbeatSeconds } : {}),
      ...(definition.deadLetter !== undefined ? { deadLetter: definition.deadLetter } : {}),
    };
    try {
      await boss.createQueue(definition.name, { ...options, policy: definition.policy ?? 'standard' });
      await boss.updateQueue(definition.name, options);
    } catch (error) {
      // pg-boss validates options with node:assert: those are our caller's mistakes, not the database's.
      const invalid = error instanceof Error && error.name === 'AssertionError';
      throw new StoreError(invalid ? 'invalid-argument' : 'query-failed', `Could not create job queue "${definition.name}": ${(error as Error).message}`, { cause: error });
    }
    known.add(definition.name);
  }

  function assertKnown(queue: string): void {
    if (!known.has(queue)) {
      throw new StoreError('invalid-argument', `Job queue "${queue}" is not defined in this process: call createQueue({ name: '${queue}' }) at start.`);
    }
  }

  return {
    createQueue,

    async schedule(queue, recurring) {
      assertKnown(queue);
      try {
        await boss.schedule(queue, recurring.cron, recurring.data, { tz: recurring.timeZone, key: recurring.key, missed: 'once' });
      } catch (error) {
        const invalid = error instanceof Error && (error.name === 'AssertionError' || error instanceof RangeError);
        throw new StoreError(invalid ? 'invalid-argument' : 'query-failed', `Could not schedule "${recurring.key}" on job queue "${queue}": ${(error as Error).message}`, { cause: error });
      }
    },

    async unschedule(queue, key) {
      assertKnown(queue);
      await boss.unschedule(queue, key);
    },

    async schedules<T>(queue: string) {
      const rows = await boss.getSchedules(queue);
      return rows.map((row) => ({ key: row.key, cron: row.cron, timeZone: row.timezone, data: (row.data ?? {}) as T }));
    },

    async send(queue, data, options = {}) {
      assertKnown(queue);
      return boss.send(queue, data, {
        ...(options.singletonKey !== undefined ? { singletonKey: options.singletonKey } : {}),
        ...(options.retryLimit !== undefined ? { retryLimit: options.retryLimit } : {}),
        ...(options.retryBackoff !== undefined ? { retryBackoff: options.retryBackoff } : {}),
        ...(options.retryDelay !== undefined ? { retryDelay: options.retryDelay } : {}),
        ...(options.startAfter !== undefined ? { startAfter: options.startAfter } : {}),
        ...(options.id !== undefined ? { id: options.id } : {}),
        ...(options.tx !== undefined ? { db: asPgBossDatabase(options.tx) } : {}),
      });
    },

    async sendMany(queue, jobs) {
      assertKnown(queue);
      if (jobs.length === 0) return 0;
      const ids = await boss.insert(
        queue,
        jobs.map(({ data, options = {} }) => ({
          data,
          ...(options.singletonKey !== undefined ? { singletonKey: options.singletonKey } : {}),
          ...(options.startAfter !== undefined ? { startAfter: options.startAfter } : {}),
        })),
        { returnId: true },
      );
      return ids?.length ?? 0;
    },

    async work<T>(queue: string, handler: (job: QueueJob<T>) => Promise<void>, options: WorkOptions = {}) {
      assertKnown(queue);
      const concurrency = Math.max(1, options.concurrency ?? 1);
      const runOne = async (job: Job<T>): Promise<JobResult> => {
        try {
          await handler({ id: job.id, queue, data: job.data, retryCount: job.retryCount, signal: job.signal });
          return { id: job.id, status: 'completed' };
        } catch (error) {
          // Stored as the job's output so an operator can see why it failed.
          const message = error instanceof Error ? error.message : String(error);
          const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
          return { id: job.id, status: 'failed', output: { message, ...(code !== undefined ? { code } : {}) } };
        }
      };
      return boss.work<T>(
        queue,
        // A full batch means more are waiting: fetch the next at once instead of after the polling
        // interval, which otherwise caps a queue at one batch per interval whatever the backlog.
        { batchSize: options.batchSize ?? 1, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2, perJobResults: true, burstWhenBatchFull: true },
        async (jobs: Job<T>[]) => {
          const results: JobResult[] = [];
          for (let i = 0; i < jobs.length; i += concurrency) {
            results.push(...(await Promise.all(jobs.slice(i, i + concurrency).map(runOne))));
          }
          return results;
        },
      );
    },

    async findJobs<T>(queue: string, filter: { id?: string; data?: object } = {}) {
      const jobs = await boss.findJobs<T>(queue, { ...(filter.id !== undefined ? { id: filter.id } : {}), ...(filter.data !== undefined ? { data: filter.data } : {}) });
      return jobs.map(toJobInfo);
    },

    async counts(queues) {
      const rows = await boss.getQueues([...queues]);
      // Blocked jobs wait on a flow parent; the bridge sends none, and they are not due either.
      return rows.map((row) => ({ queue: row.name, ready: row.readyCount, deferred: row.deferredCount + row.blockedCount, active: row.activeCount }));
    },

    async failActiveOfDeadProcess(reason) {
      // pg-boss has no query by state across queues; its job table (partitioned by queue) does.
      const { rows } = await config.db.query<{ name: string; id: string }>(`SELECT name, id::text AS id FROM ${schema}.job WHERE state = 'active'`);
      const byQueue = new Map<string, string[]>();
      for (const row of rows) {
        const ids = byQueue.get(row.name) ?? [];
        ids.push(row.id);
        byQueue.set(row.name, ids);
      }
      for (const [queue, ids] of byQueue) await boss.fail(queue, ids, { reason });
      return rows.length;
    },

    async stop(options = {}) {
      await boss.stop({ graceful: options.graceful ?? true, timeout: options.timeoutMs ?? 30_000, close: true });
    },
  };
}
