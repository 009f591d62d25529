// Before connectors were kept per pair, the bridge managed the first pair's connector only, and its
// requests, audit entries and drift baseline carried no pair. At start they are given to the first
// configured pair, in one transaction: idempotent (nothing is left to give the second time), so
// replicas starting together agree. A setting records that it was done: the audit log keeps growing
// with unpaired entries (incident edits), and later starts need not look through them again.
import type { Store } from '../store/ports.ts';
import { APPROVERS_CHANNEL_AUDIT_SUBJECT } from './approvers-channel.ts';
import { CONNECTOR_AUDIT_SUBJECT, LAST_KNOWN_SNAPSHOT_KEY, lastKnownSnapshotKeyOf } from './service.ts';

/** Set once the records from before pairs have been given to a pair (to which, for the record). */
export const LEGACY_ASSIGNED_KEY = 'approvals.legacyRecordsAssignedTo';

/** The audit subjects of connector entries: requests, drift, and the (then single) approvers' channel. */
const CONNECTOR_AUDIT_PREFIXES = ['approval:', CONNECTOR_AUDIT_SUBJECT, APPROVERS_CHANNEL_AUDIT_SUBJECT] as const;

export interface LegacyAssignment {
  requests: number;
  auditEntries: number;
  baselineMoved: boolean;
}

export async function assignLegacyConnectorRecords(store: Pick<Store, 'transaction'>, firstPairId: string): Promise<LegacyAssignment> {
  return store.transaction(async (tx) => {
    if ((await tx.settings.get(LEGACY_ASSIGNED_KEY)) !== null) return { requests: 0, auditEntries: 0, baselineMoved: false };
    const requests = await tx.approvals.assignUnpaired(firstPairId);
    const auditEntries = await tx.audit.assignUnpaired(firstPairId, CONNECTOR_AUDIT_PREFIXES);
    const legacyBaseline = await tx.settings.get(LAST_KNOWN_SNAPSHOT_KEY);
    let baselineMoved = false;
    if (legacyBaseline !== null) {
      // A baseline the first pair already has is newer than the legacy one: keep it.
      if ((await tx.settings.get(lastKnownSnapshotKeyOf(firstPairId))) === null) {
        await tx.settings.set(lastKnownSnapshotKeyOf(firstPairId), legacyBaseline);
        baselineMoved = true;
      }
      await tx.settings.delete(LAST_KNOWN_SNAPSHOT_KEY);
    }
    await tx.settings.set(LEGACY_ASSIGNED_KEY, firstPairId);
    return { requests, auditEntries, baselineMoved };
  });
}
