// The job queue port's behaviour, run on PGlite and on PostgreSQL.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/store/db.ts';
import { createBossQueue, type JobInfo, type BossQueue } from '../../src/store/boss-queue.ts';
import { uid, waitFor } from './support/fixtures.ts';

// pg-boss's minimum polling interval is 0.5 s; the fastest that keeps these tests short.
const FAST = { pollingIntervalSeconds: 0.5 };

export function queueContract(open: () => Promise<{ db: Db; schema: string; cleanup: () => Promise<void> }>): void {
  let queue: BossQueue | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  let db: Db | undefined;
  let bossSchema = 'pgboss';
  const errors: Error[] = [];
  const q = () => {
    if (queue === undefined) throw new Error('queue not started');
    return queue;
  };
  const name = (prefix: string) => uid(prefix).replace(/-/g, '_');

  async function jobWhen<T>(queueName: string, id: string, predicate: (job: JobInfo<T>) => boolean, what: string): Promise<JobInfo<T>> {
    return waitFor(async () => {
      const [job] = await q().findJobs<T>(queueName, { id });
      return job !== undefined && predicate(job) ? job : undefined;
    }, what, 20_000);
  }

  beforeAll(async () => {
    const opened = await open();
    db = opened.db;
    bossSchema = opened.schema;
    cleanup = opened.cleanup;
    // Recounted every second, so that counts() follows within the test's patience.
    queue = await createBossQueue({ db: opened.db, schema: opened.schema, superviseIntervalSeconds: 1, monitorIntervalSeconds: 1, onError: (error) => errors.push(error) });
  });
  afterAll(async () => {
    await queue?.stop({ graceful: false });
    // Background loops must not have failed during the run.
    expect(errors).toEqual([]);
    await db?.close();
    await cleanup?.();
  });

  describe('BossQueue (pg-boss)', () => {
    test('send -> worked -> completed', async () => {
      const queueName = name('q');
      await q().createQueue({ name: queueName });
      await q().createQueue({ name: queueName }); // idempotent
      const handled: Array<{ id: string; data: unknown; retryCount: number }> = [];
      await q().work<{ linkId: string }>(queueName, async (job) => {
        handled.push({ id: job.id, data: job.data, retryCount: job.retryCount });
      }, FAST);
      const id = await q().send(queueName, { linkId: 'link-1' });
      expect(id).toEqual(expect.any(String));
      const done = await jobWhen(queueName, id as string, (job) => job.state === 'completed', 'the job to complete');
      expect(done.data).toEqual({ linkId: 'link-1' });
      expect(handled).toEqual([{ id, data: { linkId: 'link-1' }, retryCount: 0 }]);
    });

    test('a throwing handler is retried with backoff, then succeeds', async () => {
      const queueName = name('retry');
      await q().createQueue({ name: queueName, retryLimit: 2, retryDelaySeconds: 1, retryBackoff: true, retryDelayMaxSeconds: 2 });
      const attempts: Array<{ retryCount: number; at: number }> = [];
      await q().work<object>(queueName, async (job) => {
        attempts.push({ retryCount: job.retryCount, at: Date.now() });
        if (job.retryCount === 0) throw Object.assign(new Error('portal unavailable'), { code: 'unavailable' });
      }, FAST);
      const id = (await q().send(queueName, { n: 1 })) as string;
      const done = await jobWhen(queueName, id, (job) => job.state === 'completed', 'the retried job to complete');
      expect(done.retryCount).toBe(1);
      expect(done.retryBackoff).toBe(true);
      expect(attempts.map((a) => a.retryCount)).toEqual([0, 1]);
      // Backoff with retryDelay 1 s: the first retry waits 1..2 s (capped at retryDelayMax 2 s).
      expect((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(900);
    });

    test('after retryLimit the job fails and lands in the dead letter queue', async () => {
      const queueName = name('doomed');
      const deadLetter = name('dlq');
      await q().createQueue({ name: queueName, retryLimit: 1, retryDelaySeconds: 0, retryBackoff: false, deadLetter });
      let attempts = 0;
      await q().work(queueName, async () => {
        attempts++;
        throw new Error('Sentinel said 400: bad request');
      }, FAST);
      const marker = randomUUID();
      const id = (await q().send(queueName, { marker })) as string;
      const failed = await jobWhen(queueName, id, (job) => job.state === 'failed', 'the job to fail for good');
      expect(failed.retryCount).toBe(1);
      expect(failed.output).toMatchObject({ message: 'Sentinel said 400: bad request' });
      expect(attempts).toBe(2);
      const dead = await waitFor(async () => (await q().findJobs<{ marker: string }>(deadLetter, { data: { marker } }))[0], 'the dead letter job');
      expect(dead.data).toEqual({ marker });
    });

    test('counts: ready, deferred and active jobs of the named queues, as pg-boss last counted them', async () => {
      const queueName = name('counted');
      const deadLetter = name('counted_dlq');
      await q().createQueue({ name: queueName, deadLetter });
      await q().send(queueName, { n: 1 });
      await q().send(queueName, { n: 2 });
      await q().send(queueName, { n: 3 }, { startAfter: 3600 });
      await q().send(deadLetter, { n: 4 });
      const counts = await waitFor(async () => {
        const current = await q().counts([queueName, deadLetter, name('missing')]);
        return current.find((count) => count.queue === queueName)?.ready === 2 ? current : undefined;
      }, 'the queues to be recounted', 20_000);
      expect(counts).toEqual(
        expect.arrayContaining([
          { queue: queueName, ready: 2, deferred: 1, active: 0 },
          { queue: deadLetter, ready: 1, deferred: 0, active: 0 },
        ]),
      );
      expect(counts).toHaveLength(2);
    });

    test('singletonKey on a short-policy queue keeps one queued job per key', async () => {
      const queueName = name('single');
      await q().createQueue({ name: queueName, policy: 'short' });
      const first = await q().send(queueName, { a: 1 }, { singletonKey: 'watch:pair-1', startAfter: 3600 });
      const second = await q().send(queueName, { a: 2 }, { singletonKey: 'watch:pair-1', startAfter: 3600 });
      const other = await q().send(queueName, { a: 3 }, { singletonKey: 'watch:pair-2', startAfter: 3600 });
      expect(first).toEqual(expect.any(String));
      expect(second).toBeNull();
      expect(other).toEqual(expect.any(String));
    });

    test('sendMany queues a batch in one write, refusing per singletonKey as send does, with the queue\'s settings', async () => {
      const queueName = name('many');
      await q().createQueue({ name: queueName, policy: 'stately', retryLimit: 7 });
      const later = { startAfter: 3600 };
      expect(await q().send(queueName, { linkId: 'a' }, { singletonKey: 'a', ...later })).toEqual(expect.any(String));
      const queued = await q().sendMany(queueName, [
        { data: { linkId: 'a' }, options: { singletonKey: 'a', ...later } },
        { data: { linkId: 'b' }, options: { singletonKey: 'b', ...later } },
        { data: { linkId: 'c' }, options: { singletonKey: 'c', ...later } },
        { data: { linkId: 'b', again: true }, options: { singletonKey: 'b', ...later } },
      ]);
      expect(queued).toBe(2);
      const jobs = await q().findJobs<{ linkId: string }>(queueName);
      expect(jobs.map((job) => job.data).sort((x, y) => x.linkId.localeCompare(y.linkId))).toEqual([{ linkId: 'a' }, { linkId: 'b' }, { linkId: 'c' }]);
      expect(jobs.map((job) => [job.state, job.retryLimit])).toEqual(Array.from({ length: 3 }, () => ['created', 7]));
      expect(await q().sendMany(queueName, [])).toBe(0);
      await expect(q().sendMany(name('nope'), [{ data: {} }])).rejects.toMatchObject({ code: 'invalid-argument' });
    });

    test('a job sent inside a store transaction exists only if the transaction commits', async () => {
      const queueName = name('tx');
      await q().createQueue({ name: queueName });
      const committed = await (db as Db).transaction((tx) => q().send(queueName, { kept: true }, { tx, startAfter: 3600 }));
      expect(committed).toEqual(expect.any(String));
      expect(await q().findJobs(queueName, { id: committed as string })).toHaveLength(1);
      let rolledBackId: string | null = null;
      await expect(
        (db as Db).transaction(async (tx) => {
          rolledBackId = await q().send(queueName, { kept: false }, { tx, startAfter: 3600 });
          throw new Error('edit refused');
        }),
      ).rejects.toThrow('edit refused');
      expect(rolledBackId).toEqual(expect.any(String));
      expect(await q().findJobs(queueName, { id: rolledBackId as unknown as string })).toEqual([]);
    });

    test('sending to a queue this process did not define is refused', async () => {
      await expect(q().send(name('nope'), {})).rejects.toMatchObject({ code: 'invalid-argument' });
    });

    test('a graceful stop lets the running handler finish and completes its job', async () => {
      // Its own instance on the same database, so stopping it leaves the shared one running.
      const own = await createBossQueue({ db: db as Db, schema: bossSchema });
      const queueName = name('graceful');
      await own.createQueue({ name: queueName });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let started = false;
      let finished = false;
      await own.work(queueName, async () => {
        started = true;
        await gate;
        finished = true;
      }, FAST);
      const id = (await own.send(queueName, {})) as string;
      await waitFor(async () => (started ? true : undefined), 'the handler to start');
      let stopped = false;
      const stopping = own.stop({ graceful: true, timeoutMs: 20_000 }).then(() => {
        stopped = true;
      });
      // Let stop() run as far as it can on its own: it must still be waiting for the handler.
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(stopped).toBe(false);
      release();
      await stopping;
      expect(finished).toBe(true);
      await jobWhen(queueName, id, (job) => job.state === 'completed', 'the job to be completed');
    });

    test('a job a dead process left active is handed back at once, retried and completed', async () => {
      // The "dead" process: its own instance, whose handler never returns (as after a kill -9).
      const dead = await createBossQueue({ db: db as Db, schema: bossSchema });
      const queueName = name('orphan');
      await dead.createQueue({ name: queueName, retryDelaySeconds: 0, retryBackoff: false });
      let started = false;
      await dead.work(queueName, () => {
        started = true;
        return new Promise<void>(() => undefined);
      }, FAST);
      const id = (await dead.send(queueName, { edit: 'orphaned' })) as string;
      await waitFor(async () => (started ? true : undefined), 'the dead process to take the job');
      await jobWhen(queueName, id, (job) => job.state === 'active', 'the job to be active');

      expect(await q().failActiveOfDeadProcess('the process running it stopped')).toBe(1);
      expect((await q().findJobs(queueName, { id }))[0]).toMatchObject({ state: 'retry' });
      await q().createQueue({ name: queueName, retryDelaySeconds: 0, retryBackoff: false });
      const handled: number[] = [];
      await q().work(queueName, async (job) => {
        handled.push(job.retryCount);
      }, FAST);
      const done = await jobWhen(queueName, id, (job) => job.state === 'completed', 'the handed-back job to complete');
      expect(done.retryCount).toBe(1);
      expect(handled).toEqual([1]);
      expect(await q().failActiveOfDeadProcess('nothing is left')).toBe(0);
      await dead.stop({ graceful: false, timeoutMs: 1_000 });
    });
  });
}
