import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionStringProblem, loadConfig, printableConfig } from '../../src/config/config.ts';
import { readEnvironment } from '../../src/config/env-files.ts';
import { localEnv, problemsOf } from './support/local-env.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('loadConfig', () => {
  test('env/.env.local is a complete, valid local configuration', () => {
    const config = loadConfig(localEnv());
    expect(config.localMode).toBe(true);
    expect(config.port).toBe(3978);
    expect(config.simulators.mode).toBe('embedded');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.pairs).toHaveLength(1);
    expect(config.pairs[0]).toMatchObject({ id: 'default', workspace: 'soc-workspace' });
    expect(config.sync.pollIntervalSeconds).toBe(2);
    expect(config.sync.defenderWritableFields).not.toContain('severity');
    expect(config.access.analysts).toBeUndefined();
    expect(config.extraLinkHosts).toEqual(['localhost']);
  });

  test('process environment overrides the env file', () => {
    const env = readEnvironment(ROOT, { TEAMSFX_ENV: 'local', PORT: '4000', ANALYSTS: 'a@contoso.com, b@contoso.com' });
    const config = loadConfig(env);
    expect(config.port).toBe(4000);
    expect(config.access.analysts).toEqual(['a@contoso.com', 'b@contoso.com']);
  });

  test('ANALYSTS and APPROVERS take object ids, UPNs and group ids; anything else is refused at start', () => {
    const group = '6b3c8f1e-2a4d-4c8e-9f10-1b2c3d4e5f60';
    const config = loadConfig(localEnv({ ANALYSTS: `${group}, ann@contoso.com`, APPROVERS: '00000000-0000-0000-0000-0000000000020' }));
    expect(config.access).toEqual({ analysts: [group, 'ann@contoso.com'], approvers: ['00000000-0000-0000-0000-0000000000020'] });
    const problems = problemsOf(localEnv({ ANALYSTS: 'SOC Analysts', APPROVERS: 'bob' }));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^ANALYSTS: 'SOC Analysts' is not valid \('SOC Analysts' is neither an object or group id/);
    expect(problems[0]).toContain('GroupMember.Read.All');
    expect(problems[1]).toMatch(/^APPROVERS: 'bob' is not valid/);
  });

  test('the AZURE_* identity reads the directories of tenants without a pair, when it is complete', () => {
    expect(loadConfig(localEnv()).appIdentity).toEqual({ tenantId: '00000000-0000-4000-8000-000000000001', identity: { credentialType: 'secret', clientId: '00000000-0000-4000-8000-0000000000c1', clientSecret: 'local-simulator-secret' } });
    const pairs = JSON.stringify([{ id: 'contoso', tenantId: 'contoso.example', clientId: 'pair-app', clientSecret: 'pair-secret', subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws' }]);
    expect(loadConfig(localEnv({ SYNC_PAIRS: pairs, AZURE_CLIENT_SECRET: undefined })).appIdentity).toBeUndefined();
  });

  test('TEAMS_APP_ID turns war rooms on: a GUID, or unset for none; anything else is refused naming it', () => {
    expect(loadConfig(localEnv()).teamsAppId).toBe('6f1e9b3c-2a4d-4c8e-9f10-1b2c3d4e5f60');
    expect(loadConfig(localEnv({ TEAMS_APP_ID: '' })).teamsAppId).toBeUndefined();
    expect(() => loadConfig(localEnv({ TEAMS_APP_ID: 'incident-bridge' }))).toThrow(/TEAMS_APP_ID: 'incident-bridge' is not valid \(must be a GUID\)/);
  });

  test("TEAMS_TENANT_REQUESTS_PER_SECOND sets Teams' per-tenant limit: 50 by default (Microsoft's page), a whole number from 3 to 1,000", () => {
    expect(loadConfig(localEnv()).teamsTenantRequestsPerSecond).toBe(50);
    expect(loadConfig(localEnv({ TEAMS_TENANT_REQUESTS_PER_SECOND: '30' })).teamsTenantRequestsPerSecond).toBe(30);
    for (const bad of ['2', '30.5', 'fifty', '1001']) {
      expect(() => loadConfig(localEnv({ TEAMS_TENANT_REQUESTS_PER_SECOND: bad }))).toThrow(/TEAMS_TENANT_REQUESTS_PER_SECOND: '.*' is not valid/);
    }
  });

  test('a missing value names the variable and says what to set', () => {
    const problems = problemsOf(localEnv({ GRAPH_ENDPOINT: undefined }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^GRAPH_ENDPOINT: is not set\. Microsoft Graph base URL/);
  });

  test('malformed values are each reported, all at once', () => {
    const problems = problemsOf(localEnv({ PORT: 'eighty', ARM_ENDPOINT: 'http://insecure.example', LOG_LEVEL: 'loud', POLL_INTERVAL_SECONDS: '-1' }));
    expect(problems.map((p) => p.split(':')[0])).toEqual(['ARM_ENDPOINT', 'PORT', 'LOG_LEVEL', 'POLL_INTERVAL_SECONDS']);
    expect(problems.join('\n')).toMatch(/https:\/\//);
  });

  test('the error message is readable on its own', () => {
    expect(() => loadConfig(localEnv({ DATABASE_URL: 'mysql://x' }))).toThrow(/DATABASE_URL: 'mysql:\/\/x' is not valid \(must start with postgres:\/\/\)/);
  });

  test('a real tenant requires Bot Framework credentials', () => {
    const problems = problemsOf(localEnv({ SIMULATORS: 'off', TEAMSFX_ENV: 'dev' }));
    expect(problems.some((p) => p.startsWith('BOT_ID: is not set'))).toBe(true);
    expect(problemsOf(localEnv({ BOT_ID: 'abc' })).some((p) => p.startsWith('BOT_PASSWORD'))).toBe(true);
  });

  describe('local mode follows the portal endpoints in use', () => {
    const REAL = { GRAPH_ENDPOINT: 'https://graph.microsoft.com', ARM_ENDPOINT: 'https://management.azure.com', AUTHORITY_HOST: 'https://login.microsoftonline.com' };

    test('external simulators with the real Graph, ARM and login endpoints are not local: BOT_ID is required', () => {
      const problems = problemsOf(localEnv({ SIMULATORS: 'external', ...REAL }));
      const botId = problems.find((p) => p.startsWith('BOT_ID:'));
      expect(botId).toMatch(/GRAPH_ENDPOINT \(https:\/\/graph\.microsoft\.com\) is not a simulator/);
      expect(botId).toMatch(/Bot Framework authentication is required/);
    });

    test.each([
      ['GRAPH_ENDPOINT', 'https://graph.microsoft.com'],
      ['ARM_ENDPOINT', 'https://management.azure.com'],
      ['AUTHORITY_HOST', 'https://login.microsoftonline.com'],
      ['ARM_ENDPOINT', 'https://10.0.0.5:4443'],
      ['GRAPH_ENDPOINT', 'https://localhost.attacker.example:4443'],
    ])('one endpoint off loopback (%s=%s) is enough to leave local mode', (name, url) => {
      const problems = problemsOf(localEnv({ SIMULATORS: 'external', [name]: url }));
      expect(problems.find((p) => p.startsWith('BOT_ID:'))).toContain(`${name} (${url})`);
      const config = loadConfig(localEnv({ SIMULATORS: 'external', [name]: url, BOT_ID: 'bot-app', BOT_PASSWORD: 'secret', BOT_TENANT_ID: 'bot-tenant' }));
      expect(config.localMode).toBe(false);
    });

    test.each([['https://localhost:4443'], ['https://127.0.0.1:4443'], ['https://127.8.9.10:4443'], ['https://[::1]:4443']])('external simulators on loopback (%s) are local mode', (url) => {
      const config = loadConfig(localEnv({ SIMULATORS: 'external', GRAPH_ENDPOINT: url, ARM_ENDPOINT: url, AUTHORITY_HOST: url }));
      expect(config.localMode).toBe(true);
      expect(config.bot.id).toBeUndefined();
    });

    test('embedded simulators are local: the bridge calls them whatever the endpoint variables say', () => {
      expect(loadConfig(localEnv({ SIMULATORS: 'embedded', ...REAL })).localMode).toBe(true);
    });

    test('SIMULATORS=off is never local mode, even with loopback endpoints', () => {
      const problems = problemsOf(localEnv({ SIMULATORS: 'off' }));
      expect(problems.find((p) => p.startsWith('BOT_ID:'))).toContain('SIMULATORS is off');
    });
  });

  test('ALLOWED_TENANTS lists further tenants; env/.env.local allows the Agents Playground\'s', () => {
    expect(loadConfig(localEnv({ ALLOWED_TENANTS: ' t-soc-1, t-soc-2 ,' })).allowedTenants).toEqual(['t-soc-1', 't-soc-2']);
    expect(loadConfig(localEnv()).allowedTenants).toEqual(['00000000-0000-0000-0000-0000000000001']);
  });

  test('a pair may share its incidents with other pairs, by id', () => {
    const pairs = [
      { id: 'contoso', tenantId: 't1', clientId: 'c1', subscriptionId: 's1', resourceGroup: 'rg1', workspace: 'w1', sharedWith: ['fabrikam'] },
      { id: 'fabrikam', tenantId: 't2', clientId: 'c2', subscriptionId: 's2', resourceGroup: 'rg2', workspace: 'w2' },
    ];
    const config = loadConfig(localEnv({ SYNC_PAIRS: JSON.stringify(pairs) }));
    expect(config.pairs.map((p) => [p.id, p.sharedWith])).toEqual([
      ['contoso', ['fabrikam']],
      ['fabrikam', []],
    ]);
    expect(problemsOf(localEnv({ SYNC_PAIRS: JSON.stringify([{ ...pairs[0], sharedWith: ['northwind'] }, pairs[1]]) }))[0]).toMatch(/^SYNC_PAIRS: pair 'contoso' shares with 'northwind', which is not a pair id/);
    expect(problemsOf(localEnv({ SYNC_PAIRS: JSON.stringify([{ ...pairs[0], sharedWith: ['contoso'] }, pairs[1]]) }))[0]).toMatch(/lists itself/);
    expect(problemsOf(localEnv({ SYNC_PAIRS: JSON.stringify([{ ...pairs[0], sharedWith: 'fabrikam' }, pairs[1]]) }))[0]).toMatch(/^SYNC_PAIRS: 0\.sharedWith/);
  });

  test("a pair may have a display name: plain text, 1 to 64 characters, naming one pair", () => {
    const pairs = [
      { id: 'contoso', name: 'Contoso Ltd.', tenantId: 't1', clientId: 'c1', subscriptionId: 's1', resourceGroup: 'rg1', workspace: 'w1' },
      { id: 'fabrikam', tenantId: 't2', clientId: 'c2', subscriptionId: 's2', resourceGroup: 'rg2', workspace: 'w2' },
    ];
    expect(loadConfig(localEnv({ SYNC_PAIRS: JSON.stringify(pairs) })).pairs.map((p) => p.name)).toEqual(['Contoso Ltd.', undefined]);
    const named = (name: unknown, other: Partial<(typeof pairs)[number]> = {}) =>
      problemsOf(localEnv({ SYNC_PAIRS: JSON.stringify([{ ...pairs[0], name }, { ...pairs[1], ...other }]) }));
    expect(named('x'.repeat(65))).toEqual([expect.stringMatching(/^SYNC_PAIRS: the name of pair 'contoso' is longer than 64 characters\. A name is 1 to 64 characters of plain text/)]);
    expect(named('')[0]).toMatch(/name of pair 'contoso' is empty/);
    expect(named(' Contoso')[0]).toMatch(/starts or ends with a space/);
    expect(named('Contoso <b>Ltd</b>')[0]).toMatch(/contains '<', which is markup in Teams messages or cards/);
    expect(named('[Contoso](https://evil.example)')[0]).toMatch(/contains '\['/);
    expect(named('Contoso ${x}')[0]).toMatch(/contains '\$'/);
    expect(named('Contoso\u202Edtl')[0]).toMatch(/contains a text-direction character \(U\+202E\)/);
    expect(named('Contoso\nLtd')[0]).toMatch(/contains a line break/);
    expect(named(42)[0]).toMatch(/^SYNC_PAIRS: 0\.name: Expected string/);
    // The problem never repeats the name: it may be anything.
    expect(named('Contoso <script>')[0]).not.toContain('<script>');
    expect(named('Contoso Ltd', { name: 'contoso  LTD' } as never)).toEqual([
      "SYNC_PAIRS: pairs 'contoso' and 'fabrikam' have the same name; give each customer its own, so tenant=<name> names one pair.",
    ]);
    expect(named('Fabrikam')).toEqual(["SYNC_PAIRS: the name of pair 'contoso' is the id of pair 'fabrikam'; tenant=fabrikam must name one pair."]);
  });

  test('SYNC_PAIRS configures several tenant/workspace pairs for MSSPs', () => {
    const pairs = [
      { id: 'contoso', tenantId: 't1', clientId: 'c1', subscriptionId: 's1', resourceGroup: 'rg1', workspace: 'w1' },
      { id: 'fabrikam', tenantId: 't2', clientId: 'c2', clientSecret: 'own', subscriptionId: 's2', resourceGroup: 'rg2', workspace: 'w2' },
    ];
    const config = loadConfig(localEnv({ SYNC_PAIRS: JSON.stringify(pairs) }));
    expect(config.pairs.map((p) => [p.id, p.identity])).toEqual([
      ['contoso', { credentialType: 'secret', clientId: 'c1', clientSecret: 'local-simulator-secret' }],
      ['fabrikam', { credentialType: 'secret', clientId: 'c2', clientSecret: 'own' }],
    ]);
    expect(problemsOf(localEnv({ SYNC_PAIRS: '[{"id":"x"}' }))[0]).toMatch(/^SYNC_PAIRS: is not valid JSON/);
    expect(problemsOf(localEnv({ SYNC_PAIRS: JSON.stringify([pairs[0], pairs[0]]) }))[0]).toMatch(/used twice/);
  });

  test('capability profile is configurable and validated', () => {
    expect(loadConfig(localEnv({ DEFENDER_WRITABLE_FIELDS: 'status,tags' })).sync.defenderWritableFields).toEqual(['status', 'tags']);
    expect(problemsOf(localEnv({ DEFENDER_WRITABLE_FIELDS: 'status,colour' }))[0]).toMatch(/^DEFENDER_WRITABLE_FIELDS/);
  });
});

describe('APPLICATIONINSIGHTS_CONNECTION_STRING', () => {
  const KEY = '3f2b8c1d-4e5a-4b6c-8d7e-9f0a1b2c3d4e';
  const VALID = `InstrumentationKey=${KEY};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/;LiveEndpoint=https://westeurope.livediagnostics.monitor.azure.com/;ApplicationId=0a1b2c3d`;

  test('unset exports nothing; a connection string from the portal is taken as is, and the printable form hides it', () => {
    expect(loadConfig(localEnv()).applicationInsightsConnectionString).toBeUndefined();
    expect(loadConfig(localEnv({ APPLICATIONINSIGHTS_CONNECTION_STRING: '  ' })).applicationInsightsConnectionString).toBeUndefined();
    const config = loadConfig(localEnv({ APPLICATIONINSIGHTS_CONNECTION_STRING: VALID }));
    expect(config.applicationInsightsConnectionString).toBe(VALID);
    expect(loadConfig(localEnv({ APPLICATIONINSIGHTS_CONNECTION_STRING: `instrumentationkey=${KEY}` })).applicationInsightsConnectionString).toBe(`instrumentationkey=${KEY}`);
    const printed = JSON.stringify(printableConfig(config));
    expect(printed).not.toContain(KEY);
    expect(printed).toContain('"applicationInsightsConnectionString":"[redacted]"');
  });

  test.each([
    ['an instrumentation key alone', KEY, 'is not a list of Key=value settings'],
    ['no InstrumentationKey', 'IngestionEndpoint=https://dc.services.visualstudio.com/', 'has no InstrumentationKey'],
    ['a key that is no GUID', `InstrumentationKey=${KEY.slice(0, 30)};`, 'InstrumentationKey that is not a GUID'],
    ['a plain-HTTP endpoint', `InstrumentationKey=${KEY};IngestionEndpoint=http://collector.internal/`, 'ingestionendpoint that is not an https:// URL'],
    ['an overlong value', `InstrumentationKey=${KEY};Tail=${'x'.repeat(4100)}`, 'longer than 4096 characters'],
  ])('%s is refused at start, naming the variable and never the value', (_what, value, reason) => {
    const problems = problemsOf(localEnv({ APPLICATIONINSIGHTS_CONNECTION_STRING: value }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^APPLICATIONINSIGHTS_CONNECTION_STRING: /);
    expect(problems[0]).toContain(reason);
    expect(problems[0]).not.toContain(KEY.slice(0, 30));
    expect(connectionStringProblem(value)).not.toBeNull();
  });
});

describe('readEnvironment', () => {
  test('reads env/.env.<name> then .user secrets, process env last', () => {
    const root = mkdtempSync(join(tmpdir(), 'ib-env-'));
    mkdirSync(join(root, 'env'));
    writeFileSync(join(root, 'env', '.env.dev'), 'A=file\nB=file\nC=file\n');
    writeFileSync(join(root, 'env', '.env.dev.user'), 'B=user\nC=user\n');
    const env = readEnvironment(root, { TEAMSFX_ENV: 'dev', C: 'process' });
    expect([env['A'], env['B'], env['C']]).toEqual(['file', 'user', 'process']);
  });

  test('refuses an environment name that could escape env/', () => {
    expect(() => readEnvironment(ROOT, { TEAMSFX_ENV: '../etc' })).toThrow(/not a valid environment name/);
  });
});

describe('PORTAL_CA_FILE', () => {
  const external = { SIMULATORS: 'external', GRAPH_ENDPOINT: 'https://localhost:4443', ARM_ENDPOINT: 'https://localhost:4443', AUTHORITY_HOST: 'https://localhost:4443' };

  test('with SIMULATORS=external it is the CA the simulators write under DATA_DIR, wherever DATA_DIR is', () => {
    expect(loadConfig(localEnv(external)).portalCaFile).toBe(join('.data', 'simulators', 'ca-cert.pem'));
    expect(loadConfig(localEnv({ ...external, DATA_DIR: '/srv/bridge-data' })).portalCaFile).toBe('/srv/bridge-data/simulators/ca-cert.pem');
  });

  test('set explicitly, it wins; embedded simulators hand their CA over and need none', () => {
    expect(loadConfig(localEnv({ ...external, DATA_DIR: '/srv/bridge-data', PORTAL_CA_FILE: '/etc/ssl/sim-ca.pem' })).portalCaFile).toBe('/etc/ssl/sim-ca.pem');
    expect(loadConfig(localEnv()).portalCaFile).toBeUndefined();
  });
});

describe('runtime flags', () => {
  test('npm start runs with the documented V8 heap limits, Node replacing npm\'s script shell (exec) so npm\'s signals reach it', async () => {
    const { RUNTIME_FLAGS } = await import('../../src/runtime-flags.ts');
    const pkg = JSON.parse((await import('node:fs')).readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['start']).toBe(`exec node ${RUNTIME_FLAGS.join(' ')} src/main.ts`);
    expect(pkg.scripts['simulators']).toMatch(/^exec node /);
  });
});
