// The payment gateway on Azure: a Flex Consumption function app (dotnet-isolated 10.0) reaching its storage, Key
// Vault and Application Insights with one user-assigned managed identity, never with a key. See infra/README.md.

targetScope = 'resourceGroup'

@description('Short name of the deployment, used in resource names: lower-case letters and digits.')
@minLength(3)
@maxLength(12)
param name string

@description('Region of every resource.')
param location string = resourceGroup().location

@description('The gateway\'s public https address (no path) for payment links and 3-D Secure redirects; empty: the function app\'s own host name.')
param publicBaseUrl string = ''

@description('Most instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of each instance, in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Ids of the card vault keys held in Key Vault as secrets card-vault-key-{id} (old keys stay while cards use them).')
@minLength(1)
param cardVaultKeyIds string[]

@description('The card vault key that seals new cards: one of cardVaultKeyIds.')
param activeCardVaultKeyId string

@description('How express links reach payers by SMS: local (kept in the Notifications table) or http (an SMS gateway).')
@allowed(['local', 'http'])
param smsProvider string = 'local'

@description('The SMS gateway\'s URL when smsProvider is http; its bearer token is the Key Vault secret sms-token.')
param smsUrl string = ''

@description('How express links reach payers by e-mail: local (kept in the Notifications table) or smtp.')
@allowed(['local', 'smtp'])
param emailProvider string = 'local'

@description('The SMTP relay when emailProvider is smtp; its password (if any) is the Key Vault secret smtp-password.')
param smtpHost string = ''

@description('The sender address of express e-mails when emailProvider is smtp.')
param smtpFrom string = ''

@description('The SMTP relay\'s user name, if it wants one.')
param smtpUsername string = ''

@description('Delays before each webhook retry (ms, s, m, h, d; each at most 7 days).')
param webhookRetrySchedule string = '1m,5m,30m,2h,6h,12h,24h,24h,24h'

@description('Object id of whoever runs infra/deploy.sh: may set the vault\'s secrets (empty: nobody is granted that here).')
param deployerPrincipalId string = ''

var suffix = uniqueString(resourceGroup().id, name)
var storageName = take('st${name}${suffix}', 24)
var deploymentContainer = 'deployments'
// The app's tables and queues, created here: the app is told not to create them at start (Storage:CreateTablesOnStartup).
var tableNames = [
  'Identity'
  'Logins'
  'Tokens'
  'ApiKeys'
  'Counters'
  'Payments'
  'Lookups'
  'WebhookAttempts'
  'Notifications'
  'ExpressFiles'
  'CollectionsBank'
]
var eventQueue = 'payment-events'
var notificationsQueue = 'notifications'
var bankResultsQueue = 'collections-bank-results'
// The Functions host moves a message here after maxDequeueCount failures (host.json).
var queueNames = [eventQueue, '${eventQueue}-poison', notificationsQueue, '${notificationsQueue}-poison', bankResultsQueue, '${bankResultsQueue}-poison']

// Built-in role definitions (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${name}-${suffix}'
  location: location
}

// Storage: tables, queues, the host's blobs and the deployment package. No shared keys: identities only.
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deployments 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: deploymentContainer
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for table in tableNames: {
    parent: tableService
    name: table
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queue in queueNames: {
    parent: queueService
    name: queue
  }
]

// Key Vault, RBAC mode: the card vault's keys and the request-signing key, read by the app through references.
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: take('kv-${name}-${suffix}', 24)
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
    softDeleteRetentionInDays: 90
  }
}

// Monitoring: the host's request and invocation telemetry and the app's logs, ingested with the identity.
resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${name}-${suffix}'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${name}-${suffix}'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

// What the identity may do, and nothing more (infra/README.md says why each is needed).
resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageBlobDataOwner)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageQueueDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageTableDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: insights
  name: guid(insights.id, identity.id, roles.monitoringMetricsPublisher)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The person deploying sets the vault's secrets (infra/deploy.sh generates them); the app only reads them.
resource secretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  scope: vault
  name: guid(vault.id, deployerPrincipalId, roles.keyVaultSecretsOfficer)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: deployerPrincipalId
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-${name}-${suffix}'
  location: location
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: 'func-${name}-${suffix}'
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
  }
  dependsOn: [blobOwner, queueContributor, tableContributor, secretsUser, metricsPublisher]
}

// No publishing with user names and passwords: deployments use Microsoft Entra ID.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'ftp'
  properties: { allow: false }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: { allow: false }
}

var secret = 'VaultName=${vault.name};SecretName='

// The settings the app and the host read (the tests check that the app needs each and that none is missing).
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: {
    AzureWebJobsStorage__accountName: storage.name
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identity.properties.clientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: insights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
    Storage__CreateTablesOnStartup: 'false'
    Payments__PublicBaseUrl: empty(publicBaseUrl) ? 'https://${app.properties.defaultHostName}' : publicBaseUrl
    Payments__EventQueue: eventQueue
    Payments__SecretKey: '@Microsoft.KeyVault(${secret}payments-secret-key)'
    Notifications__Queue: notificationsQueue
    Collections__BankResultsQueue: bankResultsQueue
    Notifications__Sms__Provider: smsProvider
    Notifications__Sms__Url: smsUrl
    Notifications__Sms__Token: smsProvider == 'http' ? '@Microsoft.KeyVault(${secret}sms-token)' : ''
    Notifications__Email__Provider: emailProvider
    Notifications__Email__Smtp__Host: smtpHost
    Notifications__Email__Smtp__From: smtpFrom
    Notifications__Email__Smtp__Username: smtpUsername
    Notifications__Email__Smtp__Password: empty(smtpUsername) ? '' : '@Microsoft.KeyVault(${secret}smtp-password)'
    Webhooks__RetrySchedule: webhookRetrySchedule
    CardVault__ActiveKey: activeCardVaultKeyId
    ...toObject(cardVaultKeyIds, id => 'CardVault__Keys__${id}', id => '@Microsoft.KeyVault(${secret}card-vault-key-${id})')
  }
}

output functionAppName string = app.name
output defaultHostName string = app.properties.defaultHostName
output keyVaultName string = vault.name
output storageAccountName string = storage.name
