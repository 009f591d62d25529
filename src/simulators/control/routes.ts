// The /_sim HTTP API: a thin mapping onto SimulatorControl. No token needed; bad input -> 400
// {"error":"<what is wrong>"}; unknown incident -> 404.
import { createRouter } from '../http/router.ts';
import { isPlainObject, parseJsonBody } from '../http/types.ts';
import type { SimRequest, SimResponse } from '../http/types.ts';
import { SimError } from '../engine/errors.ts';
import { controlHandler, problem } from './dispatch.ts';
import type { SimulatorControl, SentinelAnalystChanges } from './control.ts';


function withBody(request: SimRequest, work: (body: Record<string, unknown>) => SimResponse): SimResponse {
  const parsed = parseJsonBody(request);
  if (!parsed.ok) return problem(400, parsed.message);
  if (!isPlainObject(parsed.value)) return problem(400, 'body must be a JSON object');
  return work(parsed.value);
}

function requireString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value.trim() === '') throw new SimError('bad-request', `'${key}' must be a non-empty string`);
  return value;
}

export function createControlHandler(control: SimulatorControl): (request: SimRequest) => Promise<SimResponse> {
  const router = createRouter()
    .add('GET', '/_sim/requests', () => ({ status: 200, json: control.requests() }))
    .add('POST', '/_sim/faults', (request) => withBody(request, (body) => {
      control.addFault(body as never);
      return { status: 201, json: { ok: true } };
    }))
    .add('GET', '/_sim/faults', () => ({ status: 200, json: control.faults() }))
    .add('DELETE', '/_sim/faults', () => {
      control.clearFaults();
      return { status: 200, json: { ok: true } };
    })
    .add('POST', '/_sim/reset', () => {
      control.reset();
      return { status: 200, json: { ok: true } };
    })
    .add('POST', '/_sim/native-sync', (request) => withBody(request, (body) => {
      if (typeof body.enabled !== 'boolean') return problem(400, "'enabled' must be a boolean");
      control.setNativeSync(body.enabled);
      return { status: 200, json: { nativeSync: body.enabled } };
    }))
    .add('GET', '/_sim/config', () => ({ status: 200, json: control.config() }))
    .add('POST', '/_sim/config', (request) => withBody(request, (body) => ({ status: 200, json: control.configure(body) })))
    .add('POST', '/_sim/alerts', (request) => withBody(request, (body) => ({ status: 201, json: control.raiseAlert(body as never) })))
    .add('POST', '/_sim/incidents/:id/merge', (request, params) => withBody(request, (body) => {
      control.mergeIncidents(params.id as string, requireString(body, 'into'));
      return { status: 200, json: { ok: true } };
    }))
    .add('POST', '/_sim/check-requirements', (request) => withBody(request, (body) => {
      control.setCheckRequirements(body as never);
      return { status: 200, json: { ok: true } };
    }))
    .add('POST', '/_sim/defender/incidents/:id/analyst-update', (request, params) => withBody(request, (body) => {
      const changes = body.changes;
      if (!isPlainObject(changes)) return problem(400, "'changes' must be an object of Graph incident fields");
      return { status: 200, json: control.analystUpdateDefenderIncident(params.id as string, changes, requireString(body, 'upn')) };
    }))
    .add('POST', '/_sim/defender/incidents/:id/analyst-comment', (request, params) => withBody(request, (body) => {
      control.analystCommentDefender(params.id as string, requireString(body, 'comment'), requireString(body, 'upn'));
      return { status: 201, json: { ok: true } };
    }))
    .add('POST', '/_sim/sentinel/incidents/:name/analyst-update', (request, params) => withBody(request, (body) => {
      const changes = body.changes;
      if (!isPlainObject(changes)) return problem(400, "'changes' must be an object of Sentinel incident properties");
      return { status: 200, json: control.analystUpdateSentinelIncident(params.name as string, changes as SentinelAnalystChanges, requireString(body, 'upn')) };
    }))
    .add('POST', '/_sim/sentinel/incidents/:name/analyst-comment', (request, params) => withBody(request, (body) => ({
      status: 201,
      json: control.analystCommentSentinel(params.name as string, requireString(body, 'comment'), requireString(body, 'upn')),
    })))
    .add('GET', '/_sim/state', () => ({
      status: 200,
      json: { defenderIncidents: control.defenderIncidents(), sentinelIncidents: control.sentinelIncidents(), config: control.config() },
    }))
    .add('POST', '/_sim/scenario', (request) => withBody(request, (body) => {
      if (typeof body.enabled !== 'boolean') return problem(400, "'enabled' must be a boolean");
      if (body.eventsPerMinute !== undefined && (typeof body.eventsPerMinute !== 'number' || body.eventsPerMinute <= 0)) return problem(400, "'eventsPerMinute' must be a number > 0");
      if (body.seed !== undefined && !Number.isInteger(body.seed)) return problem(400, "'seed' must be an integer");
      if (body.enabled) control.scenario.start({ eventsPerMinute: body.eventsPerMinute as number | undefined, seed: body.seed as number | undefined });
      else control.scenario.stop();
      return { status: 200, json: { running: control.scenario.running() } };
    }))
    .add('POST', '/_sim/scenario/step', () => ({ status: 200, json: control.scenario.step() }));

  return controlHandler(router);
}
