// The /_sim/teams control routes: what the simulated Teams holds (chats, the messages the bot sent,
// its connector calls, the install events delivered), team channels a test declares with their
// type, and where the bot listens. No token, as for every /_sim route; bad input -> 400 {"error"}.
import { createRouter } from '../http/router.ts';
import { isPlainObject, parseJsonBody } from '../http/types.ts';
import type { SimRequest, SimResponse } from '../http/types.ts';
import { SimError } from '../engine/errors.ts';
import { controlHandler } from '../control/dispatch.ts';
import { CHANNEL_TYPES, type ChannelType, type SimChannel, type TeamsService } from './service.ts';

export function isTeamsControlPath(path: string): boolean {
  return /^\/_sim\/teams(\/|$)/i.test(path);
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new SimError('bad-request', `'${name}' must be a non-empty string`);
  return value;
}

/** Reads a channel declaration: {id, tenantId, teamId, type: standard|private|shared, botInRoster}. */
export function parseChannel(body: unknown): SimChannel {
  if (!isPlainObject(body)) throw new SimError('bad-request', 'the body must be {"id", "tenantId", "teamId", "type", "botInRoster"}');
  const type = body.type;
  if (!(CHANNEL_TYPES as readonly unknown[]).includes(type)) throw new SimError('bad-request', `'type' must be one of ${CHANNEL_TYPES.join(', ')}`);
  if (body.botInRoster !== undefined && typeof body.botInRoster !== 'boolean') throw new SimError('bad-request', "'botInRoster' must be true or false");
  return { id: text(body.id, 'id'), tenantId: text(body.tenantId, 'tenantId'), teamId: text(body.teamId, 'teamId'), type: type as ChannelType, botInRoster: body.botInRoster ?? type === 'standard' };
}

export function createTeamsControlHandler(teams: TeamsService, botEndpoint: { get(): string | undefined; set(url: string): void }): (request: SimRequest) => Promise<SimResponse> {
  const router = createRouter()
    .add('GET', '/_sim/teams/chats', () => ({
      status: 200,
      json: teams.chats().map((chat) => ({ ...chat, installedApps: [...chat.installedApps.values()], botInstalled: teams.isBotInstalled(chat) })),
    }))
    .add('GET', '/_sim/teams/messages', () => ({ status: 200, json: [...teams.messages.values()] }))
    .add('GET', '/_sim/teams/calls', () => ({ status: 200, json: teams.calls }))
    .add('GET', '/_sim/teams/deliveries', () => ({ status: 200, json: teams.deliveries }))
    .add('POST', '/_sim/teams/channels', (request) => {
      const parsed = parseJsonBody(request);
      if (!parsed.ok) throw new SimError('bad-request', parsed.message);
      const channel = parseChannel(parsed.value);
      teams.declareChannel(channel);
      return { status: 201, json: channel };
    })
    .add('GET', '/_sim/teams/bot-endpoint', () => ({ status: 200, json: { botEndpoint: botEndpoint.get() ?? null } }))
    .add('PUT', '/_sim/teams/bot-endpoint', (request) => {
      const parsed = parseJsonBody(request);
      if (!parsed.ok) throw new SimError('bad-request', parsed.message);
      const url = isPlainObject(parsed.value) ? parsed.value.botEndpoint : undefined;
      let valid: URL | undefined;
      try {
        valid = typeof url === 'string' ? new URL(url) : undefined;
      } catch {
        valid = undefined;
      }
      if (!valid || (valid.protocol !== 'http:' && valid.protocol !== 'https:')) throw new SimError('bad-request', 'the body must be {"botEndpoint": "http://host:port/api/messages"}');
      botEndpoint.set(valid.href);
      return { status: 200, json: { botEndpoint: valid.href } };
    });

  return controlHandler(router);
}
