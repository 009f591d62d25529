// npm exec -- node bench/embedded-memory.ts: peak resident memory (VmHWM) of a process that opens
// a prepared embedded (PGlite) data directory, after each start-up stage:
//   open + migrate  -> pg-boss start  -> + 5 s idle  -> + 300 small queries  -> + 5 s idle.
// Each configuration runs in a fresh child process (VmHWM is per process and never goes down), once
// with the bridge's RUNTIME_FLAGS and once with only the V8 heap limits, so the effect of
// --liftoff-only (see src/runtime-flags.ts) is visible. The data directory is prepared first the way
// the bridge does it (pglite-init.ts in its own short-lived process), so the one-time initdb peak
// is not part of the figures.
//
// Why the idle stages: V8 compiles PGlite's WebAssembly with its baseline compiler (Liftoff) and,
// once functions get hot, recompiles them with the optimizing compiler (TurboFan) on background
// threads. That recompilation of PostgreSQL's large functions needs ~450 MB of native compiler
// memory for a moment; it happens a second or so after the first few hundred statements, whichever
// code issued them (pg-boss start merely happens to be the first busy phase). It is transient (RSS
// falls back afterwards) but it sets the high-water mark.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RUNTIME_FLAGS } from '../src/runtime-flags.ts';
import { migrate } from '../src/store/migrate.ts';
import { createPgliteDb } from '../src/store/pglite-db.ts';
import { createBossQueue } from '../src/store/boss-queue.ts';

const IDLE_MS = 5_000;
const QUERIES = 300;

interface Stage { stage: string; hwmMb: number; rssMb: number }

function memoryNow(): { hwmMb: number; rssMb: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { hwmMb: Math.round(kb('VmHWM') / 1024), rssMb: Math.round(kb('VmRSS') / 1024) };
}

/** Child mode: open the prepared directory and report memory after each stage, one JSON line each. */
async function measure(dataDir: string): Promise<void> {
  const report = (stage: string) => process.stdout.write(`${JSON.stringify({ stage, ...memoryNow() } satisfies Stage)}\n`);
  const idle = () => new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  report('process start');
  const db = await createPgliteDb({ dataDir });
  await migrate(db);
  report('open + migrate');
  const queue = await createBossQueue({ db });
  report('pg-boss start');
  await idle();
  report(`+ ${IDLE_MS / 1000} s idle`);
  // Timed too: the baseline compiler's code is slower in principle, so the price shows here.
  const started = performance.now();
  for (let i = 0; i < QUERIES; i++) await db.query('SELECT count(*) FROM pg_class WHERE relname LIKE $1', [`%${i}`]);
  report(`+ ${QUERIES} queries (${Math.round(performance.now() - started)} ms)`);
  await idle();
  report(`+ ${IDLE_MS / 1000} s idle`);
  await queue.stop({ graceful: false });
  await db.close();
}

async function runChild(label: string, flags: readonly string[], dataDir: string): Promise<Stage[]> {
  const script = fileURLToPath(import.meta.url);
  const { stdout } = await promisify(execFile)(process.execPath, ['--no-warnings', ...flags, script, '--measure', dataDir], { timeout: 120_000 });
  process.stdout.write(`  .. ${label} done\n`);
  return stdout.trim().split('\n').map((line) => JSON.parse(line) as Stage);
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'bridge-embedded-memory-'));
  try {
    // Prepare the directory as the bridge does on first start (initdb, migrations, pg-boss schema).
    const db = await createPgliteDb({ dataDir: root });
    await migrate(db);
    await db.close();

    const heapOnly = RUNTIME_FLAGS.filter((flag) => flag.startsWith('--max-'));
    const configurations: Array<[string, readonly string[]]> = [
      [`RUNTIME_FLAGS (${RUNTIME_FLAGS.join(' ')})`, RUNTIME_FLAGS],
      [`heap limits only (${heapOnly.join(' ')})`, heapOnly],
    ];
    for (const [label, flags] of configurations) {
      const stages = await runChild(label, flags, root);
      process.stdout.write(`\n${label}\n  ${'stage'.padEnd(30)} ${'VmHWM'.padStart(8)} ${'VmRSS'.padStart(8)}\n`);
      for (const s of stages) process.stdout.write(`  ${s.stage.padEnd(30)} ${`${s.hwmMb} MB`.padStart(8)} ${`${s.rssMb} MB`.padStart(8)}\n`);
    }
    process.stdout.write('\nTarget (issue 3): peak RSS <= 600 MB per replica in embedded mode.\n');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const measureAt = process.argv.indexOf('--measure');
if (measureAt >= 0) {
  const dataDir = process.argv[measureAt + 1];
  if (!dataDir) throw new Error('usage: embedded-memory.ts --measure <prepared DATA_DIR>');
  await measure(dataDir);
  // PGlite leaves handles open after close(); the parent waits for this process to exit.
  process.exit(0);
} else {
  await main();
}
