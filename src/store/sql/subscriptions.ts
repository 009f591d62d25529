import type { Actor } from '../../domain/incident.ts';
import type { Db } from '../db.ts';
import { StoreError } from '../errors.ts';
import type { SubscriptionFilters, SubscriptionRecord, SubscriptionRepository } from '../ports.ts';
import { fromJson, iso, json, jsonOrNull } from './rows.ts';

interface SubscriptionRow {
  id: string;
  conversation_id: string;
  filters: unknown;
  created_by: unknown;
  created_at: unknown;
}

function map(row: SubscriptionRow): SubscriptionRecord {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    filters: fromJson<SubscriptionFilters>(row.filters),
    createdBy: fromJson<Actor | null>(row.created_by),
    createdAt: iso(row.created_at),
  };
}

const FOREIGN_KEY_VIOLATION = '23503';

export function createSqlSubscriptionRepository(db: Db): SubscriptionRepository {
  return {
    async add(subscription) {
      if (subscription.id === '') throw new StoreError('invalid-argument', 'A subscription needs a non-empty id.');
      try {
        const { rows } = await db.query<SubscriptionRow>(
          `INSERT INTO subscriptions (id, conversation_id, filters, created_by) VALUES ($1, $2, $3::jsonb, $4::jsonb) RETURNING *`,
          [subscription.id, subscription.conversationId, json(subscription.filters), jsonOrNull(subscription.createdBy)],
        );
        return map(rows[0] as SubscriptionRow);
      } catch (error) {
        if (error instanceof StoreError && error.sqlState === FOREIGN_KEY_VIOLATION) {
          throw new StoreError('invalid-argument', `Cannot subscribe unknown conversation ${subscription.conversationId}: store its conversation reference first.`, { cause: error });
        }
        throw error;
      }
    },

    async remove(id) {
      const { rowCount } = await db.query(`DELETE FROM subscriptions WHERE id = $1`, [id]);
      return rowCount > 0;
    },

    async listForConversation(conversationId) {
      const { rows } = await db.query<SubscriptionRow>(
        `SELECT * FROM subscriptions WHERE conversation_id = $1 ORDER BY id COLLATE "C"`,
        [conversationId],
      );
      return rows.map(map);
    },

    async listActive() {
      const { rows } = await db.query<SubscriptionRow>(
        `SELECT s.* FROM subscriptions s JOIN conversations c ON c.id = s.conversation_id
         WHERE c.active ORDER BY s.conversation_id COLLATE "C", s.id COLLATE "C"`,
      );
      return rows.map(map);
    },
  };
}
