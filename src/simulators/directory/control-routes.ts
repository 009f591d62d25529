// The /_sim/directory control routes: read or replace a tenant's whole directory, or add one member
// to a group. No token needed, as for every /_sim route; bad input -> 400 {"error": "..."}.
import { createRouter } from '../http/router.ts';
import { isPlainObject, parseJsonBody } from '../http/types.ts';
import type { SimRequest, SimResponse } from '../http/types.ts';
import { SimError } from '../engine/errors.ts';
import { controlHandler } from '../control/dispatch.ts';
import type { SimDirectory } from './directory.ts';

export function isDirectoryControlPath(path: string): boolean {
  return /^\/_sim\/directory(\/|$)/i.test(path);
}

export function createDirectoryControlHandler(directory: SimDirectory): (request: SimRequest) => Promise<SimResponse> {
  const router = createRouter()
    .add('GET', '/_sim/directory', () => ({ status: 200, json: directory.contents() }))
    .add('PUT', '/_sim/directory', (request) => {
      const parsed = parseJsonBody(request);
      if (!parsed.ok) throw new SimError('bad-request', parsed.message);
      directory.replace(parsed.value);
      return { status: 200, json: directory.contents() };
    })
    .add('POST', '/_sim/directory/groups/:id/members', (request, params) => {
      const parsed = parseJsonBody(request);
      if (!parsed.ok) throw new SimError('bad-request', parsed.message);
      const memberId = isPlainObject(parsed.value) ? parsed.value.id : undefined;
      if (typeof memberId !== 'string') throw new SimError('bad-request', "the body must be {\"id\": \"<user or group object id>\"}");
      directory.addMember(params.id as string, memberId);
      return { status: 201, json: { ok: true } };
    });

  return controlHandler(router);
}
