#!/usr/bin/env bash
# Starts the gateway locally on a fresh machine: installs Azurite, starts it (data kept under .local/azurite),
# builds and starts the gateway on http://localhost:7071 (GATEWAY_PORT overrides), seeds a demo platform and
# prints its credentials (also written to .local/demo.json). Ctrl+C (or SIGTERM) stops the gateway first, then
# Azurite, which saves its data as it exits, and waits for both: re-running keeps every write that was answered.
# GATEWAY_LOCAL_DIR (default .local) and AZURITE_BLOB_PORT / AZURITE_QUEUE_PORT / AZURITE_TABLE_PORT (10000-10002)
# let a second copy run beside the first (the tests do).
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
local_dir="${GATEWAY_LOCAL_DIR:-$root/.local}"
port="${GATEWAY_PORT:-7071}"
blob_port="${AZURITE_BLOB_PORT:-10000}"
queue_port="${AZURITE_QUEUE_PORT:-10001}"
table_port="${AZURITE_TABLE_PORT:-10002}"
mkdir -p "$local_dir"

need() { command -v "$1" >/dev/null || { echo "run.sh: '$1' is required ($2)." >&2; exit 1; }; }
need dotnet "the .NET 10 SDK"
need node "Node.js 20 or later, for Azurite"
need npm "npm, for Azurite"
need setsid "util-linux, to stop the gateway and Azurite in order"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # port, what, pid-to-watch
  for _ in $(seq 1 300); do
    listening "$1" && return 0
    if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then echo "run.sh: $2 exited; see its log in $local_dir" >&2; exit 1; fi
    sleep 0.1
  done
  echo "run.sh: $2 did not start listening on port $1" >&2; exit 1
}

# The gateway and Azurite run in sessions of their own, so a Ctrl+C in the terminal reaches only this script, which
# then stops them in order: the gateway first (it may be writing), then Azurite, which saves its data on SIGINT.
# Signalled twice, Azurite would crash before saving; each gets one signal, and is waited for.
gateway=""
azurite=""
stop_process() { # pid, signal, what
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
  kill "-$2" "$1" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null || true; return 0; }; sleep 0.1; done
  echo "run.sh: $3 did not stop within 30 s; killing it" >&2
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
stop() {
  trap - INT TERM EXIT
  [ -n "$gateway" ] && echo "== Stopping the gateway" >&2
  stop_process "$gateway" TERM "The gateway"
  [ -n "$azurite" ] && echo "== Stopping Azurite (saving its data)" >&2
  stop_process "$azurite" INT "Azurite"
  exit "$1"
}
trap 'stop 130' INT
trap 'stop 143' TERM
trap 'stop $?' EXIT

if listening "$port"; then
  echo "run.sh: port $port is in use (another gateway?). Stop it, or choose another with GATEWAY_PORT." >&2
  exit 1
fi

if [ ! -f node_modules/azurite/dist/src/azurite.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== Installing Azurite (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "== Building the gateway"
# No build servers: they would outlive this script.
dotnet build functions/Gateway -c Release --nologo -v quiet -clp:'ErrorsOnly;NoSummary' --disable-build-servers -o "$local_dir/gateway"

if listening "$table_port" && listening "$queue_port"; then
  echo "== Azurite is already running on $queue_port/$table_port; using it"
else
  echo "== Starting Azurite (data in $local_dir/azurite, log in $local_dir/azurite.log)"
  setsid node node_modules/azurite/dist/src/azurite.js --location "$local_dir/azurite" --silent --disableTelemetry \
    --skipApiVersionCheck --blobPort "$blob_port" --queuePort "$queue_port" --tablePort "$table_port" \
    >"$local_dir/azurite.log" 2>&1 &
  azurite=$!
  wait_for "$queue_port" Azurite "$azurite"
  wait_for "$table_port" Azurite "$azurite"
fi

# The key for the local admin endpoint (POST /admin/functions/{name}), kept across runs.
[ -s "$local_dir/functions-admin-key" ] || od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$local_dir/functions-admin-key"
export Functions__AdminKey="$(cat "$local_dir/functions-admin-key")"
# Azurite's well-known development account (public, documented by Microsoft), on the ports chosen above.
dev_key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
export AzureWebJobsStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$dev_key;\
QueueEndpoint=http://127.0.0.1:$queue_port/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table_port/devstoreaccount1;"
export GATEWAY_PORT="$port"
export Payments__PublicBaseUrl="${Payments__PublicBaseUrl:-http://localhost:$port}"
# Webhooks may reach a receiver on this machine (never on a deployment: see the README's Webhooks section).
export Webhooks__AllowLoopback="${Webhooks__AllowLoopback:-true}"

echo "== Seeding the demo platform"
dotnet "$local_dir/gateway/Gateway.dll" seed-demo "$local_dir/demo.json" >"$local_dir/seed.log" 2>&1 \
  || { cat "$local_dir/seed.log" >&2; exit 1; }

echo "== Starting the gateway on http://localhost:$port (log in $local_dir/gateway.log)"
setsid dotnet "$local_dir/gateway/Gateway.dll" >"$local_dir/gateway.log" 2>&1 &
gateway=$!
wait_for "$port" "The gateway" "$gateway"

cat <<MSG

Gateway:    http://localhost:$port   (health: /api/health, OpenAPI: /openapi/v1.json)
Demo platform, also in $local_dir/demo.json:
$(cat "$local_dir/demo.json")

Timers and queues on demand: POST http://localhost:$port/admin/functions/{name}  (e.g. PaymentScheduleRunner)
  with header x-functions-key: $Functions__AdminKey

Try:  curl -X POST -u <admin.username>:<admin.password> http://localhost:$port/api/v1/token
Press Ctrl+C to stop.
MSG
# Returns when the gateway exits by itself, or when a signal arrives (the traps then stop both in order).
wait "$gateway" || true
echo "run.sh: the gateway exited; see $local_dir/gateway.log" >&2
exit 1
