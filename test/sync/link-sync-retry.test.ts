// A link sync whose save loses to another writer after it copied a comment tries again on what is
// stored now, and must not copy the comment a second time: Graph comments have no id, so a second
// POST is a second comment in Defender.
import { expect, test } from '@jest/globals';
import { syncLink } from '../../src/sync/link-sync.ts';
import { commentFingerprint } from '../../src/sync/fingerprint.ts';
import { startEditBench } from './support/edit-bench.ts';

test('a comment copied before the save lost to the watcher is not copied again on the next attempt', async () => {
  const bench = await startEditBench();
  const { store } = bench.context;
  bench.portals.portalUser('sentinel', (incident) => ({ comments: [...incident.comments, { text: 'Checked the mailbox rules', author: 'lee.gu@contoso.example', createdAt: incident.lastUpdatedAt }] }));

  // The watcher stores a newer view of the link while the copy is being written: the sync's save
  // then meets a version it did not read.
  const defender = bench.portals.clients.defender;
  const addComment = defender.addComment.bind(defender);
  let raced = false;
  defender.addComment = async (...args) => {
    const written = await addComment(...args);
    if (!raced) {
      raced = true;
      const link = (await store.links.get(bench.linkId))!;
      expect((await store.links.save({ ...link }, link.version)).ok).toBe(true);
    }
    return written;
  };

  await syncLink(bench.context, bench.linkId);
  expect(raced).toBe(true);
  const copies = bench.portals.defender.incident.comments.filter((comment) => commentFingerprint(comment.text) === 'Checked the mailbox rules');
  expect(copies).toHaveLength(1);
  // A later sync finds it copied too.
  await syncLink(bench.context, bench.linkId, { fresh: true });
  expect(bench.portals.defender.incident.comments.filter((comment) => commentFingerprint(comment.text) === 'Checked the mailbox rules')).toHaveLength(1);
});
