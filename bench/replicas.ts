// npm run bench:replicas [-- --pairs 50 --poll 2]: the replica figures alone (bench/support/
// replica-figures.ts): two replicas as child processes on the PostgreSQL server (DATABASE_URL or the
// local default), N pairs each a simulated tenant, at the product's default poll interval unless told.
import { DEFAULT_POLL_INTERVAL_SECONDS } from '../src/config/config.ts';
import { formatFigureTable } from './support/figure-table.ts';
import { measureReplicaFigures } from './support/replica-figures.ts';

function numberArgument(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`${name} needs a positive number, got '${process.argv[at + 1] ?? ''}'`);
  return value;
}

const pairs = numberArgument('--pairs', 50);
const pollSeconds = numberArgument('--poll', DEFAULT_POLL_INTERVAL_SECONDS);
const postgresUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

process.stdout.write(`Replicas: 2 replicas, ${pairs} pairs, poll interval ${pollSeconds} s, PostgreSQL server\n`);
const rows = await measureReplicaFigures({ pairs, pollSeconds, postgresUrl });
process.stdout.write(`${formatFigureTable(rows)}\n`);
