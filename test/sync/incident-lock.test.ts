import { describe, expect, test } from '@jest/globals';
import { incidentLockName, withIncidentLock } from '../../src/sync/incident-lock.ts';
import type { SyncContext } from '../../src/sync/sync-context.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { createMemoryStore } from '../fakes/memory-store.ts';

function lockContext(): SyncContext {
  // withIncidentLock reads only the store's leases and the log.
  return { store: createMemoryStore(), log: createSilentLogger() } as unknown as SyncContext;
}

function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('withIncidentLock', () => {
  test('two runs of one job (a retry started while the first still runs) take turns, never write at once', async () => {
    const context = lockContext();
    const firstInside = gate();
    const releaseFirst = gate();
    const order: string[] = [];
    const first = withIncidentLock(context, 'link-1', 'sync:link-1', async () => {
      order.push('first in');
      firstInside.open();
      await releaseFirst.opened;
      order.push('first out');
    });
    await firstInside.opened;
    const second = withIncidentLock(context, 'link-1', 'sync:link-1', async () => {
      order.push('second in');
    });
    // The second run is waiting on the lease, not inside: the first still holds it.
    const holder = await context.store.leases.get(incidentLockName('link-1'));
    expect(holder?.holderId).toMatch(/^sync:link-1:/);
    expect(order).toEqual(['first in']);
    releaseFirst.open();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
    expect(await context.store.leases.get(incidentLockName('link-1'))).toBeNull();
  });

  test('different incidents do not wait for each other', async () => {
    const context = lockContext();
    const held = gate();
    const first = withIncidentLock(context, 'link-1', 'edit:r1', () => held.opened);
    await expect(withIncidentLock(context, 'link-2', 'edit:r1', async () => 'written')).resolves.toBe('written');
    held.open();
    await first;
  });

  test('a run that throws releases the lease for the next', async () => {
    const context = lockContext();
    await expect(withIncidentLock(context, 'link-1', 'verify:r1', async () => Promise.reject(new Error('portal down')))).rejects.toThrow('portal down');
    await expect(withIncidentLock(context, 'link-1', 'verify:r1', async () => 'ok')).resolves.toBe('ok');
  });
});
