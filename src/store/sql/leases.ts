import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import type { Lease, LeaseRepository } from '../ports.ts';
import { iso } from './rows.ts';

interface LeaseRow {
  name: string;
  holder_id: string;
  expires_at: unknown;
}

function map(row: LeaseRow): Lease {
  return { name: row.name, holderId: row.holder_id, expiresAt: iso(row.expires_at) };
}

function assertTtl(ttlMs: number): void {
  if (!(Number.isFinite(ttlMs) && ttlMs > 0)) throw new StoreError('invalid-argument', `Lease ttlMs must be a positive number, got ${ttlMs}.`);
}

// Time comes from the database (clock_timestamp(): the time of this statement, not of the
// transaction start), the one clock every replica shares; replica clocks may disagree.
export function createSqlLeaseRepository(db: Db): LeaseRepository {
  async function one(sql: string, params: unknown[]): Promise<Lease | null> {
    const { rows } = await db.query<LeaseRow>(sql, params);
    return rows[0] === undefined ? null : map(rows[0]);
  }
  return {
    async tryAcquire(name, holderId, ttlMs) {
      assertTtl(ttlMs);
      return one(
        `INSERT INTO leases (name, holder_id, expires_at) VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3::double precision / 1000))
         ON CONFLICT (name) DO UPDATE SET holder_id = EXCLUDED.holder_id, expires_at = EXCLUDED.expires_at
           WHERE leases.holder_id = EXCLUDED.holder_id OR leases.expires_at <= clock_timestamp()
         RETURNING *`,
        [name, holderId, ttlMs],
      );
    },
    async renew(name, holderId, ttlMs) {
      assertTtl(ttlMs);
      return one(
        `UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000)
         WHERE name = $1 AND holder_id = $2 RETURNING *`,
        [name, holderId, ttlMs],
      );
    },
    async release(name, holderId) {
      const { rowCount } = await db.query(`DELETE FROM leases WHERE name = $1 AND holder_id = $2`, [name, holderId]);
      return rowCount > 0;
    },
    get(name) {
      return one(`SELECT * FROM leases WHERE name = $1 AND expires_at > clock_timestamp()`, [name]);
    },
    takeOver(seen, holderId, ttlMs) {
      assertTtl(ttlMs);
      // The row keeps microseconds and the Lease read back carries milliseconds: "not renewed since"
      // allows that truncation, far below any renewal interval.
      return one(
        `UPDATE leases SET holder_id = $3, expires_at = clock_timestamp() + make_interval(secs => $4::double precision / 1000)
         WHERE name = $1 AND holder_id = $2 AND expires_at < $5::timestamptz + interval '1 millisecond' RETURNING *`,
        [seen.name, seen.holderId, holderId, ttlMs, seen.expiresAt],
      );
    },
    async listLive(prefix) {
      const { rows } = await db.query<LeaseRow>(`SELECT * FROM leases WHERE starts_with(name, $1) AND expires_at > clock_timestamp() ORDER BY name`, [prefix]);
      return rows.map(map);
    },
  };
}
