// The portals' identity modes and the bot's identity in the configuration: each mode names what it
// is missing, SYNC_PAIRS entries may differ, and no secret ever reaches a message or the printable form.
import { describe, expect, test } from '@jest/globals';
import { loadConfig, printableConfig } from '../../src/config/config.ts';
import { localEnv, problemsOf } from './support/local-env.ts';

const SECRET = 'pa55-very-secret-value';
const BOT_SECRET = 'bot-secret-value-42';
const DB_PASSWORD = 'db-password-77';

describe('portal identity modes', () => {
  test('secret stays the default', () => {
    expect(loadConfig(localEnv()).pairs[0]!.identity).toEqual({ credentialType: 'secret', clientId: '00000000-0000-4000-8000-0000000000c1', clientSecret: 'local-simulator-secret' });
  });

  test.each([
    ['certificate', { AZURE_CLIENT_CERTIFICATE_PATH: '/secrets/portal.pem' }, { credentialType: 'certificate', clientId: 'app-1', certificatePath: '/secrets/portal.pem' }],
    ['managedIdentity', {}, { credentialType: 'managedIdentity', clientId: 'app-1' }],
    ['workloadIdentity', { AZURE_FEDERATED_TOKEN_FILE: '/var/run/secrets/azure/tokens/azure-identity-token' }, { credentialType: 'workloadIdentity', clientId: 'app-1', federatedTokenFile: '/var/run/secrets/azure/tokens/azure-identity-token' }],
  ])('%s: the identity comes from its variables, and no secret is needed', (mode, extra, identity) => {
    const config = loadConfig(localEnv({ AZURE_CREDENTIAL: mode, AZURE_CLIENT_ID: 'app-1', AZURE_CLIENT_SECRET: undefined, ...extra }));
    expect(config.pairs[0]!.identity).toEqual(identity);
  });

  test('a system-assigned managed identity needs no client id', () => {
    expect(loadConfig(localEnv({ AZURE_CREDENTIAL: 'managedIdentity', AZURE_CLIENT_ID: undefined, AZURE_CLIENT_SECRET: undefined })).pairs[0]!.identity).toEqual({ credentialType: 'managedIdentity' });
  });

  test.each([
    ['secret', { AZURE_CLIENT_SECRET: undefined }, /^AZURE_CLIENT_SECRET: is not set but AZURE_CREDENTIAL is secret\./],
    ['certificate', {}, /^AZURE_CLIENT_CERTIFICATE_PATH: is not set but AZURE_CREDENTIAL is certificate\. PEM file/],
    ['workloadIdentity', {}, /^AZURE_FEDERATED_TOKEN_FILE: is not set but AZURE_CREDENTIAL is workloadIdentity\./],
    ['workloadIdentity', { AZURE_CLIENT_ID: undefined, AZURE_FEDERATED_TOKEN_FILE: '/t' }, /^AZURE_CLIENT_ID: is not set but AZURE_CREDENTIAL is workloadIdentity\./],
    ['certificate', { AZURE_CLIENT_ID: undefined, AZURE_CLIENT_CERTIFICATE_PATH: '/c.pem' }, /^AZURE_CLIENT_ID: is not set but AZURE_CREDENTIAL is certificate\./],
  ])('%s names the missing variable', (mode, extra, message) => {
    const problems = problemsOf(localEnv({ AZURE_CREDENTIAL: mode, ...extra }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  test('an unknown mode is refused with the list of modes', () => {
    expect(problemsOf(localEnv({ AZURE_CREDENTIAL: 'password' }))[0]).toMatch(/^AZURE_CREDENTIAL: 'password' is not valid\. One of secret, certificate, managedIdentity, workloadIdentity/);
  });

  test('SYNC_PAIRS: each pair may use its own mode and identity, falling back to the AZURE_* variables', () => {
    const place = { subscriptionId: 's', resourceGroup: 'rg', workspace: 'w' };
    const pairs = [
      { id: 'own-tenant', tenantId: 't0', credential: 'managedIdentity', clientId: 'mi-1', ...place },
      { id: 'contoso', tenantId: 't1', credential: 'certificate', clientId: 'app-contoso', certificatePath: '/certs/contoso.pem', ...place, workspace: 'w1' },
      { id: 'fabrikam', tenantId: 't2', clientId: 'app-fabrikam', ...place, workspace: 'w2' },
    ];
    const config = loadConfig(localEnv({ SYNC_PAIRS: JSON.stringify(pairs) }));
    expect(config.pairs.map((pair) => [pair.id, pair.identity])).toEqual([
      ['own-tenant', { credentialType: 'managedIdentity', clientId: 'mi-1' }],
      ['contoso', { credentialType: 'certificate', clientId: 'app-contoso', certificatePath: '/certs/contoso.pem' }],
      ['fabrikam', { credentialType: 'secret', clientId: 'app-fabrikam', clientSecret: 'local-simulator-secret' }],
    ]);
    const missing = problemsOf(localEnv({ SYNC_PAIRS: JSON.stringify([{ ...pairs[1], certificatePath: undefined }]) }));
    expect(missing).toEqual([expect.stringMatching(/^SYNC_PAIRS: pair 'contoso' uses credential 'certificate' but has no certificatePath and AZURE_CLIENT_CERTIFICATE_PATH is not set\./)]);
    expect(problemsOf(localEnv({ SYNC_PAIRS: JSON.stringify([{ ...pairs[0], credential: 'magic' }]) }))[0]).toMatch(/^SYNC_PAIRS: 0\.credential: /);
  });
});

describe('secrets stay out of messages and the printable form', () => {
  test('the printable configuration has no secret, password or database password', () => {
    const config = loadConfig(
      localEnv({ AZURE_CLIENT_SECRET: SECRET, BOT_ID: 'bot-1', BOT_TENANT_ID: 't', BOT_PASSWORD: BOT_SECRET, DATABASE_URL: `postgres://bridge:${DB_PASSWORD}@db.internal:5432/bridge` }),
    );
    const printed = JSON.stringify(printableConfig(config));
    for (const secret of [SECRET, BOT_SECRET, DB_PASSWORD]) expect(printed).not.toContain(secret);
    expect(printed).toContain('[redacted]');
    expect(printed).toContain('postgres://bridge:[redacted]@db.internal:5432/bridge');
    // The real values are still there for the credentials.
    expect(JSON.stringify(config)).toContain(SECRET);
  });

  test('no problem message repeats a secret, even when the rest is invalid', () => {
    const env = localEnv({
      AZURE_CLIENT_SECRET: SECRET,
      BOT_ID: 'bot-1',
      BOT_TYPE: 'UserAssignedMSI',
      BOT_PASSWORD: BOT_SECRET,
      DATABASE_URL: `mysql://bridge:${DB_PASSWORD}@db.internal/bridge`,
      SYNC_PAIRS: JSON.stringify([{ id: 'x', tenantId: 't', clientId: 'c', clientSecret: 12345, subscriptionId: 's', resourceGroup: 'r', workspace: 'w' }]),
      PORT: 'eighty',
    });
    let message = '';
    try {
      loadConfig(env);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/BOT_PASSWORD: is set but BOT_TYPE is UserAssignedMSI/);
    expect(message).toMatch(/DATABASE_URL: 'mysql:\/\/bridge:\[redacted\]@db\.internal\/bridge' is not valid/);
    for (const secret of [SECRET, BOT_SECRET, DB_PASSWORD, '12345']) expect(message).not.toContain(secret);
  });
});

describe('bot identity', () => {
  test('SingleTenant is the default and needs BOT_PASSWORD and BOT_TENANT_ID', () => {
    expect(loadConfig(localEnv()).bot.type).toBe('SingleTenant');
    const problems = problemsOf(localEnv({ BOT_ID: 'bot-1' }));
    expect(problems).toEqual([expect.stringMatching(/^BOT_PASSWORD: is not set but BOT_ID is/), expect.stringMatching(/^BOT_TENANT_ID: is not set but BOT_TYPE is SingleTenant/)]);
  });

  test('UserAssignedMSI starts without BOT_PASSWORD (and refuses one)', () => {
    const config = loadConfig(localEnv({ BOT_TYPE: 'UserAssignedMSI', BOT_ID: 'mi-bot', BOT_TENANT_ID: 't' }));
    expect(config.bot).toEqual({ id: 'mi-bot', password: undefined, tenantId: 't', type: 'UserAssignedMSI' });
    expect(problemsOf(localEnv({ BOT_TYPE: 'UserAssignedMSI', BOT_ID: 'mi-bot' }))).toEqual([expect.stringMatching(/^BOT_TENANT_ID: is not set but BOT_TYPE is UserAssignedMSI/)]);
  });

  test('MultiTenant stays accepted for existing registrations, without a tenant id', () => {
    expect(loadConfig(localEnv({ BOT_TYPE: 'MultiTenant', BOT_ID: 'bot-1', BOT_PASSWORD: BOT_SECRET })).bot.type).toBe('MultiTenant');
    expect(problemsOf(localEnv({ BOT_TYPE: 'Anonymous' }))[0]).toMatch(/^BOT_TYPE: 'Anonymous' is not valid\. One of SingleTenant, UserAssignedMSI, MultiTenant/);
  });
});
