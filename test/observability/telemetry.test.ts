// OpenTelemetry is optional and off by default. The bridge runs as `npm start` runs it (src/main.ts
// on the pinned Node), with a preload that records which modules of the Azure Monitor distro it
// resolves: unset, none is loaded; set, to an endpoint on loopback where nothing listens (as with
// no network), the bridge starts, serves, and stops cleanly while its exports fail.
import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RUNTIME_FLAGS } from '../../src/runtime-flags.ts';
import { seedEmbeddedDatabase } from '../support/embedded-database.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PRELOAD = pathToFileURL(fileURLToPath(new URL('./support/record-distro-loads.ts', import.meta.url))).href;
/** Loopback port 9 (discard): nothing listens there, so every export is refused. */
const UNREACHABLE = 'InstrumentationKey=00000000-0000-4000-8000-000000000000;IngestionEndpoint=https://127.0.0.1:9/;LiveEndpoint=https://127.0.0.1:9/';

interface Run {
  /** Status of GET /metrics while it ran. */
  metricsStatus: number;
  exitCode: number | null;
  distroModules: string[];
  output: string;
}

/** Starts the bridge process, waits until it serves, scrapes /metrics, stops it with SIGTERM. */
async function runBridge(extraEnv: Record<string, string>): Promise<Run> {
  const dataDir = path.join(ROOT, 'test-results', `telemetry-${randomUUID().slice(0, 8)}`);
  await seedEmbeddedDatabase(dataDir);
  const env = { PATH: process.env['PATH'] ?? '', TEAMSFX_ENV: 'local', DATA_DIR: dataDir, PORTAL_CA_FILE: '', PORT: '0', SIM_PORT: '0', SIM_EVENTS_PER_MINUTE: '0', LOG_LEVEL: 'warn', ...extraEnv };
  const child = spawn(process.execPath, ['--no-warnings=ExperimentalWarning', ...RUNTIME_FLAGS, '--import', PRELOAD, 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const look = () => {
        const match = /Bot endpoint: +(http:\/\/127\.0\.0\.1:\d+)\/api\/messages/.exec(output);
        if (match) resolve(match[1]!);
      };
      child.stdout.on('data', look);
      void exited.then((code) => reject(new Error(`the bridge exited (${code}) before it served:\n${output}`)));
    });
    const metricsStatus = (await fetch(`${url}/metrics`)).status;
    child.kill('SIGTERM');
    const exitCode = await exited;
    const reported = /distro-modules: (\[.*\])/.exec(output)?.[1];
    if (reported === undefined) throw new Error(`the preload reported nothing:\n${output}`);
    return { metricsStatus, exitCode, distroModules: JSON.parse(reported) as string[], output };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
}

describe('OpenTelemetry export to Azure Monitor', () => {
  test('without APPLICATIONINSIGHTS_CONNECTION_STRING the distro is not loaded at all', async () => {
    const run = await runBridge({});
    expect(run.metricsStatus).toBe(200);
    expect(run.exitCode).toBe(0);
    expect(run.distroModules).toEqual([]);
  }, 90_000);

  test('with a connection string whose endpoint is unreachable the bridge starts, serves and stops cleanly', async () => {
    const run = await runBridge({ APPLICATIONINSIGHTS_CONNECTION_STRING: UNREACHABLE });
    expect(run.distroModules.length).toBeGreaterThan(0);
    expect(run.metricsStatus).toBe(200);
    expect(run.exitCode).toBe(0);
    // The connection string is never printed.
    expect(run.output).not.toContain('00000000-0000-4000-8000-000000000000');
  }, 90_000);
});
