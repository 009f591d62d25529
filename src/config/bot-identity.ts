// The Azure Bot registration's identity in the configuration (BOT_*). New multi-tenant bot
// registrations cannot be created since 31 July 2025, so SingleTenant is the default;
// MultiTenant stays accepted for registrations made before then. UserAssignedMSI has no secret:
// the bot is the deployment's user-assigned managed identity (BOT_ID is its client id).
import { z } from 'zod';

export const BOT_TYPES = ['SingleTenant', 'UserAssignedMSI', 'MultiTenant'] as const;
export type BotType = (typeof BOT_TYPES)[number];

export interface BotIdentity {
  id: string | undefined;
  password: string | undefined;
  tenantId: string | undefined;
  type: BotType;
}

type Env = Readonly<Record<string, string | undefined>>;

const set = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

/** `notLocal`: why this is not a local run (a portal endpoint that is no loopback simulator), or null when it is. */
export function readBotIdentity(env: Env, problems: string[], notLocal: string | null): BotIdentity {
  const id = set(env['BOT_ID']);
  const password = set(env['BOT_PASSWORD']);
  const tenantId = set(env['BOT_TENANT_ID']);
  const rawType = set(env['BOT_TYPE']);
  const parsed = z.enum(BOT_TYPES).safeParse(rawType ?? 'SingleTenant');
  if (!parsed.success) problems.push(`BOT_TYPE: '${rawType}' is not valid. One of ${BOT_TYPES.join(', ')} (default SingleTenant).`);
  const type: BotType = parsed.success ? parsed.data : 'SingleTenant';

  if (!id) {
    if (notLocal !== null) {
      problems.push(`BOT_ID: is not set, and ${notLocal}, so this is not local mode: Bot Framework authentication is required. Set BOT_ID and BOT_TENANT_ID, and BOT_PASSWORD unless BOT_TYPE is UserAssignedMSI (or point every portal endpoint at the local simulators).`);
    }
    return { id: undefined, password, tenantId, type };
  }
  if (type === 'UserAssignedMSI') {
    if (password) problems.push('BOT_PASSWORD: is set but BOT_TYPE is UserAssignedMSI. A managed-identity bot has no secret: remove BOT_PASSWORD.');
  } else if (!password) {
    problems.push(`BOT_PASSWORD: is not set but BOT_ID is. Set the client secret of the bot app registration (BOT_TYPE ${type}), use BOT_TYPE=UserAssignedMSI for a managed-identity bot, or unset BOT_ID for local clients.`);
  }
  if (type !== 'MultiTenant' && !tenantId) problems.push(`BOT_TENANT_ID: is not set but BOT_TYPE is ${type}. Set the tenant id of the bot's app registration or managed identity.`);
  return { id, password, tenantId, type };
}
