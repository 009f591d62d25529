// A real pino logger whose JSON lines are kept in memory, to check what a failure logged.
import { createLogger, type Logger } from '../../../src/observability/logger.ts';

export function createCapturingLogger(): { log: Logger; entries: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  return { log, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

/** The reference an apology gives ("… the reference 0a1b2c3d4e5f."), or null. */
export function referenceIn(text: string): string | null {
  return /reference ([0-9a-f]{12})\b/.exec(text)?.[1] ?? null;
}
