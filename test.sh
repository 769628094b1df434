#!/usr/bin/env bash
# Runs every test, on a fresh machine too: installs Chromium (Debian's package) and Azurite (npm ci, pinned by
# package-lock.json), builds the solution and runs all test projects. Each test process starts its own in-memory
# Azurite on free ports.
set -euo pipefail
cd "$(dirname "$0")"

need() { command -v "$1" >/dev/null || { echo "test.sh: '$1' is required ($2)." >&2; exit 1; }; }
need dotnet "the .NET 10 SDK"
need node "Node.js 20 or later, for Azurite"
need npm "npm, for Azurite"

# The browser tests drive Debian's Chromium through Playwright (never Playwright's own browser download).
if [ ! -x /usr/bin/chromium ]; then
  echo "== Installing Chromium (apt-get)"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "test.sh: /usr/bin/chromium is missing and installing it needs root or sudo." >&2; exit 1
  fi
  { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } \
    || { echo "test.sh: could not install Debian's chromium package (apt-get install chromium)." >&2; exit 1; }
  [ -x /usr/bin/chromium ] || { echo "test.sh: the chromium package did not provide /usr/bin/chromium." >&2; exit 1; }
fi

if [ ! -f node_modules/azurite/dist/src/azurite.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== Installing Azurite (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "== Building"
dotnet build Serverless.sln -c Release --nologo -v quiet -clp:'ErrorsOnly;NoSummary'

# The deployable folder, as Azure runs it (the tests check its contents): ready-to-run for Linux x64.
echo "== Publishing functions/Gateway/bin/publish"
rm -rf functions/Gateway/bin/publish
dotnet publish functions/Gateway -c Release -r linux-x64 -p:PublishReadyToRun=true -o functions/Gateway/bin/publish \
  --nologo -v quiet -clp:'ErrorsOnly;NoSummary'

echo "== Testing"
dotnet test Serverless.sln -c Release --no-build --nologo "$@"

# Again with every test app's table calls passing the simulator of Azure's scalability limits (Storage:Limits, at
# Azure's own rates): whatever the suite proves must hold when storage answers 503 ServerBusy past those rates.
echo "== Testing with Azure's storage limits simulated"
GATEWAY_TESTS_STORAGE_LIMITS=on dotnet test Serverless.sln -c Release --no-build --nologo "$@"
