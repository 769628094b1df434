#!/usr/bin/env bash
# Benchmarks (figures, not tests): storage round trips per request, and cold start against an empty
# ASP.NET Core app measured in the same run. Usage: bench/run.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/azurite/dist/src/azurite.js ]; then npm ci --no-audit --no-fund --loglevel=error; fi
dotnet build bench/Gateway.Bench -c Release --nologo -v quiet -clp:ErrorsOnly
# The deployment build, to time its cold start too.
dotnet publish functions/Gateway -c Release -r linux-x64 --self-contained -p:PublishReadyToRun=true \
  -o bench/.publish --nologo -v quiet -clp:ErrorsOnly
dotnet bench/Gateway.Bench/bin/Release/net10.0/Gateway.Bench.dll Release "${1:-7}"
