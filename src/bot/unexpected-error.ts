// One way to answer a failure nobody planned for: the detail (error, stack, store or portal text)
// goes to the log under a short random reference, and the person sees a generic apology with that
// reference, never the detail itself. Input errors are answered before this point, by the parsers.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../observability/logger.ts';
import { unexpectedErrorText } from './replies.ts';

/** Logs `error` with a fresh correlation id and returns the text to show instead. */
export function reportUnexpected(log: Logger, error: unknown, fields: Record<string, unknown>, message: string, lead?: string): string {
  const correlationId = randomBytes(6).toString('hex');
  log.error({ err: error, correlationId, ...fields }, message);
  return unexpectedErrorText(correlationId, lead);
}
