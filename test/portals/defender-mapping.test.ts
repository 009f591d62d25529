import { describe, expect, test } from '@jest/globals';
import { PortalError } from '../../src/domain/errors.ts';
import type { IncidentPatch } from '../../src/domain/incident.ts';
import { domainPatchToGraph, graphCommentToDomain, graphIncidentToDomain } from '../../src/portals/defender/mapping.ts';
import { MAX_LINE_CHARS, MAX_TEXT_CHARS, storableText } from '../../src/domain/untrusted-text.ts';
import { GRAPH_INCIDENT_WITH_ALERTS, GRAPH_UPDATE_RESPONSE_EXAMPLE, HOSTILE_TEXTS, UNSTORABLE_TEXTS } from './fixtures/examples.ts';

function recordingLogger() {
  const warnings: Array<{ details: object; message: string }> = [];
  return { warnings, logger: { warn: (details: object, message: string) => warnings.push({ details, message }) } };
}

describe('Graph incident -> domain', () => {
  test.each([
    ['absent', undefined, ''],
    ['free text', 'yesterday', ''],
    ['without a zone', '2026-01-01T10:00:00', ''],
    ['a day that does not exist', '2026-02-30T10:00:00Z', ''],
    ['with an offset', '2026-01-01T12:00:00+02:00', '2026-01-01T10:00:00.000Z'],
  ])('a timestamp %s maps to an instant or to "" (unusable), never to text', (_name, value, mapped) => {
    const raw = { ...GRAPH_INCIDENT_WITH_ALERTS, lastUpdateDateTime: value, createdDateTime: value };
    const incident = graphIncidentToDomain(raw);
    expect(incident.lastUpdatedAt).toBe(mapped);
    expect(incident.createdAt).toBe(mapped);
  });

  test('the documented update response (PascalCase enums, older comment names) maps every field', () => {
    const incident = graphIncidentToDomain(GRAPH_UPDATE_RESPONSE_EXAMPLE);
    expect(incident).toEqual({
      portal: 'defender',
      id: '2972395',
      providerIncidentId: '2972395',
      tenantId: 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c',
      title: GRAPH_UPDATE_RESPONSE_EXAMPLE.displayName,
      description: GRAPH_UPDATE_RESPONSE_EXAMPLE.description,
      severity: 'medium',
      status: 'active',
      classification: 'truePositive',
      determination: 'multiStagedAttack',
      owner: { upn: 'KaiC@contoso.onmicrosoft.com' },
      tags: ['Demo'],
      systemTags: ['Defender Experts'],
      additionalData: { alertsCount: 0, productNames: [], tactics: [], techniques: [] },
      comments: [{ text: 'Demo incident', author: 'DavidS@contoso.onmicrosoft.com', createdAt: '2021-09-30T12:07:37.2756993Z' }],
      lastModifiedBy: '',
      createdAt: '2021-08-13T08:43:35.5533333Z',
      lastUpdatedAt: '2021-09-30T09:35:45.1133333Z',
      webUrl: GRAPH_UPDATE_RESPONSE_EXAMPLE.incidentWebUrl,
    });
  });

  test('expanded alerts give product names, tactics and techniques; the rest maps as documented', () => {
    const incident = graphIncidentToDomain(GRAPH_INCIDENT_WITH_ALERTS);
    expect(incident.status).toBe('awaitingAction');
    expect(incident.severity).toBe('high');
    expect(incident.classification).toBe('benignPositive');
    expect(incident.determination).toBe('securityTesting');
    expect(incident.classificationComment).toBe('Red team exercise');
    expect(incident.lastModifiedBy).toBe('API-App:7f3e');
    expect(incident.additionalData).toEqual({
      alertsCount: 3,
      productNames: ['Microsoft Defender for Endpoint', 'Microsoft Defender for Identity'],
      tactics: ['Execution', 'LateralMovement'],
      techniques: ['T1021', 'T1059', 'T1059.001'],
    });
    expect(incident.comments).toEqual([{ text: 'Looking into it', author: 'Jane Doe', createdAt: '2025-05-01T10:05:00Z' }]);
    expect(incident.redirectIncidentId).toBeUndefined();
  });

  test('without expanded alerts the known additional data is kept', () => {
    const known = { alertsCount: 2, productNames: ['Microsoft Defender for Office 365'], tactics: ['InitialAccess'], techniques: ['T1566'] };
    const { alerts: _alerts, ...withoutAlerts } = GRAPH_INCIDENT_WITH_ALERTS;
    expect(graphIncidentToDomain(withoutAlerts, { knownAdditionalData: known }).additionalData).toEqual(known);
  });

  test('a merged incident carries redirectIncidentId and status redirected', () => {
    const incident = graphIncidentToDomain({ ...GRAPH_INCIDENT_WITH_ALERTS, status: 'redirected', redirectIncidentId: '31' });
    expect(incident.status).toBe('redirected');
    expect(incident.redirectIncidentId).toBe('31');
  });

  test('unknown enum values map to safe values and are logged; unknownFutureValue too', () => {
    const { warnings, logger } = recordingLogger();
    const incident = graphIncidentToDomain(
      { ...GRAPH_INCIDENT_WITH_ALERTS, status: 'unknownFutureValue', severity: 'catastrophic', classification: 'maybe' },
      { log: logger },
    );
    expect(incident.status).toBe('active');
    expect(incident.severity).toBe('unknown');
    expect(incident.classification).toBe('undetermined');
    expect(warnings.map((w) => (w.details as { field: string }).field).sort()).toEqual(['classification', 'severity', 'status']);
    expect(graphIncidentToDomain({ ...GRAPH_INCIDENT_WITH_ALERTS, severity: 'unknownFutureValue' }).severity).toBe('unknown');
  });

  test('a missing id or a non-object is an invalid-response PortalError', () => {
    const { id: _id, ...noId } = GRAPH_INCIDENT_WITH_ALERTS;
    for (const bad of [noId, null, 'x', [GRAPH_INCIDENT_WITH_ALERTS], { ...GRAPH_INCIDENT_WITH_ALERTS, id: '' }]) {
      try {
        graphIncidentToDomain(bad);
        throw new Error('expected a PortalError');
      } catch (error) {
        expect(error).toBeInstanceOf(PortalError);
        expect((error as PortalError).code).toBe('invalid-response');
        expect((error as PortalError).portal).toBe('defender');
      }
    }
  });

  test('wrongly typed fields are dropped, not trusted', () => {
    const incident = graphIncidentToDomain({ id: '5', displayName: { html: '<b>x</b>' }, customTags: ['ok', 7, null], comments: [{ comment: 3 }, 'x'], alerts: [null, 5] });
    expect(incident.title).toBe('');
    expect(incident.tags).toEqual(['ok']);
    expect(incident.comments).toEqual([]);
    expect(incident.additionalData.alertsCount).toBe(0);
  });

  test.each(HOSTILE_TEXTS.map((text, index) => [index, text] as const))('hostile text #%i is carried verbatim (one-line fields within their bound)', (_label, text) => {
    const incident = graphIncidentToDomain({
      ...GRAPH_INCIDENT_WITH_ALERTS,
      displayName: text,
      description: text,
      customTags: [text],
      assignedTo: text,
      comments: [{ comment: text, createdByDisplayName: text, createdDateTime: '2025-05-01T10:05:00Z' }],
    });
    const line = storableText(text, MAX_LINE_CHARS);
    expect(line === text).toBe(text.length <= MAX_LINE_CHARS);
    expect(incident.title).toBe(line);
    expect(incident.description).toBe(text);
    expect(incident.tags).toEqual([line]);
    expect(incident.comments[0]).toEqual({ text, author: line, createdAt: '2025-05-01T10:05:00Z' });
    const body = domainPatchToGraph({ title: text, description: text, tags: [text], owner: { displayName: text } });
    expect(body).toEqual({ displayName: text, description: text, customTags: [text], assignedTo: text });
  });
});

describe('Graph incident -> domain: text the store cannot hold', () => {
  test.each(UNSTORABLE_TEXTS)('$name is made storable in every text field an incident carries', ({ raw, stored }) => {
    const incident = graphIncidentToDomain({
      ...GRAPH_INCIDENT_WITH_ALERTS,
      displayName: raw,
      description: raw,
      resolvingComment: raw,
      determination: raw,
      assignedTo: raw,
      customTags: [raw, 'ok'],
      systemTags: [raw],
      lastModifiedBy: raw,
      incidentWebUrl: `https://security.microsoft.com/${raw}`,
      comments: [{ comment: raw, createdByDisplayName: raw, createdDateTime: '2025-05-01T10:05:00Z' }],
      alerts: [{ id: 'a1', productName: raw, category: raw, mitreTechniques: [raw] }],
    });
    expect(incident.title).toBe(stored);
    expect(incident.description).toBe(stored);
    expect(incident.classificationComment).toBe(stored);
    expect(incident.owner).toEqual({ displayName: stored });
    expect(incident.tags).toEqual([stored, 'ok']);
    expect(incident.systemTags).toEqual([stored]);
    expect(incident.lastModifiedBy).toBe(stored);
    expect(incident.webUrl).toBe(`https://security.microsoft.com/${stored}`);
    expect(incident.comments).toEqual([{ text: stored, author: stored, createdAt: '2025-05-01T10:05:00Z' }]);
    expect(incident.additionalData).toEqual({ alertsCount: 1, productNames: [stored], tactics: [stored], techniques: [stored] });
    expect(JSON.stringify(incident)).not.toMatch(/\\u(0000|d[89a-f][0-9a-f]{2})/);
  });

  test('comments listed on their own are made storable too', () => {
    expect(graphCommentToDomain({ comment: 'a\u0000b\ud800', createdByDisplayName: '\udfff', createdDateTime: '2026-01-01T00:00:00Z' })).toEqual({ text: 'a\uFFFDb\uFFFD', author: '\uFFFD', createdAt: '2026-01-01T00:00:00Z' });
  });

  test('oversize values are bounded: one-line fields at MAX_LINE_CHARS, prose at MAX_TEXT_CHARS', () => {
    const huge = 'A'.repeat(1_000_000);
    const incident = graphIncidentToDomain({ ...GRAPH_INCIDENT_WITH_ALERTS, displayName: huge, description: huge, customTags: [huge], comments: [{ comment: huge }] });
    expect(incident.title).toHaveLength(MAX_LINE_CHARS);
    expect(incident.title.endsWith('…')).toBe(true);
    expect(incident.tags[0]).toHaveLength(MAX_LINE_CHARS);
    expect(incident.description).toHaveLength(MAX_TEXT_CHARS);
    expect(incident.comments[0]?.text).toHaveLength(MAX_TEXT_CHARS);
  });
});

describe('domain patch -> Graph PATCH body', () => {
  test('every field maps to its Graph name and camelCase value', () => {
    const patch: IncidentPatch = {
      title: 't',
      description: 'd',
      severity: 'low',
      status: 'inProgress',
      classification: 'benignPositive',
      determination: 'SecurityTesting',
      classificationComment: 'because',
      owner: { upn: 'jane@contoso.com', displayName: 'Jane' },
      tags: ['a', 'b', 'a'],
    };
    expect(domainPatchToGraph(patch)).toEqual({
      displayName: 't',
      description: 'd',
      severity: 'low',
      status: 'inProgress',
      classification: 'informationalExpectedActivity',
      determination: 'securityTesting',
      resolvingComment: 'because',
      assignedTo: 'jane@contoso.com',
      customTags: ['a', 'b'],
    });
  });

  test("statuses and classifications: new -> active, undetermined -> unknown; null owner unassigns", () => {
    expect(domainPatchToGraph({ status: 'new' })).toEqual({ status: 'active' });
    expect(domainPatchToGraph({ status: 'resolved', classification: 'undetermined' })).toEqual({ status: 'resolved', classification: 'unknown' });
    expect(domainPatchToGraph({ owner: null })).toEqual({ assignedTo: null });
  });

  test('a Sentinel classificationReason is not sent as a Graph determination', () => {
    const { warnings, logger } = recordingLogger();
    expect(domainPatchToGraph({ classification: 'falsePositive', determination: 'IncorrectAlertLogic' }, logger)).toEqual({ classification: 'falsePositive' });
    expect(warnings).toHaveLength(1);
  });

  test("status 'redirected' is refused", () => {
    expect(() => domainPatchToGraph({ status: 'redirected' })).toThrow(PortalError);
  });

  test('round trip: domain -> PATCH body -> (portal applies) -> domain keeps every written field', () => {
    const patch: IncidentPatch = { title: 'T2', description: 'D2', status: 'resolved', classification: 'truePositive', determination: 'malware', classificationComment: 'c', owner: { upn: 'a@b.c' }, tags: ['x'] };
    const applied = { ...GRAPH_INCIDENT_WITH_ALERTS, ...domainPatchToGraph(patch) };
    const back = graphIncidentToDomain(applied);
    expect(back).toMatchObject({ title: 'T2', description: 'D2', status: 'resolved', classification: 'truePositive', determination: 'malware', classificationComment: 'c', owner: { upn: 'a@b.c' }, tags: ['x'] });
  });
});
