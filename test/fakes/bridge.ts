// In-memory BridgeApi (src/sync/api.ts) for bot tests. Incidents are whatever the test adds;
// edits stay 'accepted' until the test completes or fails them (or `autoComplete` does).
// Not a sync engine: it applies nothing to the incidents and writes to no portal.
import type { Incident, Portal } from '../../src/domain/incident.ts';
import { SEVERITIES } from '../../src/domain/incident.ts';
import type { BridgeApi, ChangeConsumer, EditRequest, IncidentListFilter, SubmitResult } from '../../src/sync/api.ts';
import type { ChangeEvent, IncidentView } from '../../src/domain/change-events.ts';
import type { EditOutcome, FieldName, FieldOutcome } from '../../src/domain/edits.ts';

export interface FakeBridge extends BridgeApi {
  /** Adds or replaces an incident. */
  put(view: IncidentView): void;
  /** Every request submitEdit accepted (duplicates excluded), oldest first. */
  readonly requests: EditRequest[];
  /** Every submitEdit call, duplicates included. */
  readonly submitCalls: EditRequest[];
  /** Makes the request final; resolves its waiters. */
  completeEdit(requestId: string, state?: 'completed' | 'partial'): EditOutcome;
  failEdit(requestId: string, reason: string): EditOutcome;
  /** When set, every new request becomes final as soon as it is submitted. */
  autoComplete: 'completed' | 'failed' | null;
  /** When set, submitEdit waits for this promise first (a slow engine). */
  submitGate: Promise<void> | null;
  /** When set, the next call of that method throws this error. */
  failNext: Partial<Record<'findIncident' | 'listIncidents' | 'submitEdit', Error>>;
  /** Delivers an event to every subscribed consumer, awaiting each. */
  emit(event: ChangeEvent): Promise<void>;
  readonly consumers: ChangeConsumer[];
  /** Last filter listIncidents was called with. */
  lastListFilter: IncidentListFilter | null;
}

const PORTALS: Portal[] = ['defender', 'sentinel'];

function fieldsOf(request: EditRequest): FieldName[] {
  const fields: FieldName[] = [];
  const changes = request.changes;
  if (changes.severity !== undefined) fields.push('severity');
  if (changes.tagsAdd !== undefined || changes.tagsRemove !== undefined) fields.push('tags');
  if (changes.comment !== undefined) fields.push('comment');
  if (changes.status !== undefined) fields.push('status');
  if (changes.classification !== undefined) fields.push('classification');
  if (changes.owner !== undefined) fields.push('owner');
  return fields;
}

function perPortal(request: EditRequest, outcome: FieldOutcome): EditOutcome['perPortal'] {
  const fields = fieldsOf(request);
  const result = {} as EditOutcome['perPortal'];
  for (const portal of PORTALS) result[portal] = Object.fromEntries(fields.map((field) => [field, outcome]));
  return result;
}

function rank(severity: string): number {
  return (SEVERITIES as readonly string[]).indexOf(severity);
}

function sides(view: IncidentView): Incident[] {
  return [view.defender, view.sentinel].filter((incident): incident is Incident => incident !== null);
}

export function createFakeBridge(now: () => Date = () => new Date()): FakeBridge {
  const incidents = new Map<string, IncidentView>();
  const byKey = new Map<string, string>();
  const requestsById = new Map<string, EditRequest>();
  const outcomes = new Map<string, EditOutcome>();
  const waiters = new Map<string, ((outcome: EditOutcome) => void)[]>();
  const requests: EditRequest[] = [];
  const submitCalls: EditRequest[] = [];
  const consumers: ChangeConsumer[] = [];
  let nextId = 1;

  const clone = <T>(value: T): T => structuredClone(value);

  function takeFailure(method: keyof FakeBridge['failNext']): void {
    const error = bridge.failNext[method];
    if (error) {
      delete bridge.failNext[method];
      throw error;
    }
  }

  function finish(requestId: string, outcome: EditOutcome): EditOutcome {
    outcomes.set(requestId, outcome);
    for (const resolve of waiters.get(requestId) ?? []) resolve(clone(outcome));
    waiters.delete(requestId);
    return clone(outcome);
  }

  function settle(requestId: string, state: EditOutcome['state'], field: FieldOutcome): EditOutcome {
    const request = requestsById.get(requestId);
    const current = outcomes.get(requestId);
    if (!request || !current) throw new Error(`fake bridge: no request ${requestId}`);
    return finish(requestId, { ...current, state, perPortal: perPortal(request, field), converged: state === 'completed', updatedAt: now().toISOString() });
  }

  const bridge: FakeBridge = {
    requests,
    submitCalls,
    consumers,
    autoComplete: null,
    submitGate: null,
    failNext: {},
    lastListFilter: null,

    put(view) {
      incidents.set(view.linkId, clone(view));
    },

    async findIncident(ref, within) {
      takeFailure('findIncident');
      const visible = (view: IncidentView) => within?.pairIds === undefined || within.pairIds.includes(view.pairId);
      const direct = incidents.get(ref);
      if (direct && visible(direct)) return clone(direct);
      for (const view of incidents.values()) {
        if (!visible(view)) continue;
        if (view.defender?.id === ref || view.sentinel?.id === ref || (view.sentinel?.incidentNumber !== undefined && String(view.sentinel.incidentNumber) === ref)) {
          return clone(view);
        }
      }
      return null;
    },

    async listIncidents(filter) {
      takeFailure('listIncidents');
      bridge.lastListFilter = clone(filter);
      const matches = [...incidents.values()].filter((view) => {
        const all = sides(view);
        if (filter.minSeverity && !all.some((incident) => rank(incident.severity) >= rank(filter.minSeverity ?? 'informational'))) return false;
        if (filter.status && !all.some((incident) => incident.status === filter.status)) return false;
        if (filter.tag && !all.some((incident) => incident.tags.includes(filter.tag ?? ''))) return false;
        if (filter.pairId && view.pairId !== filter.pairId) return false;
        if (filter.pairIds && !filter.pairIds.includes(view.pairId)) return false;
        if (filter.productName) {
          const wanted = filter.productName.toLowerCase();
          if (!all.some((incident) => incident.additionalData.productNames.some((name) => name.toLowerCase().includes(wanted)))) return false;
        }
        return true;
      });
      return clone(matches.slice(0, filter.limit ?? 50));
    },

    async submitEdit(request): Promise<SubmitResult> {
      submitCalls.push(clone(request));
      if (bridge.submitGate) await bridge.submitGate;
      takeFailure('submitEdit');
      const existing = byKey.get(request.idempotencyKey);
      if (existing) {
        const outcome = outcomes.get(existing);
        if (!outcome) throw new Error('fake bridge: lost outcome');
        return { requestId: existing, duplicate: true, outcome: clone(outcome) };
      }
      const view = await bridge.findIncident(request.incidentRef);
      if (!view) throw new Error(`fake bridge: no incident ${request.incidentRef}`);
      const requestId = `req-${nextId++}`;
      byKey.set(request.idempotencyKey, requestId);
      requestsById.set(requestId, clone(request));
      requests.push(clone(request));
      const accepted: EditOutcome = {
        requestId,
        linkId: view.linkId,
        state: 'accepted',
        perPortal: perPortal(request, { state: 'pending' }),
        converged: false,
        updatedAt: now().toISOString(),
      };
      outcomes.set(requestId, accepted);
      let outcome = accepted;
      if (bridge.autoComplete === 'completed') outcome = settle(requestId, 'completed', { state: 'written' });
      if (bridge.autoComplete === 'failed') outcome = settle(requestId, 'failed', { state: 'failed', reason: 'simulated failure' });
      return { requestId, duplicate: false, outcome: clone(outcome) };
    },

    async getEditOutcome(requestId) {
      const outcome = outcomes.get(requestId);
      return outcome ? clone(outcome) : null;
    },

    waitForEditOutcome(requestId, signal) {
      const outcome = outcomes.get(requestId);
      if (!outcome) return Promise.reject(new Error(`fake bridge: no request ${requestId}`));
      if (outcome.state !== 'accepted') return Promise.resolve(clone(outcome));
      return new Promise((resolve, reject) => {
        const list = waiters.get(requestId) ?? [];
        list.push(resolve);
        waiters.set(requestId, list);
        signal?.addEventListener('abort', () => reject(signal.reason ?? new Error('aborted')), { once: true });
      });
    },

    subscribe(consumer) {
      consumers.push(consumer);
      return () => {
        const index = consumers.indexOf(consumer);
        if (index !== -1) consumers.splice(index, 1);
      };
    },

    async emit(event) {
      for (const consumer of [...consumers]) await consumer.handle(clone(event));
    },

    completeEdit(requestId, state = 'completed') {
      return settle(requestId, state, { state: 'written' });
    },

    failEdit(requestId, reason) {
      return settle(requestId, 'failed', { state: 'failed', reason });
    },
  };
  return bridge;
}

/** A linked incident with sensible defaults; override what a test is about. */
export function sampleView(overrides: {
  linkId?: string;
  pairId?: string;
  defenderId?: string;
  sentinelNumber?: number;
  title?: string;
  severity?: Incident['severity'];
  status?: Incident['status'];
  tags?: string[];
  productNames?: string[];
  tenantId?: string;
} = {}): IncidentView {
  const linkId = overrides.linkId ?? 'link-1';
  const defenderId = overrides.defenderId ?? '29';
  const base = {
    title: overrides.title ?? 'Suspicious sign-in from unfamiliar location',
    description: 'Multiple alerts',
    severity: overrides.severity ?? 'medium',
    status: overrides.status ?? 'active',
    classification: 'undetermined',
    owner: null,
    tags: overrides.tags ?? ['phishing'],
    systemTags: [],
    additionalData: { alertsCount: 2, productNames: overrides.productNames ?? ['Microsoft Defender for Endpoint'], tactics: [], techniques: [] },
    comments: [],
    lastModifiedBy: 'someone@contoso.com',
    createdAt: '2024-05-01T10:00:00.000Z',
    lastUpdatedAt: '2024-05-01T10:05:00.000Z',
    tenantId: overrides.tenantId ?? 'tenant-a',
  } satisfies Partial<Incident>;
  return {
    linkId,
    pairId: overrides.pairId ?? 'default',
    defender: { ...base, portal: 'defender', id: defenderId, providerIncidentId: defenderId, webUrl: `https://security.microsoft.com/incidents/${defenderId}` },
    sentinel: {
      ...base,
      portal: 'sentinel',
      id: `00000000-0000-0000-0000-${String(overrides.sentinelNumber ?? 1042).padStart(12, '0')}`,
      incidentNumber: overrides.sentinelNumber ?? 1042,
      providerIncidentId: defenderId,
      providerName: 'Microsoft XDR',
      webUrl: 'https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/x',
    },
    syncState: { defender: 'inSync', sentinel: 'inSync' },
  };
}
