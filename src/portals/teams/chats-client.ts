// War room chats in one tenant, through Microsoft Graph's documented Teams API:
// - POST /chats (chatType group, a topic, members as aadUserConversationMember with
//   `user@odata.bind` = users('<object id or UPN>') and roles ["owner"]): application permission
//   Chat.Create;
// - GET /appCatalogs/teamsApps?$filter=externalId eq '<manifest id>': the catalog id of the
//   bridge's Teams app, which installations name (AppCatalog.Read.All);
// - POST /chats/{id}/installedApps with `teamsApp@odata.bind` = appCatalogs/teamsApps/{catalog id}
//   (TeamsAppInstallation.ReadWriteForChat.All; the "Self" variant is enough only when the portals'
//   app registration is the bot's own). 409 Conflict means it is installed already.
// A refusal for a missing permission names the permission. See src/simulators/CONTRACT.md.
import type { Client } from '@microsoft/microsoft-graph-client';
import { PortalError } from '../../domain/errors.ts';
import { invalidResponse } from '../http/errors.ts';
import { resolveRetryOptions, type RetryPolicyOptions } from '../http/retry.ts';
import { isObject } from '../wire.ts';
import { connectGraph, graphFailureToPortalError, type GraphConnectionOptions } from '../defender/graph-pipeline.ts';

/**
 * A war room is opened inside a Teams turn: a couple of quick retries (Teams Graph answers 429 with
 * Retry-After), never the portals' long budget. What still fails is reported to the person asking.
 */
export const TEAMS_RETRY_POLICY: RetryPolicyOptions = {
  maxRetries: 2,
  maxTotalWaitMs: 3_000,
  baseDelayMs: 250,
  maxDelayMs: 1_500,
  requestTimeoutMs: 5_000,
};

/**
 * The application permission each call needs (Graph permission tables of each API). Installing uses
 * TeamsAppInstallation.ReadWriteForChat.All: the "Self" variant installs only the Teams app whose
 * bot is the calling app registration, and the bridge reads the portals with its own.
 */
export const TEAMS_PERMISSIONS = {
  createChat: 'Chat.Create',
  findApp: 'AppCatalog.Read.All',
  installApp: 'TeamsAppInstallation.ReadWriteForChat.All',
} as const;

export interface GroupChatRequest {
  topic: string;
  /** Entra object ids or user principal names; every member is an owner. */
  members: readonly string[];
}

export interface CreatedChat {
  chatId: string;
  webUrl: string;
}

export interface TeamsChatsClient {
  createGroupChat(request: GroupChatRequest): Promise<CreatedChat>;
  /** Installs the Teams app whose manifest id is `teamsAppId` in the chat; 'already' when it was. */
  installApp(chatId: string, teamsAppId: string): Promise<'installed' | 'already'>;
}

export type TeamsChatsClientOptions = GraphConnectionOptions & { retry?: Partial<RetryPolicyOptions> };

/** An OData string literal: single quotes doubled (a UPN may hold one, as in o'brien@contoso.com). */
function odataString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function createTeamsChatsClient(options: TeamsChatsClientOptions): TeamsChatsClient {
  const retry = resolveRetryOptions({ ...TEAMS_RETRY_POLICY, ...options.retry });
  const now = options.now ?? Date.now;
  const client: Client = connectGraph(options, retry);
  const base = `${options.graphEndpoint.replace(/\/+$/, '')}/v1.0`;
  /** Catalog ids per manifest id: they never change for an app. */
  const catalogIds = new Map<string, Promise<string>>();

  function failure(what: string, permission: string, error: unknown): unknown {
    const mapped = graphFailureToPortalError('teams', what, error, undefined, now());
    if (mapped instanceof PortalError && mapped.code === 'forbidden') {
      return new PortalError(
        'teams',
        'forbidden',
        `Microsoft Graph refused to ${what} in tenant ${options.tenantId}: the app needs the Microsoft Graph application permission ${permission}, with admin consent in that tenant. (${mapped.message})`,
        { cause: error, status: 403 },
      );
    }
    return mapped;
  }

  async function catalogIdOf(teamsAppId: string): Promise<string> {
    const what = `find the Teams app ${teamsAppId} in the app catalog`;
    let body: unknown;
    try {
      body = await client.api('/appCatalogs/teamsApps').filter(`externalId eq ${odataString(teamsAppId)}`).get();
    } catch (error) {
      throw failure(what, TEAMS_PERMISSIONS.findApp, error);
    }
    if (!isObject(body) || !Array.isArray(body.value)) throw invalidResponse('teams', what, 'the answer has no value array');
    const app = body.value.find((item): item is { id: string } => isObject(item) && typeof item.id === 'string');
    if (!app) {
      throw new PortalError(
        'teams',
        'not-found',
        `The Teams app ${teamsAppId} (TEAMS_APP_ID) is not in the app catalog of tenant ${options.tenantId}: publish it to the organisation's catalog (Teams admin center > Manage apps > Upload, or atk publish) so that it can be added to chats.`,
      );
    }
    return app.id;
  }

  async function webUrlOf(chatId: string, created: Record<string, unknown>): Promise<string> {
    if (typeof created.webUrl === 'string') return created.webUrl;
    const what = `read chat ${chatId}`;
    let body: unknown;
    try {
      body = await client.api(`/chats/${encodeURIComponent(chatId)}`).get();
    } catch (error) {
      throw failure(what, TEAMS_PERMISSIONS.createChat, error);
    }
    if (!isObject(body) || typeof body.webUrl !== 'string') throw invalidResponse('teams', what, 'the chat has no webUrl');
    return body.webUrl;
  }

  return {
    async createGroupChat(request) {
      const what = 'create the group chat';
      let body: unknown;
      try {
        body = await client.api('/chats').post({
          chatType: 'group',
          topic: request.topic,
          members: request.members.map((member) => ({
            '@odata.type': '#microsoft.graph.aadUserConversationMember',
            roles: ['owner'],
            'user@odata.bind': `${base}/users(${odataString(member)})`,
          })),
        });
      } catch (error) {
        throw failure(what, TEAMS_PERMISSIONS.createChat, error);
      }
      if (!isObject(body) || typeof body.id !== 'string' || body.id === '') throw invalidResponse('teams', what, 'the created chat has no id');
      return { chatId: body.id, webUrl: await webUrlOf(body.id, body) };
    },

    async installApp(chatId, teamsAppId) {
      let catalogId = catalogIds.get(teamsAppId);
      if (!catalogId) {
        catalogId = catalogIdOf(teamsAppId);
        catalogIds.set(teamsAppId, catalogId);
        // A failed look-up is not remembered: the next war room asks again.
        catalogId.catch(() => catalogIds.delete(teamsAppId));
      }
      const id = await catalogId;
      const what = `add the bridge's Teams app to chat ${chatId}`;
      try {
        await client.api(`/chats/${encodeURIComponent(chatId)}/installedApps`).post({ 'teamsApp@odata.bind': `${base}/appCatalogs/teamsApps/${encodeURIComponent(id)}` });
        return 'installed';
      } catch (error) {
        const mapped = failure(what, TEAMS_PERMISSIONS.installApp, error);
        if (mapped instanceof PortalError && mapped.status === 409) return 'already';
        throw mapped;
      }
    },
  };
}
