// The deployment templates, checked without Azure or a Bicep compiler: the Bicep files are read as
// text, the Agents Toolkit files as YAML. What is checked is what would otherwise only fail in a
// real deployment: a setting the bridge does not know, a ${{VAR}} nothing defines, parameters
// that do not match, probes, replicas and the Sentinel role.
import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const SENTINEL_CONTRIBUTOR = 'ab8e14d6-4a74-4a29-9ba8-549422addade';

/**
 * The variables the bridge's configuration reads: every all-caps string literal in the config
 * module (each one is a variable name: `r('PORT', ...)`, `env['SYNC_PAIRS']`) and the env file
 * reader. Read from the source, so the configuration stays the only list.
 */
function knownVariables(): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync(join(ROOT, 'src/config')).map((name) => `src/config/${name}`)) {
    for (const match of read(file).matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{3,})'/g)) names.add(match[1] ?? '');
  }
  return names;
}

/** The text from `start` up to the first line that is exactly `end`. */
function block(text: string, start: string, end: string): string {
  const from = text.indexOf(start);
  if (from < 0) throw new Error(`'${start}' not found`);
  const to = text.indexOf(`\n${end}\n`, from);
  if (to < 0) throw new Error(`no '${end}' after '${start}'`);
  return text.slice(from, to);
}

const bicep = read('infra/azure.bicep');
const botBicep = read('infra/botRegistration/azurebot.bicep');
const roleBicep = read('infra/sentinel/workspaceRole.bicep');

interface BicepParam {
  name: string;
  hasDefault: boolean;
  secure: boolean;
  decorators: string[];
  defaultValue: string | undefined;
}
function bicepParams(text: string): BicepParam[] {
  const params: BicepParam[] = [];
  let decorators: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('@')) decorators.push(line);
    else if (line.startsWith('param ')) {
      const match = /^param (\w+) \w+(?: = (.*))?$/.exec(line);
      if (!match) throw new Error(`unparsable param: ${line}`);
      params.push({ name: match[1] ?? '', hasDefault: match[2] !== undefined, defaultValue: match[2], secure: decorators.includes('@secure()'), decorators });
      decorators = [];
    } else if (line.trim() !== '' && !line.startsWith('//')) decorators = [];
  }
  return params;
}
const bicepOutputs = (text: string) => [...text.matchAll(/^output (\w+) /gm)].map((match) => match[1] ?? '');

/** `NAME=value` lines of an env file; SECRET_* also from commented `# SECRET_X=` lines, since their values live in the git-ignored .user file. */
function envFileVariables(path: string): Set<string> {
  const names = new Set<string>();
  for (const line of read(path).split('\n')) {
    const assigned = /^([A-Z][A-Z0-9_]*)=/.exec(line);
    if (assigned) names.add(assigned[1] ?? '');
    const secret = /^#\s*(SECRET_[A-Z0-9_]+)=/.exec(line);
    if (secret) names.add(secret[1] ?? '');
  }
  return names;
}

const PLACEHOLDER = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
function placeholders(value: unknown): string[] {
  if (typeof value === 'string') return [...value.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '');
  if (Array.isArray(value)) return value.flatMap(placeholders);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(placeholders);
  return [];
}

interface Action {
  uses: string;
  name?: string;
  with?: Record<string, unknown>;
  writeToEnvironmentFile?: Record<string, string>;
}
interface Lifecycle {
  version: string;
  environmentFolderPath?: string;
  provision?: Action[];
  deploy?: Action[];
  publish?: Action[];
}
const LIFECYCLE_FILES = { 'm365agents.yml': 'env/.env.dev', 'm365agents.local.yml': 'env/.env.local', 'm365agents.playground.yml': 'env/.env.playground' } as const;
const lifecycles = Object.fromEntries(Object.keys(LIFECYCLE_FILES).map((file) => [file, parseYaml(read(file)) as Lifecycle])) as Record<keyof typeof LIFECYCLE_FILES, Lifecycle>;
const armTemplates = (action: Action) => (action.with?.['templates'] ?? []) as { path: string; parameters?: string; deploymentName: string }[];

/**
 * Walks provision, deploy and publish in the order a person runs them. Each action may use what
 * the env file defines and what earlier actions wrote (writeToEnvironmentFile, Bicep outputs,
 * a script's ::set-teamsfx-env). Returns each use of an undefined variable.
 */
function undefinedVariables(file: keyof typeof LIFECYCLE_FILES): string[] {
  const defined = envFileVariables(LIFECYCLE_FILES[file]);
  const problems: string[] = [];
  const lifecycle = lifecycles[file];
  for (const stage of ['provision', 'deploy', 'publish'] as const) {
    for (const [index, action] of (lifecycle[stage] ?? []).entries()) {
      const where = `${file} ${stage}[${index}] ${action.uses}`;
      const used = placeholders(action.with);
      for (const template of action.uses === 'arm/deploy' ? armTemplates(action) : []) {
        if (template.parameters) used.push(...placeholders(JSON.parse(read(template.parameters)) as unknown));
      }
      for (const name of used) if (!defined.has(name)) problems.push(`${where}: ${name}`);
      for (const name of Object.values(action.writeToEnvironmentFile ?? {})) defined.add(name);
      for (const template of action.uses === 'arm/deploy' ? armTemplates(action) : []) for (const name of bicepOutputs(read(template.path))) defined.add(name);
      if (action.uses === 'script') {
        for (const match of String(action.with?.['run'] ?? '').matchAll(/::set-teamsfx-env ([A-Z][A-Z0-9_]*)=/g)) defined.add(match[1] ?? '');
      }
    }
  }
  return problems;
}

describe('container settings', () => {
  const known = knownVariables();
  const appEnv = block(bicep, 'var appEnv = ', ')');
  const passed = [...appEnv.matchAll(/\bname: '([^']+)'/g)].map((match) => match[1] ?? '');

  test('the known set is read from the configuration (sanity)', () => {
    for (const name of ['PORT', 'DATABASE_URL', 'BOT_ID', 'BOT_PASSWORD', 'SYNC_PAIRS', 'TEAMSFX_ENV', 'SENTINEL_WORKSPACE']) expect(known).toContain(name);
    expect(known).not.toContain('RESOURCE_SUFFIX');
  });

  test('every environment variable passed to the container is one the bridge reads', () => {
    expect(passed.length).toBeGreaterThan(15);
    expect(passed.filter((name) => !known.has(name))).toEqual([]);
    expect(new Set(passed).size).toBe(passed.length);
  });

  test('the container app uses exactly that list, and settings for a real tenant are there', () => {
    expect(bicep.match(/\benv: /g)).toHaveLength(1);
    expect(bicep).toMatch(/\n\s+env: appEnv\n/);
    expect(passed).toEqual(expect.arrayContaining(['SIMULATORS', 'DATABASE_URL', 'BOT_ID', 'BOT_TYPE', 'BOT_TENANT_ID', 'AZURE_CLIENT_SECRET', 'BOT_PASSWORD']));
    expect(appEnv).toMatch(/\{ name: 'SIMULATORS', value: 'off' \}/);
  });

  test('secrets reach the container only as Key Vault references read with the managed identity', () => {
    const secretRefs = [...appEnv.matchAll(/\{ name: '([A-Z_]+)', secretRef: '([a-z-]+)' \}/g)].map((match) => [match[1], match[2]]);
    expect(Object.fromEntries(secretRefs)).toEqual({
      DATABASE_URL: 'database-url',
      AZURE_CLIENT_SECRET: 'azure-client-secret',
      BOT_PASSWORD: 'bot-password',
      APPLICATIONINSIGHTS_CONNECTION_STRING: 'appinsights-connection-string',
    });
    const secrets = block(bicep, 'var appSecrets = ', ')');
    for (const [, secret] of secretRefs) {
      expect(secrets).toMatch(new RegExp(`\\{ name: '${secret}', keyVaultUrl: '\\$\\{vaultSecretsUrl\\}/[^']+', identity: identity\\.id \\}`));
    }
    expect(secrets).not.toMatch(/\bvalue:/);
    // The managed identity may read the vault's secrets (Key Vault Secrets User) before the app starts.
    expect(bicep).toMatch(/keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'/);
    expect(bicep).toMatch(/dependsOn: \[secretsUser, acrPull, database\]/);
    // No secret is ever a plain container setting.
    expect(appEnv).not.toMatch(/name: '(DATABASE_URL|AZURE_CLIENT_SECRET|BOT_PASSWORD)', value:/);
  });

  test('the port is the bridge\'s default everywhere: container, ingress, probes, Dockerfile', () => {
    const port = bicepParams(bicep).find((param) => param.name === 'containerPort');
    expect(port?.defaultValue).toBe('3978');
    expect(read('src/config/config.ts')).toMatch(/r\('PORT', port\.default\(3978\)/);
    expect(bicep).toMatch(/targetPort: containerPort\n/);
    expect(read('Dockerfile')).toMatch(/^EXPOSE 3978$/m);
  });
});

describe('Container Apps', () => {
  const probes = block(bicep, 'var probes = ', ']');

  test('liveness asks /livez and readiness /readyz on the bridge\'s port', () => {
    const probe = (type: string) => new RegExp(`type: '${type}'\\n\\s+httpGet: \\{ path: '([^']+)', port: containerPort \\}`).exec(probes)?.[1];
    expect(probe('Liveness')).toBe('/livez');
    expect(probe('Readiness')).toBe('/readyz');
    expect(probe('Startup')).toBe('/livez');
    expect(bicep).toMatch(/\n\s+probes: probes\n/);
  });

  test('at least two replicas, whatever the parameters say', () => {
    const param = bicepParams(bicep).find((p) => p.name === 'minReplicas');
    expect(Number(param?.defaultValue)).toBeGreaterThanOrEqual(2);
    expect(param?.decorators).toContain('@minValue(2)');
    expect(bicep).toMatch(/scale: \{\n\s+minReplicas: minReplicas\n/);
  });

  test('the app runs as the user-assigned identity and pulls from the registry with it', () => {
    expect(bicep).toMatch(/identity: \{\n\s+type: 'UserAssigned'\n\s+userAssignedIdentities: \{ '\$\{identity\.id\}': \{\} \}/);
    expect(bicep).toMatch(/registries: \[\{ server: registry\.properties\.loginServer, identity: identity\.id \}\]/);
    expect(bicep).toMatch(/acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'/);
  });
});

describe('PostgreSQL', () => {
  test('a flexible server with the bridge\'s database, on a delegated subnet without public access, TLS verified', () => {
    expect(bicep).toMatch(/resource postgres 'Microsoft\.DBforPostgreSQL\/flexibleServers@[\d-]+'/);
    expect(bicep).toMatch(/resource database 'Microsoft\.DBforPostgreSQL\/flexibleServers\/databases@[\d-]+' = \{\n\s+parent: postgres/);
    expect(bicep).toMatch(/publicNetworkAccess: 'Disabled'/);
    expect(bicep).toMatch(/delegatedSubnetResourceId: '\$\{vnet\.id\}\/subnets\/postgres'/);
    expect(bicep).toMatch(/serviceName: 'Microsoft\.DBforPostgreSQL\/flexibleServers'/);
    // The connection string the config accepts (postgres://...), with the password URL-encoded.
    expect(bicep).toMatch(/value: 'postgres:\/\/\$\{postgresAdminLogin\}:\$\{uriComponent\(postgresAdminPassword\)\}@[^']+\?sslmode=verify-full'/);
  });
});

describe('roles', () => {
  test('Microsoft Sentinel Contributor on the Sentinel workspace for the managed identity', () => {
    expect(bicep).toMatch(new RegExp(`sentinelContributor: '${SENTINEL_CONTRIBUTOR}'`));
    const module = block(bicep, "module sentinelRoleForIdentity './sentinel/workspaceRole.bicep' = {", '}');
    expect(module).toMatch(/scope: resourceGroup\(sentinelSubscriptionId, sentinelResourceGroup\)/);
    expect(module).toMatch(/workspaceName: sentinelWorkspace/);
    expect(module).toMatch(/principalId: identity\.properties\.principalId/);
    expect(module).toMatch(/roleDefinitionId: roles\.sentinelContributor/);
    expect(roleBicep).toMatch(/resource assignment 'Microsoft\.Authorization\/roleAssignments@[\d-]+' = \{\n\s+scope: workspace\n/);
    expect(roleBicep).toMatch(/roleDefinitionId: subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', roleDefinitionId\)/);
  });
});

describe('Azure Bot', () => {
  test('SingleTenant by default or UserAssignedMSI, never multi-tenant, with the Teams channel', () => {
    const type = bicepParams(bicep).find((param) => param.name === 'botAppType');
    expect(type?.defaultValue).toBe("'SingleTenant'");
    expect(type?.decorators).toContain("@allowed(['SingleTenant', 'UserAssignedMSI'])");
    expect(botBicep).toMatch(/@allowed\(\['SingleTenant', 'UserAssignedMSI'\]\)\nparam botAppType string/);
    for (const property of ["kind: 'azurebot'", "location: 'global'", 'msaAppType: botAppType', 'msaAppId: botAppId', 'msaAppTenantId: botTenantId', "msaAppMSIResourceId: botAppType == 'UserAssignedMSI' ? identityResourceId : null", "channelName: 'MsTeamsChannel'"]) {
      expect(botBicep).toContain(property);
    }
    expect(botBicep).toContain("endpoint: 'https://${botAppDomain}/api/messages'");
    expect(bicep).toMatch(/var botAppId = botAppType == 'UserAssignedMSI' \? identity\.properties\.clientId : botAadAppClientId/);
  });

  test('the bot secret exists, as a Key Vault secret and a container setting, only for SingleTenant', () => {
    expect(bicep).toMatch(/var botUsesSecret = botAppType == 'SingleTenant'/);
    expect(bicep).toMatch(/resource botPasswordSecret '[^']+' = if \(botUsesSecret\)/);
    expect(bicep).toMatch(/botUsesSecret \? \[\{ name: 'BOT_PASSWORD', secretRef: 'bot-password' \}\] : \[\]/);
  });
});

describe('parameters', () => {
  const file = JSON.parse(read('infra/azure.parameters.json')) as { parameters: Record<string, { value: unknown }> };
  const params = bicepParams(bicep);

  test('infra/azure.parameters.json sets only parameters the Bicep has, and every one without a default', () => {
    const names = new Set(params.map((param) => param.name));
    expect(Object.keys(file.parameters).filter((name) => !names.has(name))).toEqual([]);
    expect(params.filter((param) => !param.hasDefault && !(param.name in file.parameters)).map((param) => param.name)).toEqual([]);
  });

  test('secure parameters come only from SECRET_* variables (the .user file), never literal values', () => {
    for (const param of params.filter((p) => p.secure)) {
      expect([param.name, file.parameters[param.name]?.value]).toEqual([param.name, expect.stringMatching(/^\$\{\{SECRET_[A-Z0-9_]+\}\}$/)]);
    }
    expect(params.filter((p) => p.secure).map((p) => p.name).sort()).toEqual(['azureClientSecret', 'botPassword', 'postgresAdminPassword']);
  });

  test('the bot registration module gets every parameter it declares without a default', () => {
    const module = block(bicep, "module azureBotRegistration './botRegistration/azurebot.bicep' = {", '}');
    const given = new Set([...module.matchAll(/^\s{4}(\w+): /gm)].map((match) => match[1] ?? ''));
    const required = bicepParams(botBicep).filter((param) => !param.hasDefault).map((param) => param.name);
    expect(required.filter((name) => !given.has(name))).toEqual([]);
    expect([...given].filter((name) => !bicepParams(botBicep).some((param) => param.name === name))).toEqual([]);
  });
});

describe('Agents Toolkit files', () => {
  test('schema version v1.11 and the env folder, in each file', () => {
    for (const [file, lifecycle] of Object.entries(lifecycles)) {
      expect([file, lifecycle.version, lifecycle.environmentFolderPath]).toEqual([file, 'v1.11', './env']);
      expect(read(file).split('\n')[0]).toBe('# yaml-language-server: $schema=https://aka.ms/m365-agents-toolkits/v1.11/yaml.schema.json');
      expect(existsSync(join(ROOT, LIFECYCLE_FILES[file as keyof typeof LIFECYCLE_FILES]))).toBe(true);
    }
  });

  test('provision: create the Teams app, deploy the Bicep, validate, zip and update the app package', () => {
    const provision = lifecycles['m365agents.yml'].provision ?? [];
    expect(provision.map((action) => action.uses)).toEqual(['teamsApp/create', 'arm/deploy', 'teamsApp/validateManifest', 'teamsApp/zipAppPackage', 'teamsApp/validateAppPackage', 'teamsApp/update']);
    expect(armTemplates(provision[1] as Action)).toEqual([{ path: './infra/azure.bicep', parameters: './infra/azure.parameters.json', deploymentName: expect.any(String) }]);
    expect(provision[0]?.writeToEnvironmentFile).toEqual({ teamsAppId: 'TEAMS_APP_ID' });
  });

  test('deploy: build and push the image, roll Container Apps to it, wait until it is healthy; publish: submit the package', () => {
    const deploy = lifecycles['m365agents.yml'].deploy ?? [];
    expect(deploy.map((action) => action.uses)).toEqual(['script', 'arm/deploy', 'script']);
    expect(String(deploy[0]?.with?.['run'])).toMatch(/az acr build --registry "\$\{\{AZURE_CONTAINER_REGISTRY_NAME\}\}" --image "incident-bridge:\$tag" --file Dockerfile \./);
    expect(String(deploy[0]?.with?.['run'])).toMatch(/::set-teamsfx-env CONTAINER_IMAGE=/);
    expect(armTemplates(deploy[1] as Action)).toEqual([{ path: './infra/azure.bicep', parameters: './infra/azure.parameters.json', deploymentName: expect.any(String) }]);
    expect(String(deploy[2]?.with?.['run'])).toMatch(/latestReadyRevisionName/);
    expect(lifecycles['m365agents.yml'].publish?.at(-1)?.uses).toBe('teamsApp/publishAppPackage');
  });

  test('the local and playground files prepare `npm start` against the simulators and never touch Azure', () => {
    for (const file of ['m365agents.local.yml', 'm365agents.playground.yml'] as const) {
      const lifecycle = lifecycles[file];
      expect(lifecycle.provision).toBeUndefined();
      expect((lifecycle.deploy ?? []).map((action) => action.uses)).toEqual(['cli/runNpmCommand', 'script']);
      expect(read(file)).not.toMatch(/arm\/deploy|\baz /);
    }
  });

  test('every ${{VAR}} is defined in the env file or written by an earlier action', () => {
    for (const file of Object.keys(LIFECYCLE_FILES) as (keyof typeof LIFECYCLE_FILES)[]) expect(undefinedVariables(file)).toEqual([]);
  });

  test('the check can fail: a variable no file defines is reported', () => {
    const original = lifecycles['m365agents.yml'].publish;
    lifecycles['m365agents.yml'].publish = [{ uses: 'teamsApp/update', with: { appPackagePath: '${{NO_SUCH_VARIABLE}}' } }];
    try {
      expect(undefinedVariables('m365agents.yml')).toEqual(['m365agents.yml publish[0] teamsApp/update: NO_SUCH_VARIABLE']);
    } finally {
      lifecycles['m365agents.yml'].publish = original;
    }
  });

  test('every file an action points at exists', () => {
    const paths = Object.values(lifecycles)
      .flatMap((lifecycle) => [...(lifecycle.provision ?? []), ...(lifecycle.deploy ?? []), ...(lifecycle.publish ?? [])])
      .flatMap((action) => [...armTemplates(action).flatMap((template) => [template.path, template.parameters ?? '']), String(action.with?.['manifestPath'] ?? '')])
      .filter((path) => path !== '');
    expect(paths.length).toBeGreaterThan(3);
    expect(paths.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });
});
