// Structured JSON logs (pino). Child loggers carry the unit of work (incident, portal, job).
// Secrets and tokens are redacted wherever they appear under the usual keys.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(options: { level: string; name?: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      name: options.name ?? 'incident-bridge',
      level: options.level,
      redact: {
        paths: [
          '*.authorization',
          '*.Authorization',
          '*.clientSecret',
          '*.client_secret',
          '*.password',
          '*.botPassword',
          '*.access_token',
          '*.token',
          'headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    options.destination,
  );
}

/** A logger that drops everything; the default for tests and optional collaborators. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
