// Production: the public address merchants and payers see, SMS and e-mail through real providers. The secrets
// (card vault keys, payments-secret-key, sms-token, smtp-password) are set in Key Vault by infra/deploy.sh or an
// operator, never here.
using 'main.bicep'

param name = 'gwprod'
param publicBaseUrl = 'https://pay.example.com'
param maximumInstanceCount = 100
param instanceMemoryMB = 2048
param cardVaultKeyIds = ['k1']
param activeCardVaultKeyId = 'k1'
param smsProvider = 'http'
param smsUrl = 'https://sms.example.com/v1/messages'
param emailProvider = 'smtp'
param smtpHost = 'smtp.example.com'
param smtpFrom = 'payments@example.com'
param smtpUsername = 'gateway'
