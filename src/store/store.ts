// Wires the SQL repositories over one Db, and opens the store the application uses.
import { openDatabase, type DatabaseConfig, type Db } from './db.ts';
import { migrate, type MigrationReport } from './migrate.ts';
import type { Repositories, Store } from './ports.ts';
import { createSqlApprovalRepository } from './sql/approvals.ts';
import { createSqlAuditRepository } from './sql/audit.ts';
import { createSqlCardRefreshRepository } from './sql/card-refreshes.ts';
import { createSqlCardRepository } from './sql/cards.ts';
import { createSqlChangeEventRepository } from './sql/change-events.ts';
import { createSqlConversationRepository } from './sql/conversations.ts';
import { createSqlCursorRepository } from './sql/cursors.ts';
import { createSqlEditRequestRepository } from './sql/edit-requests.ts';
import { createSqlLeaseRepository } from './sql/leases.ts';
import { createSqlLinkRepository } from './sql/links.ts';
import { createSqlNoticeLogRepository } from './sql/notices.ts';
import { createSqlEscalationRepository } from './sql/escalations.ts';
import { createSqlTriageRepository } from './sql/triage.ts';
import { createSqlParkedEventRepository } from './sql/parked-events.ts';
import { createSqlQuarantineRepository } from './sql/quarantine.ts';
import { createSqlRateLimitRepository } from './sql/rate-limits.ts';
import { createSqlSettingsRepository } from './sql/settings.ts';
import { createSqlSubscriptionRepository } from './sql/subscriptions.ts';
import { createSqlWarRoomRepository } from './sql/war-rooms.ts';

/** Every repository over one Db (or one transaction-bound Db). */
export function createSqlRepositories(db: Db): Repositories {
  return {
    cursors: createSqlCursorRepository(db),
    links: createSqlLinkRepository(db),
    editRequests: createSqlEditRequestRepository(db),
    changeEvents: createSqlChangeEventRepository(db),
    conversations: createSqlConversationRepository(db),
    subscriptions: createSqlSubscriptionRepository(db),
    cards: createSqlCardRepository(db),
    approvals: createSqlApprovalRepository(db),
    settings: createSqlSettingsRepository(db),
    audit: createSqlAuditRepository(db),
    rateLimits: createSqlRateLimitRepository(db),
    leases: createSqlLeaseRepository(db),
    quarantine: createSqlQuarantineRepository(db),
    parkedEvents: createSqlParkedEventRepository(db),
    cardRefreshes: createSqlCardRefreshRepository(db),
    notices: createSqlNoticeLogRepository(db),
    escalations: createSqlEscalationRepository(db),
    triage: createSqlTriageRepository(db),
    warRooms: createSqlWarRoomRepository(db),
  };
}

/** A Store over an already migrated Db. close() closes the Db. */
export function createSqlStore(db: Db): Store {
  return {
    ...createSqlRepositories(db),
    transaction: (fn) => db.transaction((tx) => fn(createSqlRepositories(tx))),
    close: () => db.close(),
  };
}

export interface OpenedStore {
  store: Store;
  /** The Db underneath, for the job queue (createBossQueue) and health checks. */
  db: Db;
  migrations: MigrationReport;
}

/** Opens the database (PGlite unless DATABASE_URL is set), migrates it, and returns the store. */
export async function openStore(config: DatabaseConfig): Promise<OpenedStore> {
  const db = await openDatabase(config);
  try {
    const migrations = await migrate(db);
    return { store: createSqlStore(db), db, migrations };
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
}
