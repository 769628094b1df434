#!/usr/bin/env bash
# Starts the gateway locally on a fresh machine: installs Azurite, starts it (data kept under .local/azurite),
# builds and starts the gateway on http://localhost:7071 (GATEWAY_PORT overrides), seeds a demo platform and
# prints its credentials (also written to .local/demo.json). Ctrl+C stops both. Re-running keeps the data.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
local_dir="$root/.local"
port="${GATEWAY_PORT:-7071}"
mkdir -p "$local_dir"

need() { command -v "$1" >/dev/null || { echo "run.sh: '$1' is required ($2)." >&2; exit 1; }; }
need dotnet "the .NET 10 SDK"
need node "Node.js 20 or later, for Azurite"
need npm "npm, for Azurite"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # port, what, pid-to-watch
  for _ in $(seq 1 300); do
    listening "$1" && return 0
    if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then echo "run.sh: $2 exited; see its log in .local/" >&2; exit 1; fi
    sleep 0.1
  done
  echo "run.sh: $2 did not start listening on port $1" >&2; exit 1
}

if listening "$port"; then
  echo "run.sh: port $port is in use (another gateway?). Stop it, or choose another with GATEWAY_PORT." >&2
  exit 1
fi

if [ ! -f node_modules/azurite/dist/src/azurite.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== Installing Azurite (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "== Building the gateway"
dotnet build functions/Gateway -c Release --nologo -v quiet -clp:'ErrorsOnly;NoSummary' -o "$local_dir/gateway"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

if listening 10002 && listening 10001; then
  echo "== Azurite is already running on 10001/10002; using it"
else
  echo "== Starting Azurite (data in .local/azurite, log in .local/azurite.log)"
  node node_modules/azurite/dist/src/azurite.js --location "$local_dir/azurite" --silent --disableTelemetry \
    --skipApiVersionCheck --blobPort 10000 --queuePort 10001 --tablePort 10002 >"$local_dir/azurite.log" 2>&1 &
  pids+=("$!")
  wait_for 10001 Azurite "$!"
  wait_for 10002 Azurite "$!"
fi

# The key for the local admin endpoint (POST /admin/functions/{name}), kept across runs.
[ -s "$local_dir/functions-admin-key" ] || od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$local_dir/functions-admin-key"
export Functions__AdminKey="$(cat "$local_dir/functions-admin-key")"
export AzureWebJobsStorage="UseDevelopmentStorage=true"
export GATEWAY_PORT="$port"
export Payments__PublicBaseUrl="${Payments__PublicBaseUrl:-http://localhost:$port}"
# Webhooks may reach a receiver on this machine (never on a deployment: see the README's Webhooks section).
export Webhooks__AllowLoopback="${Webhooks__AllowLoopback:-true}"

echo "== Seeding the demo platform"
dotnet "$local_dir/gateway/Gateway.dll" seed-demo "$local_dir/demo.json" >"$local_dir/seed.log" 2>&1 \
  || { cat "$local_dir/seed.log" >&2; exit 1; }

echo "== Starting the gateway on http://localhost:$port (log in .local/gateway.log)"
dotnet "$local_dir/gateway/Gateway.dll" >"$local_dir/gateway.log" 2>&1 &
gateway=$!
pids+=("$gateway")
wait_for "$port" "The gateway" "$gateway"

cat <<MSG

Gateway:    http://localhost:$port   (health: /api/health, OpenAPI: /openapi/v1.json)
Demo platform, also in .local/demo.json:
$(cat "$local_dir/demo.json")

Timers and queues on demand: POST http://localhost:$port/admin/functions/{name}  (e.g. PaymentScheduleRunner)
  with header x-functions-key: $Functions__AdminKey

Try:  curl -X POST -u <admin.username>:<admin.password> http://localhost:$port/api/v1/token
Press Ctrl+C to stop.
MSG
wait "$gateway"
