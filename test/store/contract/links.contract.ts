import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context.ts';
import { incident, linkDraft, uid } from '../support/fixtures.ts';
import { isRefusedRecord } from '../../../src/store/errors.ts';
import type { IncidentLink } from '../../../src/store/ports.ts';

export function linkContract(ctx: ContractContext): void {
  const links = () => ctx.store().links;

  async function insert(overrides: Parameters<typeof linkDraft>[0] = {}): Promise<IncidentLink> {
    const result = await links().save(linkDraft(overrides), null);
    if (!result.ok) throw new Error(`insert failed: ${result.reason}`);
    return result.link;
  }

  describe('LinkRepository', () => {
    test('insert returns version 1 and the link is found by every key', async () => {
      const draft = linkDraft({ sentinelId: uid('sent'), sentinelNumber: 4242, sentinelView: incident('sentinel', { incidentNumber: 4242 }) });
      const result = await links().save(draft, null);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.link).toMatchObject({ ...draft, version: 1 });
      expect(Date.parse(result.link.createdAt)).not.toBeNaN();
      expect(await links().get(draft.linkId)).toEqual(result.link);
      expect(await links().findByDefenderId(draft.pairId, draft.defenderId)).toEqual(result.link);
      expect(await links().findBySentinelId(draft.pairId, draft.sentinelId as string)).toEqual(result.link);
      expect(await links().findBySentinelNumber(draft.pairId, 4242)).toEqual(result.link);
      expect(await links().findByDefenderId(uid('pair'), draft.defenderId)).toBeNull();
      expect(await links().get(uid('missing'))).toBeNull();
    });

    test('optional fields stay absent (not null) when unset', async () => {
      const link = await insert();
      const read = await links().get(link.linkId);
      expect(read).not.toHaveProperty('sentinelId');
      expect(read).not.toHaveProperty('sentinelNumber');
      expect(read).not.toHaveProperty('mergedIntoLinkId');
      expect(read?.sentinelView).toBeNull();
    });

    test('inserting a taken linkId, or a defenderId already linked in the pair, is a duplicate', async () => {
      const link = await insert();
      const sameId = await links().save(linkDraft({ linkId: link.linkId }), null);
      expect(sameId).toMatchObject({ ok: false, reason: 'duplicate', current: { linkId: link.linkId } });
      const sameDefender = await links().save(linkDraft({ pairId: link.pairId, defenderId: link.defenderId }), null);
      expect(sameDefender).toMatchObject({ ok: false, reason: 'duplicate', current: { linkId: link.linkId } });
      // The same Defender id in another pair is a different incident.
      expect((await links().save(linkDraft({ defenderId: link.defenderId }), null)).ok).toBe(true);
    });

    test('update with the current version bumps it; a stale version is a conflict that returns the current link', async () => {
      const link = await insert();
      const updated = await links().save({ ...link, snapshot: { severity: 'high' } }, 1);
      expect(updated).toMatchObject({ ok: true, link: { version: 2, snapshot: { severity: 'high' } } });
      const stale = await links().save({ ...link, snapshot: { severity: 'low' } }, 1);
      expect(stale).toMatchObject({ ok: false, reason: 'version-conflict', current: { version: 2, snapshot: { severity: 'high' } } });
      const missing = await links().save(linkDraft(), 3);
      expect(missing).toEqual({ ok: false, reason: 'version-conflict', current: null });
    });

    test('concurrent compare-and-set: exactly one writer of a version wins', async () => {
      const link = await insert();
      const results = await Promise.all(
        Array.from({ length: ctx.concurrency }, (_, i) => links().save({ ...link, snapshot: { writer: i } }, link.version)),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const stored = await links().get(link.linkId);
      expect(stored?.version).toBe(2);
      const winner = results.find((r) => r.ok);
      expect(stored?.snapshot).toEqual(winner?.ok ? winner.link.snapshot : undefined);
    });

    test('findByDefenderIds finds the pair\'s links of those ids and no others', async () => {
      const pairId = uid('pair');
      const a = await insert({ pairId });
      const b = await insert({ pairId, sentinelView: incident('sentinel'), sentinelId: uid('sent') });
      await insert({ pairId });
      await insert({ defenderId: a.defenderId }); // the same Defender id in another pair
      const found = await links().findByDefenderIds(pairId, [a.defenderId, b.defenderId, uid('unknown')]);
      expect(found.sort((x, y) => x.linkId.localeCompare(y.linkId))).toEqual([a, b].sort((x, y) => x.linkId.localeCompare(y.linkId)));
      expect(await links().findByDefenderIds(pairId, [])).toEqual([]);
    });

    test('saveMany inserts and compares-and-sets each entry as save does, results in the order given', async () => {
      const pairId = uid('pair');
      const kept = await insert({ pairId });
      const stale = await insert({ pairId });
      await links().save({ ...stale, snapshot: { moved: true } }, stale.version);
      // Created by another writer after the caller looked it up.
      const taken = await insert({ pairId });
      const fresh = linkDraft({ pairId, sentinelId: uid('sent'), sentinelNumber: 77, sentinelView: incident('sentinel', { incidentNumber: 77 }) });
      const results = await links().saveMany([
        { link: fresh, expectedVersion: null },
        { link: { ...kept, sentinelView: incident('sentinel', { title: 'Seen in Sentinel' }) }, expectedVersion: kept.version },
        { link: { ...stale, snapshot: { lost: true } }, expectedVersion: stale.version },
        { link: linkDraft({ pairId, defenderId: taken.defenderId }), expectedVersion: null },
        { link: linkDraft({ linkId: taken.linkId }), expectedVersion: null },
      ]);
      expect(results[0]).toMatchObject({ ok: true, link: { ...fresh, version: 1 } });
      expect(results[1]).toMatchObject({ ok: true, link: { linkId: kept.linkId, version: 2, sentinelView: { title: 'Seen in Sentinel' } } });
      expect(results[2]).toMatchObject({ ok: false, reason: 'version-conflict', current: { linkId: stale.linkId, version: 2, snapshot: { moved: true } } });
      expect(results[3]).toEqual({ ok: false, reason: 'duplicate', current: taken });
      expect(results[4]).toEqual({ ok: false, reason: 'duplicate', current: taken });
      expect(results).toHaveLength(5);
      expect(await links().get(fresh.linkId)).toEqual(results[0]?.ok ? results[0].link : null);
      expect(await links().findBySentinelNumber(pairId, 77)).toMatchObject({ linkId: fresh.linkId });
      expect(await links().get(stale.linkId)).toMatchObject({ version: 2, snapshot: { moved: true } });
      // Newest first, as for save: the saved ones moved to the front.
      expect((await links().list({ pairId, limit: 2 })).map((link) => link.linkId).sort()).toEqual([fresh.linkId, kept.linkId].sort());
      expect(await links().saveMany([])).toEqual([]);
    });

    test('saveMany of two inserts of one Defender id stores the first; the second is its duplicate', async () => {
      const pairId = uid('pair');
      const defenderId = uid('def');
      const first = linkDraft({ pairId, defenderId });
      const results = await links().saveMany([
        { link: first, expectedVersion: null },
        { link: linkDraft({ pairId, defenderId }), expectedVersion: null },
      ]);
      expect(results[0]).toMatchObject({ ok: true, link: { linkId: first.linkId } });
      expect(results[1]).toMatchObject({ ok: false, reason: 'duplicate', current: { linkId: first.linkId } });
    });

    test('saveMany saves nothing when the store refuses one entry, and throws the refusal', async () => {
      const pairId = uid('pair');
      const existing = await insert({ pairId });
      const fine = linkDraft({ pairId });
      const hostile = linkDraft({ pairId, defenderView: incident('defender', { title: 'file name \ud800.exe' }) });
      const error = await links()
        .saveMany([
          { link: fine, expectedVersion: null },
          { link: { ...existing, snapshot: { touched: true } }, expectedVersion: existing.version },
          { link: hostile, expectedVersion: null },
        ])
        .then(() => null, (caught: unknown) => caught);
      expect(isRefusedRecord(error)).toBe(true);
      expect(await links().get(fine.linkId)).toBeNull();
      expect(await links().get(hostile.linkId)).toBeNull();
      expect(await links().get(existing.linkId)).toEqual(existing);
    });

    test('saveMany refuses a batch naming one link twice, or a bad version, before saving any', async () => {
      const link = await insert();
      await expect(links().saveMany([
        { link: { ...link, snapshot: { a: 1 } }, expectedVersion: link.version },
        { link: { ...link, snapshot: { b: 2 } }, expectedVersion: link.version },
      ])).rejects.toMatchObject({ code: 'invalid-argument' });
      const fresh = linkDraft();
      await expect(links().saveMany([{ link: fresh, expectedVersion: null }, { link, expectedVersion: 0 }])).rejects.toMatchObject({ code: 'invalid-argument' });
      expect(await links().get(fresh.linkId)).toBeNull();
      expect(await links().get(link.linkId)).toEqual(link);
    });

    test('findByRef resolves link ids, Defender ids, Sentinel ids and numbers across pairs', async () => {
      const number = 100000 + Math.floor(Math.random() * 800000);
      const a = await insert({ sentinelNumber: number, sentinelId: uid('sent') });
      const b = await insert({ defenderId: String(number) });
      expect((await links().findByRef(a.linkId)).map((l) => l.linkId)).toEqual([a.linkId]);
      expect((await links().findByRef(a.sentinelId as string)).map((l) => l.linkId)).toEqual([a.linkId]);
      expect((await links().findByRef(` ${number} `)).map((l) => l.linkId).sort()).toEqual([a.linkId, b.linkId].sort());
      expect(await links().findByRef('')).toEqual([]);
      expect(await links().findByRef(uid('nothing'))).toEqual([]);
    });

    test('list filters on either view by severity, status, tag, product and pair, newest first', async () => {
      const pairId = uid('pair');
      const high = await insert({ pairId, defenderView: incident('defender', { severity: 'high', tags: ['ransomware'] }) });
      const low = await insert({
        pairId,
        defenderView: incident('defender', { severity: 'low', status: 'resolved', additionalData: { alertsCount: 1, productNames: ['Microsoft Defender for Identity'], tactics: [], techniques: [] } }),
      });
      // Severity only on the Sentinel view: the filter holds on either view.
      const sentinelOnly = await insert({ pairId, defenderView: null, sentinelView: incident('sentinel', { severity: 'medium', tags: ['vip'] }) });
      const unknown = await insert({ pairId, defenderView: incident('defender', { severity: 'unknown' }) });
      await insert({ defenderView: incident('defender', { severity: 'high' }) }); // another pair

      const ids = async (filter: Parameters<ReturnType<typeof links>['list']>[0]) => (await links().list({ pairId, ...filter })).map((l) => l.linkId);
      expect((await ids({})).sort()).toEqual([high.linkId, low.linkId, sentinelOnly.linkId, unknown.linkId].sort());
      expect((await ids({ minSeverity: 'medium' })).sort()).toEqual([high.linkId, sentinelOnly.linkId].sort());
      expect(await ids({ minSeverity: 'high' })).toEqual([high.linkId]);
      expect((await ids({ minSeverity: 'informational' })).sort()).toEqual([high.linkId, low.linkId, sentinelOnly.linkId].sort());
      expect(await ids({ status: 'resolved' })).toEqual([low.linkId]);
      expect(await ids({ tag: 'vip' })).toEqual([sentinelOnly.linkId]);
      expect(await ids({ tag: 'VIP' })).toEqual([]);
      expect(await ids({ productName: 'microsoft defender for identity' })).toEqual([low.linkId]);
      expect(await ids({ minSeverity: 'high', tag: 'ransomware', status: 'active' })).toEqual([high.linkId]);
      expect(await ids({ limit: 2 })).toHaveLength(2);

      // Newest first: touching `low` moves it to the front.
      await links().save({ ...low, snapshot: { touched: true } }, low.version);
      expect((await ids({}))[0]).toBe(low.linkId);
    });

    test('list searches words: ids and numbers exactly, tags case-insensitively, title and owner by part; every word must match', async () => {
      const pairId = uid('pair');
      const phish = await insert({
        pairId,
        defenderId: '4711',
        sentinelNumber: 1042,
        defenderView: incident('defender', { title: 'Phishing mail to CFO: "100%_off" invoice', tags: ['VIP', 'mail'], owner: { upn: 'megan.bowen@contoso.com', displayName: 'Megan Bowen' } }),
      });
      const ransom = await insert({
        pairId,
        defenderId: '4712',
        defenderView: null,
        sentinelView: incident('sentinel', { title: 'Ransomware on FIN-LAPTOP-07', tags: ['ransomware'], owner: { objectId: '00000000-0000-4000-8000-000000000077', displayName: "Pat O'Brien" } }),
      });
      const ids = async (text: string, more: Partial<Parameters<ReturnType<typeof links>['list']>[0]> = {}) => (await links().list({ pairId, text, ...more })).map((l) => l.linkId).sort();
      expect(await ids('4711')).toEqual([phish.linkId]);
      expect(await ids('471')).toEqual([]); // ids are matched whole
      expect(await ids('1042')).toEqual([phish.linkId]);
      expect(await ids('#1042')).toEqual([phish.linkId]);
      expect(await ids(phish.linkId)).toEqual([phish.linkId]);
      expect(await ids('vip')).toEqual([phish.linkId]);
      expect(await ids('ransom')).toEqual([ransom.linkId]); // part of the title, not a whole tag
      expect(await ids('laptop')).toEqual([ransom.linkId]);
      expect(await ids('megan')).toEqual([phish.linkId]);
      expect(await ids("o'brien")).toEqual([ransom.linkId]);
      expect(await ids('phishing cfo')).toEqual([phish.linkId]);
      expect(await ids('phishing ransomware')).toEqual([]);
      // Characters LIKE would treat as patterns are only characters.
      expect(await ids('100%_off')).toEqual([phish.linkId]);
      expect(await ids('%')).toEqual([phish.linkId]);
      expect(await ids('_')).toEqual([phish.linkId]);
      expect(await ids("'; DROP TABLE incident_links; --")).toEqual([]);
      expect(await ids('  ')).toEqual([ransom.linkId, phish.linkId].sort());
      expect(await ids('mail', { minSeverity: 'high' })).toEqual([]);
    });

    test('list pages with offset, newest first, and refuses a bad offset or an oversized search', async () => {
      const pairId = uid('pair');
      const inserted = [];
      for (let i = 0; i < 5; i += 1) inserted.push(await insert({ pairId, defenderView: incident('defender', { title: `Paged incident ${i}` }) }));
      const newestFirst = inserted.map((link) => link.linkId).reverse();
      const page = async (offset: number, limit: number) => (await links().list({ pairId, text: 'paged', offset, limit })).map((l) => l.linkId);
      expect(await page(0, 2)).toEqual(newestFirst.slice(0, 2));
      expect(await page(2, 2)).toEqual(newestFirst.slice(2, 4));
      expect(await page(4, 2)).toEqual(newestFirst.slice(4));
      expect(await page(10, 2)).toEqual([]);
      await expect(links().list({ pairId, offset: -1 })).rejects.toMatchObject({ code: 'invalid-argument' });
      await expect(links().list({ pairId, offset: 1.5 })).rejects.toMatchObject({ code: 'invalid-argument' });
      await expect(links().list({ pairId, text: 'a b c d e f g h i' })).rejects.toMatchObject({ code: 'invalid-argument' });
      await expect(links().list({ pairId, text: 'x'.repeat(101) })).rejects.toMatchObject({ code: 'invalid-argument' });
    });

    test('list leaves out links with no stored view (created, not yet synced): there is nothing to show', async () => {
      const pairId = uid('pair');
      const empty = await insert({ pairId, defenderView: null, sentinelView: null });
      const shown = await insert({ pairId });
      expect((await links().list({ pairId })).map((l) => l.linkId)).toEqual([shown.linkId]);
      expect((await links().list({ pairId, includeMerged: true })).map((l) => l.linkId)).toEqual([shown.linkId]);
      // Still found directly (a sync in progress reads it).
      expect(await links().get(empty.linkId)).toMatchObject({ linkId: empty.linkId });
    });

    test('list restricted to some pairs (a conversation\'s tenant scope) returns only theirs', async () => {
      const [a, b, c] = [uid('pair'), uid('pair'), uid('pair')];
      const inA = await insert({ pairId: a });
      const inB = await insert({ pairId: b });
      await insert({ pairId: c });
      const ids = async (filter: Parameters<ReturnType<typeof links>['list']>[0]) => (await links().list(filter)).map((l) => l.linkId).sort();
      expect(await ids({ pairIds: [a, b] })).toEqual([inA.linkId, inB.linkId].sort());
      expect(await ids({ pairIds: [a, b], pairId: b })).toEqual([inB.linkId]);
      expect(await ids({ pairIds: [a], pairId: c })).toEqual([]);
      expect(await ids({ pairIds: [] })).toEqual([]);
    });

    test('list hides merged links unless asked, and refuses a bad limit', async () => {
      const pairId = uid('pair');
      const from = await insert({ pairId });
      const into = await insert({ pairId });
      await links().merge(from.linkId, into.linkId);
      expect((await links().list({ pairId })).map((l) => l.linkId)).toEqual([into.linkId]);
      expect((await links().list({ pairId, includeMerged: true })).map((l) => l.linkId).sort()).toEqual([from.linkId, into.linkId].sort());
      await expect(links().list({ pairId, limit: 0 })).rejects.toMatchObject({ code: 'invalid-argument' });
    });

    test('merge marks the link, moves its cards and edit requests, and keeps one card per conversation', async () => {
      const store = ctx.store();
      const pairId = uid('pair');
      const from = await insert({ pairId, sentinelId: uid('sent') });
      const into = await insert({ pairId });
      const onlyFrom = uid('conv');
      const both = uid('conv');
      const now = '2024-05-01T10:00:00.000Z';
      for (const [conversationId, linkId, activityId] of [
        [onlyFrom, from.linkId, 'act-1'],
        [both, from.linkId, 'act-2'],
        [both, into.linkId, 'act-3'],
      ] as const) {
        await store.cards.claim(conversationId, linkId, 'replica-a', now, 60_000);
        await store.cards.markPosted(conversationId, linkId, 'replica-a', activityId, 'h', now);
      }
      const requestId = uid('req');
      const request = await store.editRequests.insertOrGet({
        id: requestId,
        idempotencyKey: uid('key'),
        linkId: from.linkId,
        changes: { severity: 'high' },
        actor: { objectId: 'o', displayName: 'A' },
        outcome: { requestId, linkId: from.linkId, state: 'accepted', perPortal: { defender: {}, sentinel: {} }, converged: false, updatedAt: now },
      });
      await store.cards.registerCopy({ conversationId: onlyFrom, activityId: 'copy-1', linkId: from.linkId, lastHash: 'h' }, now);

      const result = await store.links.merge(from.linkId, into.linkId);
      expect(result).not.toBeNull();
      expect(result?.from).toMatchObject({ linkId: from.linkId, mergedIntoLinkId: into.linkId, version: from.version + 1 });
      expect(result?.into.linkId).toBe(into.linkId);
      expect(result?.movedCards.map((c) => [c.conversationId, c.linkId, c.activityId])).toEqual([[onlyFrom, into.linkId, 'act-1']]);
      expect(result?.supersededCards.map((c) => [c.conversationId, c.activityId])).toEqual([[both, 'act-2']]);
      expect((await store.cards.listForLink(from.linkId))).toEqual([]);
      expect((await store.cards.listForLink(into.linkId)).map((c) => c.activityId).sort()).toEqual(['act-1', 'act-3']);
      expect((await store.editRequests.get(request.request.id))?.linkId).toBe(into.linkId);
      expect((await store.cards.listCopies(into.linkId)).map((copy) => copy.activityId)).toEqual(['copy-1']);
      expect(await store.cards.findByActivity(onlyFrom, 'copy-1')).toMatchObject({ linkId: into.linkId, kind: 'copy' });
      // The Sentinel id of the merged-away link still finds it (no live link has it).
      expect((await store.links.findBySentinelId(pairId, from.sentinelId as string))?.linkId).toBe(from.linkId);

      // Idempotent: nothing more moves, the version does not move again.
      const again = await store.links.merge(from.linkId, into.linkId);
      expect(again?.from.version).toBe(from.version + 1);
      expect(again?.movedCards).toEqual([]);
      expect(again?.supersededCards).toEqual([]);
    });

    test('merge of unknown links is null; merging a link into itself is refused', async () => {
      const link = await insert();
      expect(await links().merge(link.linkId, uid('missing'))).toBeNull();
      expect(await links().merge(uid('missing'), link.linkId)).toBeNull();
      await expect(links().merge(link.linkId, link.linkId)).rejects.toMatchObject({ code: 'invalid-argument' });
    });

    test('lookups by Sentinel id prefer the live link over a merged-away one', async () => {
      const pairId = uid('pair');
      const sentinelId = uid('sent');
      const old = await insert({ pairId, sentinelId, sentinelNumber: 77 });
      const live = await insert({ pairId });
      await links().merge(old.linkId, live.linkId);
      const updated = await links().save({ ...live, sentinelId, sentinelNumber: 77 }, live.version);
      expect(updated.ok).toBe(true);
      expect((await links().findBySentinelId(pairId, sentinelId))?.linkId).toBe(live.linkId);
      expect((await links().findBySentinelNumber(pairId, 77))?.linkId).toBe(live.linkId);
    });

    test('refuses drafts without identifiers', async () => {
      await expect(links().save(linkDraft({ defenderId: '' }), null)).rejects.toMatchObject({ code: 'invalid-argument' });
      await expect(links().save(linkDraft(), 0)).rejects.toMatchObject({ code: 'invalid-argument' });
    });

    test('titles and descriptions are stored verbatim, whatever they contain', async () => {
      const hostile = `'); DROP TABLE incident_links; -- <script>alert(1)</script> \${x} {{y}} \u0000`.replace('\u0000', '\u2028');
      const link = await insert({ defenderView: incident('defender', { title: hostile, description: hostile }) });
      expect((await links().get(link.linkId))?.defenderView?.title).toBe(hostile);
    });
  });
}
