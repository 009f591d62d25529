// Grants one principal a role on the Sentinel workspace. A module of its own because the workspace
// usually lives in another resource group (or subscription) than the bridge.

@description('Log Analytics workspace that has Microsoft Sentinel.')
param workspaceName string

@description('Object id of the principal that gets the role.')
param principalId string

@description('Built-in role definition id (a GUID).')
param roleDefinitionId string

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: workspace
  name: guid(workspace.id, principalId, roleDefinitionId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
