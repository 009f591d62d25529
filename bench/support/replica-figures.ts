// Replica figures: two replicas on one PostgreSQL database watching N pairs (each a simulated
// tenant of its own), through the scenario of test/reliability/support/replica-fleet.ts. Returns
// rows for the one figure table; each figure is set against a floor computed in the same run (the
// fair share, the watcher lease's TTL, the poll interval).
import { runReplicaScenario, startReplicaFleet } from '../../test/reliability/support/replica-fleet.ts';
import { verdict, type FigureRow } from './figure-table.ts';

export interface ReplicaFigureOptions {
  pairs: number;
  pollSeconds: number;
  postgresUrl: string;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function measureReplicaFigures(options: ReplicaFigureOptions): Promise<FigureRow[]> {
  const fleet = await startReplicaFleet(options);
  try {
    const result = await runReplicaScenario(fleet);
    const { pairs, pollMs, leaseTtlMs } = result;
    const fair = Math.ceil(pairs / 2);
    const limit = Math.floor(0.6 * pairs);
    const worst = Math.max(...result.spreadSamples.flatMap((sample) => sample.counts));
    const covered = result.spreadSamples.every((sample) => sample.unwatched === 0 && sample.doubled === 0);
    const polls = (ms: number) => (ms / pollMs).toFixed(2);
    return [
      {
        figure: `Two replicas, ${pairs} pairs: watchers of the busier replica`,
        measured: `${worst} of ${pairs} (${Math.round((100 * worst) / pairs)}%), ${result.spreadSamples.length} samples${covered ? '' : ', a pair unwatched or doubled'}`,
        reference: `fair share ceil(${pairs}/2) = ${fair}`,
        target: `<= 60% (${limit})`,
        verdict: verdict(covered && worst <= limit),
      },
      {
        figure: 'A replica joining one that polls every pair: until both hold a fair share of the leases',
        measured: `${seconds(result.join.leasesMs)} (${polls(result.join.leasesMs)} polls, ${result.join.busyRounds} rounds of the busy replica), polling it ${seconds(result.join.pollingMs)}; again after a restart: ${seconds(result.rejoin.leasesMs)} (${result.rejoin.busyRounds} rounds), polling ${seconds(result.rejoin.pollingMs)}`,
        reference: `poll interval ${seconds(pollMs)}`,
        target: '<= 10 polls, no lease left to expire',
        verdict: verdict(Math.max(result.join.leasesMs, result.rejoin.leasesMs) <= 10 * pollMs),
      },
      {
        figure: 'kill -9 of one of two replicas: until the survivor holds every pair',
        measured: `${seconds(result.rebalanceAfterKill.leasesTakenMs)} (${(result.rebalanceAfterKill.leasesTakenMs / leaseTtlMs).toFixed(2)}x the floor); every pair polled by ${seconds(result.rebalanceAfterKill.allPollingMs)}`,
        reference: `watcher lease TTL ${seconds(leaseTtlMs)} (the dead replica's leases must expire)`,
        target: `<= TTL + 3 polls (${seconds(leaseTtlMs + 3 * pollMs)})`,
        verdict: verdict(result.rebalanceAfterKill.leasesTakenMs <= leaseTtlMs + 3 * pollMs),
      },
      {
        figure: 'kill -9 of the only replica, restart under its name: engine start -> every pair leased and polling',
        measured: `${polls(result.restart.resumeMs)} poll intervals (${seconds(result.restart.resumeMs)}); every first poll done after ${polls(result.restart.firstPollsDoneMs)} intervals; kill -> all polling ${seconds(result.restart.killToAllPollingMs)}, of it start-up ${seconds(result.restart.startUpMs)}`,
        reference: `poll interval ${seconds(pollMs)}; waiting out its own lease: ${seconds(leaseTtlMs)}`,
        target: '<= 2 poll intervals',
        verdict: verdict(result.restart.resumeMs <= 2 * pollMs),
      },
      {
        figure: 'kill -9 of the only replica, a replica of another name started: pairs taken before the lease expired',
        measured: `${result.otherReplica.takenEarly} of ${pairs}; first pair taken ${seconds(result.otherReplica.firstTakenAfterKillMs)} after the kill`,
        reference: `the dead replica's leases expired by ${seconds(result.otherReplica.lastExpiryAfterKillMs)} after the kill (TTL ${seconds(leaseTtlMs)})`,
        target: 'none: it waits for expiry',
        verdict: verdict(result.otherReplica.takenEarly === 0),
      },
    ];
  } finally {
    await fleet.close();
  }
}
