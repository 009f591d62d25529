// Snapshot persistence: the whole state as one JSON file, written atomically (temp file + rename)
// so a crash mid-write never leaves a torn snapshot. Writes are debounced after changes.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import type { SimState } from './model.ts';

export interface SnapshotStore {
  load(): Promise<SimState | undefined>;
  /** Schedules a write of `get()` after the debounce delay; repeated calls coalesce. */
  markDirty(): void;
  /** Writes now if anything changed (and waits for a write in flight). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createSnapshotStore(options: {
  file: string;
  get: () => SimState;
  debounceMs?: number;
  onError: (error: unknown, context: string) => void;
}): SnapshotStore {
  const debounceMs = options.debounceMs ?? 250;
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;
  let writing: Promise<void> = Promise.resolve();

  async function writeNow(): Promise<void> {
    if (!dirty) return;
    dirty = false;
    const json = JSON.stringify(options.get());
    const temp = `${options.file}.${process.pid}.${randomUUID()}.tmp`;
    await mkdir(dirname(options.file), { recursive: true });
    await writeFile(temp, json, 'utf8');
    await rename(temp, options.file);
  }

  function queueWrite(): Promise<void> {
    writing = writing.then(writeNow).catch((error: unknown) => {
      dirty = true; // retry on the next change or flush
      options.onError(error, `writing state snapshot ${options.file}`);
    });
    return writing;
  }

  return {
    async load() {
      let text: string;
      try {
        text = await readFile(options.file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      const parsed = JSON.parse(text) as SimState;
      if (parsed?.version !== 1) {
        throw new Error(`simulators: state file ${options.file} has an unknown version; delete it to start fresh`);
      }
      return parsed;
    },
    markDirty() {
      dirty = true;
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        void queueWrite();
      }, debounceMs);
      timer.unref();
    },
    async flush() {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      await queueWrite();
    },
    async close() {
      await this.flush();
    },
  };
}
