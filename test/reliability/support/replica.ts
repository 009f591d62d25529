// A bridge replica as a child process, for crash, replica and benchmark runs. Configuration comes
// from the environment exactly as for `npm start` (REPLICA_NAME included); the parent talks to it over
// the IPC channel that child_process.fork opens. Test support only: never shipped.
//
// Messages in:  { id, op: 'submit', request } | { id, op: 'outcome', requestId } | { id, op: 'events', afterSeq }
//               | { id, op: 'health' } | { id, op: 'watchers' } | { id, op: 'stop' }
// Messages out: { type: 'ready', url, pid } once started, then { id, ok: true, value } | { id, ok: false, error }.
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../src/config/config.ts';
import { readEnvironment } from '../../../src/config/env-files.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { startBridge } from '../../../src/start-bridge.ts';
import type { EditRequest } from '../../../src/sync/api.ts';
import type { WatcherStatus } from '../../../src/sync/engine.ts';

export type ReplicaRequest =
  | { id: number; op: 'submit'; request: EditRequest }
  | { id: number; op: 'outcome'; requestId: string }
  | { id: number; op: 'events'; afterSeq: number; limit?: number }
  | { id: number; op: 'health' }
  | { id: number; op: 'watchers' }
  | { id: number; op: 'stop' };

/** The engine's watchers as one replica sees them (the 'watchers' op). */
export interface WatcherReport {
  startedAt: string | undefined;
  liveReplicas: number;
  watchers: Record<string, WatcherStatus>;
}

export type ReplicaReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function main(): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new Error('replica.ts must be started with child_process.fork (it needs the IPC channel)');
  const config = loadConfig(readEnvironment(ROOT, process.env));
  const log = createLogger({ level: config.logLevel });
  const bridge = await startBridge(config, { log, port: 0, onNameLost: () => process.exit(1) });

  // Diagnostics for memory investigations: REPLICA_MEMORY_LOG_MS=2000 prints process.memoryUsage().
  const memoryLogMs = Number(process.env['REPLICA_MEMORY_LOG_MS'] ?? 0);
  if (memoryLogMs > 0) {
    setInterval(() => {
      const mb = Object.fromEntries(Object.entries(process.memoryUsage()).map(([key, value]) => [key, Math.round(value / 1e6)]));
      process.stderr.write(`memory ${JSON.stringify(mb)}\n`);
    }, memoryLogMs).unref();
  }

  async function handle(message: ReplicaRequest): Promise<unknown> {
    switch (message.op) {
      case 'submit':
        return bridge.engine.api.submitEdit(message.request);
      case 'outcome':
        return bridge.engine.api.getEditOutcome(message.requestId);
      case 'events':
        return bridge.context.store.changeEvents.readAfter(message.afterSeq, message.limit ?? 500);
      case 'health':
        return bridge.health();
      case 'watchers':
        return { startedAt: bridge.engine.startedAt(), liveReplicas: bridge.engine.liveReplicas(), watchers: bridge.engine.watcherStatus() } satisfies WatcherReport;
      case 'stop':
        await bridge.close();
        setImmediate(() => process.exit(0));
        return true;
    }
  }

  process.on('message', (message: ReplicaRequest) => {
    handle(message).then(
      (value) => send({ id: message.id, ok: true, value } satisfies ReplicaReply),
      (error: unknown) => send({ id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies ReplicaReply),
    );
  });
  // The parent going away (test ended or crashed) must not leave a replica polling forever.
  process.on('disconnect', () => {
    void bridge.close().finally(() => process.exit(0));
  });
  send({ type: 'ready', url: bridge.url, pid: process.pid });
}

main().catch((error: unknown) => {
  process.stderr.write(`replica failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
