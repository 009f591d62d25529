// The approval records' JSON columns, read back and written: the service writes them (so their
// shape is ours), and these decoders give cards and the service typed views with safe fallbacks.
import type { ConnectorSnapshot } from '../domain/connector.ts';
import type { ApprovalRequest, JsonValue } from '../store/ports.ts';
import { diffConnectorConfig, type ConfigChange, type Consequence } from './diff.ts';
import type { ApprovalOutcome } from './types.ts';

/** The change list stored with a request (written by request(), so its shape is ours). */
export function storedChanges(request: ApprovalRequest): ConfigChange[] {
  return Array.isArray(request.diff) ? (request.diff as unknown as ConfigChange[]) : diffConnectorConfig(request.baseConfig, request.proposedConfig);
}

export function storedConsequences(request: ApprovalRequest): Consequence[] {
  return Array.isArray(request.consequences) ? (request.consequences as unknown as Consequence[]) : [];
}

export function storedOutcome(request: ApprovalRequest): ApprovalOutcome | null {
  const o = request.outcome;
  return o && typeof o === 'object' && !Array.isArray(o) && typeof o.kind === 'string' ? (o as unknown as ApprovalOutcome) : null;
}

/** The stored drift baseline, or null when the setting holds none (or something else). */
export function storedSnapshot(value: JsonValue | null): ConnectorSnapshot | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const config = v.config as Record<string, unknown> | undefined;
  const valid = typeof v.version === 'string' && typeof config === 'object' && config !== null && Array.isArray(config.eventTypes);
  return valid ? (value as unknown as ConnectorSnapshot) : null;
}

/** Plain JSON for the store (drops undefined, as the store's JSON columns would). */
export function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
}
