// A test environment: a merchant-facing address of its own host name, notifications kept in storage.
using 'main.bicep'

param name = 'gwtest'
param maximumInstanceCount = 10
param instanceMemoryMB = 2048
param cardVaultKeyIds = ['k1']
param activeCardVaultKeyId = 'k1'
