// In-memory fakes of the ports the approvals service uses. The connector fake keeps an
// etag-like version that changes on every write, refuses writes from a stale base (409, like the
// Sentinel client), and lets a test queue faults, including writes that get part-way.
import { PortalError, type PortalErrorCode } from '../../src/domain/errors.ts';
import type { Actor } from '../../src/domain/incident.ts';
import type { ConnectorConfig, ConnectorSnapshot } from '../../src/domain/connector.ts';
import type { ConnectorSettingsClient } from '../../src/sync/ports.ts';
import type {
  ApprovalPatch,
  ApprovalRepository,
  ApprovalRequest,
  ApprovalState,
  AuditEntry,
  AuditRepository,
  JsonValue,
  NewApprovalRequest,
  NewAuditEntry,
  SettingsRepository,
} from '../../src/store/ports.ts';
import type { RequirementCheck } from '../../src/approvals/types.ts';

export const BASE_CONFIG: ConnectorConfig = {
  integrationMethod: 'azurePortal',
  incidentsAndAlerts: true,
  turnOffIncidentCreationRules: true,
  entities: false,
  eventTypes: ['DeviceProcessEvents', 'EmailEvents'],
};

export interface InjectedFault {
  code: PortalErrorCode;
  status?: number;
  retryAfterSeconds?: number;
  /** Settings the failing write still changes before it fails (a write that got part-way). */
  partial?: Partial<ConnectorConfig>;
}

export interface FakeConnector extends ConnectorSettingsClient {
  current(): ConnectorSnapshot;
  /** Faults for the next write calls, in order. */
  failWrites(...faults: InjectedFault[]): void;
  /** Faults for the next read calls, in order. */
  failReads(...faults: InjectedFault[]): void;
  /** A change made in the portal, outside the bridge. */
  changeOutside(patch: Partial<ConnectorConfig>): void;
  /** The portal silently ignores these settings on write (read-back mismatch). */
  ignoreOnWrite(patch: Partial<ConnectorConfig>): void;
  writes: { baseVersion: string; next: ConnectorConfig }[];
  reads: number;
  checkRequirements?: () => Promise<RequirementCheck[]>;
}

export function createFakeConnector(initial: ConnectorConfig = BASE_CONFIG, clock: () => Date = () => new Date()): FakeConnector {
  let config = structuredClone(initial);
  let version = 1;
  const writeFaults: InjectedFault[] = [];
  const readFaults: InjectedFault[] = [];
  let ignored: Partial<ConnectorConfig> = {};
  const snapshot = (): ConnectorSnapshot => ({ config: structuredClone(config), version: `v${version}`, readAt: clock().toISOString() });
  const apply = (patch: Partial<ConnectorConfig>): void => {
    config = { ...config, ...structuredClone(patch) };
    config.eventTypes = [...new Set(config.eventTypes)].sort();
    version += 1;
  };
  const toError = (fault: InjectedFault): PortalError =>
    new PortalError('sentinel', fault.code, `injected ${fault.code}`, {
      ...(fault.status !== undefined ? { status: fault.status } : {}),
      ...(fault.retryAfterSeconds !== undefined ? { retryAfterSeconds: fault.retryAfterSeconds } : {}),
    });
  const fake: FakeConnector = {
    writes: [],
    reads: 0,
    async read() {
      fake.reads += 1;
      await Promise.resolve();
      const fault = readFaults.shift();
      if (fault) throw toError(fault);
      return snapshot();
    },
    async write(base, next) {
      fake.writes.push({ baseVersion: base.version, next: structuredClone(next) });
      await Promise.resolve();
      if (base.version !== `v${version}`) {
        throw new PortalError('sentinel', 'conflict', `Newer version of resource exists (base ${base.version}, current v${version})`, { status: 409 });
      }
      const fault = writeFaults.shift();
      if (fault) {
        if (fault.partial) apply(fault.partial);
        throw toError(fault);
      }
      apply({ ...next, ...ignoredFrom(ignored, config) });
      return snapshot();
    },
    current: snapshot,
    failWrites: (...faults) => writeFaults.push(...faults),
    failReads: (...faults) => readFaults.push(...faults),
    changeOutside: (patch) => apply(patch),
    ignoreOnWrite: (patch) => {
      ignored = patch;
    },
  };
  return fake;
}

/** Keeps the current value of every ignored setting. */
function ignoredFrom(ignored: Partial<ConnectorConfig>, config: ConnectorConfig): Partial<ConnectorConfig> {
  const kept: Partial<ConnectorConfig> = {};
  for (const key of Object.keys(ignored) as (keyof ConnectorConfig)[]) {
    (kept as Record<string, unknown>)[key] = config[key];
  }
  return kept;
}

export function createMemoryApprovals(clock: () => Date): ApprovalRepository & { all(): ApprovalRequest[] } {
  const rows = new Map<string, ApprovalRequest>();
  const copy = <T>(v: T): T => structuredClone(v);
  return {
    all: () => [...rows.values()].map(copy),
    async create(request: NewApprovalRequest) {
      await Promise.resolve();
      if (rows.has(request.id)) throw new Error(`duplicate approval id ${request.id}`);
      const now = clock().toISOString();
      const row: ApprovalRequest = {
        ...copy(request),
        state: 'pending',
        decidedBy: null,
        decidedAt: null,
        outcome: null,
        cards: copy(request.cards ?? {}),
        createdAt: now,
        updatedAt: now,
      };
      rows.set(row.id, row);
      return copy(row);
    },
    async get(id) {
      await Promise.resolve();
      const row = rows.get(id);
      return row ? copy(row) : null;
    },
    async list(filter) {
      await Promise.resolve();
      const states = filter.states;
      return [...rows.values()]
        .filter((r) => r.pairId === filter.pairId && (!states || states.includes(r.state)))
        .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1))
        .slice(0, filter.limit ?? 50)
        .map(copy);
    },
    async transition(id, from: readonly ApprovalState[], to: ApprovalState, patch?: ApprovalPatch) {
      await Promise.resolve();
      // Check-and-set in one synchronous step: the in-memory equivalent of one conditional UPDATE.
      const row = rows.get(id);
      if (!row || !from.includes(row.state)) return null;
      Object.assign(row, copy(patch ?? {}), { state: to, updatedAt: clock().toISOString() });
      return copy(row);
    },
    async setCard(id, conversationId, activityId) {
      await Promise.resolve();
      const row = rows.get(id);
      if (!row) return null;
      row.cards = { ...row.cards, [conversationId]: activityId };
      return copy(row);
    },
    async expireDue(now, pairId) {
      await Promise.resolve();
      const out: ApprovalRequest[] = [];
      for (const row of rows.values()) {
        if (row.state === 'pending' && row.pairId === pairId && row.expiresAt <= now) {
          row.state = 'expired';
          row.updatedAt = now;
          out.push(copy(row));
        }
      }
      return out;
    },
    async assignUnpaired(pairId) {
      await Promise.resolve();
      const unpaired = [...rows.values()].filter((row) => !row.pairId);
      for (const row of unpaired) row.pairId = pairId;
      return unpaired.length;
    },
  };
}

export function createMemorySettings(): SettingsRepository & { values: Map<string, JsonValue> } {
  const values = new Map<string, JsonValue>();
  return {
    values,
    async get(key) {
      return values.has(key) ? structuredClone(values.get(key) as JsonValue) : null;
    },
    async set(key, value) {
      values.set(key, structuredClone(value));
    },
    async delete(key) {
      return values.delete(key);
    },
  };
}

export function createMemoryAudit(): AuditRepository & { entries: AuditEntry[] } {
  const entries: AuditEntry[] = [];
  return {
    entries,
    async append(entry: NewAuditEntry) {
      const stored: AuditEntry = { ...structuredClone(entry), pairId: entry.pairId ?? null, id: entries.length + 1 };
      entries.push(stored);
      return structuredClone(stored);
    },
    async list(filter) {
      return entries
        .filter((e) => (filter?.subject ? e.subject === filter.subject : true))
        .filter((e) => (filter?.pairId ? e.pairId === filter.pairId : true))
        .filter((e) => (filter?.from ? e.at >= filter.from : true))
        .filter((e) => (filter?.to ? e.at < filter.to : true))
        .slice(0, filter?.limit ?? 100)
        .map((e) => structuredClone(e));
    },
    async assignUnpaired(pairId, subjectPrefixes) {
      const unpaired = entries.filter((e) => e.pairId === null && subjectPrefixes.some((prefix) => e.subject.startsWith(prefix)));
      for (const entry of unpaired) entry.pairId = pairId;
      return unpaired.length;
    },
  };
}

/** A clock tests move by hand. */
export function createManualClock(start = '2026-03-02T09:00:00.000Z'): { now: () => Date; advance(ms: number): void } {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advance(ms) {
      t += ms;
    },
  };
}

export const ALICE: Actor = { objectId: 'aaaaaaaa-0000-0000-0000-000000000001', upn: 'alice@contoso.com', displayName: 'Alice Requester' };
export const BOB: Actor = { objectId: 'bbbbbbbb-0000-0000-0000-000000000002', upn: 'bob@contoso.com', displayName: 'Bob Approver' };
export const CAROL: Actor = { objectId: 'cccccccc-0000-0000-0000-000000000003', upn: 'carol@contoso.com', displayName: 'Carol Approver' };
export const MALLORY: Actor = { objectId: 'dddddddd-0000-0000-0000-000000000004', upn: 'mallory@contoso.com', displayName: 'Mallory Analyst' };

export const VIOLET: Actor = { objectId: 'eeeeeeee-0000-0000-0000-000000000005', upn: 'violet@contoso.com', displayName: 'Violet Viewer' };

/** The pair the unit tests' connector belongs to. */
export const PAIR_ID = 'soc';

export const APPROVER_IDS = new Set([ALICE.objectId, BOB.objectId, CAROL.objectId]);
/** Analysts who are not approvers; Violet is neither (a viewer). */
export const ANALYST_IDS = new Set([MALLORY.objectId]);

/** A stored request as a repository returns it: pending, from BASE_CONFIG at v1, nothing derived stored. */
export function approvalRequest(patch: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    id: 'req-1',
    pairId: PAIR_ID,
    requester: ALICE,
    reason: 'more data',
    baseVersion: 'v1',
    baseConfig: BASE_CONFIG,
    proposedConfig: BASE_CONFIG,
    diff: null,
    consequences: null,
    state: 'pending',
    decidedBy: null,
    decidedAt: null,
    expiresAt: '2026-03-03T09:00:00.000Z',
    outcome: null,
    cards: {},
    createdAt: '2026-03-02T09:00:00.000Z',
    updatedAt: '2026-03-02T09:00:00.000Z',
    ...patch,
  };
}
