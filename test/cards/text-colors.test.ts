// Card text must be readable on Teams' light and dark themes (WCAG 2.x AA, 4.5:1 for normal text).
// The palettes are Microsoft's Teams host configs (microsoft-teams-light / -dark; the Agents
// Playground renders with the light one): the foreground of each Adaptive Card colour name and
// the default and emphasis container backgrounds.
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderIncidentCard } from '../../src/cards/incident-card.ts';
import { CARD_TEXT_COLORS } from '../../src/cards/text-colors.ts';
import { SEVERITIES, type Severity } from '../../src/domain/incident.ts';
import type { PortalSyncState } from '../../src/domain/change-events.ts';
import type { EditOutcome } from '../../src/domain/edits.ts';
import { defenderIncident, NOW, outcome, sentinelIncident, typicalView } from './fixtures/incidents.ts';

type ColorName = 'default' | 'dark' | 'light' | 'accent' | 'good' | 'warning' | 'attention';

const TEAMS_THEMES: Record<'light' | 'dark', { backgrounds: string[]; text: Record<ColorName, string> }> = {
  light: {
    backgrounds: ['#ffffff', '#f9f8f7'],
    text: { default: '#252424', dark: '#252424', light: '#ffffff', accent: '#6264a7', good: '#92c353', warning: '#f8d22a', attention: '#c4314b' },
  },
  dark: {
    backgrounds: ['#2d2c2c', '#292828'],
    text: { default: '#ffffff', dark: '#201f1f', light: '#ffffff', accent: '#a6a7dc', good: '#92c353', warning: '#f8d22a', attention: '#d74654' },
  },
};

/** WCAG 2.x relative luminance and contrast ratio. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** Every `color` of a TextBlock or TextRun in the card, lower-cased (Adaptive Cards ignore case). */
function colorsIn(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((item) => colorsIn(item, found));
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'color' && typeof value === 'string') found.add(value.toLowerCase());
      else colorsIn(value, found);
    }
  }
  return found;
}

const SYNC_STATES: PortalSyncState[] = ['inSync', 'pending', 'notWritable', 'failed'];
/** One field in each outcome a field can have. */
const FIELD_OUTCOMES: EditOutcome['perPortal'] = {
  defender: { severity: { state: 'viaOtherRoute', verified: false }, tags: { state: 'written' }, comment: { state: 'failed', reason: 'conflict' } },
  sentinel: { severity: { state: 'viaOtherRoute', verified: true }, tags: { state: 'pending' } },
};
const OUTCOME_STATES: EditOutcome['state'][] = ['accepted', 'completed', 'partial', 'failed'];

describe('card text colours', () => {
  test.each(CARD_TEXT_COLORS.map((name) => [name]))('%s reaches 4.5:1 on both Teams themes', (name) => {
    for (const theme of Object.values(TEAMS_THEMES)) {
      for (const background of theme.backgrounds) expect(contrast(theme.text[name], background)).toBeGreaterThanOrEqual(4.5);
    }
  });

  test('the incident card uses only those colours, in every severity, sync state and edit outcome', () => {
    const used = new Set<string>();
    const severities: Severity[] = [...SEVERITIES, 'unknown'];
    for (const severity of severities) {
      for (const syncState of SYNC_STATES) {
        const view = typicalView({ defender: defenderIncident({ severity }), sentinel: sentinelIncident({ severity }), syncState: { defender: syncState, sentinel: syncState } });
        for (const state of OUTCOME_STATES) {
          const card = renderIncidentCard(view, { mode: 'analyst', now: NOW, outcome: outcome({ linkId: view.linkId, state, perPortal: FIELD_OUTCOMES }) });
          colorsIn(card, used);
        }
      }
    }
    expect([...used].filter((name) => !(CARD_TEXT_COLORS as readonly string[]).includes(name))).toEqual([]);
  });

  test('no card template names a colour other than those (templated colours come from typed view models)', () => {
    const dir = fileURLToPath(new URL('../../cards/', import.meta.url));
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
      const literal = [...colorsIn(JSON.parse(readFileSync(`${dir}${file}`, 'utf8')))].filter((value) => !value.startsWith('${'));
      expect({ file, colours: literal.filter((name) => !(CARD_TEXT_COLORS as readonly string[]).includes(name)) }).toEqual({ file, colours: [] });
    }
  });
});
