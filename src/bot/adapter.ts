// The Bot Framework adapter: CloudAdapter with ConfigurationBotFrameworkAuthentication.
// With a bot id, every request to /api/messages must carry a valid Bot Framework JWT; the
// adapter refuses others with 401 before any bot logic runs. Without one (local mode: Agents
// Playground, Emulator), authentication is off, as botbuilder does for an empty app id.
// Outgoing Bot Connector calls carry a token of the bot's identity: its app registration's secret
// (SingleTenant, MultiTenant), or its user-assigned managed identity (UserAssignedMSI).
//
// Requests come in through handleRequest, not CloudAdapter.process: process answers every
// authentication failure that is not an AuthenticationError with 500 and the error's text (a DNS
// error for login.botframework.com, say) to an unauthenticated caller.
import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type Activity,
  type ConfigurationBotFrameworkAuthenticationOptions,
  type BotAdapter,
  type Request,
  type Response,
  type TurnContext,
} from 'botbuilder';
import { ManagedIdentityServiceClientCredentialsFactory, type IJwtTokenProviderFactory, type ServiceClientCredentialsFactory } from 'botframework-connector';
import { ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import type { Logger } from '../observability/logger.ts';
import { createSilentLogger } from '../observability/logger.ts';
import { CodedError } from '../domain/errors.ts';
import { reportUnexpected } from './unexpected-error.ts';

/**
 * The invoke names a metric label may carry: Teams' invokes. Anything else (an activity's name is
 * the caller's to choose) is 'other', so a caller cannot add label values.
 */
export const INVOKE_NAMES = [
  'adaptiveCard/action',
  'task/fetch',
  'task/submit',
  'composeExtension/query',
  'composeExtension/submitAction',
  'composeExtension/fetchTask',
  'signin/verifyState',
  'signin/tokenExchange',
  'config/fetch',
  'config/submit',
  'message/submitAction',
  'other',
] as const;
export type InvokeName = (typeof INVOKE_NAMES)[number];

export function invokeNameOf(name: unknown): InvokeName {
  return (INVOKE_NAMES as readonly unknown[]).includes(name) ? (name as InvokeName) : 'other';
}

/** What the adapter reports to metrics (src/observability/metrics.ts implements it). */
export interface InvokeMetrics {
  /** An invoke was answered with `status`, `seconds` after its request arrived. */
  observeInvoke(name: InvokeName, status: number, seconds: number): void;
}

export interface BotAdapterOptions {
  botId?: string | undefined;
  botPassword?: string | undefined;
  botTenantId?: string | undefined;
  /** Default SingleTenant: new multi-tenant registrations cannot be created since 31 July 2025. */
  botType?: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI' | undefined;
  /**
   * An HTTP proxy for the Bot Framework's own calls (its signing-key metadata and the Bot
   * Connector), for networks that reach Microsoft only through one. Default: direct.
   */
  proxy?: { host: string; port: number } | undefined;
  /**
   * UserAssignedMSI: makes the credential for the identity's client id. Default: @azure/identity's
   * ManagedIdentityCredential, which finds the platform's endpoint (IDENTITY_ENDPOINT/IDENTITY_HEADER
   * on Container Apps and App Service, IMDS elsewhere).
   */
  managedIdentityCredential?: (clientId: string) => TokenCredential;
  log?: Logger;
  metrics?: InvokeMetrics;
  /** Monotonic milliseconds, for invoke timing. Default performance.now. */
  clock?: () => number;
}

export function authenticationOptions(options: BotAdapterOptions): ConfigurationBotFrameworkAuthenticationOptions {
  const auth: ConfigurationBotFrameworkAuthenticationOptions = {};
  if (!options.botId) return auth;
  const type = options.botType ?? 'SingleTenant';
  if (type !== 'MultiTenant' && !options.botTenantId) {
    throw new CodedError('invalid-config', `BOT_TENANT_ID: is not set but BOT_TYPE is ${type}. Set the tenant id of the bot's app registration or managed identity.`);
  }
  if (type === 'UserAssignedMSI' && options.botPassword) {
    throw new CodedError('invalid-config', 'BOT_PASSWORD: is set but BOT_TYPE is UserAssignedMSI. A managed-identity bot has no secret: remove BOT_PASSWORD.');
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

/** Network failures while fetching signing keys: name resolution, refused or dropped connections. */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

type AuthenticateRequestResult = Awaited<ReturnType<ConfigurationBotFrameworkAuthentication['authenticateRequest']>>;

function isNetworkFailure(error: Error): boolean {
  // node-fetch (which botframework-connector uses for the OpenID metadata) names its errors so.
  if (error.name === 'FetchError') return true;
  const code = (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && NETWORK_ERROR_CODES.has(code);
}

/**
 * What an authentication failure means for the caller: 503 when the bot could not fetch the
 * signing keys to check the token with (its own problem, worth retrying), else 401.
 * botframework-connector reports a metadata endpoint that answered with an error as an
 * AuthenticationError with status 500, and a network failure as the fetch library's own error.
 */
export function authenticationFailureStatus(error: unknown): 401 | 503 {
  if (!(error instanceof Error)) return 401;
  // botframework-connector's AuthenticationError is an Error with a numeric statusCode (it is not
  // re-exported by botbuilder, so it is recognised by shape).
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  if (typeof statusCode === 'number') return statusCode === 500 ? 503 : 401;
  return isNetworkFailure(error) ? 503 : 401;
}

const REFUSALS = {
  401: { code: 'Unauthorized', message: 'The request does not carry a valid Bot Framework token.' },
  503: { code: 'ServiceUnavailable', message: 'The bot cannot check Bot Framework tokens right now. Try again later.' },
} as const;

/** Turns the JSON dates of an activity into Dates, keeping the original strings (as botbuilder does). */
function activityFrom(body: Record<string, unknown>): Activity {
  const activity = { ...body };
  for (const [field, raw] of [['timestamp', 'rawTimestamp'], ['expiration', 'rawExpiration'], ['localTimestamp', 'rawLocalTimestamp']] as const) {
    const value = activity[field];
    if (typeof value === 'string') {
      activity[raw] = value;
      activity[field] = new Date(value);
    }
  }
  return activity as unknown as Activity;
}

export class BridgeCloudAdapter extends CloudAdapter {
  private readonly log: Logger;
  readonly #metrics: InvokeMetrics | undefined;
  readonly #clock: () => number;

  constructor(authentication: ConfigurationBotFrameworkAuthentication, log: Logger, timing: { metrics?: InvokeMetrics | undefined; clock?: (() => number) | undefined } = {}) {
    super(authentication);
    this.log = log;
    this.#metrics = timing.metrics;
    this.#clock = timing.clock ?? (() => performance.now());
  }

  /**
   * Authenticates the request, runs `logic` for its activity and writes the response. The caller
   * has checked that the body is an activity. A failed authentication is answered 401 or 503 with a
   * fixed text (the detail goes to the log); an error in the turn itself is thrown to the caller.
   */
  async handleRequest(req: Request, res: Response, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    const receivedAt = this.#clock();
    const activity = activityFrom(req.body ?? {});
    if (activity.type !== 'invoke') {
      await this.#answer(activity, req, res, logic);
      return;
    }
    // Teams waits about 5 s for an invoke's answer, authentication included: timed from arrival.
    let status = 500;
    try {
      status = await this.#answer(activity, req, res, logic);
    } finally {
      this.#metrics?.observeInvoke(invokeNameOf(activity.name), status, (this.#clock() - receivedAt) / 1000);
    }
  }

  /** Returns the status answered; throws when the turn failed before an answer. */
  async #answer(activity: Activity, req: Request, res: Response, logic: (context: TurnContext) => Promise<void>): Promise<number> {
    const header = req.headers['authorization'] ?? req.headers['Authorization'];
    let authenticated: AuthenticateRequestResult;
    try {
      authenticated = await this.botFrameworkAuthentication.authenticateRequest(activity, typeof header === 'string' ? header : '');
    } catch (error) {
      const status = authenticationFailureStatus(error);
      const context = { err: error, status, activityType: activity.type, channelId: activity.channelId };
      if (status === 503) this.log.error(context, 'could not fetch the Bot Framework signing keys; request refused');
      else this.log.info(context, 'request refused: its Bot Framework token is missing or invalid');
      res.status(status);
      if (status === 503) res.header('retry-after', '30');
      res.send(REFUSALS[status]);
      res.end();
      return status;
    }
    const invokeResponse = await this.processActivity(authenticated, activity, logic);
    const status = invokeResponse?.status ?? 200;
    res.status(status);
    if (invokeResponse?.body !== undefined) res.send(invokeResponse.body);
    res.end();
    return status;
  }
}

/**
 * Logs a failed turn with its context and tells the user, briefly, without internals. For invoke
 * activities (card buttons) the apology goes into the invoke response, which Teams is waiting for.
 */
export function installTurnErrorHandler(adapter: BotAdapter, log: Logger): void {
  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    const activity = context.activity;
    const apology = reportUnexpected(
      log,
      error,
      { activityType: activity.type, activityName: activity.name, conversationId: activity.conversation?.id, activityId: activity.id },
      'unhandled error in bot turn',
    );
    try {
      if (activity.type === 'invoke') {
        await context.sendActivity({
          type: 'invokeResponse',
          value: { status: 200, body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: apology } },
        });
      } else if (activity.type === 'message') {
        await context.sendActivity(apology);
      }
    } catch (sendError) {
      log.warn({ err: sendError }, 'could not send the apology');
    }
  };
}

/**
 * UserAssignedMSI's credentials factory. botbuilder's own (through ConfigurationServiceClientCredentialFactory)
 * asks DefaultAzureCredential, whose first choice is EnvironmentCredential: with the portals'
 * AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE) set, the
 * bot would get a token of the portal app instead of its own identity and the Bot Connector would
 * answer 401. So the managed identity is asked directly, and for the bot's client id only.
 */
function managedIdentityFactory(options: BotAdapterOptions): ServiceClientCredentialsFactory | undefined {
  if (!options.botId || options.botType !== 'UserAssignedMSI') return undefined;
  const make = options.managedIdentityCredential ?? ((clientId: string) => new ManagedIdentityCredential({ clientId }));
  // botframework-connector types the provider as DefaultAzureCredential but only ever calls getToken(scope).
  const provider = { createAzureServiceTokenProvider: (appId: string) => make(appId) } as unknown as IJwtTokenProviderFactory;
  return new ManagedIdentityServiceClientCredentialsFactory(options.botId, provider);
}

export function createBotAdapter(options: BotAdapterOptions = {}): BridgeCloudAdapter {
  const log = options.log ?? createSilentLogger();
  const authentication = new ConfigurationBotFrameworkAuthentication(
    authenticationOptions(options),
    managedIdentityFactory(options),
    undefined,
    undefined,
    options.proxy ? { proxySettings: options.proxy } : undefined,
  );
  const adapter = new BridgeCloudAdapter(authentication, log, { metrics: options.metrics, clock: options.clock });
  installTurnErrorHandler(adapter, log);
  return adapter;
}
