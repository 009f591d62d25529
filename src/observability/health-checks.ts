// The readiness checks behind /healthz and /readyz: the store answers a query, the sync engine's
// loops report no failure, and each portal answers. Liveness (/livez) asks none of them.
//
// Probes come often (the platform's, every few seconds, on every replica) while Graph allows 150
// requests a minute per app: each portal is asked at most once per `portalCacheMs` on this
// replica, failures included, and never twice at once. A check that does not answer within
// `checkTimeoutMs` counts as failed and is named, so one hanging portal cannot hide the others
// behind a timeout of the whole probe; a portal call still running keeps its result for later.
import type { HealthCheck, HealthProbe } from '../server/http.ts';

export interface PortalProbe {
  /** The check's name in the report, e.g. 'defender:default'. */
  name: string;
  /** Any cheap authenticated call; its answer is ignored, only whether it succeeds counts. */
  probe: () => Promise<unknown>;
}

export interface HealthChecksOptions {
  store: {
    /** What the store is, for the log (e.g. 'PGlite (embedded)'). */
    description: string;
    /** One trivial query. */
    ping: () => Promise<unknown>;
  };
  /** The sync engine's own view of its watchers and dispatcher (in memory, no I/O). */
  engine: () => Record<string, HealthCheck>;
  portals: readonly PortalProbe[];
  /** Epoch milliseconds. */
  now?: () => number;
  /** Resolves after `ms`; it must not keep the process alive. */
  wait?: (ms: number) => Promise<void>;
  /** Default 30 s: 2 portals per pair at most twice a minute, far inside Graph's 150 a minute. */
  portalCacheMs?: number;
  /**
   * Default 3 s: below the readiness probe's timeout in infra/azure.bicep (5 s) and the HTTP
   * server's own bound on the whole probe, so the answer names what is slow.
   */
  checkTimeoutMs?: number;
}

export const DEFAULT_PORTAL_CACHE_MS = 30_000;
export const DEFAULT_CHECK_TIMEOUT_MS = 3_000;

const realWait = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

function failed(error: unknown): HealthCheck {
  return { ok: false, detail: error instanceof Error ? error.message : String(error) };
}

/** Runs `probe`, turning its outcome (success, error) into a check. Never rejects. */
async function asCheck(probe: () => Promise<unknown>, detail?: string): Promise<HealthCheck> {
  try {
    await probe();
    return detail === undefined ? { ok: true } : { ok: true, detail };
  } catch (error) {
    return failed(error);
  }
}

export function createHealthChecks(options: HealthChecksOptions): HealthProbe {
  const now = options.now ?? Date.now;
  const wait = options.wait ?? realWait;
  const cacheMs = options.portalCacheMs ?? DEFAULT_PORTAL_CACHE_MS;
  const timeoutMs = options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const settled = new Map<string, { at: number; check: HealthCheck }>();
  const running = new Map<string, Promise<HealthCheck>>();

  async function withinTimeout(check: Promise<HealthCheck>): Promise<HealthCheck> {
    const late = wait(timeoutMs).then((): HealthCheck => ({ ok: false, detail: `no answer within ${timeoutMs} ms` }));
    return Promise.race([check, late]);
  }

  function portalCheck({ name, probe }: PortalProbe): Promise<HealthCheck> {
    const cached = settled.get(name);
    if (cached && now() - cached.at < cacheMs) return Promise.resolve(cached.check);
    let call = running.get(name);
    if (!call) {
      call = asCheck(probe).then((check) => {
        settled.set(name, { at: now(), check });
        running.delete(name);
        return check;
      });
      running.set(name, call);
    }
    return withinTimeout(call);
  }

  return async () => {
    const [store, ...portals] = await Promise.all([
      withinTimeout(asCheck(options.store.ping, options.store.description)),
      ...options.portals.map(portalCheck),
    ]);
    const report: Record<string, HealthCheck> = { store: store as HealthCheck, ...options.engine() };
    options.portals.forEach(({ name }, index) => {
      report[name] = portals[index] as HealthCheck;
    });
    return report;
  };
}
