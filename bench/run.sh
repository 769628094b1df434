#!/usr/bin/env bash
# Benchmarks (figures, not tests): storage round trips per request (the API's, the merchant console's pages), cold
# start against an empty ASP.NET Core app measured in the same run, payments (pay/direct, transaction view), payable
# codes (creation, in-app payment) and cashier deposits (hosted, server to server) under load against the storage
# floor, and webhook delivery (drain of a backlog) against the queue floor with event-to-first-attempt latency,
# payment schedules (a backlog of due occurrences charged by the runner) and collections (a day's debit orders
# booked and submitted, their bank answers applied) against the storage floor, payments spread over an organisation's
# partitions under simulated Table Storage limits, and storage outages (status and latency).
# Usage: bench/run.sh [runs]
#   BENCH_ONLY=coldstart   only the round trips per request and the cold start
#   BENCH_ONLY=payments    only the payments part (round trips and load)
#   BENCH_ONLY=codes       only the payable codes part (round trips, creation and in-app payment under load)
#   BENCH_ONLY=cashier     only the cashier part (round trips, hosted and s2s deposits under load, tracking_id replay)
#   BENCH_ONLY=console     only the merchant console part (storage round trips per page and per form post, signed in)
#   BENCH_ONLY=webhooks    only the webhooks part (delivery throughput against the queue floor, event-to-attempt latency)
#   BENCH_WEBHOOK_EVENTS=2000  the backlog drained;  BENCH_WEBHOOK_RATE=20  events/s of the latency runs (for BENCH_SECONDS)
#   BENCH_ONLY=schedules   only the schedules part (due occurrences charged per second against the storage floor)
#   BENCH_SCHEDULE_OCCURRENCES=10000  due occurrences per figure;  BENCH_SCHEDULE_PARALLELISM=8  the runner's Schedules:Parallelism
#   BENCH_ONLY=collections only the collections part (debits booked+submitted and bank answers applied per second
#                          against the storage floor; round trips per booked debit and per batch)
#   BENCH_COLLECTION_PAYMENTS=2000  due debit orders (one organisation) per figure
#   BENCH_ONLY=partitions  only the payment partitions part (pay/direct per second of organisations spread over 1, 2,
#                          5 and 8 partitions under the simulated Table Storage limits, against the ceilings the
#                          simulator's own counts of entities per payment give)
#   BENCH_PARTITION_CONCURRENCY=64  its connections;  BENCH_LIMITS_SCALE=0.05  its Storage:Limits:Scale;
#   BENCH_PARTITION_COUNTS=1,2,5,8  its organisations' partition counts, in order
#   BENCH_ONLY=outage      only the storage outage part (503s and their latency while Azurite is stopped and frozen)
#   BENCH_ONLY=fuzz        only the fuzzing of issue 13's endpoints (status counts);  BENCH_FUZZ_REQUESTS=500 per endpoint
#   BENCH_SECONDS=15       seconds per load figure;  BENCH_CONCURRENCY=8,32  connections per load figure
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/azurite/dist/src/azurite.js ]; then npm ci --no-audit --no-fund --loglevel=error; fi
# The load generator, Debian's wrk: only the benchmarks need it, so test.sh does not install it.
if ! command -v wrk >/dev/null; then
  sudo=$([ "$(id -u)" -eq 0 ] || echo sudo)
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
dotnet build bench/Gateway.Bench -c Release --nologo -v quiet -clp:ErrorsOnly
# The deployment build (as README "On Azure"): its cold start is timed, and the payments load runs against it.
dotnet publish functions/Gateway -c Release -r linux-x64 -p:PublishReadyToRun=true \
  -o bench/.publish --nologo -v quiet -clp:ErrorsOnly
dotnet bench/Gateway.Bench/bin/Release/net10.0/Gateway.Bench.dll Release "${1:-7}"
