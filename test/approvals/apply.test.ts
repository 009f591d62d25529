import { describe, expect, test } from '@jest/globals';
import { applyConnectorChange } from '../../src/approvals/apply.ts';
import type { ApplyDeps } from '../../src/approvals/apply.ts';
import type { ApprovalRequest } from '../../src/store/ports.ts';
import { BASE_CONFIG, approvalRequest, createFakeConnector, type FakeConnector } from './fakes.ts';

const PROPOSED = { ...BASE_CONFIG, entities: true, eventTypes: [...BASE_CONFIG.eventTypes, 'CloudAppEvents'] };

function approved(connector: FakeConnector): ApprovalRequest {
  const base = connector.current();
  return approvalRequest({ state: 'applying', baseVersion: base.version, baseConfig: base.config, proposedConfig: PROPOSED, createdAt: base.readAt });
}

function deps(connector: FakeConnector, sleeps: number[], maxAttempts = 3): ApplyDeps {
  return {
    connector,
    retry: { maxAttempts, baseDelayMs: 1000, maxDelayMs: 5000 },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0,
  };
}

describe('applying an approved connector change', () => {
  test('throttling waits as long as Retry-After says, capped; then the read-back confirms', async () => {
    const connector = createFakeConnector();
    const sleeps: number[] = [];
    connector.failWrites({ code: 'throttled', status: 429, retryAfterSeconds: 60 }, { code: 'unavailable', status: 503 });
    const outcome = await applyConnectorChange(deps(connector, sleeps), approved(connector));
    expect(outcome).toMatchObject({ kind: 'applied', attempts: 3, version: connector.current().version });
    expect(sleeps).toEqual([5000, 1000]); // Retry-After 60 s capped at 5 s; then 1000 * 2^1 * (0.5 + 0/2)
  });

  test('out of attempts: a failure listing what the read-back shows as made and not made', async () => {
    const connector = createFakeConnector();
    const sleeps: number[] = [];
    connector.failWrites({ code: 'unavailable', status: 500, partial: { entities: true } }, { code: 'unavailable', status: 500 });
    // 1: part-way, then 500; 2: 409 on our own partial write, rebased on it; 3: 500 again.
    const outcome = await applyConnectorChange(deps(connector, sleeps, 3), approved(connector));
    expect(outcome.kind).toBe('failed');
    if (outcome.kind !== 'failed') return;
    expect(outcome).toMatchObject({ errorCode: 'unavailable', attempts: 3, liveVersion: connector.current().version });
    expect(connector.writes.map((write) => write.baseVersion)).toEqual(['v1', 'v1', 'v2']);
    expect(outcome.applied!.map((change) => change.setting)).toEqual(['entities']);
    expect(outcome.notApplied!.map((change) => change.setting)).toEqual(['eventTypes']);
  });

  test('a conflict caused by someone else ends stale with the live configuration, unwritten', async () => {
    const connector = createFakeConnector();
    const request = approved(connector);
    connector.changeOutside({ integrationMethod: 'defenderPortal' });
    const outcome = await applyConnectorChange(deps(connector, []), request);
    expect(outcome).toMatchObject({ kind: 'stale', liveVersion: connector.current().version, liveConfig: { integrationMethod: 'defenderPortal', entities: false } });
    expect(connector.writes).toHaveLength(1);
  });
});
