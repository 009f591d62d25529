// In-memory BridgeApi (src/sync/api.ts) for bot tests. Incidents are whatever the test adds;
// edits stay 'accepted' until the test completes or fails them (or `autoComplete` does). Like the
// real engine it announces every outcome and every registered card as a change event to its
// subscribers, so a notifier subscribed to it updates cards as it would in production.
// Not a sync engine: it applies nothing to the incidents and writes to no portal.
import type { Incident, Portal } from '../../src/domain/incident.ts';
import { SEVERITIES } from '../../src/domain/incident.ts';
import type { BridgeApi, CardRegistration, ChangeConsumer, EditRequest, IncidentListFilter, SubmitResult } from '../../src/sync/api.ts';
import type { ChangeEvent, IncidentView } from '../../src/domain/change-events.ts';
import type { EditOutcome, FieldName, FieldOutcome } from '../../src/domain/edits.ts';
import type { CardRepository, WarRoomRepository } from '../../src/store/ports.ts';
import { matchesSearch } from '../../src/store/link-filter.ts';

export interface FakeBridge extends BridgeApi {
  /** Adds or replaces an incident. */
  put(view: IncidentView): void;
  /** Every request submitEdit accepted (duplicates excluded), oldest first. */
  readonly requests: EditRequest[];
  /** Every submitEdit call, duplicates included. */
  readonly submitCalls: EditRequest[];
  /** Every card registered, oldest first. */
  readonly registeredCards: CardRegistration[];
  /** Makes the request final and announces it. */
  completeEdit(requestId: string, state?: 'completed' | 'partial'): Promise<EditOutcome>;
  failEdit(requestId: string, reason: string): Promise<EditOutcome>;
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

export interface FakeBridgeOptions {
  now?: () => Date;
  /** Where registered cards are recorded (the notifier reads copies from there). */
  cards?: Pick<CardRepository, 'registerCopy'>;
  /** Where war room chats are recorded (recordWarRoomChat); without it they are refused. */
  warRooms?: Pick<WarRoomRepository, 'recordChat'>;
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

export function createFakeBridge(options: FakeBridgeOptions = {}): FakeBridge {
  const now = options.now ?? (() => new Date());
  const incidents = new Map<string, IncidentView>();
  const byKey = new Map<string, string>();
  const requestsById = new Map<string, EditRequest>();
  const outcomes = new Map<string, EditOutcome>();
  /** Request ids per link, newest last. */
  const requestsOfLink = new Map<string, string[]>();
  const requests: EditRequest[] = [];
  const submitCalls: EditRequest[] = [];
  const registeredCards: CardRegistration[] = [];
  const consumers: ChangeConsumer[] = [];
  let nextId = 1;
  let seq = 0;

  const clone = <T>(value: T): T => structuredClone(value);

  function takeFailure(method: keyof FakeBridge['failNext']): void {
    const error = bridge.failNext[method];
    if (error) {
      delete bridge.failNext[method];
      throw error;
    }
  }

  async function announce(event: Omit<ChangeEvent, 'id' | 'seq' | 'pairId' | 'incident' | 'changes' | 'occurredAt'> & Partial<ChangeEvent>): Promise<void> {
    const view = incidents.get(event.linkId);
    if (!view) return;
    seq += 1;
    await bridge.emit({ id: `event-${seq}`, seq, pairId: view.pairId, incident: clone(view), changes: [], occurredAt: now().toISOString(), ...event });
  }

  async function finish(requestId: string, outcome: EditOutcome): Promise<EditOutcome> {
    outcomes.set(requestId, outcome);
    const request = requestsById.get(requestId);
    await announce({ kind: 'edit-outcome', linkId: outcome.linkId, editRequestId: requestId, outcome: clone(outcome), ...(request ? { actor: request.actor } : {}) });
    return clone(outcome);
  }

  function settled(requestId: string, state: EditOutcome['state'], field: FieldOutcome): EditOutcome {
    const request = requestsById.get(requestId);
    const current = outcomes.get(requestId);
    if (!request || !current) throw new Error(`fake bridge: no request ${requestId}`);
    return { ...current, state, perPortal: perPortal(request, field), converged: state === 'completed', updatedAt: now().toISOString() };
  }

  const bridge: FakeBridge = {
    requests,
    submitCalls,
    registeredCards,
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
        const keys = { linkId: view.linkId, defenderId: view.defender?.id ?? '', ...(view.sentinel?.incidentNumber !== undefined ? { sentinelNumber: view.sentinel.incidentNumber } : {}) };
        return filter.text === undefined || matchesSearch(keys, all, filter.text);
      });
      const offset = filter.offset ?? 0;
      return clone(matches.slice(offset, offset + (filter.limit ?? 50)));
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
      const view = incidents.get(request.linkId);
      if (!view) throw new Error(`fake bridge: no incident ${request.linkId}`);
      const requestId = `req-${nextId++}`;
      byKey.set(request.idempotencyKey, requestId);
      requestsById.set(requestId, clone(request));
      requestsOfLink.set(view.linkId, [...(requestsOfLink.get(view.linkId) ?? []), requestId]);
      requests.push(clone(request));
      const accepted: EditOutcome = {
        requestId,
        linkId: view.linkId,
        state: 'accepted',
        perPortal: perPortal(request, { state: 'pending' }),
        converged: false,
        updatedAt: now().toISOString(),
      };
      let outcome = await finish(requestId, accepted);
      if (bridge.autoComplete === 'completed') outcome = await finish(requestId, settled(requestId, 'completed', { state: 'written' }));
      if (bridge.autoComplete === 'failed') outcome = await finish(requestId, settled(requestId, 'failed', { state: 'failed', reason: 'simulated failure' }));
      return { requestId, duplicate: false, outcome };
    },

    async getEditOutcome(requestId) {
      const outcome = outcomes.get(requestId);
      return outcome ? clone(outcome) : null;
    },

    async latestEditOutcome(linkId) {
      const latest = requestsOfLink.get(linkId)?.at(-1);
      const outcome = latest ? outcomes.get(latest) : undefined;
      return outcome ? clone(outcome) : null;
    },

    async registerCard(card) {
      registeredCards.push(clone(card));
      if (!incidents.has(card.linkId)) return;
      await options.cards?.registerCopy({ conversationId: card.conversationId, activityId: card.activityId, linkId: card.linkId, lastHash: card.shownHash }, now().toISOString());
      await announce({ kind: 'card-registered', linkId: card.linkId, target: { conversationId: card.conversationId, activityId: card.activityId } });
    },

    async recordWarRoomChat(chat) {
      if (!incidents.has(chat.linkId) || !options.warRooms) return false;
      if (!(await options.warRooms.recordChat(chat.linkId, chat.holderId, chat.chatId, chat.webUrl, now().toISOString()))) return false;
      await announce({ kind: 'war-room', linkId: chat.linkId });
      return true;
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
      return finish(requestId, settled(requestId, state, { state: 'written' }));
    },

    failEdit(requestId, reason) {
      return finish(requestId, settled(requestId, 'failed', { state: 'failed', reason }));
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
