// Who a process is, in terms another process can check. A replica name is reclaimed at once only
// from a predecessor proven gone; proof needs a shared pid space: the same host, kernel boot and
// pid namespace (two containers of one pod share a host name, not a pid space). Within one pid
// space a pid and its start time (clock ticks since boot) name one process for its whole life,
// so a reused pid is not mistaken for the process recorded.
import { randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ProcessIdentity {
  /** Fresh for every process start: what tells a predecessor apart from this process. */
  incarnation: string;
  host: string;
  pid: number;
  /** `<kernel boot id>/<pid namespace>` where /proc shows them (Linux); absent elsewhere. */
  pidSpace?: string;
  /** Start time in clock ticks since boot (/proc/<pid>/stat, field 22); absent where unreadable. */
  startTicks?: string;
}

export interface ProcessTable {
  /** This process, as it records itself. */
  readonly self: ProcessIdentity;
  /** The start ticks of process `pid` in this pid space; null when there is none; undefined when unknown. */
  startTicksOf(pid: number): string | null | undefined;
}

/** `gone`: proven dead; `alive`: proven running; `unknown`: another pid space, or nothing to compare. */
export type Liveness = 'gone' | 'alive' | 'unknown';

export function livenessOf(recorded: ProcessIdentity, table: ProcessTable): Liveness {
  const self = table.self;
  if (recorded.incarnation === self.incarnation) return 'alive';
  if (recorded.host !== self.host || recorded.pidSpace === undefined || recorded.pidSpace !== self.pidSpace || recorded.startTicks === undefined) return 'unknown';
  const ticks = table.startTicksOf(recorded.pid);
  if (ticks === undefined) return 'unknown';
  return ticks === recorded.startTicks ? 'alive' : 'gone';
}

/** Reads an identity recorded as JSON; null for anything else (a holder written by other code). */
export function parseProcessIdentity(text: string): ProcessIdentity | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return null;
    const { incarnation, host, pid, pidSpace, startTicks } = value as Record<string, unknown>;
    if (typeof incarnation !== 'string' || typeof host !== 'string' || typeof pid !== 'number') return null;
    return {
      incarnation,
      host,
      pid,
      ...(typeof pidSpace === 'string' ? { pidSpace } : {}),
      ...(typeof startTicks === 'string' ? { startTicks } : {}),
    };
  } catch {
    return null;
  }
}

function readOrUndefined(read: () => string): string | undefined {
  try {
    return read().trim();
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat. The command name (field 2) may hold spaces and parentheses: count from its last ')'. */
function procStartTicks(pid: number | 'self'): string | null | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' && existsProc() ? null : undefined;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function existsProc(): boolean {
  return readOrUndefined(() => readlinkSync('/proc/self/ns/pid')) !== undefined;
}

/** This process on this machine, read once. */
export function localProcessTable(): ProcessTable {
  const bootId = readOrUndefined(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'));
  const pidNamespace = readOrUndefined(() => readlinkSync('/proc/self/ns/pid'));
  const startTicks = procStartTicks('self') ?? undefined;
  const self: ProcessIdentity = {
    incarnation: randomUUID(),
    host: hostname(),
    pid: process.pid,
    ...(bootId && pidNamespace ? { pidSpace: `${bootId}/${pidNamespace}` } : {}),
    ...(startTicks ? { startTicks } : {}),
  };
  return { self, startTicksOf: (pid) => procStartTicks(pid) };
}
