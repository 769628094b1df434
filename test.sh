#!/usr/bin/env bash
# Runs every test, on a fresh machine too: installs Azurite (npm ci, pinned by package-lock.json), builds the
# solution and runs all test projects. Each test process starts its own in-memory Azurite on free ports.
set -euo pipefail
cd "$(dirname "$0")"

need() { command -v "$1" >/dev/null || { echo "test.sh: '$1' is required ($2)." >&2; exit 1; }; }
need dotnet "the .NET 10 SDK"
need node "Node.js 20 or later, for Azurite"
need npm "npm, for Azurite"

if [ ! -f node_modules/azurite/dist/src/azurite.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== Installing Azurite (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "== Building"
dotnet build Serverless.sln -c Release --nologo -v quiet -clp:'ErrorsOnly;NoSummary'

echo "== Testing"
dotnet test Serverless.sln -c Release --no-build --nologo "$@"
