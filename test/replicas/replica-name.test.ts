// The replica name: claimed once among live processes, taken over at once from a predecessor proven
// gone, after a silence from one that cannot be checked, and never from one that renews. The store
// is the in-memory fake on a hand-moved clock; process tables are fakes of the local one.
import { afterEach, describe, expect, test } from '@jest/globals';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { livenessOf, parseProcessIdentity, type ProcessIdentity, type ProcessTable } from '../../src/replicas/process-identity.ts';
import { claimReplicaName, defaultNameBase, replicaNameLease, ReplicaNameInUseError, type ReplicaName } from '../../src/replicas/replica-name.ts';
import type { Store } from '../../src/store/ports.ts';
import { createMemoryStore } from '../fakes/memory-store.ts';

/** Processes on simulated hosts: which pids run, with which start ticks, per pid space. */
function world() {
  const running = new Map<string, string>();
  let next = 1;
  return {
    start(host: string, pidSpace: string | undefined, pid = 100 + next): ProcessTable {
      const self: ProcessIdentity = { incarnation: `incarnation-${next++}`, host, pid, ...(pidSpace ? { pidSpace, startTicks: String(1000 + next) } : {}) };
      if (pidSpace) running.set(`${pidSpace}/${pid}`, self.startTicks!);
      return {
        self,
        startTicksOf: (other) => (pidSpace ? (running.get(`${pidSpace}/${other}`) ?? null) : undefined),
      };
    },
    kill(table: ProcessTable): void {
      running.delete(`${table.self.pidSpace}/${table.self.pid}`);
    },
  };
}

let clockMs = Date.parse('2026-03-02T09:00:00.000Z');
const claims: ReplicaName[] = [];

function claim(store: Store, processes: ProcessTable, requested?: string, silenceMs = 3_000): Promise<ReplicaName> {
  // A silence is watched by waiting: here the clock jumps instead.
  const sleep = async (ms: number) => {
    clockMs += ms;
  };
  return claimReplicaName({ leases: store.leases, processes, log: createSilentLogger(), sleep, silenceMs, heartbeatMs: 60_000 }, requested).then((name) => {
    claims.push(name);
    return name;
  });
}

function freshStore(): Store {
  return createMemoryStore({ now: () => new Date(clockMs) });
}

afterEach(async () => {
  for (const name of claims.splice(0)) await name.release();
});

describe('the default name', () => {
  test('is the host name; a second process on the host takes the next slot', async () => {
    const store = freshStore();
    const hosts = world();
    const a = await claim(store, hosts.start('soc-vm.contoso', 'boot-1/ns-1'));
    const b = await claim(store, hosts.start('soc-vm.contoso', 'boot-1/ns-1'));
    expect([a.name, b.name]).toEqual(['soc-vm.contoso', 'soc-vm.contoso-2']);
    expect(a.predecessor).toBeUndefined();
  });

  test('a restarted process takes its dead predecessor’s name at once, leaving the live sibling its own', async () => {
    const store = freshStore();
    const hosts = world();
    const first = hosts.start('host', 'boot-1/ns-1');
    await claim(store, first);
    const sibling = await claim(store, hosts.start('host', 'boot-1/ns-1'));
    hosts.kill(first);
    const before = clockMs;
    const restarted = await claim(store, hosts.start('host', 'boot-1/ns-1'));
    expect(restarted.name).toBe('host');
    expect(restarted.predecessor?.incarnation).toBe(first.self.incarnation);
    expect(clockMs).toBe(before);
    expect(sibling.name).toBe('host-2');
  });

  test('a reused pid is not the process recorded: its start ticks differ', async () => {
    const store = freshStore();
    const hosts = world();
    const first = hosts.start('host', 'boot-1/ns-1', 4242);
    await claim(store, first);
    hosts.kill(first);
    // A new process under the same pid (a container's pid 1 after a restart in the same namespace).
    const reused = hosts.start('host', 'boot-1/ns-1', 4242);
    expect((await claim(store, reused)).name).toBe('host');
  });

  test('processes starting at once on one host get distinct names', async () => {
    const store = freshStore();
    const hosts = world();
    const names = await Promise.all(Array.from({ length: 5 }, () => claim(store, hosts.start('host', 'boot-1/ns-1'))));
    expect(names.map((name) => name.name).sort()).toEqual(['host', 'host-2', 'host-3', 'host-4', 'host-5']);
  });

  test('a host name is cleaned to what a name may hold', () => {
    expect(defaultNameBase('bridge_7f9c:web/1')).toBe('bridge_7f9c-web-1');
    expect(defaultNameBase('...')).toBe('replica');
  });
});

describe('an explicit REPLICA_NAME', () => {
  test('held by a live process in the same pid space is refused, naming the holder', async () => {
    const store = freshStore();
    const hosts = world();
    await claim(store, hosts.start('vm-1', 'boot-1/ns-1', 77), 'bridge-1');
    await expect(claim(store, hosts.start('vm-1', 'boot-1/ns-1'), 'bridge-1')).rejects.toThrow(ReplicaNameInUseError);
    await expect(claim(store, hosts.start('vm-1', 'boot-1/ns-1'), 'bridge-1')).rejects.toThrow(/REPLICA_NAME 'bridge-1' is held by a running replica \(host vm-1, pid 77\)/);
  });

  test('held on another host that keeps renewing is refused after watching it', async () => {
    const store = freshStore();
    const hosts = world();
    await claim(store, hosts.start('vm-1', 'boot-1/ns-1'), 'bridge-1');
    const key = replicaNameLease('bridge-1');
    const holderId = (await store.leases.get(key))!.holderId;
    const other = hosts.start('vm-2', 'boot-9/ns-1');
    // The holder renews while the claimer watches.
    const renewing = async (ms: number) => {
      clockMs += ms;
      await store.leases.renew(key, holderId, 10_000);
    };
    await expect(claimReplicaName({ leases: store.leases, processes: other, log: createSilentLogger(), sleep: renewing, heartbeatMs: 60_000 }, 'bridge-1')).rejects.toThrow(ReplicaNameInUseError);
  });

  test('held by a process that went silent in another container is taken over after the silence, before the name expires', async () => {
    const store = freshStore();
    const hosts = world();
    const crashed = hosts.start('pod-1', 'boot-1/ns-old', 1);
    await claim(store, crashed, 'bridge-1');
    const before = clockMs;
    // The restarted container: same host name, a new pid namespace, pid 1 again.
    const restarted = await claim(store, hosts.start('pod-1', 'boot-1/ns-new', 1), 'bridge-1', 3_000);
    expect(restarted).toMatchObject({ name: 'bridge-1', predecessor: { incarnation: crashed.self.incarnation } });
    expect(clockMs - before).toBe(3_000);
  });

  test('a process whose name was taken over is told, and stops renewing', async () => {
    const store = freshStore();
    const hosts = world();
    const silent = hosts.start('pod-1', 'boot-1/ns-old', 1);
    const lost: string[] = [];
    const old = await claimReplicaName({ leases: store.leases, processes: silent, log: createSilentLogger(), heartbeatMs: 20 }, 'bridge-1');
    old.onLost(() => lost.push('lost'));
    // Its heartbeat is late by more than a silence: another process takes the name.
    const seen = (await store.leases.get(replicaNameLease('bridge-1')))!;
    await store.leases.takeOver(seen, 'someone else', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lost).toEqual(['lost']);
    await old.release();
    expect((await store.leases.get(replicaNameLease('bridge-1')))?.holderId).toBe('someone else');
  });
});

describe('liveness of a recorded process', () => {
  const space = 'boot-1/ns-1';
  const table: ProcessTable = {
    self: { incarnation: 'me', host: 'h', pid: 1, pidSpace: space, startTicks: '10' },
    startTicksOf: (pid) => ({ 1: '10', 2: '20' })[pid] ?? null,
  };
  test.each<[string, ProcessIdentity, string]>([
    ['this very process', { incarnation: 'me', host: 'h', pid: 1 }, 'alive'],
    ['running, same start', { incarnation: 'x', host: 'h', pid: 2, pidSpace: space, startTicks: '20' }, 'alive'],
    ['pid now someone else', { incarnation: 'x', host: 'h', pid: 2, pidSpace: space, startTicks: '15' }, 'gone'],
    ['no such pid', { incarnation: 'x', host: 'h', pid: 3, pidSpace: space, startTicks: '5' }, 'gone'],
    ['another host', { incarnation: 'x', host: 'g', pid: 3, pidSpace: space, startTicks: '5' }, 'unknown'],
    ['another pid namespace', { incarnation: 'x', host: 'h', pid: 3, pidSpace: 'boot-1/ns-2', startTicks: '5' }, 'unknown'],
    ['nothing recorded to compare', { incarnation: 'x', host: 'h', pid: 3 }, 'unknown'],
  ])('%s', (_what, recorded, expected) => {
    expect(livenessOf(recorded, table)).toBe(expected);
  });

  test('a holder that is not a recorded identity parses as none', () => {
    expect(parseProcessIdentity('replica-a')).toBeNull();
    expect(parseProcessIdentity('{"incarnation":1}')).toBeNull();
    expect(parseProcessIdentity(JSON.stringify(table.self))).toEqual(table.self);
  });
});
