// With the portals' own sync on, a change made in one portal shows in both before the bridge may
// look: the announcement still names the portal where it was made and the person who made it.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startHarness, waitFor, type SyncHarness } from './support/harness.ts';

let h: SyncHarness;

beforeAll(async () => {
  h = await startHarness();
  h.control.setNativeSync(true);
});
afterAll(async () => {
  await h?.close();
});

describe('where a change was made, with native sync on', () => {
  test("a Sentinel analyst's severity and label change is announced as made in Sentinel, by them", async () => {
    const incident = await h.newIncident('Native sync origin', { severity: 'medium' });
    const labels = h.sentinel(incident.sentinelName).labels.map((label) => label.labelName);
    h.control.analystUpdateSentinelIncident(incident.sentinelName, { severity: 'High' }, 'sam.lee@contoso.com');
    h.control.analystUpdateSentinelIncident(incident.sentinelName, { labels: [...labels, 'escalated'] }, 'sam.lee@contoso.com');
    await waitFor('both portals show the change', () => h.defender(incident.defenderId).severity === 'high' && h.defender(incident.defenderId).customTags.includes('escalated'));
    const changes = await waitFor('severity and tags announced', () => {
      const announced = h.eventsFor(incident.linkId).filter((event) => event.kind === 'updated').flatMap((event) => event.changes);
      const severity = announced.find((change) => change.field === 'severity');
      const tags = announced.find((change) => change.field === 'tags');
      return severity && tags ? { severity, tags } : null;
    });
    expect(changes.severity).toMatchObject({ portal: 'sentinel', to: 'high' });
    expect(changes.tags).toMatchObject({ portal: 'sentinel' });
    expect(changes.severity.by).toContain('sam.lee');
    expect(changes.severity.fromTeams).toBeUndefined();
  });
});
