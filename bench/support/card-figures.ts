// The incident card of a 200-alert incident naming 1,000 evidence items (issue 12): its size as
// Teams counts it (UTF-8 and UTF-16 bytes of the card JSON) against the card budget, how many alerts
// and evidence items it shows, and how long mapping the alerts and rendering the card take
// (p50/p95 over `renders` renders after a warm-up), for ordinary text and for the longest text kept
// in a wide script.
import { renderIncidentCard } from '../../src/cards/incident-card.ts';
import { cardSize, INCIDENT_CARD_BUDGET_BYTES } from '../../src/cards/card-size.ts';
import { alertDetailsFromGraph } from '../../src/portals/defender/alert-mapping.ts';
import { sampleView } from '../../test/fakes/bridge.ts';
import { graphAlertsOf, ORDINARY_TEXT, type AlertText } from './large-incident.ts';
import { percentile } from './percentile.ts';
import { verdict, type FigureRow } from './figure-table.ts';

function timed(times: number[], work: () => void): void {
  const started = performance.now();
  work();
  times.push(performance.now() - started);
}

function largeCard(text: AlertText, renders: number) {
  const alerts = graphAlertsOf(200, 5, text);
  const mapTimes: number[] = [];
  let details = alertDetailsFromGraph(alerts);
  for (let i = 0; i < renders; i += 1) timed(mapTimes, () => (details = alertDetailsFromGraph(alerts)));
  const view = sampleView({ linkId: 'link-large' });
  if (view.defender) view.defender = { ...view.defender, alertDetails: details, additionalData: { ...view.defender.additionalData, alertsCount: alerts.length } };
  const now = new Date().toISOString();
  let card = renderIncidentCard(view, { mode: 'analyst', now }); // warm-up: template parse, JIT
  const renderTimes: number[] = [];
  for (let i = 0; i < renders; i += 1) timed(renderTimes, () => (card = renderIncidentCard(view, { mode: 'analyst', now })));
  const json = JSON.stringify(card);
  return {
    size: cardSize(card),
    alertsShown: (json.match(/"title":"Open alert"/g) ?? []).length,
    evidenceShown: (json.match(/ · \d+ alerts?/g) ?? []).length,
    evidenceTotal: details.evidenceTotal,
    mapTimes,
    renderTimes,
  };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

export function measureLargeCard(renders: number): FigureRow[] {
  const rows: FigureRow[] = [];
  for (const [name, text] of [['ordinary text', ORDINARY_TEXT], ['longest text kept, CJK', (i: number, j: number) => `${'雪'.repeat(600)}${i}-${j}`]] as const) {
    const large = largeCard(text, renders);
    const bytes = Math.max(large.size.utf8Bytes, large.size.utf16Bytes);
    rows.push({
      figure: `card of a 200-alert incident, 1,000 evidence items, ${name}`,
      measured: `${large.size.utf8Bytes.toLocaleString('en-US')} B UTF-8, ${large.size.utf16Bytes.toLocaleString('en-US')} B UTF-16 (${((bytes / INCIDENT_CARD_BUDGET_BYTES) * 100).toFixed(0)}%); shows ${large.alertsShown} of 200 alerts, ${large.evidenceShown} of ${large.evidenceTotal.toLocaleString('en-US')} evidence items`,
      reference: `budget ${INCIDENT_CARD_BUDGET_BYTES.toLocaleString('en-US')} B, the larger of UTF-8 and UTF-16`,
      target: 'within the budget',
      verdict: verdict(bytes <= INCIDENT_CARD_BUDGET_BYTES),
    });
    rows.push({
      figure: `rendering that card (view -> card fitted to the budget), ${name}`,
      measured: `p50 ${ms(percentile(large.renderTimes, 50))}, p95 ${ms(percentile(large.renderTimes, 95))}; mapping 200 Graph alerts p50 ${ms(percentile(large.mapTimes, 50))}, p95 ${ms(percentile(large.mapTimes, 95))}`,
      reference: `${renders} renders after a warm-up`,
      target: '-',
      verdict: '-',
    });
  }
  return rows;
}
