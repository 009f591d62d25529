// The Azure Bot registration: Bot Framework's record of the bot's identity and messaging endpoint,
// with the Microsoft Teams channel. New multi-tenant registrations are no longer possible, so the
// identity is a single-tenant app registration or the user-assigned managed identity.

@description('Name of the Azure Bot resource.')
param botServiceName string

@maxLength(42)
param botDisplayName string

@allowed(['SingleTenant', 'UserAssignedMSI'])
param botAppType string

@description('Microsoft App id: the app registration\'s client id (SingleTenant) or the managed identity\'s client id (UserAssignedMSI).')
param botAppId string

@description('Tenant of that app registration or identity.')
param botTenantId string

@description('Resource id of the user-assigned managed identity; used only with UserAssignedMSI.')
param identityResourceId string

@description('Public host name of the bridge; Bot Framework posts activities to https://<host>/api/messages.')
param botAppDomain string

param botServiceSku string = 'F0'

resource botService 'Microsoft.BotService/botServices@2022-09-15' = {
  kind: 'azurebot'
  location: 'global'
  name: botServiceName
  sku: {
    name: botServiceSku
  }
  properties: {
    displayName: botDisplayName
    endpoint: 'https://${botAppDomain}/api/messages'
    msaAppType: botAppType
    msaAppId: botAppId
    msaAppTenantId: botTenantId
    msaAppMSIResourceId: botAppType == 'UserAssignedMSI' ? identityResourceId : null
  }
}

resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: botService
  location: 'global'
  name: 'MsTeamsChannel'
  properties: {
    channelName: 'MsTeamsChannel'
  }
}

output botServiceName string = botService.name
