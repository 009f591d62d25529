// Records what the product reports through its metric ports, for tests of the modules that count.
// Implements every recorder that src/observability/metrics.ts implements for real.
import type { InvokeMetrics, InvokeName } from '../../src/bot/adapter.ts';
import type { SendResult, TeamsSendMetrics, TeamsWaitReason } from '../../src/bot/guarded-sender.ts';
import type { DeliveryResult, NotifierMetrics } from '../../src/bot/notifier.ts';
import type { SendOperation } from '../../src/bot/send-policy.ts';
import type { ChangeEventKind } from '../../src/domain/change-events.ts';
import type { EditState } from '../../src/domain/edits.ts';
import type { Portal } from '../../src/domain/incident.ts';
import type { PortalOperation, PortalRequestRecorder } from '../../src/portals/http/request-recorder.ts';
import type { SyncMetrics } from '../../src/sync/sync-context.ts';

export interface RecordingMetrics extends SyncMetrics, TeamsSendMetrics, NotifierMetrics, InvokeMetrics, PortalRequestRecorder {
  quarantined: Array<{ pairId: string; portal: Portal }>;
  parked: string[];
  editOutcomes: EditState[];
  sends: Array<{ operation: SendOperation; result: SendResult }>;
  throttled: SendOperation[];
  waits: Array<{ reason: TeamsWaitReason; seconds: number }>;
  fanOut: Array<{ kind: ChangeEventKind; conversations: number }>;
  deliveries: DeliveryResult[];
  invokes: Array<{ name: InvokeName; status: number; seconds: number }>;
  requests: Array<{ operation: PortalOperation; status: number | undefined }>;
}

export function createRecordingMetrics(): RecordingMetrics {
  const recorded = {
    quarantined: [] as RecordingMetrics['quarantined'],
    parked: [] as string[],
    editOutcomes: [] as EditState[],
    sends: [] as RecordingMetrics['sends'],
    throttled: [] as SendOperation[],
    waits: [] as RecordingMetrics['waits'],
    fanOut: [] as RecordingMetrics['fanOut'],
    deliveries: [] as DeliveryResult[],
    invokes: [] as RecordingMetrics['invokes'],
    requests: [] as RecordingMetrics['requests'],
  };
  return {
    ...recorded,
    recordQuarantined: (pairId, portal) => void recorded.quarantined.push({ pairId, portal }),
    recordParkedEvent: (consumer) => void recorded.parked.push(consumer),
    recordEditOutcome: (state) => void recorded.editOutcomes.push(state),
    recordSend: (operation, result) => void recorded.sends.push({ operation, result }),
    recordThrottled: (operation) => void recorded.throttled.push(operation),
    recordWait: (reason, seconds) => void recorded.waits.push({ reason, seconds }),
    recordFanOut: (kind, conversations) => void recorded.fanOut.push({ kind, conversations }),
    recordDelivery: (result) => void recorded.deliveries.push(result),
    observeInvoke: (name, status, seconds) => void recorded.invokes.push({ name, status, seconds }),
    recordRequest: (operation, status) => void recorded.requests.push({ operation, status }),
  };
}
