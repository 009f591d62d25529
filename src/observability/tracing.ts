// The port through which the bridge's own units of work (a watcher poll, a link sync, an edit job, a
// notifier delivery) are traced. observability/telemetry.ts implements it with OpenTelemetry spans
// when telemetry is on; otherwise the work just runs.

/**
 * Runs `work` as one unit of work named `name`. Attributes are identifiers (pair, link, request,
 * queue), never incident text.
 */
export type Traced = <T>(name: string, attributes: Readonly<Record<string, string>>, work: () => Promise<T>) => Promise<T>;

export const untraced: Traced = (_name, _attributes, work) => work();
