// Configuration is a pure function of the environment: loadConfig(env) validates every variable
// once at start and either returns a typed Config or throws a ConfigError that lists each problem
// with the variable to set. Nothing else in the product reads process.env.
import { z } from 'zod';
import { EDITABLE_FIELDS, type EditableField } from '../domain/incident.ts';
import { CodedError } from '../domain/errors.ts';
import { isLoopbackUrl } from './loopback.ts';
import type { PortalIdentity } from '../domain/portal-identity.ts';
import { pairIdentityFields, printableIdentity, readIdentityVariables, resolveIdentity } from './portal-identity.ts';
import { readBotIdentity, type BotIdentity } from './bot-identity.ts';
import { simulatorCaCertPath } from '../simulators/paths.ts';
import { REPLICA_NAME_PATTERN } from '../replicas/replica-name.ts';
import { MAX_PAIR_NAME_LENGTH, pairNameProblem } from '../domain/pair-names.ts';
import { DEFAULT_TENANT_REQUESTS_PER_SECOND, TENANT_REQUESTS_PER_SECOND_RANGE } from '../bot/send-policy.ts';

export type SimulatorMode = 'embedded' | 'external' | 'off';

/** One (tenant, Sentinel workspace) pair the bridge keeps in sync. MSSPs configure several. */
export interface PairConfig {
  id: string;
  /** How chat and cards name the customer (SYNC_PAIRS `name`); unset: the id. */
  name?: string;
  tenantId: string;
  /** The app identity this pair reads and writes its portals with (AZURE_CREDENTIAL and friends). */
  identity: PortalIdentity;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  /**
   * Ids of other pairs whose tenants' conversations may also see this pair's incidents (MSSP
   * customers that share). Empty: only this pair's own tenant and the SOC tenants see them.
   */
  sharedWith: string[];
}

export interface Config {
  envName: string;
  /**
   * Local mode: every portal endpoint in use is a simulator on this machine's loopback interface.
   * Only then may Bot Framework authentication be off and everyone be an analyst by default.
   */
  localMode: boolean;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  /**
   * REPLICA_NAME: the name this replica's leases are held under, kept across restarts so a
   * restarted replica resumes what it held at once. Unset: the host name (replicas/replica-name.ts).
   */
  replicaName?: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  endpoints: { graph: string; arm: string; authorityHost: string };
  /**
   * PEM file of an extra CA to trust for portal calls. Never disables checking. Unset with
   * SIMULATORS=external: the CA the simulators write under DATA_DIR (embedded ones hand theirs over).
   */
  portalCaFile: string | undefined;
  simulators: { mode: SimulatorMode; port: number; url: string; eventsPerMinute: number };
  bot: BotIdentity;
  /**
   * Tenants, besides the bot's own (BOT_TENANT_ID), whose Teams conversations are answered and see
   * every pair (the MSSP's SOC). The pairs' tenants are answered too, each seeing its own pairs.
   */
  allowedTenants: string[];
  pairs: PairConfig[];
  /**
   * The AZURE_* identity in AZURE_TENANT_ID, when its variables are complete (with SYNC_PAIRS they
   * may be only defaults). It reads the directories of served tenants that have no pair.
   */
  appIdentity: { tenantId: string; identity: PortalIdentity } | undefined;
  sync: {
    pollIntervalSeconds: number;
    /** Capability profile: fields Graph PATCH may write. Severity is in no documented revision. */
    defenderWritableFields: EditableField[];
    sentinelApiVersion: string;
    /** One change note per edit in Defender naming the analyst (Graph cannot record who changed a field). */
    changeNotes: boolean;
  };
  access: { analysts: string[] | undefined; approvers: string[] };
  approvals: { expiryHours: number; integrationMethod: 'defenderPortal' | 'azurePortal' };
  /** Teams' per-app per-tenant request limit the proactive sends stay under (TEAMS_TENANT_REQUESTS_PER_SECOND). */
  teamsTenantRequestsPerSecond: number;
  /** Extra https hosts allowed in card links (the local simulators' host in local mode). */
  extraLinkHosts: string[];
  /**
   * APPLICATIONINSIGHTS_CONNECTION_STRING: where OpenTelemetry exports to (Azure Monitor); unset,
   * nothing is exported and the exporter is never loaded. It names the resource's instrumentation
   * key: printableConfig hides it.
   */
  applicationInsightsConnectionString: string | undefined;
  /**
   * The Teams app's id (its manifest id, TEAMS_APP_ID): war rooms install the app in their chat by
   * it. Unset: war rooms are not offered.
   */
  teamsAppId: string | undefined;
}

export class ConfigError extends CodedError<'invalid-config'> {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('invalid-config', `Configuration is invalid:\n  - ${problems.join('\n  - ')}\nSet these in env/.env.<env> or the process environment (see README, "Configuration").`);
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const httpsUrl = z
  .string()
  .url()
  .refine((value) => value.startsWith('https://'), 'must be an https:// URL (the SDKs refuse to send tokens over plain HTTP)')
  .transform((value) => value.replace(/\/+$/, ''));

const port = z.coerce.number().int().min(0).max(65535);
const guidOrName = z.string().min(1);
const list = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item.length > 0));

// Entra object ids and group ids are GUIDs; a UPN is name@domain. Anything else (a display name, a
// group's name, a typo) would match nobody, silently: refuse it at start instead. The last group may
// be longer than a GUID's: the Agents Playground's user id is 00000000-0000-0000-0000-0000000000020.
const ACCESS_ENTRY = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12,}|[^\s@]+@[^\s@]+)$/i;
const accessList = list.pipe(
  z.array(z.string()).superRefine((entries, context) => {
    for (const entry of entries) {
      if (!ACCESS_ENTRY.test(entry)) context.addIssue({ code: z.ZodIssueCode.custom, message: `'${entry}' is neither an object or group id (a GUID) nor a UPN (name@domain)` });
    }
  }),
);
const ACCESS_LIST_HINT =
  'Comma-separated Entra user object ids, UPNs or security group object ids (Entra admin center > Groups > the group > Object ID). Group ids need the Graph permissions User.Read.All and GroupMember.Read.All (README, "Roles by group").';

/** Seconds between delta polls unless POLL_INTERVAL_SECONDS says otherwise. */
export const DEFAULT_POLL_INTERVAL_SECONDS = 2;
const DEFENDER_WRITABLE_DEFAULT: EditableField[] = ['title', 'description', 'status', 'classification', 'owner', 'tags'];

const pairSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/i, 'use letters, digits and dashes'),
  name: z.string().optional(),
  tenantId: guidOrName,
  ...pairIdentityFields,
  subscriptionId: guidOrName,
  resourceGroup: guidOrName,
  workspace: guidOrName,
  sharedWith: z.array(z.string().min(1)).default([]),
});

/** Reads `name` through `schema`, recording a problem that names the variable instead of throwing. */
function read<T>(env: Env, problems: string[], name: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>, hint: string): T | undefined {
  const raw = env[name];
  const result = schema.safeParse(raw === '' ? undefined : raw);
  if (result.success) return result.data;
  const reason = result.error.issues.map((issue) => issue.message).join('; ');
  // A URL's password never goes into a message (DATABASE_URL may carry one).
  const shown = raw?.replace(/(\/\/[^:/@]*):[^@/]*@/, '$1:[redacted]@');
  problems.push(`${name}: ${raw === undefined || raw === '' ? 'is not set' : `'${shown}' is not valid (${reason})`}. ${hint}`);
  return undefined;
}

/**
 * Null when every portal endpoint the bridge will call is a simulator on loopback (local mode),
 * else why not. Embedded simulators always listen on https://localhost, and the bridge follows
 * them whatever the endpoint variables say; otherwise the variables are what it calls.
 */
function whyNotLocal(mode: SimulatorMode, endpoints: Record<'GRAPH_ENDPOINT' | 'ARM_ENDPOINT' | 'AUTHORITY_HOST', string | undefined>): string | null {
  if (mode === 'off') return 'SIMULATORS is off';
  if (mode === 'embedded') return null;
  for (const [name, url] of Object.entries(endpoints)) {
    if (url === undefined) return `${name} is not set`;
    if (!isLoopbackUrl(url)) return `${name} (${url}) is not a simulator on this machine's loopback interface`;
  }
  return null;
}

/** Azure Monitor's documented limit for a connection string. */
const CONNECTION_STRING_MAX_LENGTH = 4096;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What is wrong with an Application Insights connection string (`Key=value;Key=value`, with an
 * InstrumentationKey GUID and any *Endpoint an https URL), or null. Never quotes the value: it
 * carries the resource's instrumentation key.
 */
export function connectionStringProblem(value: string): string | null {
  if (value.length > CONNECTION_STRING_MAX_LENGTH) return `is longer than ${CONNECTION_STRING_MAX_LENGTH} characters`;
  const settings = new Map<string, string>();
  for (const part of value.split(';').map((segment) => segment.trim()).filter((segment) => segment.length > 0)) {
    const separator = part.indexOf('=');
    if (separator <= 0) return 'is not a list of Key=value settings separated by semicolons';
    settings.set(part.slice(0, separator).trim().toLowerCase(), part.slice(separator + 1).trim());
  }
  const key = settings.get('instrumentationkey');
  if (key === undefined) return 'has no InstrumentationKey';
  if (!GUID.test(key)) return 'has an InstrumentationKey that is not a GUID';
  for (const [name, url] of settings) {
    if (!name.endsWith('endpoint')) continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (parsed?.protocol !== 'https:') return `has a ${name} that is not an https:// URL`;
  }
  return null;
}

export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const r = <T>(name: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>, hint: string) => read(env, problems, name, schema, hint);

  const envName = r('TEAMSFX_ENV', z.string().default('local'), 'Name of the env file in env/, e.g. local or dev.') ?? 'local';
  const simulatorMode =
    r('SIMULATORS', z.enum(['embedded', 'external', 'off']).optional(), "Set 'embedded' (default locally), 'external' (already running, see npm run simulators) or 'off' (real tenant).") ??
    (envName === 'local' ? 'embedded' : 'off');
  const simPort = r('SIM_PORT', port.default(4443), 'Port of the local simulators, e.g. 4443.') ?? 4443;
  const simUrl = r('SIM_URL', httpsUrl.default(`https://localhost:${simPort}`), 'Base URL of the simulators, e.g. https://localhost:4443.');

  const endpointHint = simulatorMode === 'off' ? '' : 'With the simulators this is their URL, e.g. https://localhost:4443.';
  const graph = r('GRAPH_ENDPOINT', httpsUrl, `Microsoft Graph base URL: https://graph.microsoft.com. ${endpointHint}`);
  const arm = r('ARM_ENDPOINT', httpsUrl, `Azure Resource Manager base URL: https://management.azure.com. ${endpointHint}`);
  const authorityHost = r('AUTHORITY_HOST', httpsUrl, `Entra ID authority: https://login.microsoftonline.com. ${endpointHint}`);
  const notLocal = whyNotLocal(simulatorMode, { GRAPH_ENDPOINT: graph, ARM_ENDPOINT: arm, AUTHORITY_HOST: authorityHost });
  const localMode = notLocal === null;

  const tenantId = r('AZURE_TENANT_ID', guidOrName, 'Directory (tenant) id of the app registration.');
  const identityVariables = readIdentityVariables(env, problems);
  const subscriptionId = r('SENTINEL_SUBSCRIPTION_ID', guidOrName, 'Azure subscription id of the Sentinel workspace.');
  const resourceGroup = r('SENTINEL_RESOURCE_GROUP', guidOrName, 'Resource group of the Sentinel workspace.');
  const workspace = r('SENTINEL_WORKSPACE', guidOrName, 'Log Analytics workspace name that has Sentinel.');

  let pairs: PairConfig[] = [];
  const pairsJson = env['SYNC_PAIRS'];
  if (pairsJson) {
    try {
      const parsed = z.array(pairSchema).min(1).safeParse(JSON.parse(pairsJson));
      if (!parsed.success) {
        problems.push(`SYNC_PAIRS: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}. Expected a JSON array of {id, name?, tenantId, subscriptionId, resourceGroup, workspace, credential?, clientId?, clientSecret?, certificatePath?, federatedTokenFile?}.`);
      } else {
        const ids = new Set<string>();
        for (const pair of parsed.data) {
          if (ids.has(pair.id)) problems.push(`SYNC_PAIRS: pair id '${pair.id}' is used twice; ids must be unique.`);
          ids.add(pair.id);
          const { credential, clientId, clientSecret, certificatePath, federatedTokenFile, name, ...place } = pair;
          const identity = resolveIdentity({ credential, clientId, clientSecret, certificatePath, federatedTokenFile }, identityVariables, pair.id, problems);
          const nameProblem = name === undefined ? null : pairNameProblem(name);
          if (nameProblem) problems.push(`SYNC_PAIRS: the name of pair '${pair.id}' ${nameProblem}. A name is 1 to ${MAX_PAIR_NAME_LENGTH} characters of plain text, e.g. "Contoso Ltd".`);
          if (identity) pairs.push({ ...place, ...(name !== undefined && !nameProblem ? { name } : {}), identity });
        }
      }
    } catch {
      problems.push('SYNC_PAIRS: is not valid JSON. Expected a JSON array of pairs, or leave it unset to use AZURE_* and SENTINEL_* for one pair.');
    }
  } else {
    const identity = resolveIdentity({}, identityVariables, undefined, problems);
    if (identity && tenantId && subscriptionId && resourceGroup && workspace) pairs = [{ id: 'default', tenantId, identity, subscriptionId, resourceGroup, workspace, sharedWith: [] }];
  }
  problems.push(...pairNameClashes(pairs));
  for (const pair of pairs) {
    for (const other of pair.sharedWith) {
      if (other === pair.id) problems.push(`SYNC_PAIRS: pair '${pair.id}' lists itself in sharedWith; list the ids of other pairs whose tenants may see its incidents.`);
      else if (!pairs.some((candidate) => candidate.id === other)) problems.push(`SYNC_PAIRS: pair '${pair.id}' shares with '${other}', which is not a pair id. Known ids: ${pairs.map((p) => p.id).join(', ')}.`);
    }
  }

  const bot = readBotIdentity(env, problems, notLocal);
  // Problems are the pairs' to report: without SYNC_PAIRS the same identity is the default pair's.
  const appCredential = tenantId ? resolveIdentity({}, identityVariables, undefined, []) : undefined;

  const dataDir = r('DATA_DIR', z.string().min(1).default('./.data'), 'Folder for the embedded database and simulator state.') ?? './.data';
  const writable = r(
    'DEFENDER_WRITABLE_FIELDS',
    list.pipe(z.array(z.enum(EDITABLE_FIELDS))).optional(),
    `Comma-separated subset of ${EDITABLE_FIELDS.join(', ')}.`,
  );

  const config: Config = {
    envName,
    localMode,
    port: r('PORT', port.default(3978), 'Port of the bot endpoint, e.g. 3978.') ?? 3978,
    dataDir,
    databaseUrl: r('DATABASE_URL', z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres://').optional(), 'PostgreSQL connection string, e.g. postgres://user@host:5432/db; unset for the embedded database.'),
    replicaName: r(
      'REPLICA_NAME',
      z.string().regex(REPLICA_NAME_PATTERN, 'must be 1 to 63 letters, digits, dots, dashes or underscores, starting with a letter or digit').optional(),
      "This replica's own name, e.g. bridge-1 (unique among running replicas; a restart keeps it). Unset: the host name.",
    ),
    logLevel: r('LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), 'One of fatal, error, warn, info, debug, trace, silent.') ?? 'info',
    endpoints: { graph: graph ?? '', arm: arm ?? '', authorityHost: authorityHost ?? '' },
    portalCaFile:
      r('PORTAL_CA_FILE', z.string().optional(), 'PEM file of an extra CA to trust for portal calls.') ?? (simulatorMode === 'external' ? simulatorCaCertPath(dataDir) : undefined),
    simulators: {
      mode: simulatorMode,
      port: simPort,
      url: simUrl ?? '',
      eventsPerMinute: r('SIM_EVENTS_PER_MINUTE', z.coerce.number().min(0).max(600).default(6), 'Sample incident activity per minute, 0 to 600.') ?? 6,
    },
    bot,
    allowedTenants: r('ALLOWED_TENANTS', list.default(''), 'Comma-separated Entra tenant ids whose Teams conversations see every pair.') ?? [],
    pairs,
    appIdentity: tenantId && appCredential ? { tenantId, identity: appCredential } : undefined,
    sync: {
      // Graph's documented security budget is 150 requests/min per app per tenant. One delta list
      // call per portal every 2 s is 30/min, a fifth of it, leaving the rest for writes and paging.
      pollIntervalSeconds: r('POLL_INTERVAL_SECONDS', z.coerce.number().min(0.2).max(3600).default(DEFAULT_POLL_INTERVAL_SECONDS), 'Seconds between delta polls, e.g. 2.') ?? DEFAULT_POLL_INTERVAL_SECONDS,
      defenderWritableFields: writable ?? DEFENDER_WRITABLE_DEFAULT,
      sentinelApiVersion: r('SENTINEL_API_VERSION', z.string().regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/).default('2025-09-01'), 'An ARM api-version such as 2025-09-01.') ?? '2025-09-01',
      changeNotes: (r('CHANGE_NOTES', z.enum(['on', 'off']).default('on'), "'on' (one note per edit in Defender naming the analyst) or 'off'.") ?? 'on') === 'on',
    },
    access: {
      analysts: r('ANALYSTS', accessList.optional(), ACCESS_LIST_HINT),
      approvers: r('APPROVERS', accessList.default(''), ACCESS_LIST_HINT) ?? [],
    },
    approvals: {
      expiryHours: r('CONNECTOR_REQUEST_EXPIRY_HOURS', z.coerce.number().positive().max(24 * 30).default(24), 'Hours before a connector change request expires, e.g. 24.') ?? 24,
      // ARM has no property for it: the workspace is onboarded to the Defender portal, or not.
      integrationMethod:
        r('CONNECTOR_INTEGRATION_METHOD', z.enum(['defenderPortal', 'azurePortal']).default('defenderPortal'), "How the workspace is integrated: 'defenderPortal' (onboarded to the unified portal) or 'azurePortal'.") ?? 'defenderPortal',
    },
    // Microsoft's rate-limit page says 50 requests per second per app per tenant (it once said 30);
    // a tenant Microsoft has told otherwise sets its own figure.
    teamsTenantRequestsPerSecond:
      r(
        'TEAMS_TENANT_REQUESTS_PER_SECOND',
        z.coerce.number().int().min(TENANT_REQUESTS_PER_SECOND_RANGE.min).max(TENANT_REQUESTS_PER_SECOND_RANGE.max).default(DEFAULT_TENANT_REQUESTS_PER_SECOND),
        `Teams' per-app per-tenant limit in requests per second, a whole number from ${TENANT_REQUESTS_PER_SECOND_RANGE.min} to ${TENANT_REQUESTS_PER_SECOND_RANGE.max}, e.g. ${DEFAULT_TENANT_REQUESTS_PER_SECOND}.`,
      ) ?? DEFAULT_TENANT_REQUESTS_PER_SECOND,
    extraLinkHosts: localMode && simUrl ? [new URL(simUrl).hostname] : [],
    applicationInsightsConnectionString: readConnectionString(env, problems),
    teamsAppId: r(
      'TEAMS_APP_ID',
      z.string().uuid('must be a GUID').optional(),
      "The Teams app's id (manifest id; atk provision writes it): war rooms add the app to their chat by it. Unset: no war rooms.",
    ),
  };

  if (pairs.length === 0 && !pairsJson && problems.length === 0) {
    problems.push('SYNC_PAIRS: no tenant/workspace pair is configured. Set AZURE_* and SENTINEL_* for one pair, or SYNC_PAIRS for several.');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * `tenant=` takes a pair's id or its name, so no two may read the same (case and spacing aside):
 * two equal names, or a name that is another pair's id.
 */
function pairNameClashes(pairs: readonly PairConfig[]): string[] {
  const fold = (value: string) => value.trim().replace(/\s+/g, ' ').toLowerCase();
  const problems: string[] = [];
  pairs.forEach((pair, index) => {
    if (pair.name === undefined) return;
    const name = fold(pair.name);
    const sameName = pairs.slice(0, index).find((other) => other.name !== undefined && fold(other.name) === name);
    if (sameName) problems.push(`SYNC_PAIRS: pairs '${sameName.id}' and '${pair.id}' have the same name; give each customer its own, so tenant=<name> names one pair.`);
    const idClash = pairs.find((other) => other !== pair && fold(other.id) === name);
    if (idClash) problems.push(`SYNC_PAIRS: the name of pair '${pair.id}' is the id of pair '${idClash.id}'; tenant=${idClash.id} must name one pair.`);
  });
  return problems;
}

/** APPLICATIONINSIGHTS_CONNECTION_STRING, checked; a problem names the variable, never the value. */
function readConnectionString(env: Env, problems: string[]): string | undefined {
  const value = env['APPLICATIONINSIGHTS_CONNECTION_STRING']?.trim();
  if (!value) return undefined;
  const problem = connectionStringProblem(value);
  if (problem === null) return value;
  problems.push(
    `APPLICATIONINSIGHTS_CONNECTION_STRING: ${problem}. Copy the connection string from the Application Insights resource's Overview page (InstrumentationKey=...;IngestionEndpoint=https://...), or unset it to export no telemetry.`,
  );
  return undefined;
}

/**
 * The configuration as it may be printed or logged: the portal secrets, the bot password, the
 * database URL's password and the Application Insights connection string are replaced. Certificate
 * and token files are named, never read.
 */
export function printableConfig(config: Config): unknown {
  const databaseUrl = config.databaseUrl?.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/, '$1:[redacted]@');
  return {
    ...config,
    databaseUrl,
    bot: { ...config.bot, password: config.bot.password ? '[redacted]' : undefined },
    pairs: config.pairs.map((pair) => ({ ...pair, identity: printableIdentity(pair.identity) })),
    appIdentity: config.appIdentity ? { ...config.appIdentity, identity: printableIdentity(config.appIdentity.identity) } : undefined,
    applicationInsightsConnectionString: config.applicationInsightsConnectionString ? '[redacted]' : undefined,
  };
}
