import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createScenarioPlanner, SCENARIO_SOURCES } from '../../src/simulators/scenario/planner.ts';
import type { ScenarioEvent, ScenarioIncidentView } from '../../src/simulators/scenario/planner.ts';
import { HOSTILE_TITLES } from '../../src/simulators/scenario/hostile-text.ts';
import { startTestSims, waitFor } from './helpers.ts';
import type { TestSims } from './helpers.ts';

/** Drives a planner against a tiny model of open incidents, as the runner does against the engine. */
function plan(seed: number, steps: number): ScenarioEvent[] {
  const planner = createScenarioPlanner(seed);
  const open: ScenarioIncidentView[] = [];
  const events: ScenarioEvent[] = [];
  for (let i = 0; i < steps; i++) {
    const event = planner.next(open);
    events.push(event);
    if (event.kind === 'alert' && !open.some((incident) => incident.correlationKey === event.alert.correlationKey)) {
      open.push({ id: String(open.length + 1), severity: event.alert.severity, correlationKey: event.alert.correlationKey });
    }
    if (event.kind === 'merge') open.splice(open.findIndex((incident) => incident.id === event.sourceId), 1);
  }
  return events;
}

describe('scenario planner', () => {
  test('the same seed yields the same events; another seed differs', () => {
    expect(plan(42, 200)).toEqual(plan(42, 200));
    expect(plan(43, 200)).not.toEqual(plan(42, 200));
  });

  test('it raises from every source, escalates, merges, comments and uses hostile text', () => {
    const events = plan(7, 400);
    const alerts = events.flatMap((event) => (event.kind === 'alert' ? [event.alert] : []));
    expect(new Set(alerts.map((alert) => alert.serviceSource))).toEqual(new Set(SCENARIO_SOURCES));
    expect(events.some((event) => event.kind === 'merge')).toBe(true);
    expect(events.some((event) => event.kind === 'comment')).toBe(true);
    expect(alerts.some((alert) => HOSTILE_TITLES.includes(alert.title))).toBe(true);
    const byKey = new Map<string, string[]>();
    for (const alert of alerts) byKey.set(alert.correlationKey, [...(byKey.get(alert.correlationKey) ?? []), alert.severity]);
    expect([...byKey.values()].some((severities) => severities.length > 1)).toBe(true); // correlated follow-ups escalate
  });
});

describe('scenario runner against the simulators', () => {
  let sims: TestSims;
  beforeAll(async () => {
    sims = await startTestSims();
  });
  afterAll(async () => {
    await sims.stop();
  });

  test('running at a high rate creates incidents in both portals with the attacker text intact', async () => {
    sims.control.reset();
    for (let i = 0; i < 40; i++) sims.control.scenario.step();
    const incidents = sims.control.defenderIncidents();
    expect(incidents.length).toBeGreaterThan(3);
    expect(sims.control.sentinelIncidents().length).toBeGreaterThan(0);
    sims.control.scenario.start({ eventsPerMinute: 6000, seed: 5 });
    try {
      const before = incidents.length + incidents.reduce((n, incident) => n + incident.comments.length, 0);
      await waitFor(() => {
        const now = sims.control.defenderIncidents();
        return now.length + now.reduce((n, incident) => n + incident.comments.length, 0) > before;
      }, 'scenario timer activity');
    } finally {
      sims.control.scenario.stop();
    }
    expect(sims.control.scenario.running()).toBe(false);
  });
});
