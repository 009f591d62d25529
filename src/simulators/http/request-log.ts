// Request counts per API and a bounded log of recent requests, for GET /_sim/requests.
import type { ApiName } from './types.ts';

export interface RequestLogEntry {
  at: string;
  api: ApiName;
  method: string;
  /** Path and query as received. */
  url: string;
  status: number;
  /** The calling app (token appid), when the request carried a valid token. */
  appId?: string;
  /** The tenant that served the request: Graph's URLs do not name it, so per-tenant counts need it. */
  tenantId?: string;
  faultInjected?: boolean;
}

export interface RequestLog {
  record(entry: RequestLogEntry): void;
  snapshot(): { counts: Record<ApiName, number>; recent: RequestLogEntry[] };
  reset(): void;
}

export function createRequestLog(capacity = 1000): RequestLog {
  let counts: Record<ApiName, number> = { graph: 0, arm: 0, entra: 0, control: 0 };
  let recent: RequestLogEntry[] = [];
  return {
    record(entry) {
      counts[entry.api] += 1;
      recent.push(entry);
      if (recent.length > capacity) recent = recent.slice(recent.length - capacity);
    },
    snapshot() {
      return { counts: { ...counts }, recent: [...recent] };
    },
    reset() {
      counts = { graph: 0, arm: 0, entra: 0, control: 0 };
      recent = [];
    },
  };
}
