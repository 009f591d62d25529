// The product as a user starts it: `npm start` (or the start script's own command line, without
// npm) in the checkout, on env/.env.local's embedded defaults, with its data under a git-ignored
// folder and ports the system picks (read back from the banner it prints). Test support only.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import type { Activity } from 'botbuilder';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ProductProcess {
  /** The process started: npm, or Node itself. */
  readonly child: ChildProcess;
  /** The Node process running the bridge (npm's child when started through npm). */
  readonly nodePid: number;
  /** http://127.0.0.1:PORT of the bot endpoint. */
  readonly botUrl: string;
  /** https://localhost:PORT of the embedded simulators. */
  readonly simUrl: string;
  /** The simulators' CA, to call their control API. */
  readonly simCa: string;
  /** Resolves when the started process exits, with when it did (epoch ms). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Everything it wrote to stdout and stderr so far (pino JSON lines and the banner). */
  output(): string;
}

/** A data folder under test-results/ (git-ignored), removed by the returned function. */
export function testDataDir(name: string): { path: string; remove: () => void } {
  const path = join(ROOT, 'test-results', 'lifecycle', `${name}-${randomUUID().slice(0, 8)}`);
  mkdirSync(path, { recursive: true });
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The start script's command line after `[exec] node`: the runtime flags and the entry point. */
function startScriptArguments(): string[] {
  const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start'] ?? '';
  const words = start.split(/\s+/);
  if (words[0] === 'exec') words.shift();
  if (words[0] !== 'node') throw new Error(`unexpected start script: ${start}`);
  return words.slice(1);
}

/**
 * Starts the bridge and resolves once it printed that it is running. Settings override
 * env/.env.local through the process environment, as a user's would.
 */
export async function startProduct(dataDir: string, options: { via: 'node' | 'npm'; env?: Record<string, string>; startTimeoutMs?: number }): Promise<ProductProcess> {
  const env = {
    ...process.env,
    TEAMSFX_ENV: 'local',
    SIMULATORS: 'embedded',
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    PORT: '0',
    SIM_PORT: '0',
    SIM_EVENTS_PER_MINUTE: '0',
    POLL_INTERVAL_SECONDS: '0.5',
    LOG_LEVEL: 'info',
    ...options.env,
  };
  const child = options.via === 'npm'
    ? spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, startScriptArguments(), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
  let gone = false;
  void exited.then(() => (gone = true));

  const banner = await waitFor('the bridge to print that it is running', () => (gone ? Promise.reject(new Error(`it exited:\n${output.slice(-4000)}`)) : /incident-bridge is running[\s\S]*Store:/.exec(output)), options.startTimeoutMs ?? 90_000);
  const text = banner.input;
  const botUrl = /Bot endpoint:\s+(http:\/\/\S+)\/api\/messages/.exec(text)?.[1];
  const simUrl = /Graph \(sim\):\s+(https:\/\/\S+)\/v1\.0\//.exec(text)?.[1];
  const caPath = /\(CA: ([^)]+)\)/.exec(text)?.[1];
  // Every pino line carries the pid of the process that wrote it: Node's, even under npm.
  const nodePid = Number(/"pid":(\d+)/.exec(text)?.[1]);
  if (!botUrl || !simUrl || !caPath || !Number.isInteger(nodePid)) throw new Error(`could not read the banner:\n${text.slice(-4000)}`);
  return { child, nodePid, botUrl, simUrl, simCa: readFileSync(caPath, 'utf8'), exited, output: () => output };
}

/** Whether a process with this pid exists (a zombie counts until its parent reaps it). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills what a test left running (a failed assertion must not leave a bridge behind). */
export function killIfRunning(product: ProductProcess | undefined): void {
  if (!product) return;
  for (const pid of new Set([product.nodePid, product.child.pid])) {
    if (pid !== undefined && isRunning(pid)) process.kill(pid, 'SIGKILL');
  }
}

/** A Teams message or command to the bot, as Teams posts it; resolves with the HTTP status. */
export async function postActivity(product: ProductProcess, activity: Partial<Activity>): Promise<number> {
  const response = await fetch(`${product.botUrl}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
  await response.arrayBuffer();
  return response.status;
}

/** The simulators' control API (/_sim/...) over HTTPS, trusting their CA. */
export function simControl(product: ProductProcess, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(`${product.simUrl}${path}`, { method, ca: product.simCa, headers: { 'content-type': 'application/json' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, json: text ? (JSON.parse(text) as unknown) : null });
      });
    });
    request.on('error', reject);
    if (body !== undefined) request.write(JSON.stringify(body));
    request.end();
  });
}

/** Polls `condition` until it returns a truthy value; throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, condition: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
