// The approval scheduler with the in-memory store's leases and a scripted service: one replica
// works, the loop survives failures, expired requests get their cards updated, drift is announced.
import { describe, expect, test } from '@jest/globals';
import { createApprovalScheduler, type ApprovalAnnouncer } from '../../src/approvals/scheduler.ts';
import type { ApprovalService } from '../../src/approvals/service.ts';
import type { DriftReport } from '../../src/approvals/types.ts';
import type { ApprovalRequest } from '../../src/store/ports.ts';
import { createMemoryStore } from '../fakes/memory-store.ts';
import { BASE_CONFIG, ALICE } from './fakes.ts';

function request(id: string, pairId = 'soc'): ApprovalRequest {
  return {
    id, pairId, requester: ALICE, reason: 'r', baseVersion: 'v1', baseConfig: BASE_CONFIG, proposedConfig: BASE_CONFIG, diff: [], consequences: [],
    state: 'expired', decidedBy: null, decidedAt: null, expiresAt: '2026-03-02T09:00:00.000Z', outcome: null, cards: {}, createdAt: '', updatedAt: '',
  };
}

function drift(drifted: boolean, staleRequestIds: string[] = [], pairId = 'soc'): DriftReport {
  const live = { config: BASE_CONFIG, version: 'v2', readAt: '' };
  return {
    pairId, drifted, baseline: false, deferred: false, previous: null, live, changes: [], consequences: [], staleRequestIds,
    announcement: drifted ? { title: 'changed', lines: [] } : null,
  };
}

type PairService = Pick<ApprovalService, 'pairId' | 'detectDrift' | 'expireDue' | 'get'>;

function scripted(script: { expire?: () => Promise<ApprovalRequest[]>; drift?: () => Promise<DriftReport> }, pairId = 'soc') {
  const calls = { expire: 0, drift: 0 };
  const service: PairService = {
    pairId,
    async expireDue() {
      calls.expire += 1;
      return script.expire ? script.expire() : [];
    },
    async detectDrift() {
      calls.drift += 1;
      return script.drift ? script.drift() : drift(false, [], pairId);
    },
    async get(id) {
      return request(id, pairId);
    },
  };
  const announced: DriftReport[] = [];
  const updatedCards: string[] = [];
  const publisher: ApprovalAnnouncer = {
    async announceDrift(report) {
      announced.push(report);
      return true;
    },
    async updateApprovalCards(r) {
      updatedCards.push(r.id);
    },
  };
  return { services: [service], publisher, calls, announced, updatedCards };
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('createApprovalScheduler', () => {
  test('only the lease holder works; expired requests get their cards updated; drift is announced with stale cards', async () => {
    const store = createMemoryStore();
    const s = scripted({ expire: async () => [request('old-1')], drift: async () => drift(true, ['pending-2']) });
    const a = createApprovalScheduler({ ...s, leases: store.leases, replicaId: 'a', intervalMs: 1000 });
    const b = createApprovalScheduler({ ...s, leases: store.leases, replicaId: 'b', intervalMs: 1000 });

    const first = await a.runOnce();
    expect(first).toMatchObject({ holder: true, expired: ['old-1'], announced: ['soc'], errors: 0 });
    expect(s.updatedCards).toEqual(['old-1', 'pending-2']);
    expect(s.announced).toHaveLength(1);

    expect(await b.runOnce()).toEqual({ holder: false, expired: [], drifts: [], announced: [], errors: 0 });
    expect(s.calls).toEqual({ expire: 1, drift: 1 });

    await a.stop(); // releases the lease
    expect((await b.runOnce()).holder).toBe(true);
  });

  test('a failing step is reported and the next step and the next tick still run', async () => {
    const store = createMemoryStore();
    let failExpire = true;
    const errors: string[] = [];
    const s = scripted({
      expire: async () => {
        if (failExpire) throw new Error('database went away');
        return [];
      },
      drift: async () => {
        throw new Error('ARM unavailable');
      },
    });
    const scheduler = createApprovalScheduler({ ...s, leases: store.leases, replicaId: 'a', intervalMs: 20, onError: (_e, context) => errors.push(context) });
    scheduler.start();
    try {
      await waitFor(() => s.calls.drift >= 2); // the loop kept going after the first tick's failures
      failExpire = false;
      expect(errors.slice(0, 2)).toEqual(['expiring overdue requests of pair soc', 'checking the connector of pair soc for drift']);
    } finally {
      await scheduler.stop();
    }
    const after = s.calls.drift;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(s.calls.drift).toBe(after); // stopped means stopped
  });

  test('overlapping runOnce calls share one tick, and a lease failure is survived', async () => {
    const store = createMemoryStore();
    const s = scripted({});
    const scheduler = createApprovalScheduler({ ...s, leases: store.leases, replicaId: 'a' });
    const [x, y] = await Promise.all([scheduler.runOnce(), scheduler.runOnce()]);
    expect(x).toBe(y);
    expect(s.calls.drift).toBe(1);

    const broken = createApprovalScheduler({
      ...s,
      leases: { ...store.leases, tryAcquire: async () => { throw new Error('no database'); } },
      replicaId: 'b',
      onError: () => {},
    });
    expect(await broken.runOnce()).toMatchObject({ holder: false, errors: 1 });
  });

  test('every pair is checked; drift on one pair is announced for that pair only, and a failing pair stops no other', async () => {
    const store = createMemoryStore();
    const contoso = scripted({ expire: async () => [request('old-c', 'contoso')] }, 'contoso');
    const fabrikam = scripted({ drift: async () => drift(true, ['pending-f'], 'fabrikam') }, 'fabrikam');
    const broken = scripted({ expire: async () => Promise.reject(new Error('ARM down')), drift: async () => Promise.reject(new Error('ARM down')) }, 'broken');
    const announced: DriftReport[] = [];
    const updated: string[] = [];
    const scheduler = createApprovalScheduler({
      services: [...broken.services, ...contoso.services, ...fabrikam.services],
      publisher: {
        async announceDrift(report) {
          announced.push(report);
          return true;
        },
        async updateApprovalCards(r) {
          updated.push(`${r.pairId}:${r.id}`);
        },
      },
      leases: store.leases,
      replicaId: 'a',
      onError: () => {},
    });
    const tick = await scheduler.runOnce();
    expect(tick).toMatchObject({ holder: true, expired: ['old-c'], announced: ['fabrikam'], errors: 2 });
    expect(tick.drifts.map((d) => [d.pairId, d.drifted])).toEqual([['contoso', false], ['fabrikam', true]]);
    expect(announced.map((r) => r.pairId)).toEqual(['fabrikam']);
    expect(updated).toEqual(['contoso:old-c', 'fabrikam:pending-f']);
  });

  test('refuses a nonsensical interval with the option named', () => {
    const s = scripted({});
    expect(() => createApprovalScheduler({ ...s, leases: createMemoryStore().leases, replicaId: 'a', intervalMs: 0 })).toThrow(/intervalMs/);
  });
});
