// Optional OpenTelemetry export to Azure Monitor, with Microsoft's distro
// (@azure/monitor-opentelemetry), when APPLICATIONINSIGHTS_CONNECTION_STRING is set. Unset, the
// distro is never imported: no hooks, no exporter, no cost.
//
// The bridge is ES modules. The distro instruments a module by patching it as it loads, and for ES
// modules that takes a loader hook (its `/loader` entry registers import-in-the-middle's) that sees
// only modules imported after it. So main.ts starts telemetry before it imports the app, and the
// app's modules (restify, pg, the Azure SDKs, botbuilder) are imported once the hook is in place.
//
// What the distro then exports (README, "OpenTelemetry"): spans for incoming HTTP requests
// (/api/messages, /metrics, the probes) and outgoing ones (Graph, ARM, Entra ID, the Bot
// Connector), Azure SDK spans, node-postgres queries (with DATABASE_URL; PGlite is not), pg-boss's
// own job spans and metrics (pg-boss reports through @opentelemetry/api), the distro's standard and
// live metrics, and the spans of the bridge's units of work below. Logs go to stdout through pino,
// which the distro does not instrument: they are not exported.
//
// Exports run in the background and are retried from the distro's local disk cache; an unreachable
// endpoint costs failed exports, never a blocked start or a crash (tested against loopback).
import type { Traced } from './tracing.ts';

/** The distro's cloud role name when OTEL_SERVICE_NAME does not name one. */
export const SERVICE_NAME = 'incident-bridge';
/**
 * The longest a stop waits for the last exports: an unreachable endpoint must not hold the process
 * (what is not sent stays in the distro's disk cache for the next start).
 */
export const SHUTDOWN_WAIT_MS = 2_000;

export interface Telemetry {
  /** Runs a unit of work of the bridge in a span of its own. */
  trace: Traced;
  /** Exports what is buffered, for SHUTDOWN_WAIT_MS at most, and stops. */
  shutdown(): Promise<void>;
}

/** Starts exporting when a connection string is given; null (and nothing loaded) otherwise. */
export async function startTelemetry(connectionString: string | undefined): Promise<Telemetry | null> {
  if (connectionString === undefined) return null;
  await import('@azure/monitor-opentelemetry/loader');
  const { useAzureMonitor, shutdownAzureMonitor } = await import('@azure/monitor-opentelemetry');
  const { SpanStatusCode, trace } = await import('@opentelemetry/api');
  // The distro reads the service name (Application Insights' cloud role) from the environment only.
  process.env['OTEL_SERVICE_NAME'] ??= SERVICE_NAME;
  useAzureMonitor({ azureMonitorExporterOptions: { connectionString } });
  const tracer = trace.getTracer(SERVICE_NAME);
  return {
    trace: (name, attributes, work) =>
      tracer.startActiveSpan(name, { attributes }, async (span) => {
        try {
          return await work();
        } catch (error) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      }),
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_WAIT_MS);
      });
      await Promise.race([shutdownAzureMonitor().catch(() => undefined), waited]);
      clearTimeout(timer);
    },
  };
}
