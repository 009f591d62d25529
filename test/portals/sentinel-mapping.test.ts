import { describe, expect, test } from '@jest/globals';
import { PortalError } from '../../src/domain/errors.ts';
import { applyPatchToArm, armCommentToDomain, armIncidentToDomain } from '../../src/portals/sentinel/mapping.ts';
import { MAX_LINE_CHARS, storableText } from '../../src/domain/untrusted-text.ts';
import { ARM_CREATE_INCIDENT_RESPONSE_EXAMPLE, ARM_XDR_INCIDENT, HOSTILE_TEXTS, UNSTORABLE_TEXTS } from './fixtures/examples.ts';

const patchErrorOf = (run: () => unknown): PortalError => {
  try {
    run();
  } catch (error) {
    if (error instanceof PortalError) return error;
    throw error;
  }
  throw new Error('expected a PortalError');
};

describe('ARM incident -> domain', () => {
  test.each([
    ['absent', undefined, ''],
    ['free text', 'yesterday', ''],
    ['without a zone', '2026-01-01T10:00:00', ''],
    ['with an offset', '2026-01-01T12:00:00+02:00', '2026-01-01T10:00:00.000Z'],
  ])('a timestamp %s maps to an instant or to "" (unusable), never to text', (_name, value, mapped) => {
    const raw = { ...ARM_XDR_INCIDENT, properties: { ...ARM_XDR_INCIDENT.properties, lastModifiedTimeUtc: value, createdTimeUtc: value } };
    const incident = armIncidentToDomain(raw);
    expect(incident.lastUpdatedAt).toBe(mapped);
    expect(incident.createdAt).toBe(mapped);
  });

  test('the documented CreateIncident response maps every field', () => {
    expect(armIncidentToDomain(ARM_CREATE_INCIDENT_RESPONSE_EXAMPLE, { tenantId: 't1' })).toEqual({
      portal: 'sentinel',
      id: '73e01a99-5cd7-4139-a149-9f2736ff2ab5',
      incidentNumber: 3177,
      providerIncidentId: '3177',
      providerName: 'Azure Sentinel',
      tenantId: 't1',
      title: 'My incident',
      description: 'This is a demo incident',
      severity: 'high',
      status: 'resolved',
      classification: 'falsePositive',
      determination: 'IncorrectAlertLogic',
      classificationComment: 'Not a malicious activity',
      owner: { objectId: '2046feea-040d-4a46-9e2b-91c2941bfa70', upn: 'john@contoso.com', displayName: 'john doe' },
      tags: [],
      systemTags: [],
      additionalData: { alertsCount: 0, productNames: [], tactics: [], techniques: [] },
      comments: [],
      commentsCount: 3,
      lastModifiedBy: '',
      createdAt: '2019-01-01T13:15:30Z',
      lastUpdatedAt: '2019-01-01T13:15:30Z',
      webUrl: ARM_CREATE_INCIDENT_RESPONSE_EXAMPLE.properties.incidentUrl,
      etag: '"0300bf09-0000-0000-0000-5c37296e0001"',
    });
  });

  test('a Defender-sourced incident: labels split by type, product names, provider fields', () => {
    const incident = armIncidentToDomain(ARM_XDR_INCIDENT);
    expect(incident.tags).toEqual(['red-team', 'q3']);
    expect(incident.systemTags).toEqual(['Defender Experts']);
    expect(incident.providerName).toBe('Microsoft XDR');
    expect(incident.providerIncidentId).toBe('29');
    expect(incident.status).toBe('active');
    expect(incident.additionalData).toEqual({
      alertsCount: 3,
      productNames: ['Microsoft Defender Advanced Threat Protection', 'Azure Advanced Threat Protection'],
      tactics: ['Execution', 'LateralMovement'],
      techniques: ['T1059', 'T1021'],
    });
    expect(incident.owner).toEqual({ objectId: 'oid-1', upn: 'jane@contoso.com', displayName: 'Jane Doe' });
  });

  test('lastModifiedBy is taken only when the portal reports one (string or ClientInfo)', () => {
    const withString = { ...ARM_XDR_INCIDENT, properties: { ...ARM_XDR_INCIDENT.properties, lastModifiedBy: 'jane@contoso.com' } };
    const withObject = { ...ARM_XDR_INCIDENT, properties: { ...ARM_XDR_INCIDENT.properties, lastModifiedBy: { name: 'Jane', userPrincipalName: 'jane@contoso.com' } } };
    expect(armIncidentToDomain(withString).lastModifiedBy).toBe('jane@contoso.com');
    expect(armIncidentToDomain(withObject).lastModifiedBy).toBe('jane@contoso.com');
    expect(armIncidentToDomain(ARM_XDR_INCIDENT).lastModifiedBy).toBe('');
  });

  test('unknown enums map to safe values and are logged; lower-case enums are accepted', () => {
    const warnings: object[] = [];
    const log = { warn: (details: object) => warnings.push(details) };
    const odd = { ...ARM_XDR_INCIDENT, properties: { ...ARM_XDR_INCIDENT.properties, status: 'Archived', severity: 'Critical', classification: 'Maybe' } };
    const incident = armIncidentToDomain(odd, { log });
    expect([incident.status, incident.severity, incident.classification]).toEqual(['active', 'unknown', 'undetermined']);
    expect(warnings).toHaveLength(3);
    const lower = { ...ARM_XDR_INCIDENT, properties: { ...ARM_XDR_INCIDENT.properties, status: 'closed', severity: 'low', classification: 'benignpositive' } };
    expect(armIncidentToDomain(lower)).toMatchObject({ status: 'resolved', severity: 'low', classification: 'benignPositive' });
  });

  test('a missing name is an invalid-response PortalError', () => {
    const { name: _name, ...noName } = ARM_XDR_INCIDENT;
    const error = patchErrorOf(() => armIncidentToDomain(noName));
    expect(error.code).toBe('invalid-response');
    expect(error.portal).toBe('sentinel');
  });

  test('comments map message, author and id', () => {
    const raw = {
      name: 'c1',
      properties: { message: 'hello', createdTimeUtc: '2025-05-01T10:00:00Z', author: { name: 'Jane Doe', email: 'jane@contoso.com', objectId: 'o', userPrincipalName: 'jane@contoso.com' } },
    };
    expect(armCommentToDomain(raw)).toEqual({ id: 'c1', text: 'hello', author: 'Jane Doe', createdAt: '2025-05-01T10:00:00Z' });
    expect(armCommentToDomain({ name: 'c2', properties: {} })).toBeNull();
  });
});

describe('domain patch -> ARM PUT body', () => {
  test('merges onto the fresh read, keeps the etag and only writable properties', () => {
    const write = applyPatchToArm(ARM_XDR_INCIDENT, { title: 'New title', severity: 'medium', status: 'inProgress', owner: null });
    expect(write.etag).toBe('"e1"');
    expect(write.properties).toEqual({
      title: 'New title',
      description: 'Suspicious activity on two devices',
      severity: 'Medium',
      status: 'Active',
      owner: {},
      labels: ARM_XDR_INCIDENT.properties.labels,
      firstActivityTimeUtc: '2025-05-01T09:00:00Z',
      lastActivityTimeUtc: '2025-05-01T09:30:00Z',
    });
  });

  test('tags replace the User labels and keep AutoAssigned ones', () => {
    const write = applyPatchToArm(ARM_XDR_INCIDENT, { tags: ['q4', 'q4', 'red-team'] });
    expect(write.properties.labels).toEqual([
      { labelName: 'Defender Experts', labelType: 'AutoAssigned' },
      { labelName: 'q4', labelType: 'User' },
      { labelName: 'red-team', labelType: 'User' },
    ]);
  });

  test('owner maps to objectId, userPrincipalName, email and assignedTo', () => {
    const write = applyPatchToArm(ARM_XDR_INCIDENT, { owner: { objectId: 'o2', upn: 'kai@contoso.com', displayName: 'Kai' } });
    expect(write.properties.owner).toEqual({ objectId: 'o2', userPrincipalName: 'kai@contoso.com', email: 'kai@contoso.com', assignedTo: 'Kai' });
  });

  test('closing without any classification is refused before anything is sent', () => {
    const error = patchErrorOf(() => applyPatchToArm(ARM_XDR_INCIDENT, { status: 'resolved' }));
    expect(error.code).toBe('bad-request');
    expect(error.message).toMatch(/needs a classification/);
  });

  test('closing as benignPositive without a reason gets SuspiciousButExpected', () => {
    const write = applyPatchToArm(ARM_XDR_INCIDENT, { status: 'resolved', classification: 'benignPositive', classificationComment: 'drill' });
    expect(write.properties).toMatchObject({ status: 'Closed', classification: 'BenignPositive', classificationReason: 'SuspiciousButExpected', classificationComment: 'drill' });
  });

  test('a fitting Sentinel reason is kept; a Defender determination is not sent', () => {
    expect(applyPatchToArm(ARM_XDR_INCIDENT, { status: 'resolved', classification: 'falsePositive', determination: 'InaccurateData' }).properties.classificationReason).toBe('InaccurateData');
    const write = applyPatchToArm(ARM_XDR_INCIDENT, { status: 'resolved', classification: 'truePositive', determination: 'malware' });
    expect(write.properties.classification).toBe('TruePositive');
    expect(write.properties.classificationReason).toBeUndefined();
  });

  test('closing an incident that already has a classification needs no new one', () => {
    const classified = { ...ARM_XDR_INCIDENT, properties: { ...ARM_XDR_INCIDENT.properties, classification: 'TruePositive', classificationReason: 'SuspiciousActivity' } };
    expect(applyPatchToArm(classified, { status: 'resolved' }).properties).toMatchObject({ status: 'Closed', classification: 'TruePositive', classificationReason: 'SuspiciousActivity' });
  });

  test("statuses: new -> New, awaitingAction -> Active; 'redirected' refused", () => {
    expect(applyPatchToArm(ARM_XDR_INCIDENT, { status: 'new' }).properties.status).toBe('New');
    expect(applyPatchToArm(ARM_XDR_INCIDENT, { status: 'awaitingAction' }).properties.status).toBe('Active');
    expect(patchErrorOf(() => applyPatchToArm(ARM_XDR_INCIDENT, { status: 'redirected' })).code).toBe('bad-request');
  });

  test('round trip: patch -> PUT body -> (portal applies) -> domain keeps every written field', () => {
    const write = applyPatchToArm(ARM_XDR_INCIDENT, {
      title: 'T', description: 'D', severity: 'low', status: 'resolved', classification: 'falsePositive', determination: 'IncorrectAlertLogic',
      classificationComment: 'c', owner: { objectId: 'o9', upn: 'x@y.z', displayName: 'X' }, tags: ['t1'],
    });
    const applied = { ...ARM_XDR_INCIDENT, properties: { ...ARM_XDR_INCIDENT.properties, ...write.properties } };
    expect(armIncidentToDomain(applied)).toMatchObject({
      title: 'T', description: 'D', severity: 'low', status: 'resolved', classification: 'falsePositive', determination: 'IncorrectAlertLogic',
      classificationComment: 'c', owner: { objectId: 'o9', upn: 'x@y.z', displayName: 'X' }, tags: ['t1'], systemTags: ['Defender Experts'],
    });
  });

  test.each(HOSTILE_TEXTS.map((text, index) => [index, text] as const))('hostile text #%i is carried verbatim both ways', (_index, text) => {
    const write = applyPatchToArm(ARM_XDR_INCIDENT, { title: text, description: text, tags: [text], owner: { displayName: text } });
    expect(write.properties).toMatchObject({ title: text, description: text, owner: { assignedTo: text } });
    const applied = { ...ARM_XDR_INCIDENT, properties: { ...ARM_XDR_INCIDENT.properties, ...write.properties } };
    const back = armIncidentToDomain(applied);
    const line = storableText(text, MAX_LINE_CHARS);
    expect([back.title, back.description, back.owner?.displayName]).toEqual([line, text, line]);
    expect(back.tags).toEqual([line]);
  });
});

describe('ARM incident -> domain: text the store cannot hold', () => {
  test.each(UNSTORABLE_TEXTS)('$name is made storable in every text field an incident carries', ({ raw, stored }) => {
    const incident = armIncidentToDomain({
      ...ARM_XDR_INCIDENT,
      systemData: { lastModifiedBy: raw },
      properties: {
        ...ARM_XDR_INCIDENT.properties,
        title: raw,
        description: raw,
        classificationComment: raw,
        classificationReason: raw,
        owner: { objectId: 'oid-1', userPrincipalName: raw, assignedTo: raw },
        labels: [{ labelName: raw, labelType: 'User' }, { labelName: raw, labelType: 'AutoAssigned' }],
        providerName: raw,
        additionalData: { ...ARM_XDR_INCIDENT.properties.additionalData, alertProductNames: [raw], tactics: [raw], techniques: [raw] },
      },
    });
    expect([incident.title, incident.description, incident.classificationComment, incident.determination, incident.providerName]).toEqual([stored, stored, stored, stored, stored]);
    expect(incident.owner).toEqual({ objectId: 'oid-1', upn: stored, displayName: stored });
    expect([incident.tags, incident.systemTags]).toEqual([[stored], [stored]]);
    expect(incident.lastModifiedBy).toBe(stored);
    expect(incident.additionalData).toMatchObject({ productNames: [stored], tactics: [stored], techniques: [stored] });
    expect(JSON.stringify(incident)).not.toMatch(/\\u(0000|d[89a-f][0-9a-f]{2})/);
  });

  test.each(UNSTORABLE_TEXTS)('$name in a comment (served apart from the incident) is made storable', ({ raw, stored }) => {
    const comment = armCommentToDomain({ name: 'c1', properties: { message: raw, author: { name: raw }, createdTimeUtc: '2025-05-01T10:00:00Z' } });
    expect(comment).toEqual({ id: 'c1', text: stored, author: stored, createdAt: '2025-05-01T10:00:00Z' });
  });
});
