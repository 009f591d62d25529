// How every /_sim control router answers: 404 for a path it does not serve, 405 for another method,
// and a SimError as its status (not-found 404, conflict 409, anything else 400) with
// {"error": "<message>"}. No token is needed for any /_sim route.
import type { Router } from '../http/router.ts';
import type { SimRequest, SimResponse } from '../http/types.ts';
import { SimError } from '../engine/errors.ts';

export function problem(status: number, message: string): SimResponse {
  return { status, json: { error: message } };
}

export function controlHandler(router: Router): (request: SimRequest) => Promise<SimResponse> {
  return async (request) => {
    const match = router.match(request.method, request.path);
    if (match.kind === 'not-found') return problem(404, `no control endpoint ${request.method} ${request.path}`);
    if (match.kind === 'method-not-allowed') return problem(405, `use ${match.allowed.join(', ')} for ${request.path}`);
    try {
      return await match.handler(request, match.params);
    } catch (error) {
      if (error instanceof SimError) return problem(error.code === 'not-found' ? 404 : error.code === 'conflict' ? 409 : 400, error.message);
      throw error;
    }
  };
}
