// The Bot Framework adapter: CloudAdapter with ConfigurationBotFrameworkAuthentication.
// With a bot id, every request to /api/messages must carry a valid Bot Framework JWT; the
// adapter refuses others with 401 before any bot logic runs. Without one (local mode: Agents
// Playground, Emulator), authentication is off, as botbuilder does for an empty app id.
import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type ConfigurationBotFrameworkAuthenticationOptions,
  type BotAdapter,
  type TurnContext,
} from 'botbuilder';
import type { Logger } from '../observability/logger.ts';
import { createSilentLogger } from '../observability/logger.ts';
import { CodedError } from '../domain/errors.ts';

export interface BotAdapterOptions {
  botId?: string | undefined;
  botPassword?: string | undefined;
  botTenantId?: string | undefined;
  botType?: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI' | undefined;
  log?: Logger;
}

export const APOLOGY = 'Sorry, something went wrong on my side. Please try again; if it keeps happening, tell your bridge administrator.';

export function authenticationOptions(options: BotAdapterOptions): ConfigurationBotFrameworkAuthenticationOptions {
  const auth: ConfigurationBotFrameworkAuthenticationOptions = {};
  if (!options.botId) return auth;
  const type = options.botType ?? 'MultiTenant';
  if (type === 'SingleTenant' && !options.botTenantId) {
    throw new CodedError('invalid-config', 'BOT_TENANT_ID: is not set but BOT_TYPE is SingleTenant. Set the tenant id of the bot app registration.');
  }
  if (type !== 'UserAssignedMSI' && !options.botPassword) {
    throw new CodedError('invalid-config', 'BOT_PASSWORD: is not set but BOT_ID is. Set the client secret of the bot app registration.');
  }
  auth.MicrosoftAppId = options.botId;
  auth.MicrosoftAppType = type;
  if (options.botPassword) auth.MicrosoftAppPassword = options.botPassword;
  if (options.botTenantId) auth.MicrosoftAppTenantId = options.botTenantId;
  return auth;
}

/**
 * Logs a failed turn with its context and tells the user, briefly, without internals. For invoke
 * activities (card buttons) the apology goes into the invoke response, which Teams is waiting for.
 */
export function installTurnErrorHandler(adapter: BotAdapter, log: Logger): void {
  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    const activity = context.activity;
    log.error(
      { err: error, activityType: activity.type, activityName: activity.name, conversationId: activity.conversation?.id, activityId: activity.id },
      'unhandled error in bot turn',
    );
    try {
      if (activity.type === 'invoke') {
        await context.sendActivity({
          type: 'invokeResponse',
          value: { status: 200, body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: APOLOGY } },
        });
      } else if (activity.type === 'message') {
        await context.sendActivity(APOLOGY);
      }
    } catch (sendError) {
      log.warn({ err: sendError }, 'could not send the apology');
    }
  };
}

export function createBotAdapter(options: BotAdapterOptions = {}): CloudAdapter {
  const log = options.log ?? createSilentLogger();
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication(authenticationOptions(options)));
  installTurnErrorHandler(adapter, log);
  return adapter;
}
