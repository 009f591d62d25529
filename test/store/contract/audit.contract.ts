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
      expect(e1).toEqual({ id: e1.id, at: '2024-05-01T10:00:02.000Z', actor: analyst, action: 'edit.submitted', subject, pairId: null, details: { severity: 'high' } });
      expect((await audit.list({ subject })).map((e) => e.id)).toEqual([e2.id, e1.id, e3.id]);
      expect((await audit.list({ subject, from: '2024-05-01T10:00:02Z', to: '2024-05-01T10:00:03Z' })).map((e) => e.id)).toEqual([e1.id]);
      expect(await audit.list({ subject, limit: 1 })).toHaveLength(1);
      await expect(audit.list({ subject, from: 'not a time' })).rejects.toMatchObject({ code: 'invalid-argument' });
    });

    test("entries carry their pair; a pair's list has none of another's; unpaired connector entries can be given to a pair", async () => {
      const audit = ctx.store().audit;
      const [contoso, fabrikam] = [uid('contoso'), uid('fabrikam')];
      const subject = `connector:${uid('x')}`;
      const c = await audit.append({ at: '2024-05-01T10:00:00Z', actor: analyst, action: 'connector.drift', subject, pairId: contoso, details: {} });
      const f = await audit.append({ at: '2024-05-01T10:00:01Z', actor: analyst, action: 'connector.drift', subject, pairId: fabrikam, details: {} });
      expect(c.pairId).toBe(contoso);
      expect((await audit.list({ subject, pairId: contoso })).map((e) => e.id)).toEqual([c.id]);
      expect((await audit.list({ subject, pairId: fabrikam })).map((e) => e.id)).toEqual([f.id]);
      expect((await audit.list({ subject })).map((e) => e.id)).toEqual([c.id, f.id]);

      const legacySubject = `legacy-connector-${uid('s')}`;
      const legacy = await audit.append({ at: '2024-05-01T10:00:02Z', actor: analyst, action: 'connector.drift', subject: legacySubject, details: {} });
      const edit = await audit.append({ at: '2024-05-01T10:00:02Z', actor: analyst, action: 'edit.submitted', subject: `link:${uid('l')}`, details: {} });
      expect(await audit.assignUnpaired(contoso, [legacySubject])).toBe(1);
      expect((await audit.list({ subject: legacySubject, pairId: contoso })).map((e) => e.id)).toEqual([legacy.id]);
      expect((await audit.list({ subject: edit.subject }))[0]?.pairId).toBeNull();
      expect(await audit.assignUnpaired(fabrikam, [legacySubject])).toBe(0);
    });
  });
}
