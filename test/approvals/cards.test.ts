import { describe, test, expect } from '@jest/globals';
import { renderConnectorApprovalCard } from '../../src/cards/connector-approval.ts';
import { parseConnectorRequestForm, renderConnectorRequestCard } from '../../src/cards/connector-request.ts';
import { renderConnectorStatusCard } from '../../src/cards/connector-status.ts';
import { renderConnectorHistoryCard } from '../../src/cards/connector-history.ts';
import { CONNECTOR_VERBS } from '../../src/cards/connector-verbs.ts';
import { diffConnectorConfig, consequencesOf } from '../../src/approvals/diff.ts';
import type { ApprovalRequest } from '../../src/store/ports.ts';
import { INTEGRATION_METHOD_NOT_WRITABLE, type ConnectorConfig } from '../../src/domain/connector.ts';
import { ALICE, BASE_CONFIG, BOB, approvalRequest } from './fakes.ts';

const NOW = new Date('2026-03-02T10:00:00.000Z');
const PROPOSED: ConnectorConfig = { ...BASE_CONFIG, turnOffIncidentCreationRules: false, eventTypes: ['CloudAppEvents', 'EmailEvents'] };
const HOSTILE_REASON = 'Please [Approve](https://evil.example) **now** ${$root.approvalId} {{DATE(2026-01-01T00:00:00Z)}} <at>Bob</at>';

function request(patch: Partial<ApprovalRequest> = {}): ApprovalRequest {
  const changes = diffConnectorConfig(BASE_CONFIG, PROPOSED);
  return approvalRequest({
    reason: HOSTILE_REASON,
    proposedConfig: PROPOSED,
    diff: changes as never,
    consequences: consequencesOf(changes, BASE_CONFIG, PROPOSED) as never,
    ...patch,
  });
}

function actionsOf(card: object): { verb?: string; data?: unknown }[] {
  return ((card as { actions?: unknown[] }).actions ?? []) as { verb?: string; data?: unknown }[];
}

describe('connector approval card', () => {
  test('approver view: buttons, per-user refresh, escaped reason (snapshot)', () => {
    const card = renderConnectorApprovalCard(request(), { canDecide: true, now: NOW, refreshUserIds: ['29:bob', '29:carol'] });
    expect(actionsOf(card).map((a) => a.verb)).toEqual([CONNECTOR_VERBS.approve, CONNECTOR_VERBS.reject]);
    expect(actionsOf(card)[0]?.data).toEqual({ approvalId: 'req-1' });
    expect(card.refresh).toEqual({
      action: { type: 'Action.Execute', verb: CONNECTOR_VERBS.refresh, title: 'Refresh', data: { approvalId: 'req-1' } },
      userIds: ['29:bob', '29:carol'],
    });
    const json = JSON.stringify(card);
    expect(json).not.toContain('](https://');
    expect(json).not.toContain('<at>');
    expect(json).not.toContain('{{DATE');
    expect(json).not.toContain('"req-1 {{'); // the template expression in the reason stayed literal
    expect(card).toMatchSnapshot();
  });

  test('requester and non-approvers get the same view without buttons', () => {
    const shared = renderConnectorApprovalCard(request(), { canDecide: false, now: NOW });
    expect(actionsOf(shared)).toEqual([]);
    expect(JSON.stringify(shared)).not.toContain('rejectReason');
    expect(shared).toMatchSnapshot();
  });

  test('an overdue pending request shows as expired and offers no buttons', () => {
    const card = renderConnectorApprovalCard(request(), { canDecide: true, now: new Date('2026-03-04T00:00:00.000Z') });
    expect(actionsOf(card)).toEqual([]);
    expect(JSON.stringify(card)).toContain('Expired');
  });

  test('a failed apply shows what was and was not applied (snapshot)', () => {
    const card = renderConnectorApprovalCard(
      request({
        state: 'failed',
        decidedBy: BOB,
        decidedAt: '2026-03-02T09:30:00.000Z',
        outcome: {
          kind: 'failed',
          message: 'Applying failed after 4 attempt(s): injected unavailable Partly applied: Microsoft incident creation rules: turned off → on.',
          errorCode: 'unavailable',
          attempts: 4,
          applied: [{ setting: 'turnOffIncidentCreationRules', from: true, to: false }],
          notApplied: [{ setting: 'eventTypes', added: ['CloudAppEvents'], removed: ['DeviceProcessEvents'] }],
          liveVersion: 'v2',
          liveConfig: null,
        },
      }),
      { canDecide: false, now: NOW },
    );
    expect(card).toMatchSnapshot();
  });

  test('refresh userIds are capped at 60', () => {
    const ids = Array.from({ length: 75 }, (_, i) => `29:user-${i}`);
    const card = renderConnectorApprovalCard(request(), { canDecide: false, now: NOW, refreshUserIds: ids });
    expect((card.refresh as { userIds: string[] }).userIds).toHaveLength(60);
  });
});

describe('connector request form', () => {
  test('shows the current settings as inputs, and the integration method as a fact it cannot change (snapshot)', () => {
    const card = renderConnectorRequestCard({ config: { ...BASE_CONFIG, eventTypes: [...BASE_CONFIG.eventTypes, 'CustomTable_CL'] }, version: 'v7', readAt: NOW.toISOString() }, { pairId: 'soc', customer: null });
    const body = (card as unknown as { body: { id?: string; type: string; value?: unknown; text?: string; facts?: { title: string; value: string }[]; choices?: { value: string }[] }[] }).body;
    const byId = Object.fromEntries(body.filter((b) => b.id).map((b) => [b.id, b]));
    expect(byId.integrationMethod).toBeUndefined();
    expect(body.flatMap((b) => b.facts ?? [])).toContainEqual({ title: 'Integration method', value: 'Azure portal (connector)' });
    expect(body.map((b) => b.text)).toContain(INTEGRATION_METHOD_NOT_WRITABLE);
    expect(byId.incidentsAndAlerts?.type).toBe('Input.Toggle');
    expect(byId.incidentsAndAlerts?.value).toBe('true');
    expect(byId.entities?.value).toBe('false');
    expect(byId.eventTypes?.value).toBe('DeviceProcessEvents,EmailEvents,CustomTable_CL');
    expect(byId.eventTypes?.choices).toHaveLength(22); // 21 documented + the live undocumented one
    expect(actionsOf(card)[0]).toMatchObject({ verb: CONNECTOR_VERBS.submit, data: { formVersion: 'v7', integrationMethod: 'azurePortal', pairId: 'soc' } });
    expect(card).toMatchSnapshot();
  });

  test('parses a submitted form', () => {
    expect(
      parseConnectorRequestForm({
        integrationMethod: 'azurePortal',
        incidentsAndAlerts: 'true',
        turnOffIncidentCreationRules: 'false',
        entities: 'false',
        eventTypes: 'EmailEvents, CloudAppEvents',
        reason: '  need it  ',
        formVersion: 'v7',
      }),
    ).toEqual({
      ok: true,
      proposed: { ...BASE_CONFIG, turnOffIncidentCreationRules: false, eventTypes: ['EmailEvents', 'CloudAppEvents'] },
      reason: 'need it',
      formVersion: 'v7',
      pairId: undefined,
    });
  });

  test('refuses malformed forms with what to fix', () => {
    const result = parseConnectorRequestForm({ integrationMethod: 'x', incidentsAndAlerts: 'maybe', eventTypes: 42 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      'The form does not say which integration method it was made for; open a new one with /connector request.',
      'incidentsAndAlerts must be on or off.',
      'turnOffIncidentCreationRules must be on or off.',
      'entities must be on or off.',
      'Event tables must be a comma-separated list of table names.',
      'Give a reason for the change.',
    ]);
    expect(parseConnectorRequestForm(null).ok).toBe(false);
  });
});

describe('connector status and history cards', () => {
  test('status card (snapshot)', () => {
    const card = renderConnectorStatusCard({
      pairId: 'soc',
      snapshot: { config: BASE_CONFIG, version: 'v3', readAt: NOW.toISOString() },
      driftWarnings: ['Changed outside the bridge: Connect entities: off → on'],
      requirements: [
        { name: 'Microsoft Defender XDR solution installed', ok: true },
        { name: 'Security Administrator role', ok: false, detail: 'the app lacks it' },
      ],
      pending: [request()],
    }, { customer: null, approversChannel: null });
    expect(card).toMatchSnapshot();
  });

  test('history card (snapshot)', () => {
    const card = renderConnectorHistoryCard([
      {
        request: request({ state: 'applied', decidedBy: BOB, decidedAt: '2026-03-02T09:30:00.000Z', outcome: { kind: 'applied', message: 'ok', attempts: 1, version: 'v2', config: PROPOSED as never } }),
        events: [
          { at: '2026-03-02T09:00:00.000Z', action: 'approval.requested', actor: ALICE, details: {} },
          { at: '2026-03-02T09:30:00.000Z', action: 'approval.approved', actor: BOB, details: {} },
          { at: '2026-03-02T09:30:01.000Z', action: 'connector.applied', actor: { objectId: 'system:approvals', displayName: 'x' }, details: {} },
        ],
      },
    ]);
    const json = JSON.stringify(card);
    expect(json).toContain('Approved by Bob Approver at 2026-03-02 09:30 UTC');
    expect(json).toContain('Outcome: applied at version v2');
    expect(card).toMatchSnapshot();
    expect(renderConnectorHistoryCard([])).toMatchSnapshot();
  });
});

describe('connector cards name the customer', () => {
  const HOSTILE_NAME = 'Contoso [x](https://evil.example) **Ltd** ${$root.approvalId}';
  const texts = (card: object): string[] => {
    const found: string[] = [];
    JSON.stringify(card, (key, value: unknown) => {
      if (key === 'text' && typeof value === 'string') found.push(value);
      return value;
    });
    return found;
  };

  test('every connector card says whose connector it is, escaped; none when nothing needs saying', () => {
    const customer = 'Contoso Ltd';
    const approval = renderConnectorApprovalCard(request({ pairId: 'contoso' }), { canDecide: false, now: NOW, customer });
    const form = renderConnectorRequestCard({ config: BASE_CONFIG, version: 'v1', readAt: NOW.toISOString() }, { pairId: 'contoso', customer });
    const status = renderConnectorStatusCard(
      { pairId: 'contoso', snapshot: { config: BASE_CONFIG, version: 'v1', readAt: NOW.toISOString() }, driftWarnings: [], requirements: null, pending: [] },
      { customer, approversChannel: { conversationId: '19:c', scope: 'pair' } },
    );
    const history = renderConnectorHistoryCard([], customer);
    for (const card of [approval, form, status, history]) expect(texts(card)).toContain('Customer: Contoso Ltd');
    expect(actionsOf(status)[0]).toMatchObject({ data: { view: 'status', pairId: 'contoso' } });
    expect(actionsOf(form)[0]).toMatchObject({ data: { pairId: 'contoso' } });
    expect(texts(status)).toContain("Approvers' channel: Set for this customer. Approval requests are posted there.");
    expect(texts(renderConnectorApprovalCard(request(), { canDecide: false, now: NOW })).some((t) => t.startsWith('Customer:'))).toBe(false);
  });

  test('a hostile name is shown as text: no link, no emphasis, no template expression', () => {
    const card = renderConnectorApprovalCard(request(), { canDecide: false, now: NOW, customer: HOSTILE_NAME });
    const line = texts(card).find((t) => t.startsWith('Customer:')) ?? '';
    expect(line).not.toMatch(/\[x\]\(/);
    expect(line).not.toContain('**');
    expect(line).not.toContain('${');
    expect(JSON.stringify(card)).not.toContain('req-1 Ltd'); // the expression was not evaluated
  });
});
