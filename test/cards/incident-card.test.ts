import { describe, expect, test } from '@jest/globals';
import * as ACData from 'adaptivecards-templating';
import { renderIncidentCard, buildRefresh, MAX_REFRESH_USER_IDS } from '../../src/cards/incident-card.ts';
import type { AdaptiveCard } from '../../src/cards/render.ts';
import { loadTemplate, renderTemplate } from '../../src/cards/render.ts';
import { withNonce } from '../../src/cards/card-nonce.ts';
import { assertValidCard, validateCard } from '../../src/cards/validate-card.ts';
import { ALL_CARD_VERBS, WAR_ROOM_VERB, NONCE_PLACEHOLDER } from '../../src/cards/verbs.ts';
import { buildIncidentCardViewModel } from '../../src/cards/incident-view-model.ts';
import { MAX_COMMENT_CHARS } from '../../src/domain/edit-input.ts';
import { defenderIncident, hostileView, NOW, outcome, sentinelIncident, SIM_HOST, typicalView } from './fixtures/incidents.ts';

/** Every node of the card with the given type, depth-first. */
function findAll(node: unknown, type: string): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    if (record['type'] === type) found.push(record);
    Object.values(record).forEach(visit);
  };
  visit(node);
  return found;
}

function allText(card: AdaptiveCard): string {
  return [...findAll(card, 'TextBlock').map((t) => String(t['text'])), ...findAll(card, 'FactSet').flatMap((f) => (f['facts'] as { title: string; value: string }[]).map((x) => `${x.title}: ${x.value}`))].join('\n');
}

function verbs(card: AdaptiveCard): string[] {
  return findAll(card, 'Action.Execute').map((a) => String(a['verb']));
}

describe('renderIncidentCard snapshots', () => {
  test('typical incident, analyst mode', () => {
    const card = renderIncidentCard(typicalView(), { mode: 'analyst', now: NOW, refreshUserIds: ['29:1abc', '29:2def'], offerWarRoom: true });
    assertValidCard(card);
    expect(card).toMatchSnapshot();
  });

  test('hostile text incident', () => {
    const card = renderIncidentCard(hostileView(), { mode: 'analyst', now: NOW });
    assertValidCard(card);
    expect(card).toMatchSnapshot();
  });

  test('read-only mode', () => {
    const card = renderIncidentCard(typicalView(), { mode: 'readOnly', now: NOW });
    assertValidCard(card);
    expect(card).toMatchSnapshot();
  });

  test('interim state right after a click', () => {
    const card = renderIncidentCard(typicalView({ syncState: { defender: 'pending', sentinel: 'pending' } }), {
      mode: 'analyst',
      now: NOW,
      outcome: outcome(),
    });
    assertValidCard(card);
    expect(allText(card)).toContain('Updating… Defender pending, Sentinel pending');
    expect(card).toMatchSnapshot();
  });

  test('per-portal outcomes', () => {
    const card = renderIncidentCard(typicalView({ syncState: { defender: 'notWritable', sentinel: 'failed' } }), {
      mode: 'analyst',
      now: NOW,
      outcome: outcome({
        state: 'partial',
        perPortal: {
          defender: { severity: { state: 'viaOtherRoute', verified: true }, tags: { state: 'written' }, comment: { state: 'viaOtherRoute', verified: false } },
          sentinel: { severity: { state: 'written' }, tags: { state: 'failed', reason: 'Conflict: [Newer version](https://x) of resource exists' } },
        },
      }),
    });
    assertValidCard(card);
    const text = allText(card);
    expect(text).toContain('Defender · severity: ✅ via native sync (verified)');
    expect(text).toContain('Defender · comment: ⏳ via native sync (not yet verified)');
    expect(text).toContain('Sentinel · tags: ❌ failed: Conflict: \\[Newer version\\]');
    // The outcome speaks for each portal where it is still open or failed.
    expect(text).toContain('Defender: ⏳ Updating');
    expect(text).toContain('Sentinel: ❌ Last update failed');
    expect(card).toMatchSnapshot();
  });

  test('merged incident', () => {
    const view = typicalView({
      mergedIntoLinkId: 'link-31',
      defender: defenderIncident({ status: 'redirected', redirectIncidentId: '31' }),
    });
    const card = renderIncidentCard(view, { mode: 'analyst', now: NOW });
    assertValidCard(card);
    expect(allText(card)).toContain('Merged into Defender incident 31');
    expect(verbs(card)).toEqual(['refreshCard', 'refreshCard']);
    expect(card).toMatchSnapshot();
  });
});

describe('overdue', () => {
  const unacknowledged = () => typicalView({ defender: defenderIncident({ owner: null }), sentinel: sentinelIncident({ owner: null, status: 'new' }) });

  test('a card whose deadline passed in its conversation says so at the top, until someone acknowledges it', () => {
    const card = renderIncidentCard(unacknowledged(), { mode: 'analyst', now: NOW, overdueSince: '2026-03-02T09:35:00Z' });
    assertValidCard(card);
    expect(card.body?.[0]).toMatchObject({ type: 'Container', style: 'attention', items: [{ text: '⏰ Overdue: not acknowledged by its 2026-03-02 09:35 UTC deadline (25 min ago)' }] });
    expect(allText(renderIncidentCard(typicalView(), { mode: 'analyst', now: NOW, overdueSince: '2026-03-02T09:35:00Z' }))).not.toContain('Overdue');
    expect(allText(renderIncidentCard(unacknowledged(), { mode: 'analyst', now: NOW }))).not.toContain('Overdue');
  });
});

describe('renderIncidentCard behaviour', () => {
  test('analyst mode offers every edit verb (Acknowledge while nobody has) and the war room; every action carries linkId and the nonce placeholder', () => {
    const unacknowledged = typicalView({
      defender: defenderIncident({ owner: null }),
      sentinel: sentinelIncident({ owner: null, status: 'new' }),
    });
    const card = renderIncidentCard(unacknowledged, { mode: 'analyst', now: NOW, offerWarRoom: true });
    assertValidCard(card);
    expect(new Set(verbs(card))).toEqual(new Set([...ALL_CARD_VERBS, WAR_ROOM_VERB]));
    expect(card.actions?.[0]).toMatchObject({ type: 'Action.Execute', title: 'Acknowledge', verb: 'acknowledge' });
    const owned = renderIncidentCard(typicalView(), { mode: 'analyst', now: NOW, offerWarRoom: true });
    assertValidCard(owned);
    expect(new Set(verbs(owned))).toEqual(new Set([...ALL_CARD_VERBS.filter((verb) => verb !== 'acknowledge'), WAR_ROOM_VERB]));
    expect(verbs(renderIncidentCard(unacknowledged, { mode: 'readOnly', now: NOW }))).not.toContain('acknowledge');
    for (const action of findAll(card.actions, 'Action.Execute')) {
      expect(action['data']).toEqual({ linkId: 'link-29', nonce: NONCE_PLACEHOLDER });
    }
    expect(findAll(card, 'Input.ChoiceSet')[0]?.['id']).toBe('severity');
    const inputs = findAll(card, 'Input.Text');
    expect(inputs.map((i) => i['id'])).toEqual(['tags', 'comment', 'warRoomPeople']);
    expect(inputs[1]?.['isMultiline']).toBe(true);
    expect(inputs[1]?.['maxLength']).toBe(MAX_COMMENT_CHARS);
  });

  test('without war rooms set up, no War room action is offered', () => {
    expect(verbs(renderIncidentCard(typicalView(), { mode: 'analyst', now: NOW }))).not.toContain(WAR_ROOM_VERB);
  });

  test('an incident with a war room links its chat instead of offering one; other links are not accepted as one', () => {
    const url = 'https://teams.microsoft.com/l/chat/19%3Aabc%40thread.v2/0?tenantId=t1';
    const card = renderIncidentCard(typicalView({ warRoom: { chatId: '19:abc@thread.v2', url } }), { mode: 'analyst', now: NOW, offerWarRoom: true });
    expect(verbs(card)).not.toContain(WAR_ROOM_VERB);
    expect(findAll(card, 'Action.OpenUrl').map((a) => [a['title'], a['url']])).toContainEqual(['Open war room', url]);
    const readOnly = renderIncidentCard(typicalView({ warRoom: { chatId: '19:abc@thread.v2', url } }), { mode: 'readOnly', now: NOW });
    expect(findAll(readOnly, 'Action.OpenUrl').map((a) => a['title'])).toContain('Open war room');
    for (const bad of ['https://evil.example/l/chat/x', 'http://teams.microsoft.com/l/chat/x', 'https://user:pw@teams.microsoft.com/x', 'https://security.microsoft.com/x']) {
      const titles = findAll(renderIncidentCard(typicalView({ warRoom: { chatId: 'c', url: bad } }), { mode: 'analyst', now: NOW }), 'Action.OpenUrl').map((a) => a['title']);
      expect(titles).not.toContain('Open war room');
    }
  });

  test('read-only mode has no edit actions, only refresh and links', () => {
    const card = renderIncidentCard(typicalView(), { mode: 'readOnly', now: NOW });
    expect(verbs(card)).toEqual(['refreshCard', 'refreshCard']);
    expect(findAll(card, 'Action.ShowCard')).toHaveLength(0);
    expect(findAll(card, 'Action.OpenUrl').map((a) => a['title'])).toEqual(['Open in Defender', 'Open in Sentinel']);
  });

  test('hostile text never becomes markup, mentions, links or expressions', () => {
    const card = renderIncidentCard(hostileView(), { mode: 'analyst', now: NOW });
    const json = JSON.stringify(card);
    expect(json).not.toContain('<at>');
    expect(json).not.toContain('${');
    expect(json).not.toContain('{{');
    expect(json).not.toContain('\u202E');
    expect(json).not.toMatch(/[^\\]\]\(/);
    expect(json).not.toContain('evil.example/incident2');
    expect(json).not.toContain('javascript:');
    // Only the allow-listed Sentinel link survived... and it was hostile too, so no links at all.
    expect(findAll(card, 'Action.OpenUrl')).toHaveLength(0);
  });

  test('adaptivecards-templating does not evaluate expressions found in data (real template)', () => {
    // Bypass the escaping on purpose: hand raw expressions to the real template as data.
    const viewModel = buildIncidentCardViewModel(typicalView(), { mode: 'analyst', now: NOW });
    const raw = {
      ...viewModel,
      title: "${if(true, 'EVALUATED', 'b')}",
      subtitle: '${jsonData.secret}',
      facts: [{ title: 'Owner', value: '${string(1+1)}' }],
      comments: [{ meta: '${$root.linkId}', text: '{{x}}' }],
      hasComments: true,
    };
    const card = renderTemplate('incident', { ...raw, jsonData: { secret: 'LEAKED' } });
    const json = JSON.stringify(card);
    expect(json).toContain("${if(true, 'EVALUATED', 'b')}");
    expect(json).toContain('${jsonData.secret}');
    expect(json).toContain('${string(1+1)}');
    expect(json).toContain('${$root.linkId}');
    expect(json).not.toContain('LEAKED');
    expect(json).not.toContain('"EVALUATED"');
    // And the same library does evaluate those expressions when they are in a template: the test can fail.
    const evaluated = new ACData.Template({ text: "${if(true, 'EVALUATED', 'b')}" }).expand({ $root: {} });
    expect(evaluated).toEqual({ text: 'EVALUATED' });
  });

  test('links: only https on allow-listed hosts; extra hosts for the simulators', () => {
    const local = typicalView({
      defender: defenderIncident({ webUrl: `https://${SIM_HOST}/incident2/29/overview` }),
    });
    expect(findAll(renderIncidentCard(local, { mode: 'readOnly', now: NOW }), 'Action.OpenUrl').map((a) => a['title'])).toEqual(['Open in Sentinel']);
    expect(
      findAll(renderIncidentCard(local, { mode: 'readOnly', now: NOW, allowedLinkHosts: [SIM_HOST] }), 'Action.OpenUrl').map((a) => a['url']),
    ).toContain(`https://${SIM_HOST}/incident2/29/overview`);
  });

  test('unified portal link for a Sentinel-only view of an onboarded workspace', () => {
    const view = typicalView({ defender: null });
    const card = renderIncidentCard(view, { mode: 'readOnly', now: NOW, unifiedPortalBase: 'https://security.microsoft.com' });
    const links = findAll(card, 'Action.OpenUrl');
    expect(links.map((a) => a['title'])).toEqual(['Open in Sentinel', 'Open in unified portal']);
    expect(links[1]?.['url']).toBe('https://security.microsoft.com/incident2/29/overview?tid=11111111-2222-3333-4444-555555555555');
    // With the Defender link present the unified link would duplicate it: shown once.
    const both = renderIncidentCard(typicalView(), { mode: 'readOnly', now: NOW, unifiedPortalBase: 'https://security.microsoft.com' });
    expect(findAll(both, 'Action.OpenUrl')).toHaveLength(2);
  });

  test('refresh block: Action.Execute refreshCard with linkId; userIds de-duplicated and capped at 60', () => {
    const ids = Array.from({ length: 75 }, (_, i) => `29:user-${i}`);
    const card = renderIncidentCard(typicalView(), { mode: 'analyst', now: NOW, refreshUserIds: [...ids, '29:user-0'] });
    const refresh = card['refresh'] as { action: Record<string, unknown>; userIds: string[] };
    expect(refresh.action).toEqual({ type: 'Action.Execute', title: 'Refresh', verb: 'refreshCard', data: { linkId: 'link-29' } });
    expect(refresh.userIds).toHaveLength(MAX_REFRESH_USER_IDS);
    expect(refresh.userIds).toEqual(ids.slice(0, 60));
    expect(buildRefresh('l', undefined)).not.toHaveProperty('userIds');
  });

  test('Teams shows at most 6 actions per set: the card stays within it', () => {
    const card = renderIncidentCard(typicalView(), { mode: 'analyst', now: NOW, unifiedPortalBase: 'https://security.microsoft.com' });
    expect((card.actions as unknown[]).length).toBeLessThanOrEqual(6);
    for (const set of findAll(card, 'ActionSet')) expect((set['actions'] as unknown[]).length).toBeLessThanOrEqual(6);
  });

  test('withNonce fills every placeholder and leaves the original untouched', () => {
    const card = renderIncidentCard(typicalView(), { mode: 'analyst', now: NOW });
    const filled = withNonce(card, 'b9d3c1e2-0000-4000-8000-000000000001');
    expect(JSON.stringify(filled)).not.toContain(NONCE_PLACEHOLDER);
    expect(findAll(filled.actions, 'Action.Execute').every((a) => (a['data'] as { nonce: string }).nonce === 'b9d3c1e2-0000-4000-8000-000000000001')).toBe(true);
    expect(JSON.stringify(card)).toContain(NONCE_PLACEHOLDER);
    expect(() => withNonce(card, 'short')).toThrow(/nonce/);
  });

  test('a view with no incident at all still renders a valid card', () => {
    const card = renderIncidentCard(typicalView({ defender: null, sentinel: null }), { mode: 'analyst', now: NOW });
    assertValidCard(card);
    expect(verbs(card)).toEqual(['refreshCard', 'refreshCard']);
  });

  test('a bad "now" is refused', () => {
    expect(() => renderIncidentCard(typicalView(), { mode: 'analyst', now: 'yesterday' })).toThrow(/now/);
  });

  test('the template file is the 1.5 card Teams renders', () => {
    expect(loadTemplate('incident')).toMatchObject({ type: 'AdaptiveCard', version: '1.5' });
  });
});

describe('validateCard', () => {
  test('reports structural problems', () => {
    const problems = validateCard({
      type: 'AdaptiveCard',
      version: '1.7',
      body: [{ type: 'TextBlock' }, { type: 'Marquee' }],
      actions: [{ type: 'Action.Execute', data: {} }, { type: 'Action.OpenUrl', url: 'http://x' }],
    });
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      '$.version: must be one of 1.0, 1.1, 1.2, 1.3, 1.4, 1.5',
      '$.body[0].text: must be a string',
      '$.body[1].type: unknown element type "Marquee"',
      '$.actions[0].verb: Action.Execute needs a verb',
      '$.actions[0].data.linkId: every action carries the linkId',
      '$.actions[1].url: must be an https URL',
    ]);
  });

  test('catches unescaped text and duplicate inputs', () => {
    const problems = validateCard({
      type: 'AdaptiveCard',
      version: '1.5',
      body: [
        { type: 'TextBlock', text: '<at>Everyone</at> ${x}' },
        { type: 'Input.Text', id: 'a' },
        { type: 'Input.Text', id: 'a' },
      ],
    });
    expect(problems.map((p) => p.message)).toEqual(
      expect.arrayContaining(['contains "${" (an unexpanded or injected template expression)', 'contains "<at>" (a mention)', 'input ids must be unique in a card']),
    );
  });
});
