// Starts identity-child.ts with exactly the environment given (nothing inherited but PATH).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./identity-child.ts', import.meta.url));

export type ChildResult = { ok: true; token?: string } | { ok: false; message: string };

export function runIdentityChild(env: Record<string, string>): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--no-warnings=ExperimentalWarning', CHILD],
      { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(line) as ChildResult);
        } catch {
          reject(new Error(`identity child failed (${error?.message ?? 'no result'}): ${stderr.slice(-2000)}`));
        }
      },
    );
  });
}
