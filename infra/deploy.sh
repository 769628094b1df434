#!/usr/bin/env bash
# Deploys the gateway to Azure: the infrastructure (main.bicep with an environment's parameters), the secrets it
# needs (generated here the first time, never written to disk or the repository), then the app itself.
# Usage: infra/deploy.sh <resource-group> <test|prod> [location]
# Needs: the Azure CLI (az login done, a subscription selected), the .NET 10 SDK, zip, openssl.
# It cannot run where it was written (no Azure access there); see infra/README.md for what was checked offline.
set -euo pipefail
cd "$(dirname "$0")/.."

group="${1:?resource group}"
environment="${2:?environment: test or prod}"
location="${3:-westeurope}"
parameters="infra/$environment.bicepparam"
[ -f "$parameters" ] || { echo "deploy.sh: no $parameters" >&2; exit 1; }
for tool in az dotnet zip openssl; do
  command -v "$tool" >/dev/null || { echo "deploy.sh: '$tool' is required." >&2; exit 1; }
done

echo "== Resource group $group ($location)"
az group create --name "$group" --location "$location" --output none

echo "== Infrastructure (infra/main.bicep, $parameters)"
deployer=$(az ad signed-in-user show --query id --output tsv)
outputs=$(az deployment group create --resource-group "$group" --template-file infra/main.bicep \
  --parameters "$parameters" --parameters deployerPrincipalId="$deployer" \
  --query properties.outputs --output json)
output() { echo "$outputs" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1']['value'])"; }
app=$(output functionAppName)
vault=$(output keyVaultName)

echo "== Secrets in $vault (each generated once; existing ones are kept)"
ensure_secret() { # name: a fresh 32-byte key unless the secret exists
  az keyvault secret show --vault-name "$vault" --name "$1" --output none 2>/dev/null && return 0
  # A role assignment made by the deployment takes a minute or two to reach Key Vault.
  for _ in $(seq 1 20); do
    if az keyvault secret set --vault-name "$vault" --name "$1" --value "$(openssl rand -base64 32)" \
        --output none 2>/dev/null; then
      echo "   created $1"
      return 0
    fi
    sleep 15
  done
  echo "deploy.sh: could not set $1 in $vault (is the Key Vault Secrets Officer role assigned yet?)" >&2
  exit 1
}
ensure_secret payments-secret-key
for id in $(az deployment group show --resource-group "$group" --name main \
    --query "properties.parameters.cardVaultKeyIds.value[]" --output tsv); do
  ensure_secret "card-vault-key-$id"
done
# sms-token and smtp-password come from the providers: set them by hand (see infra/README.md) when prod uses them.

echo "== App ($app)"
rm -rf .deploy && mkdir -p .deploy
dotnet publish functions/Gateway -c Release -r linux-x64 -p:PublishReadyToRun=true -o .deploy/app --nologo -v quiet
(cd .deploy/app && zip -qr ../gateway.zip .)
az functionapp deployment source config-zip --resource-group "$group" --name "$app" --src .deploy/gateway.zip \
  --output none
echo "Deployed: https://$(output defaultHostName)/api/health"
