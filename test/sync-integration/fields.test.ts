// Every synced field, in both directions, with the portals' own mirroring OFF: whatever the other
// portal comes to show, the bridge wrote. Each change is announced once, credited to the analyst
// who made it, and the bridge's own write is neither re-written nor re-announced (echo).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { DefenderIncident, DirectoryUser, SentinelIncident } from '../../src/simulators/index.ts';
import type { FieldChange } from '../../src/domain/change-events.ts';
import { startHarness, waitFor, type LinkedIncident, type SyncHarness } from './support/harness.ts';

let h: SyncHarness;
let analyst: DirectoryUser;

beforeAll(async () => {
  h = await startHarness();
  analyst = h.control.directory()[0]!;
});
afterAll(async () => {
  await h?.close();
});

function changesOf(incident: LinkedIncident, field: FieldChange['field']): FieldChange[] {
  return h
    .eventsFor(incident.linkId)
    .filter((event) => event.kind === 'updated')
    .flatMap((event) => event.changes)
    .filter((change) => change.field === field);
}

/** The change is announced exactly once, from the portal where it was made, by whom it was made. */
async function expectAnnouncedOnce(incident: LinkedIncident, field: FieldChange['field'], portal: 'defender' | 'sentinel', by: string | undefined): Promise<void> {
  await waitFor(`a '${field}' change event`, () => changesOf(incident, field).length > 0);
  // Two more polls: the bridge's own write (the echo) must not come back as news or as a write.
  await h.afterPolls(2);
  const changes = changesOf(incident, field);
  expect(changes).toHaveLength(1);
  expect(changes[0]).toMatchObject({ portal, ...(by !== undefined ? { by } : {}) });
}

/**
 * ARM reports who changed an incident only in the resource envelope's systemData.lastModifiedBy;
 * the Sentinel mapping (src/portals/sentinel/mapping.ts) does not read it yet, so Sentinel-side
 * changes are credited to 'unknown'. The per-field tests below check the portal only; the
 * attribution test at the end is marked failing until the mapping reads systemData.
 */
const SENTINEL_BY: string | undefined = undefined;

interface Case {
  field: FieldChange['field'];
  change(incident: LinkedIncident): void;
  converged(defender: DefenderIncident, sentinel: SentinelIncident): boolean;
}

describe('Defender -> Sentinel', () => {
  const cases: Case[] = [
    {
      field: 'title',
      change: (i) => h.control.analystUpdateDefenderIncident(i.defenderId, { displayName: 'Ransomware staging on FS01' }, analyst.userPrincipalName),
      converged: (_d, s) => s.title === 'Ransomware staging on FS01',
    },
    {
      field: 'description',
      change: (i) => h.control.analystUpdateDefenderIncident(i.defenderId, { description: 'Seen on three hosts' }, analyst.userPrincipalName),
      converged: (_d, s) => s.description === 'Seen on three hosts',
    },
    {
      // The Defender portal (a person) can set severity even though Graph PATCH cannot.
      field: 'severity',
      change: (i) => h.control.analystUpdateDefenderIncident(i.defenderId, { severity: 'high' }, analyst.userPrincipalName),
      converged: (_d, s) => s.severity === 'High',
    },
    {
      field: 'tags',
      change: (i) => h.control.analystUpdateDefenderIncident(i.defenderId, { customTags: ['phishing', 'vip'] }, analyst.userPrincipalName),
      converged: (_d, s) => s.labels.filter((label) => label.labelType === 'User').map((label) => label.labelName).sort().join() === 'phishing,vip',
    },
    {
      field: 'status',
      change: (i) => h.control.analystUpdateDefenderIncident(i.defenderId, { status: 'inProgress' }, analyst.userPrincipalName),
      converged: (_d, s) => s.status === 'Active',
    },
    {
      field: 'classification',
      change: (i) => h.control.analystUpdateDefenderIncident(i.defenderId, { status: 'resolved', classification: 'truePositive', determination: 'malware' }, analyst.userPrincipalName),
      converged: (_d, s) => s.status === 'Closed' && s.classification === 'TruePositive',
    },
    {
      field: 'owner',
      change: (i) => h.control.analystUpdateDefenderIncident(i.defenderId, { assignedTo: analyst.userPrincipalName }, analyst.userPrincipalName),
      converged: (_d, s) => s.owner.userPrincipalName?.toLowerCase() === analyst.userPrincipalName.toLowerCase(),
    },
  ];

  test.each(cases.map((c) => [c.field, c] as const))('%s', async (_field, c) => {
    const incident = await h.newIncident(`D->S ${c.field}`);
    c.change(incident);
    await waitFor(`${c.field} to reach Sentinel`, () => c.converged(h.defender(incident.defenderId), h.sentinel(incident.sentinelName)));
    await expectAnnouncedOnce(incident, c.field, 'defender', analyst.userPrincipalName);
    // Still agreed after the echo polls: the bridge did not fight its own write.
    expect(c.converged(h.defender(incident.defenderId), h.sentinel(incident.sentinelName))).toBe(true);
  });

  test('comment: copied once with attribution, announced once', async () => {
    const incident = await h.newIncident('D->S comment');
    h.control.analystCommentDefender(incident.defenderId, 'Isolated the host', analyst.userPrincipalName);
    await waitFor('the comment on Sentinel', () => h.sentinelComments(incident.sentinelName).some((c) => c.message.endsWith('Isolated the host')));
    await expectAnnouncedOnce(incident, 'comment', 'defender', analyst.userPrincipalName);
    const copies = h.sentinelComments(incident.sentinelName).filter((c) => c.message.includes('Isolated the host'));
    expect(copies).toHaveLength(1);
    expect(copies[0]!.message).toBe(`[${analyst.userPrincipalName} via incident-bridge · from Defender] Isolated the host`);
    // Not copied back to where it came from.
    expect(h.defender(incident.defenderId).comments.filter((c) => c.comment.includes('Isolated the host'))).toHaveLength(1);
  });
});

describe('Sentinel -> Defender', () => {
  const cases: Case[] = [
    {
      field: 'title',
      change: (i) => h.control.analystUpdateSentinelIncident(i.sentinelName, { title: 'Credential theft on DC02' }, analyst.userPrincipalName),
      converged: (d) => d.displayName === 'Credential theft on DC02',
    },
    {
      field: 'description',
      change: (i) => h.control.analystUpdateSentinelIncident(i.sentinelName, { description: 'Triaged in Sentinel' }, analyst.userPrincipalName),
      converged: (d) => d.description === 'Triaged in Sentinel',
    },
    {
      field: 'tags',
      change: (i) => h.control.analystUpdateSentinelIncident(i.sentinelName, { labels: ['exfiltration'] }, analyst.userPrincipalName),
      converged: (d) => d.customTags.join() === 'exfiltration',
    },
    {
      // Sentinel New -> Active is 'active' in Defender already; closing is the status change that moves both.
      field: 'status',
      change: (i) => h.control.analystUpdateSentinelIncident(i.sentinelName, { status: 'Closed', classification: 'FalsePositive', classificationReason: 'IncorrectAlertLogic' }, analyst.userPrincipalName),
      converged: (d) => d.status === 'resolved' && d.classification === 'falsePositive',
    },
    {
      field: 'classification',
      change: (i) => h.control.analystUpdateSentinelIncident(i.sentinelName, { classification: 'TruePositive', classificationReason: 'SuspiciousActivity' }, analyst.userPrincipalName),
      converged: (d) => d.classification === 'truePositive',
    },
    {
      field: 'owner',
      change: (i) =>
        h.control.analystUpdateSentinelIncident(i.sentinelName, { owner: { objectId: analyst.objectId, userPrincipalName: analyst.userPrincipalName } }, analyst.userPrincipalName),
      converged: (d) => d.assignedTo?.toLowerCase() === analyst.userPrincipalName.toLowerCase(),
    },
  ];

  test.each(cases.map((c) => [c.field, c] as const))('%s', async (_field, c) => {
    const incident = await h.newIncident(`S->D ${c.field}`);
    c.change(incident);
    await waitFor(`${c.field} to reach Defender`, () => c.converged(h.defender(incident.defenderId), h.sentinel(incident.sentinelName)));
    await expectAnnouncedOnce(incident, c.field, 'sentinel', SENTINEL_BY);
    expect(c.converged(h.defender(incident.defenderId), h.sentinel(incident.sentinelName))).toBe(true);
  });

  test('severity: Graph cannot write it, so it is announced and the Defender side is marked notWritable', async () => {
    const incident = await h.newIncident('S->D severity');
    h.control.analystUpdateSentinelIncident(incident.sentinelName, { severity: 'High' }, analyst.userPrincipalName);
    const link = await waitFor('Defender to be marked notWritable', async () => {
      const current = await h.link(incident.defenderId);
      return current?.syncState.defender === 'notWritable' ? current : null;
    });
    await expectAnnouncedOnce(incident, 'severity', 'sentinel', SENTINEL_BY);
    expect(h.defender(incident.defenderId).severity).toBe('medium');
    expect((await h.engine.api.findIncident(incident.defenderId))?.syncState).toEqual({ defender: 'notWritable', sentinel: 'inSync' });
    // Nothing tried to PATCH severity (Graph would refuse it with 400).
    expect(h.control.requests().recent.filter((r) => r.api === 'graph' && r.method === 'PATCH' && r.status === 400)).toHaveLength(0);
    expect(link.sentinelView?.severity).toBe('high');
  });

  test('comment: copied once with attribution, announced once', async () => {
    const incident = await h.newIncident('S->D comment');
    h.control.analystCommentSentinel(incident.sentinelName, 'Reset the user password', analyst.userPrincipalName);
    await waitFor('the comment on Defender', () => h.defender(incident.defenderId).comments.some((c) => c.comment.endsWith('Reset the user password')));
    // Comments carry their own author on ARM, so this one is credited properly.
    await expectAnnouncedOnce(incident, 'comment', 'sentinel', analyst.userPrincipalName);
    const copies = h.defender(incident.defenderId).comments.filter((c) => c.comment.includes('Reset the user password'));
    expect(copies).toHaveLength(1);
    expect(copies[0]!.comment).toBe(`[${analyst.userPrincipalName} via incident-bridge · from Sentinel] Reset the user password`);
    expect(h.sentinelComments(incident.sentinelName).filter((c) => c.message.includes('Reset the user password'))).toHaveLength(1);
  });
});

test('a Sentinel-side change is credited to the analyst who made it', async () => {
  const incident = await h.newIncident('S->D attribution');
  h.control.analystUpdateSentinelIncident(incident.sentinelName, { title: 'Attributed in Sentinel' }, analyst.userPrincipalName);
  await waitFor('a title change event', () => changesOf(incident, 'title').length > 0);
  expect(changesOf(incident, 'title')[0]!.by).toBe(analyst.userPrincipalName);
});

describe('portal-maintained facts', () => {
  test('product names and alert data are announced when a new alert correlates, never written', async () => {
    const incident = await h.newIncident('Maintained facts', { correlationKey: 'maintained-1' });
    const sentinelBefore = h.sentinel(incident.sentinelName);
    h.control.raiseAlert({ serviceSource: 'microsoftDefenderForIdentity', title: 'Suspicious Kerberos', severity: 'medium', correlationKey: 'maintained-1' });
    await waitFor('a productNames change', () => changesOf(incident, 'productNames').length > 0);
    await waitFor('an additionalData change', () => changesOf(incident, 'additionalData').length > 0);
    const products = changesOf(incident, 'productNames')[0]!;
    expect(products.portal).toBe('defender');
    expect(products.to).toEqual(expect.arrayContaining(['Microsoft Defender for Endpoint', 'Microsoft Defender for Identity']));
    expect(changesOf(incident, 'additionalData')[0]!.to).toMatchObject({ alertsCount: 2 });
    await h.afterPolls(2);
    // Native sync is off and the bridge never writes these: Sentinel still shows its own figures.
    const sentinelAfter = h.sentinel(incident.sentinelName);
    expect(sentinelAfter.alertProductNames).toEqual(sentinelBefore.alertProductNames);
    expect(sentinelAfter.alertsCount).toBe(sentinelBefore.alertsCount);
    expect(changesOf(incident, 'productNames')).toHaveLength(1);
  });

  test("a correlated alert with evidence is announced once as an alerts change, and the view carries it with the evidence counted per alert", async () => {
    const user = { '@odata.type': '#microsoft.graph.security.userEvidence', userAccount: { accountName: 'alice', domainName: 'CONTOSO', userPrincipalName: 'alice@contoso.com' } };
    const incident = await h.newIncident('Alerts and evidence', { correlationKey: 'evidence-1' });
    const raised = h.control.raiseAlert({ serviceSource: 'azureAdIdentityProtection', title: 'Unfamiliar sign-in properties', severity: 'high', correlationKey: 'evidence-1', evidence: [user] });
    h.control.raiseAlert({ serviceSource: 'microsoftDefenderForCloudApps', title: 'Impossible travel activity', severity: 'medium', correlationKey: 'evidence-1', evidence: [user] });
    await waitFor('an alerts change naming both new alerts', () => changesOf(incident, 'alerts').some((change) => (change.to as { ids: string[] }).ids.length === 3));
    const link = await h.link(incident.defenderId);
    const details = link?.defenderView?.alertDetails;
    expect(details?.alerts.map((alert) => alert.title)).toEqual(expect.arrayContaining(['Unfamiliar sign-in properties', 'Impossible travel activity']));
    expect(details?.alerts[0]?.id).toBe(raised.alertId); // open, high: the most relevant
    expect(details?.evidence).toEqual([{ kind: 'account', name: 'alice@contoso.com', detail: '', verdict: 'unknown', alertCount: 2 }]);
    await h.afterPolls(2);
    const announcedIds = changesOf(incident, 'alerts').map((change) => (change.to as { ids: string[] }).ids.length);
    expect(announcedIds.at(-1)).toBe(3);
    expect(new Set(announcedIds).size).toBe(announcedIds.length);
  });

  test('last-modified-by is announced on its own, never written', async () => {
    const incident = await h.newIncident('Last modified by');
    // summary is not a synced field: the only visible news is who touched the incident.
    h.control.analystUpdateDefenderIncident(incident.defenderId, { summary: 'looked at it' }, analyst.userPrincipalName);
    await waitFor('a lastModifiedBy change', () => changesOf(incident, 'lastModifiedBy').length > 0);
    expect(changesOf(incident, 'lastModifiedBy')[0]).toMatchObject({ portal: 'defender', to: analyst.userPrincipalName });
    await h.afterPolls(2);
    expect(h.sentinel(incident.sentinelName).lastModifiedBy.name).not.toBe(analyst.userPrincipalName);
    expect(changesOf(incident, 'lastModifiedBy')).toHaveLength(1);
  });
});
