// The parent side of replica.ts: fork a bridge replica on the pinned Node, talk to it over IPC,
// kill it with SIGKILL, and read its peak RSS. Used by the reliability tests and bench/sync.ts.
import { RUNTIME_FLAGS } from '../../../src/runtime-flags.ts';
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunningSimulators } from '../../../src/simulators/index.ts';
import type { EditRequest, SubmitResult } from '../../../src/sync/api.ts';
import type { ChangeEvent } from '../../../src/domain/change-events.ts';
import type { EditOutcome } from '../../../src/domain/edits.ts';
import type { ReplicaRequest, WatcherReport } from './replica.ts';

const RUNNER = fileURLToPath(new URL('./replica.ts', import.meta.url));

/** Distributes the request type over its members, so each keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface ReplicaProcess {
  pid: number;
  url: string;
  /** Stored and acknowledged by the replica; rejects when it dies before answering. */
  submit(request: EditRequest): Promise<SubmitResult>;
  outcome(requestId: string): Promise<EditOutcome | null>;
  events(afterSeq: number, limit?: number): Promise<ChangeEvent[]>;
  health(): Promise<Record<string, { ok: boolean; detail?: string }>>;
  /** The engine's watchers on this replica: which pairs it polls, since when. */
  watchers(): Promise<WatcherReport>;
  /** kill -9: no shutdown code runs. Resolves when the process is gone. */
  kill9(): Promise<void>;
  /** Graceful stop (in-flight jobs finish or return to the queue). */
  stop(): Promise<void>;
  /** Peak resident set size so far (Linux /proc VmHWM), in MB; null elsewhere or once gone. */
  peakRssMb(): number | null;
  /** Last lines the replica wrote to stderr/stdout, for failure messages. */
  output(): string;
  exited: Promise<number | null>;
}

/** The environment of a replica that uses simulators running in the caller's process. */
export function replicaEnvironment(simulators: RunningSimulators, settings: { dataDir: string; databaseUrl?: string; pollIntervalSeconds?: number; logLevel?: string; replicaName?: string }): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    TEAMSFX_ENV: 'local',
    SIMULATORS: 'external',
    SIM_URL: simulators.url,
    GRAPH_ENDPOINT: simulators.url,
    ARM_ENDPOINT: simulators.url,
    AUTHORITY_HOST: simulators.url,
    PORTAL_CA_FILE: simulators.caCertPath,
    DATA_DIR: settings.dataDir,
    DATABASE_URL: settings.databaseUrl ?? '',
    POLL_INTERVAL_SECONDS: String(settings.pollIntervalSeconds ?? 0.5),
    SIM_EVENTS_PER_MINUTE: '0',
    PORT: '0',
    LOG_LEVEL: settings.logLevel ?? 'warn',
    ...(settings.replicaName ? { REPLICA_NAME: settings.replicaName } : {}),
  };
}

export async function startReplica(env: Record<string, string>, options: { startTimeoutMs?: number } = {}): Promise<ReplicaProcess> {
  // The pinned Node runs .ts directly; jest's own flags (--experimental-vm-modules) are not wanted.
  const child: ChildProcess = fork(RUNNER, [], { execPath: process.execPath, execArgv: ['--no-warnings=ExperimentalWarning', ...RUNTIME_FLAGS], env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let gone = false;
  void exited.then(() => {
    gone = true;
    for (const waiter of pending.values()) waiter.reject(new Error('replica exited before answering'));
    pending.clear();
  });

  const ready = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica did not start within ${options.startTimeoutMs ?? 60_000} ms:\n${tail}`)), options.startTimeoutMs ?? 60_000);
    child.on('message', (message: { type?: string; url?: string; pid?: number; id?: number; ok?: boolean; value?: unknown; error?: string }) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve({ url: message.url!, pid: message.pid! });
        return;
      }
      const waiter = message.id !== undefined ? pending.get(message.id) : undefined;
      if (!waiter) return;
      pending.delete(message.id!);
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(new Error(message.error ?? 'replica request failed'));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`replica exited (${code}) while starting:\n${tail}`));
    });
  });

  function request<T>(message: WithoutId<ReplicaRequest>): Promise<T> {
    if (gone) return Promise.reject(new Error('replica is not running'));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ ...message, id });
    });
  }

  return {
    pid: ready.pid,
    url: ready.url,
    submit: (editRequest) => request({ op: 'submit', request: editRequest }),
    outcome: (requestId) => request({ op: 'outcome', requestId }),
    events: (afterSeq, limit) => request({ op: 'events', afterSeq, ...(limit ? { limit } : {}) }),
    health: () => request({ op: 'health' }),
    watchers: () => request({ op: 'watchers' }),
    async kill9() {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (gone) return;
      await request({ op: 'stop' }).catch(() => undefined);
      await exited;
    },
    peakRssMb() {
      if (gone) return null;
      try {
        const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${ready.pid}/status`, 'utf8'));
        return match ? Number(match[1]) / 1024 : null;
      } catch {
        return null;
      }
    },
    output: () => tail,
    exited,
  };
}

/** Polls `condition` until it returns a truthy value or the deadline passes (then throws `what`). */
export async function waitFor<T>(what: string, condition: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
