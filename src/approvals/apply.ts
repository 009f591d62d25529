// Applying an approved connector change: write it on top of the request's base, read it back and
// confirm, retrying throttling and brief outages with backoff. A 409 is either our own earlier
// attempt that got part-way (finish the same change on top of it) or someone else's change (stale).
// The outcome says what the read-back shows was and was not applied; the service records it.
import { PortalError, errorMessage } from '../domain/errors.ts';
import type { ConnectorSnapshot } from '../domain/connector.ts';
import type { ConnectorSettingsClient } from '../sync/ports.ts';
import type { ApprovalRequest } from '../store/ports.ts';
import { configsEqual, describeChange, isChangeInEffect, isProgressToward, normalizeConfig, type ConfigChange } from './diff.ts';
import { storedChanges } from './stored-records.ts';
import type { ApprovalOutcome } from './types.ts';

export interface ApplyRetryPolicy {
  /** Write attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * ARM answers 429 with Retry-After and its write bucket refills at 10/s (portal-apis.md); a few
 * attempts over tens of seconds ride out throttling and brief 5xx without holding the request for long.
 */
export const DEFAULT_APPLY_RETRY: ApplyRetryPolicy = { maxAttempts: 4, baseDelayMs: 2000, maxDelayMs: 30000 };

export interface ApplyDeps {
  connector: ConnectorSettingsClient;
  retry: ApplyRetryPolicy;
  sleep: (ms: number) => Promise<void>;
  /** In [0, 1): backoff jitter. */
  random: () => number;
}

/**
 * connector.write(base, proposed), then read back and confirm. 429/5xx retry with backoff; a 409
 * is our own partial write (re-applied on top of it) or someone else's change (stale).
 */
export async function applyConnectorChange(deps: ApplyDeps, request: ApprovalRequest): Promise<ApprovalOutcome> {
  const proposed = request.proposedConfig;
  const changes = storedChanges(request);
  let base: ConnectorSnapshot = { config: request.baseConfig, version: request.baseVersion, readAt: request.createdAt };
  let lastError: unknown = null;
  let attempts = 0;
  while (attempts < deps.retry.maxAttempts) {
    attempts += 1;
    try {
      await deps.connector.write(base, proposed);
      const readBack = await deps.connector.read();
      if (configsEqual(normalizeConfig(readBack.config), normalizeConfig(proposed))) {
        return { kind: 'applied', message: 'Applied and confirmed by reading the configuration back.', attempts, version: readBack.version, config: readBack.config };
      }
      return failedOutcome('read-back-mismatch', 'The write was accepted but the configuration read back differs from the approved one.', attempts, changes, readBack);
    } catch (error) {
      lastError = error;
      if (error instanceof PortalError && error.code === 'conflict') {
        const live = await tryRead(deps.connector);
        if (live && configsEqual(normalizeConfig(live.config), normalizeConfig(proposed))) {
          return { kind: 'applied', message: 'Applied (the configuration read back after a conflict already matches).', attempts, version: live.version, config: live.config };
        }
        if (live && live.version !== base.version && isProgressToward(request.baseConfig, live.config, proposed)) {
          base = live; // our own earlier attempt got part-way: finish the same approved change
          continue;
        }
        if (live && live.version === base.version) {
          // Nothing changed since our base: the 409 was not about our etags (ARM also answers 409
          // while another operation on the resource is in progress). Retry like a transient error.
          if (attempts >= deps.retry.maxAttempts) break;
          await deps.sleep(backoffMs(deps, attempts, error));
          continue;
        }
        return {
          kind: 'stale',
          message: `The connector configuration was changed by someone else while applying (${errorMessage(error)}), so the approved change was not applied. Request it again from the current settings.`,
          liveVersion: live?.version ?? null,
          liveConfig: live?.config ?? null,
        };
      }
      const transient = error instanceof PortalError && (error.code === 'throttled' || error.code === 'unavailable');
      if (!transient || attempts >= deps.retry.maxAttempts) break;
      await deps.sleep(backoffMs(deps, attempts, error));
    }
  }
  const code = lastError instanceof PortalError ? lastError.code : 'unexpected';
  const hint = lastError instanceof PortalError && (code === 'forbidden' || code === 'unauthorized')
    ? ' Check that the bridge identity has Microsoft Sentinel Contributor on the workspace.'
    : '';
  return failedOutcome(code, `Applying failed after ${attempts} attempt(s): ${errorMessage(lastError)}${hint}`, attempts, changes, await tryRead(deps.connector));
}

function backoffMs({ retry, random }: Pick<ApplyDeps, 'retry' | 'random'>, attempt: number, error: unknown): number {
  if (error instanceof PortalError && error.retryAfterSeconds !== undefined) {
    return Math.min(retry.maxDelayMs, Math.max(0, error.retryAfterSeconds * 1000));
  }
  const exponential = retry.baseDelayMs * 2 ** (attempt - 1);
  return Math.min(retry.maxDelayMs, Math.round(exponential * (0.5 + random() / 2)));
}

async function tryRead(connector: ConnectorSettingsClient): Promise<ConnectorSnapshot | null> {
  try {
    return await connector.read();
  } catch {
    return null;
  }
}

function failedOutcome(errorCode: string, message: string, attempts: number, changes: ConfigChange[], live: ConnectorSnapshot | null): ApprovalOutcome {
  if (!live) {
    return {
      kind: 'failed',
      message: `${message} The configuration could not be read back: check the connector page for what was changed.`,
      errorCode,
      attempts,
      applied: null,
      notApplied: null,
      liveVersion: null,
      liveConfig: null,
    };
  }
  const applied = changes.filter((c) => isChangeInEffect(c, live.config));
  const notApplied = changes.filter((c) => !isChangeInEffect(c, live.config));
  const partly = applied.length > 0 ? ` Partly applied: ${applied.map(describeChange).join('; ')}.` : ' Nothing was changed.';
  return { kind: 'failed', message: `${message}${partly}`, errorCode, attempts, applied, notApplied, liveVersion: live.version, liveConfig: live.config };
}
