// incident-bridge on Azure: Container Apps (two or more replicas) behind an Azure Bot, PostgreSQL
// flexible server reachable only from the apps' virtual network, secrets in Key Vault, and the
// Microsoft Sentinel Contributor role on the Sentinel workspace. `atk provision` deploys it with
// infra/azure.parameters.json; `atk deploy` builds the image and deploys it again with the image
// set. Outputs are written to env/.env.<env> by the toolkit.

@minLength(4)
@maxLength(20)
@description('Lowercase letters and digits; every resource name is derived from it.')
param resourceBaseName string

@description('Agents Toolkit environment name (dev, prod, ...); the bridge reads it as TEAMSFX_ENV.')
param environmentName string

param location string = resourceGroup().location

@maxLength(42)
param botDisplayName string = 'Incident Bridge'

@allowed(['SingleTenant', 'UserAssignedMSI'])
@description('SingleTenant: an app registration with a client secret (BOT_ID, SECRET_BOT_PASSWORD). UserAssignedMSI: the managed identity below is the bot.')
param botAppType string = 'SingleTenant'

@description('SingleTenant only: client id of the bot\'s app registration.')
param botAadAppClientId string = ''

@secure()
@description('SingleTenant only: a client secret of that app registration.')
param botPassword string = ''

@description('SingleTenant only: tenant of the bot\'s app registration.')
param botTenantId string = tenant().tenantId

@description('The container image to run, e.g. <registry>.azurecr.io/incident-bridge:<tag>. Empty on the first provision: the container app is created by the first `atk deploy`.')
param containerImage string = ''

@description('Port the bridge listens on (PORT).')
param containerPort int = 3978

@minValue(2)
@description('Replicas share the work through PostgreSQL (leases, one watcher per pair); two keep the bot answering while one restarts.')
param minReplicas int = 2

@minValue(2)
param maxReplicas int = 4

// Portal access: who reads and writes incidents. managedIdentity (default): the deployment's
// user-assigned identity, which holds Microsoft Sentinel Contributor below and needs the Graph app
// role SecurityIncident.ReadWrite.All granted to it; no secret exists. secret: the portal app
// registration (azureClientId) and its client secret, kept in Key Vault.
@allowed(['managedIdentity', 'secret'])
param portalCredential string = 'managedIdentity'
param azureTenantId string
@description('Client id of the portal app registration; used with portalCredential secret only.')
param azureClientId string = ''

@secure()
param azureClientSecret string = ''

@description('Object id of that app registration\'s service principal (Enterprise applications); when set, it gets Microsoft Sentinel Contributor on the workspace too.')
param portalAppPrincipalId string = ''

param graphEndpoint string = 'https://graph.microsoft.com'
param armEndpoint string = 'https://management.azure.com'
param authorityHost string = 'https://login.microsoftonline.com'

param sentinelSubscriptionId string
param sentinelResourceGroup string
param sentinelWorkspace string

param pollIntervalSeconds string = '2'
param logLevel string = 'info'
param analysts string = ''
param approvers string = ''

@allowed(['defenderPortal', 'azurePortal'])
param connectorIntegrationMethod string = 'defenderPortal'

@description('The Teams app id (manifest id; atk provision creates it). War rooms add the app to their chat by it; empty: no war rooms.')
param teamsAppId string = ''

param postgresAdminLogin string = 'incidentbridge'

@secure()
@minLength(16)
param postgresAdminPassword string

param postgresSkuName string = 'Standard_B1ms'
param postgresSkuTier string = 'Burstable'

@description('Application Insights for the bridge\'s traces and metrics (OpenTelemetry, APPLICATIONINSIGHTS_CONNECTION_STRING); false: none.')
param enableApplicationInsights bool = true

var names = {
  identity: '${resourceBaseName}-id'
  logs: '${resourceBaseName}-logs'
  insights: '${resourceBaseName}-insights'
  vnet: '${resourceBaseName}-vnet'
  registry: 'acr${resourceBaseName}'
  keyVault: 'kv-${resourceBaseName}'
  postgres: '${resourceBaseName}-pg'
  environment: '${resourceBaseName}-env'
  app: '${resourceBaseName}-app'
  bot: resourceBaseName
}
var databaseName = 'incident_bridge'
var botUsesSecret = botAppType == 'SingleTenant'
var portalUsesSecret = portalCredential == 'secret'

// Built-in role definition ids (Azure built-in roles reference).
var roles = {
  sentinelContributor: 'ab8e14d6-4a74-4a29-9ba8-549422addade'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
}

// The identity the container app runs as: pulls the image, reads Key Vault secrets, holds the
// Sentinel role and, with UserAssignedMSI, is the bot.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: names.identity
  location: location
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: names.logs
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

// Workspace-based Application Insights: the bridge exports its OpenTelemetry traces and metrics
// there when it is given the connection string (kept in Key Vault like the other settings that
// carry a key).
resource insights 'Microsoft.Insights/components@2020-02-02' = if (enableApplicationInsights) {
  name: names.insights
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
  }
}

// The apps' subnet and a delegated subnet for PostgreSQL: the database has no public endpoint.
resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: names.vnet
  location: location
  properties: {
    addressSpace: { addressPrefixes: ['10.42.0.0/16'] }
    subnets: [
      {
        name: 'apps'
        properties: {
          addressPrefix: '10.42.0.0/23'
          delegations: [{ name: 'containerapps', properties: { serviceName: 'Microsoft.App/environments' } }]
        }
      }
      {
        name: 'postgres'
        properties: {
          addressPrefix: '10.42.2.0/24'
          delegations: [{ name: 'postgres', properties: { serviceName: 'Microsoft.DBforPostgreSQL/flexibleServers' } }]
        }
      }
    ]
  }
}

resource postgresDns 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: '${names.postgres}.private.postgres.database.azure.com'
  location: 'global'
}

resource postgresDnsLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = {
  parent: postgresDns
  name: names.vnet
  location: 'global'
  properties: {
    registrationEnabled: false
    virtualNetwork: { id: vnet.id }
  }
}

resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: names.postgres
  location: location
  sku: {
    name: postgresSkuName
    tier: postgresSkuTier
  }
  properties: {
    version: '16'
    administratorLogin: postgresAdminLogin
    administratorLoginPassword: postgresAdminPassword
    authConfig: {
      passwordAuth: 'Enabled'
      activeDirectoryAuth: 'Disabled'
    }
    storage: { storageSizeGB: 32 }
    backup: {
      backupRetentionDays: 7
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: { mode: 'Disabled' }
    network: {
      delegatedSubnetResourceId: '${vnet.id}/subnets/postgres'
      privateDnsZoneArmResourceId: postgresDns.id
      publicNetworkAccess: 'Disabled'
    }
  }
  dependsOn: [postgresDnsLink]
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: postgres
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: names.registry
  location: location
  sku: { name: 'Basic' }
  properties: {
    adminUserEnabled: false
  }
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: names.keyVault
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
  }
}

// TLS with the server's certificate checked (verify-full): the server name resolves through the
// private DNS zone and its certificate chains to a public root in Node's store.
resource databaseUrlSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: keyVault
  name: 'database-url'
  properties: {
    value: 'postgres://${postgresAdminLogin}:${uriComponent(postgresAdminPassword)}@${postgres.properties.fullyQualifiedDomainName}:5432/${databaseName}?sslmode=verify-full'
  }
}

resource azureClientSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (portalUsesSecret) {
  parent: keyVault
  name: 'azure-client-secret'
  properties: {
    value: azureClientSecret
  }
}

resource botPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (botUsesSecret) {
  parent: keyVault
  name: 'bot-password'
  properties: {
    value: botPassword
  }
}

resource insightsConnectionSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (enableApplicationInsights) {
  parent: keyVault
  name: 'appinsights-connection-string'
  properties: {
    value: enableApplicationInsights ? insights.properties.ConnectionString : ''
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: keyVault
  name: guid(keyVault.id, identity.id, roles.keyVaultSecretsUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: registry
  name: guid(registry.id, identity.id, roles.acrPull)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Microsoft Sentinel Contributor on the workspace: read and update incidents, comments, data
// connectors and analytics rules.
module sentinelRoleForIdentity './sentinel/workspaceRole.bicep' = {
  name: 'sentinel-role-identity'
  scope: resourceGroup(sentinelSubscriptionId, sentinelResourceGroup)
  params: {
    workspaceName: sentinelWorkspace
    principalId: identity.properties.principalId
    roleDefinitionId: roles.sentinelContributor
  }
}

module sentinelRoleForPortalApp './sentinel/workspaceRole.bicep' = if (!empty(portalAppPrincipalId)) {
  name: 'sentinel-role-portal-app'
  scope: resourceGroup(sentinelSubscriptionId, sentinelResourceGroup)
  params: {
    workspaceName: sentinelWorkspace
    principalId: portalAppPrincipalId
    roleDefinitionId: roles.sentinelContributor
  }
}

resource appsEnvironment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: names.environment
  location: location
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logs.properties.customerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
    vnetConfiguration: {
      infrastructureSubnetId: '${vnet.id}/subnets/apps'
      internal: false
    }
    workloadProfiles: [{ name: 'Consumption', workloadProfileType: 'Consumption' }]
  }
}

// Known before the app exists, so the bot registration and the Teams app package can point at it
// on the first provision.
var appHostName = '${names.app}.${appsEnvironment.properties.defaultDomain}'
var botAppId = botAppType == 'UserAssignedMSI' ? identity.properties.clientId : botAadAppClientId
var botAppTenantId = botAppType == 'UserAssignedMSI' ? identity.properties.tenantId : botTenantId

// Container Apps secrets are references to Key Vault, read with the managed identity.
var vaultSecretsUrl = '${keyVault.properties.vaultUri}secrets'
var appSecrets = concat(
  [
    { name: 'database-url', keyVaultUrl: '${vaultSecretsUrl}/${databaseUrlSecret.name}', identity: identity.id }
  ],
  portalUsesSecret ? [{ name: 'azure-client-secret', keyVaultUrl: '${vaultSecretsUrl}/azure-client-secret', identity: identity.id }] : [],
  botUsesSecret ? [{ name: 'bot-password', keyVaultUrl: '${vaultSecretsUrl}/bot-password', identity: identity.id }] : [],
  enableApplicationInsights ? [{ name: 'appinsights-connection-string', keyVaultUrl: '${vaultSecretsUrl}/appinsights-connection-string', identity: identity.id }] : []
)

// Every name here is a variable the bridge's configuration reads (src/config/config.ts); a test
// checks that.
var appEnv = concat(
  [
    { name: 'TEAMSFX_ENV', value: environmentName }
    { name: 'SIMULATORS', value: 'off' }
    { name: 'PORT', value: string(containerPort) }
    { name: 'LOG_LEVEL', value: logLevel }
    { name: 'BOT_ID', value: botAppId }
    { name: 'BOT_TYPE', value: botAppType }
    { name: 'BOT_TENANT_ID', value: botAppTenantId }
    { name: 'DATABASE_URL', secretRef: 'database-url' }
    { name: 'GRAPH_ENDPOINT', value: graphEndpoint }
    { name: 'ARM_ENDPOINT', value: armEndpoint }
    { name: 'AUTHORITY_HOST', value: authorityHost }
    { name: 'AZURE_TENANT_ID', value: azureTenantId }
    { name: 'AZURE_CREDENTIAL', value: portalCredential }
    // With managedIdentity, the user-assigned identity's client id selects it (Container Apps can hold several).
    { name: 'AZURE_CLIENT_ID', value: portalUsesSecret ? azureClientId : identity.properties.clientId }
    { name: 'SENTINEL_SUBSCRIPTION_ID', value: sentinelSubscriptionId }
    { name: 'SENTINEL_RESOURCE_GROUP', value: sentinelResourceGroup }
    { name: 'SENTINEL_WORKSPACE', value: sentinelWorkspace }
    { name: 'POLL_INTERVAL_SECONDS', value: pollIntervalSeconds }
    { name: 'ANALYSTS', value: analysts }
    { name: 'APPROVERS', value: approvers }
    { name: 'CONNECTOR_INTEGRATION_METHOD', value: connectorIntegrationMethod }
    { name: 'TEAMS_APP_ID', value: teamsAppId }
  ],
  portalUsesSecret ? [{ name: 'AZURE_CLIENT_SECRET', secretRef: 'azure-client-secret' }] : [],
  botUsesSecret ? [{ name: 'BOT_PASSWORD', secretRef: 'bot-password' }] : [],
  enableApplicationInsights ? [{ name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', secretRef: 'appinsights-connection-string' }] : []
)

// Liveness says only that the process works; readiness that it can serve (store, portals). A
// portal outage fails readiness, never liveness, so the platform does not restart healthy replicas.
var probes = [
  {
    type: 'Startup'
    httpGet: { path: '/livez', port: containerPort }
    periodSeconds: 5
    failureThreshold: 24
    timeoutSeconds: 3
  }
  {
    type: 'Liveness'
    httpGet: { path: '/livez', port: containerPort }
    periodSeconds: 10
    failureThreshold: 3
    timeoutSeconds: 3
  }
  {
    type: 'Readiness'
    httpGet: { path: '/readyz', port: containerPort }
    periodSeconds: 10
    failureThreshold: 3
    timeoutSeconds: 5
  }
]

resource app 'Microsoft.App/containerApps@2024-03-01' = if (!empty(containerImage)) {
  name: names.app
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    environmentId: appsEnvironment.id
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: containerPort
        transport: 'auto'
        allowInsecure: false
      }
      registries: [{ server: registry.properties.loginServer, identity: identity.id }]
      secrets: appSecrets
    }
    template: {
      containers: [
        {
          name: 'incident-bridge'
          image: containerImage
          resources: { cpu: json('0.5'), memory: '1Gi' }
          env: appEnv
          probes: probes
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
      }
    }
  }
  // The identity must be able to pull and read secrets before the first revision starts.
  dependsOn: [secretsUser, acrPull, database]
}

module azureBotRegistration './botRegistration/azurebot.bicep' = {
  name: 'Azure-Bot-registration'
  params: {
    botServiceName: names.bot
    botDisplayName: botDisplayName
    botAppType: botAppType
    botAppId: botAppId
    botTenantId: botAppTenantId
    identityResourceId: identity.id
    botAppDomain: appHostName
  }
}

// Written to env/.env.<env> by `atk provision` / `atk deploy` (names upper-cased as they are).
output BOT_ID string = botAppId
output BOT_DOMAIN string = appHostName
output AZURE_CONTAINER_REGISTRY_NAME string = registry.name
output AZURE_CONTAINER_REGISTRY_LOGIN_SERVER string = registry.properties.loginServer
output AZURE_CONTAINER_APP_NAME string = names.app
output AZURE_KEY_VAULT_NAME string = keyVault.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.properties.clientId
