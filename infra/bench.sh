#!/usr/bin/env bash
# Benchmark: a coordinator on PostgreSQL (or STORE=sqlite) under N simulated volunteers over the real
# HTTP worker API, and the raw PostgreSQL baseline for the same rows, in one run on this machine. Each
# volunteer has an account of its own and connects from a /24 of its own in 127.0.0.0/8, so replica
# placement keeps its rules (different hosts, accounts and networks) as in production.
# Prints a Markdown table and writes .volunteer/bench/result.{json,md}. Figures, not assertions.
#
#   ./infra/bench.sh                                   PostgreSQL, 1000 volunteers, 200000 units
#   WORKERS=100 UNITS=20000 ./infra/bench.sh            a quick run
#   STORE=sqlite ./infra/bench.sh                       the embedded default (no baseline)
#   SILOS=2 ./infra/bench.sh                            a 2-silo cluster on PostgreSQL (volunteers spread over both)
#   UNITS=10000000 TIMEOUT=60 BASELINE_UNITS=20000 ./infra/bench.sh   scale: a 10M-unit job, accepted at once, memory bounded
#   COMPUTE_MS=800 ./infra/bench.sh                   paced: each volunteer spends ~800 ms computing each batch (latency at a set load)
#   RUNS=3 ./infra/bench.sh                            three measured jobs; medians (single runs vary by ±30% on a shared VM)
#   ADAPTIVE=false ./infra/bench.sh                    every unit computed twice (jobs submitted with adaptive: false)
#   POPULATION="10000 30000 100000" ./infra/bench.sh   population mode: that many volunteers, each its own account, key and
#                                                      source address, syncing once a minute over fresh connections
#                                                      (an attach storm, then each size in turn measured; see README)
#   POPULATION=100000 SILOS=2 KILL_SILO=1 ./infra/bench.sh   ... with the second silo killed (SIGKILL) KILL_AFTER s into the last step
#   JOB_GRAIN_CEILING=1 ./infra/bench.sh                one job's grain alone: a silo in the generator's process, WORKERS hosts
#                                                      calling the grain directly (no HTTP, no host grains), MEASURE s per case
#   PROFILE=1 ./infra/bench.sh                         also samples the coordinator's CPU with perf for 20 s of the load
#                                                      and writes the hottest functions to .volunteer/bench/profile.txt
#   POSTGRES_OPTIONS="-c shared_buffers=512MB -c wal_compression=lz4" ./infra/bench.sh   PostgreSQL as an operator sized it
#   POSTGRES_POOL=64 ./infra/bench.sh                  the silos' PostgreSQL connections together (32; fixed, never pruned)
#   GENERATOR_ENV="NAME=value ..." POPULATION=... ./infra/bench.sh   settings for the simulated volunteers' process only
set -euo pipefail
cd "$(dirname "$0")/.."

POPULATION=${POPULATION:-}  # population mode: sizes of the active population, e.g. "10000 30000 100000"
WORKERS=${WORKERS:-1000}
# In population mode one long job (accepted at once, measured for a while, never finished), each sync asking for 2 units.
UNITS=${UNITS:-$([ -n "$POPULATION" ] && echo 10000000 || echo 200000)}
UNITS_PER_SYNC=${UNITS_PER_SYNC:-$([ -n "$POPULATION" ] && echo 2 || echo 8)}
STORE=${STORE:-postgres}
SILOS=${SILOS:-1}
OUT=.volunteer/bench
PORT=${PORT:-5090}
COMPUTE_MS=${COMPUTE_MS:-0}  # time a volunteer spends on each batch; 0 syncs again at once (saturation)
WARM_UP=${WARM_UP:-10}       # seconds of load whose syncs the latency percentiles leave out
RUNS=${RUNS:-1}              # measured jobs, one after another; with several, the table gives each figure's median
ADAPTIVE=${ADAPTIVE:-true}   # adaptive replication; the warm-up job makes the volunteers trusted before the measured one
WARM_UP_UNITS=${WARM_UP_UNITS:-50000}  # a job run to completion before the measured one, so the JIT has settled
TIMEOUT=${TIMEOUT:-900}     # seconds of load before the run stops (a 10M-unit job is measured for a while, not finished)
SYNC_INTERVAL=${SYNC_INTERVAL:-60}  # population mode: seconds between a volunteer's syncs (±20%)
UNIT_SECONDS=${UNIT_SECONDS:-600}   # population mode: seconds a volunteer takes over one unit (±50%); its queue holds UNITS_PER_SYNC
MEASURE=${MEASURE:-90}              # population mode: seconds measured at each size, after one interval of warm-up
KILL_SILO=${KILL_SILO:-0}           # population mode with SILOS>1: kill the last silo (SIGKILL) KILL_AFTER seconds into the last step
KILL_AFTER=${KILL_AFTER:-30}
FIRST_SYNCS_OVER=${FIRST_SYNCS_OVER:-$SYNC_INTERVAL}  # population mode: seconds over which the volunteers' first syncs come (the herd)
GENERATOR_NICE=${GENERATOR_NICE:-10}  # population mode: the simulated volunteers' niceness (0: the silo's own priority)
POSTGRES_POOL=${POSTGRES_POOL:-32}  # PostgreSQL connections the silos hold together (each silo its share), see below

./infra/ensure-dotnet.sh
./infra/ensure-wasm-toolchain.sh  # the solution builds the example WebAssembly apps
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
build_log=$(mktemp)
dotnet build Volunteer.sln -c Release -v quiet -nologo >"$build_log" || { cat "$build_log"; exit 1; }
rm -f "$build_log"
rm -rf "$OUT"
mkdir -p "$OUT"
api_key=bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
pids=()
pg_dir=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$pg_dir" ]; then ./infra/postgres.sh stop "$pg_dir"; fi
}
trap cleanup EXIT INT TERM

# With PROFILE=1 the JIT writes a perf map, and code is not double-mapped, so perf can name managed frames.
# Each simulated volunteer signs up and attaches from a /24 of its own, so the per-address limit on sign-ups and
# attaches stays the production one; a simulated host does thousands of units a minute, far past a day's quota.
# COORDINATOR_ENV="NAME=value ..." adds settings to the silos' environment only (an experiment with a runtime knob, say).
settings=(${COORDINATOR_ENV:-} DOTNET_PerfMapEnabled=${PROFILE:-0} DOTNET_EnableWriteXorExecute=$((1 - ${PROFILE:-0})) Volunteer__ApiKey="$api_key"
          Volunteer__SyncsPerWorkerPerSecond=100000 Volunteer__DailyQuotaPerCore=100000000 Logging__LogLevel__Default=Warning)
if [ -n "$POPULATION" ]; then
  # A job's open window must hold what the whole population holds at once (each volunteer's units until its next
  # sync), or volunteers are left without work: the default 20,000 units starved 30,000 volunteers asking for 2 each.
  largest=$(echo "$POPULATION" | tr ' ' '\n' | sort -n | tail -1)
  settings+=(Volunteer__MaxOpenUnitsPerJob=$(( largest * UNITS_PER_SYNC < 10000000 ? largest * UNITS_PER_SYNC : 10000000 )))
fi
baseline=()
if [ "$STORE" = postgres ]; then
  pg_dir=$(mktemp -d /tmp/volunteer-bench-pg.XXXXXX)
  pg_port=$((20000 + RANDOM % 10000))  # below the ephemeral range (32768+), which client sockets may hold
  ./infra/postgres.sh private "$pg_dir" "$pg_port" >/dev/null
  # A pool as big as PostgreSQL can use on this machine, never pruned: a pool allowed 250 connections grew to that in a
  # stall, and Npgsql's pruning then closed ~250 idle ones at once, five minutes after they opened, and opened ~150 anew.
  # Each backend's exit and fork cost seconds of the whole machine (100,000 volunteers: the stall after every 5 minutes).
  pool=$(( POSTGRES_POOL / SILOS ))
  base="Host=127.0.0.1;Port=$pg_port;Username=volunteer;Password=volunteer;Minimum Pool Size=$pool;Maximum Pool Size=$pool"
  psql "postgresql://volunteer:volunteer@127.0.0.1:$pg_port/volunteer" -qc "CREATE DATABASE baseline" >/dev/null
  settings+=(ConnectionStrings__Volunteer="$base;Database=volunteer" Orleans__AdvertisedIP=127.0.0.1)
  baseline=(--database "$base;Database=baseline" --baseline-units "${BASELINE_UNITS:-$UNITS}"
            --store-database "$base;Database=volunteer")
else
  settings+=(Volunteer__DataDirectory="$OUT/data")
fi

[ "$STORE" = postgres ] || [ "$SILOS" = 1 ] || { echo "Several silos need STORE=postgres." >&2; exit 2; }
if [ "${JOB_GRAIN_CEILING:-0}" = 1 ]; then
  [ "$STORE" = postgres ] || { echo "JOB_GRAIN_CEILING=1 measures against PostgreSQL." >&2; exit 2; }
  status=0
  env "${settings[@]}" dotnet tests/Volunteer.LoadGenerator/bin/Release/net10.0/Volunteer.LoadGenerator.dll --job-grain-ceiling true \
    --api-key "$api_key" --workers "$WORKERS" --measure "$MEASURE" --store-database "$base;Database=volunteer" \
    --postgres-pid "$(head -1 "$pg_dir/data/postmaster.pid")" --output "$OUT/result" || status=$?
  exit "$status"
fi
urls=()
silo_pids=()
for i in $(seq 1 "$SILOS"); do
  port=$((PORT + i - 1))
  env "${settings[@]}" Orleans__SiloPort=$((11110 + i)) Orleans__GatewayPort=$((30000 + i)) \
    bash coordinator/Volunteer.Coordinator/bin/Release/net10.0/coordinator.sh \
    --urls "http://127.0.0.1:$port" >"$OUT/coordinator-$i.log" 2>&1 &
  pids+=($!)
  silo_pids+=($!)
  urls+=("http://127.0.0.1:$port")
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.2; done
done

profiler=""
if [ "${PROFILE:-0}" = 1 ]; then
  command -v perf >/dev/null || apt-get install -y -qq linux-perf >/dev/null
  # Sampling starts 5 s after the job is submitted, so it sees the steady state, not the baseline, attaches or JIT.
  # In population mode, 5 s into the measurement of the largest population (the generator leaves a mark then).
  (if [ -n "$POPULATION" ]; then
     until [ -f "$OUT/result.measuring-last" ]; do sleep 0.5; done
   else
     until [ "$(curl -sf -H "X-Api-Key: $api_key" "${urls[0]}/api/v1/jobs" | grep -o '"id"' | wc -l)" -ge $(( WARM_UP_UNITS > 0 ? 2 : 1 )) ]; do sleep 0.5; done
   fi
   sleep 5
   perf record -F 499 -g -p "${silo_pids[0]}" -o "$OUT/perf.data" -- sleep 20 >/dev/null 2>&1
   perf report -i "$OUT/perf.data" --no-children --sort sym --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -80 >"$OUT/profile.txt") &
  profiler=$!
fi
status=0
if [ -n "$POPULATION" ]; then
  # Each volunteer attaches once from its own address, and 100,000 of them hold far more than the default
  # descriptors while the storm lasts.
  ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  population=(--population "$(echo "$POPULATION" | tr ' ' ',')" --sync-interval "$SYNC_INTERVAL" --first-syncs-over "$FIRST_SYNCS_OVER" --unit-seconds "$UNIT_SECONDS" --measure "$MEASURE")
  [ -n "$pg_dir" ] && population+=(--postgres-pid "$(head -1 "$pg_dir/data/postmaster.pid")")
  if [ "$KILL_SILO" = 1 ]; then
    [ "$SILOS" -gt 1 ] || { echo "KILL_SILO=1 needs SILOS=2 or more." >&2; exit 2; }
    population+=(--kill-pid "${silo_pids[-1]}" --kill-after "$KILL_AFTER")
  fi
  # The simulated population runs at a lower priority than the silo and PostgreSQL: a real population's connections
  # are made by its own machines, so the generator's CPU (0.5-0.8 of the two cores at 100,000) is not the silo's to
  # wait for. Its figures stay conservative: a sync is timed from the generator's side, its own delays included.
  env ${GENERATOR_ENV:-} nice -n "$GENERATOR_NICE" dotnet tests/Volunteer.LoadGenerator/bin/Release/net10.0/Volunteer.LoadGenerator.dll \
    --coordinator "$(IFS=,; echo "${urls[*]}")" --api-key "$api_key" --units "$UNITS" --units-per-sync "$UNITS_PER_SYNC" \
    --coordinator-pid "$(IFS=,; echo "${silo_pids[*]}")" --output "$OUT/result" ${pg_dir:+--store-database "$base;Database=volunteer"} \
    "${population[@]}" || status=$?
  # PostgreSQL's checkpoints (every 5 min) beside the steps' measuredFromUtc: the first writes after one log whole pages.
  if [ -n "$pg_dir" ]; then grep -h "checkpoint starting" "$pg_dir/server.log" | sed 's/^/PostgreSQL: /' || true; fi
  if [ -n "$profiler" ]; then
    wait "$profiler" || true
    echo "hottest functions of the coordinator (perf, 20 s of the largest population): $OUT/profile.txt"
  fi
  exit "$status"
fi
dotnet tests/Volunteer.LoadGenerator/bin/Release/net10.0/Volunteer.LoadGenerator.dll \
  --coordinator "$(IFS=,; echo "${urls[*]}")" --api-key "$api_key" --workers "$WORKERS" --units "$UNITS" \
  --units-per-sync "$UNITS_PER_SYNC" --compute-ms "$COMPUTE_MS" --warm-up "$WARM_UP" --warm-up-units "$WARM_UP_UNITS" --runs "$RUNS" --adaptive "$ADAPTIVE" --timeout "$TIMEOUT" --coordinator-pid "$(IFS=,; echo "${silo_pids[*]}")" --output "$OUT/result" "${baseline[@]}" \
  || status=$?
if [ -n "$profiler" ]; then
  wait "$profiler" || true
  echo "hottest functions of the coordinator (perf, 20 s of load): $OUT/profile.txt"
fi
exit "$status"
