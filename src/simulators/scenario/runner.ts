// Applies scenario events on a timer. Each tick plans from the current open incidents and applies
// the event; a failure is reported and the loop continues (timers never throw).
import type { ScenarioEvent, ScenarioIncidentView, ScenarioPlanner } from './planner.ts';

export interface ScenarioRunner {
  start(eventsPerMinute: number): void;
  stop(): void;
  /** Plans and applies one event now (also what each tick does). */
  step(): ScenarioEvent;
  running(): boolean;
}

export function createScenarioRunner(deps: {
  planner: () => ScenarioPlanner;
  openIncidents: () => ScenarioIncidentView[];
  apply: (event: ScenarioEvent) => void;
  onError: (error: unknown, context: string) => void;
}): ScenarioRunner {
  let timer: NodeJS.Timeout | undefined;
  let planner = deps.planner();
  const step = (): ScenarioEvent => {
    const event = planner.next(deps.openIncidents());
    deps.apply(event);
    return event;
  };
  return {
    start(eventsPerMinute) {
      this.stop();
      planner = deps.planner();
      const intervalMs = Math.max(50, Math.round(60_000 / Math.max(eventsPerMinute, 0.001)));
      timer = setInterval(() => {
        try {
          step();
        } catch (error) {
          deps.onError(error, 'applying a scenario event');
        }
      }, intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    step,
    running: () => timer !== undefined,
  };
}
