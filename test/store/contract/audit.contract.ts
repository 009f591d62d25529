import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context.ts';
import { analyst, uid } from '../support/fixtures.ts';

export function auditContract(ctx: ContractContext): void {
  describe('AuditRepository', () => {
    test('append assigns increasing ids; list by subject and time window, oldest first', async () => {
      const audit = ctx.store().audit;
      const subject = `link:${uid('link')}`;
      const e1 = await audit.append({ at: '2024-05-01T10:00:02Z', actor: analyst, action: 'edit.submitted', subject, details: { severity: 'high' } });
      const e2 = await audit.append({ at: '2024-05-01T10:00:01Z', actor: analyst, action: 'edit.completed', subject, details: {} });
      const e3 = await audit.append({ at: '2024-05-01T10:00:03Z', actor: { objectId: 'system:watcher', displayName: 'incident-bridge' }, action: 'link.created', subject, details: {} });
      await audit.append({ at: '2024-05-01T10:00:02Z', actor: analyst, action: 'other', subject: `link:${uid('other')}`, details: {} });
      expect(e2.id).toBeGreaterThan(e1.id);
      expect(e1).toEqual({ id: e1.id, at: '2024-05-01T10:00:02.000Z', actor: analyst, action: 'edit.submitted', subject, details: { severity: 'high' } });
      expect((await audit.list({ subject })).map((e) => e.id)).toEqual([e2.id, e1.id, e3.id]);
      expect((await audit.list({ subject, from: '2024-05-01T10:00:02Z', to: '2024-05-01T10:00:03Z' })).map((e) => e.id)).toEqual([e1.id]);
      expect(await audit.list({ subject, limit: 1 })).toHaveLength(1);
      await expect(audit.list({ subject, from: 'not a time' })).rejects.toMatchObject({ code: 'invalid-argument' });
    });
  });
}
