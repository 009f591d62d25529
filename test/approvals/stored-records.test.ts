import { describe, expect, test } from '@jest/globals';
import { diffConnectorConfig } from '../../src/approvals/diff.ts';
import { storedChanges, storedConsequences, storedOutcome, storedSnapshot, toJson } from '../../src/approvals/stored-records.ts';
import type { ApprovalRequest, JsonValue } from '../../src/store/ports.ts';
import { BASE_CONFIG, approvalRequest } from './fakes.ts';

const PROPOSED = { ...BASE_CONFIG, entities: true };

function request(patch: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return approvalRequest({ proposedConfig: PROPOSED, ...patch });
}

describe('stored approval records', () => {
  test('the stored change list is used as written; without one it is recomputed from base and proposal', () => {
    const changes = diffConnectorConfig(BASE_CONFIG, PROPOSED);
    expect(changes.length).toBeGreaterThan(0);
    expect(storedChanges(request({ diff: toJson(changes) }))).toEqual(changes);
    expect(storedChanges(request({ diff: null }))).toEqual(changes);
  });

  test('consequences and outcomes that are not stored (or not of their shape) read as none', () => {
    expect(storedConsequences(request({ consequences: { not: 'a list' } }))).toEqual([]);
    expect(storedConsequences(request({ consequences: [{ severity: 'info', text: 'x' }] }))).toEqual([{ severity: 'info', text: 'x' }]);
    expect(storedOutcome(request({ outcome: null }))).toBeNull();
    expect(storedOutcome(request({ outcome: ['applied'] }))).toBeNull();
    expect(storedOutcome(request({ outcome: { kind: 'rejected', reason: null } }))).toEqual({ kind: 'rejected', reason: null });
  });

  test('a drift baseline is read back only when it has a version and a configuration with event types', () => {
    const snapshot = { config: BASE_CONFIG, version: 'v3', readAt: '2026-03-02T09:00:00.000Z' };
    expect(storedSnapshot(toJson(snapshot))).toEqual(snapshot);
    const broken: JsonValue[] = [null, 'v3', [snapshot as unknown as JsonValue], { version: 3, config: {} }, { version: 'v3', config: { eventTypes: 'all' } }];
    for (const value of broken) expect(storedSnapshot(value)).toBeNull();
  });

  test('toJson keeps what a JSON column keeps', () => {
    expect(toJson({ a: 1, b: undefined, c: [undefined] })).toEqual({ a: 1, c: [null] });
    expect(toJson(undefined)).toBeNull();
  });
});
