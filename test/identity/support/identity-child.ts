// Runs one managed-identity token path in a process of its own, because @azure/identity (through
// MSAL) finds the managed-identity endpoint in process.env (IDENTITY_ENDPOINT, IDENTITY_HEADER)
// and caches managed-identity tokens process-wide: neither may leak into other tests.
// CHILD_MODE=portal: the portal credential (createPortalConnection) asks for CHILD_SCOPE.
// CHILD_MODE=bot: a UserAssignedMSI bot adapter sends one message to CHILD_SERVICE_URL.
// Prints one JSON line: {ok: true, token?} or {ok: false, message}.
import { readFileSync } from 'node:fs';
import { createPortalConnection } from '../../../src/portals/http/credential.ts';
import { createBotAdapter } from '../../../src/bot/adapter.ts';

const env = process.env;

async function portal(): Promise<{ token: string }> {
  const { credential } = createPortalConnection({
    tenantId: env['CHILD_TENANT_ID']!,
    authorityHost: env['CHILD_AUTHORITY_HOST']!,
    credentialType: 'managedIdentity',
    ...(env['CHILD_CLIENT_ID'] ? { clientId: env['CHILD_CLIENT_ID'] } : {}),
    caCertPem: readFileSync(env['CHILD_CA_FILE']!, 'utf8'),
  });
  const token = await credential.getToken(env['CHILD_SCOPE']!);
  if (!token) throw new Error('no token');
  return { token: token.token };
}

async function bot(): Promise<Record<string, never>> {
  const botId = env['CHILD_CLIENT_ID']!;
  const adapter = createBotAdapter({ botId, botTenantId: env['CHILD_TENANT_ID']!, botType: 'UserAssignedMSI' });
  const reference = {
    bot: { id: `28:${botId}`, name: 'Incident Bridge' },
    channelId: 'msteams',
    serviceUrl: env['CHILD_SERVICE_URL']!,
    conversation: { id: '19:channel@thread.tacv2', name: 'SOC', conversationType: 'channel', tenantId: env['CHILD_TENANT_ID']!, isGroup: true },
  };
  await adapter.continueConversationAsync(botId, reference, async (context) => {
    await context.sendActivity('sent as the managed identity');
  });
  return {};
}

try {
  const result = env['CHILD_MODE'] === 'bot' ? await bot() : await portal();
  process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, message: error instanceof Error ? error.message : String(error) })}\n`);
}
