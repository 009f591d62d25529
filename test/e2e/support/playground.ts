// Starts and stops the Microsoft 365 Agents Playground (npm @microsoft/m365agentsplayground, the
// former Teams App Test Tool) as a child process, for end-to-end tests with a real Teams-like client.
//
// What its CLI (0.2.x) does, read from `agentsplayground start --help` and its bundled server:
// - One HTTP port serves everything: the web UI (/), the mock Bot Connector (/_connector, the
//   serviceUrl it puts in every activity), its token endpoints and a WebSocket for the UI.
// - `-p <port>` picks that port (default 56150, or TEAMSAPPTESTER_PORT). A taken port makes it
//   fall back to a random one, and `-p 0` asks for a random one outright; either way it prints
//   "Listening on <port>" on stdout. We always pass 0, so parallel runs never collide, and read
//   the port from stdout. It listens on all interfaces (the CLI has no host option).
// - TEAMSAPPTESTER_BROWSER=none: do not try to open a desktop browser.
// - It reads .m365agentsplayground.yml from its working directory (M365_AGENTS_PLAYGROUND_CONFIG_PATH
//   overrides) and writes its log to ./devTools/m365agentsplayground.log unless
//   M365_AGENTS_PLAYGROUND_LOGFILE (or the older TEAMSAPPTESTER_LOGFILE) says otherwise. Each run
//   gets its own temporary working directory; the log goes where the caller says (test-results/),
//   so it outlives the run for diagnosis and never lands in the checkout. Both variables are set
//   here, so a developer's own settings cannot redirect a test run.
// - --disable-telemetry: no Application Insights calls (tests use no network but loopback).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CodedError } from '../../../src/domain/errors.ts';

/**
 * Names from the Playground's default configuration (no .m365agentsplayground.yml): the bot is
 * "Test Bot", the signed-in user "Alex Wilber" (UPN alexw@example.com), in team "My Team" with
 * channels "General" and "Announcements", plus a personal chat and a group chat.
 */
export const PLAYGROUND_DEFAULTS = {
  botName: 'Test Bot',
  userName: 'Alex Wilber',
  userPrincipalName: 'alexw@example.com',
  team: 'My Team',
  channel: 'General',
  /** The tenant id of its default configuration, on every activity (env/.env.local allows it). */
  tenantId: '00000000-0000-0000-0000-0000000000001',
} as const;

export type PlaygroundChannel = 'msteams' | 'directline' | 'webchat' | 'emulator' | 'agents';

export interface PlaygroundOptions {
  /** The bot's messaging endpoint, e.g. http://127.0.0.1:3978/api/messages. */
  botEndpoint: string;
  /** Default 'msteams': Teams-shaped activities and the Teams UI (team, channels, chats). */
  channel?: PlaygroundChannel;
  /**
   * How long to wait for the UI to answer. Its bundled server starts in about a second; a cold
   * start on a loaded CI machine can take several.
   */
  startTimeoutMs?: number;
  /** Where the Playground writes its log (kept after stop). Default: its temporary directory, removed on stop. */
  logFile?: string;
  /** Extra environment for the child (merged over ours). */
  env?: Record<string, string>;
}

export interface Playground {
  readonly port: number;
  /** The web UI, e.g. http://localhost:41234/. */
  readonly url: string;
  /** The mock connector's serviceUrl, as activities carry it. */
  readonly serviceUrl: string;
  readonly pid: number;
  /** The Playground's own log (requests to and from the bot, errors), for failure reports. */
  readLog(): Promise<string>;
  /** What the child printed on stdout and stderr so far. */
  output(): string;
  /** Stops the child (SIGTERM, then SIGKILL after a grace period) and removes its directory. */
  stop(): Promise<void>;
}

export type PlaygroundErrorCode = 'playground-missing' | 'playground-start-failed';

export class PlaygroundError extends CodedError<PlaygroundErrorCode> {}

const require = createRequire(import.meta.url);
const LISTENING = /Listening on (\d+)/;

function playgroundCli(): string {
  try {
    return require.resolve('@microsoft/m365agentsplayground/cli.js');
  } catch (error) {
    throw new PlaygroundError('playground-missing', 'The Agents Playground is not installed: run `npm ci` (it is the devDependency @microsoft/m365agentsplayground).', { cause: error });
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Polls until the UI answers 200; rejects when the child dies or the deadline passes. */
async function waitUntilServing(url: string, child: ChildProcess, deadline: number, describe: () => string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new PlaygroundError('playground-start-failed', `The Agents Playground exited (code ${child.exitCode ?? child.signalCode}) before serving its UI. ${describe()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new PlaygroundError('playground-start-failed', `The Agents Playground did not serve ${url} in time. ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startPlayground(options: PlaygroundOptions): Promise<Playground> {
  const cli = playgroundCli();
  const workDir = await mkdtemp(join(tmpdir(), 'agents-playground-'));
  const logFile = options.logFile ?? join(workDir, 'playground.log');
  if (options.logFile) await mkdir(dirname(options.logFile), { recursive: true });
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const args = [cli, 'start', '--app-endpoint', options.botEndpoint, '--channel-id', options.channel ?? 'msteams', '--port', '0', '--disable-telemetry'];
  // process.execPath: the pinned Node 24 the tests run on (npm exec puts it first on PATH).
  const child = spawn(process.execPath, args, {
    cwd: workDir,
    env: {
      ...process.env,
      TEAMSAPPTESTER_BROWSER: 'none',
      M365_AGENTS_PLAYGROUND_LOGFILE: logFile,
      TEAMSAPPTESTER_LOGFILE: logFile,
      M365_AGENTS_PLAYGROUND_CONFIG_PATH: join(workDir, '.m365agentsplayground.yml'),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', (error) => reject(new PlaygroundError('playground-start-failed', `Could not start the Agents Playground: ${error.message}`, { cause: error }))));
  spawnFailed.catch(() => undefined);

  // If this process ends without stop() (a crash, an uncaught error), take the child with it
  // rather than leave an orphan serving a port. kill() is synchronous, so it works in 'exit'.
  const killOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.kill('SIGTERM');
      // It closes in well under a second; do not let a stuck child hang the suite.
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited(child);
      clearTimeout(timer);
    }
    await rm(workDir, { recursive: true, force: true });
  };
  const describe = () => `Output so far: ${output.trim() || '(none)'}`;

  try {
    const deadline = Date.now() + startTimeoutMs;
    const port = await Promise.race([
      spawnFailed,
      (async () => {
        for (;;) {
          const match = LISTENING.exec(output);
          if (match?.[1]) return Number(match[1]);
          if (child.exitCode !== null || child.signalCode !== null) {
            throw new PlaygroundError('playground-start-failed', `The Agents Playground exited (code ${child.exitCode ?? child.signalCode}) before listening. ${describe()}`);
          }
          if (Date.now() > deadline) throw new PlaygroundError('playground-start-failed', `The Agents Playground printed no "Listening on <port>" in ${startTimeoutMs} ms. ${describe()}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })(),
    ]);
    // The UI is mounted just after "Listening on" is printed, so wait for it to answer.
    const url = `http://localhost:${port}/`;
    await waitUntilServing(`http://127.0.0.1:${port}/`, child, deadline, describe);
    return {
      port,
      url,
      serviceUrl: `http://localhost:${port}/_connector`,
      pid: child.pid ?? -1,
      readLog: () => readFile(logFile, 'utf8').catch(() => ''),
      output: () => output,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
