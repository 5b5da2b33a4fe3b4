#!/usr/bin/env bash
# Viewer-cost benchmark: what open dashboard viewers cost the coordinator. One coordinator (embedded store) serves the
# benchmark load (infra/bench.sh's load generator: simulated volunteers over the real worker API, paced so the silo is
# busy but not saturated) while its CPU (utime+stime from /proc/PID/stat over a window) and resident memory (VmRSS) are
# measured: first with no viewer, then with VIEWERS overview pages open in one headless Chromium (each a live Blazor
# circuit, tests/Volunteer.DashboardViewers), and again after they have stayed open for HOLD seconds. The browser's own
# CPU is measured too, since it shares the machine. Prints the figures side by side and writes them to
# .volunteer/bench-dashboard/figures.txt. Figures, not assertions.
#
#   ./infra/bench-dashboard.sh                                 100 viewers, 30 s windows, 180 s hold
#   VIEWERS=10 WINDOW=10 HOLD=30 ./infra/bench-dashboard.sh    a quick check that it works
#
# Environment: VIEWERS (100), WINDOW (30: seconds of each CPU measurement), SETTLE (15: seconds after the viewers are open
# before measuring), HOLD (180: seconds the viewers stay open before the last measurement), WORKERS (100 simulated
# volunteers), COMPUTE_MS (1000: each volunteer spends about a second on each batch), UNITS_PER_SYNC (8), PAGE (/: the
# page the viewers watch), PORT (5140; the silo and gateway ports are PORT+1 and PORT+2).
set -euo pipefail
cd "$(dirname "$0")/.."

VIEWERS=${VIEWERS:-100}
WINDOW=${WINDOW:-30}
SETTLE=${SETTLE:-15}
HOLD=${HOLD:-180}
WORKERS=${WORKERS:-100}
COMPUTE_MS=${COMPUTE_MS:-1000}
UNITS_PER_SYNC=${UNITS_PER_SYNC:-8}
PAGE=${PAGE:-/}
PORT=${PORT:-5140}
WARM_UP=${WARM_UP:-20}  # seconds of load before the first measurement, so the JIT has settled
OUT=.volunteer/bench-dashboard

./infra/ensure-dotnet.sh
./infra/ensure-wasm-toolchain.sh  # the solution builds the example WebAssembly apps
chromium=$(./infra/ensure-chromium.sh)
export VOLUNTEER_TEST_CHROMIUM=$chromium DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
build_log=$(mktemp)
dotnet build Volunteer.sln -c Release -v quiet -nologo >"$build_log" || { cat "$build_log"; exit 1; }
rm -f "$build_log"
rm -rf "$OUT"
mkdir -p "$OUT"
url="http://127.0.0.1:$PORT"
api_key=bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
pids=()
browser_side=()
cleanup() {
  # The viewers' driver closes its browser on SIGTERM; whatever of the browser is left is killed by its id.
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for pid in "${browser_side[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

hz=$(getconf CLK_TCK)
ticks() {  # ticks PID...: utime + stime, summed over those still alive
  local total=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
descendants() {  # descendants PID: every process below it
  local child
  for child in $(pgrep -P "$1" || true); do
    echo "$child"
    descendants "$child"
  done
}
assimilated() {  # units of the load's job assimilated so far
  curl -sf -H "X-Api-Key: $api_key" "$url/api/v1/jobs/$job" | grep -o '"assimilated":[0-9]*' | head -1 | cut -d: -f2
}
measure() {  # measure NAME: CPU of the coordinator (and of the browser side, if any) over WINDOW seconds, then RSS
  local name=$1 coordinator_before browser_before units_before coordinator_after browser_after units_after
  coordinator_before=$(ticks "$coordinator")
  browser_before=$(ticks "${browser_side[@]}")
  units_before=$(assimilated)
  sleep "$WINDOW"
  coordinator_after=$(ticks "$coordinator")
  browser_after=$(ticks "${browser_side[@]}")
  units_after=$(assimilated)
  awk -v c=$((coordinator_after - coordinator_before)) -v b=$((browser_after - browser_before)) -v hz="$hz" -v w="$WINDOW" \
      -v u=$((units_after - units_before)) -v rss="$(rss_mib "$coordinator")" -v name="$name" -v viewers=${#browser_side[@]} \
    'BEGIN { printf "%s %.1f %s %.1f %.0f\n", name, 100 * c / hz / w, rss, viewers ? 100 * b / hz / w : 0, u / w }' \
    >>"$OUT/windows.txt"
}

# The coordinator as bench.sh runs it (the load's volunteers sync far more often than production allows a host to).
env Volunteer__ApiKey="$api_key" Volunteer__DataDirectory="$OUT/data" Orleans__SiloPort=$((PORT + 1)) Orleans__GatewayPort=$((PORT + 2)) \
  Volunteer__SyncsPerWorkerPerSecond=100000 Volunteer__DailyQuotaPerCore=100000000 Logging__LogLevel__Default=Warning \
  bash coordinator/Volunteer.Coordinator/bin/Release/net10.0/coordinator.sh --urls "$url" >"$OUT/coordinator.log" 2>&1 &
coordinator=$!
pids+=("$coordinator")
for _ in $(seq 1 150); do curl -sf "$url/health" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "$url/health" >/dev/null || { echo "The coordinator did not start; see $OUT/coordinator.log" >&2; exit 1; }

# The load: one job far larger than the run, worked on at a steady pace until this script stops it.
dotnet tests/Volunteer.LoadGenerator/bin/Release/net10.0/Volunteer.LoadGenerator.dll \
  --coordinator "$url" --api-key "$api_key" --workers "$WORKERS" --units 1000000 --units-per-sync "$UNITS_PER_SYNC" \
  --compute-ms "$COMPUTE_MS" --warm-up-units 0 --timeout 86400 >"$OUT/load.log" 2>&1 &
pids+=($!)
job=""
for _ in $(seq 1 600); do
  job=$(grep -o 'job [0-9a-f-]\{36\} of' "$OUT/load.log" | head -1 | cut -d' ' -f2 || true)
  [ -n "$job" ] && break
  sleep 0.5
done
[ -n "$job" ] || { echo "The load did not start; see $OUT/load.log" >&2; exit 1; }
echo "load: $WORKERS simulated volunteers, $UNITS_PER_SYNC units per sync every ~$COMPUTE_MS ms, on job $job; warming up for $WARM_UP s"
sleep "$WARM_UP"
# One viewer for a few seconds first: what the first circuit costs once (loading and compiling the pages' code) is
# then in the baseline, not spread over the viewers.
dotnet tests/Volunteer.DashboardViewers/bin/Release/net10.0/Volunteer.DashboardViewers.dll \
  --url "$url" --path "$PAGE" --viewers 1 --hold 5 >"$OUT/warm-up-viewer.log" 2>&1 &
pids+=($!)
wait $! || { echo "The warm-up viewer failed; see $OUT/warm-up-viewer.log" >&2; exit 1; }
sleep 5

echo "measuring with no viewer for $WINDOW s"
measure "none"

dotnet tests/Volunteer.DashboardViewers/bin/Release/net10.0/Volunteer.DashboardViewers.dll \
  --url "$url" --path "$PAGE" --viewers "$VIEWERS" --hold 86400 >"$OUT/viewers.log" 2>&1 &
viewers=$!
pids+=("$viewers")
until grep -q '^viewers-open' "$OUT/viewers.log"; do
  kill -0 "$viewers" 2>/dev/null || { echo "The viewers' driver ended early; see $OUT/viewers.log" >&2; exit 1; }
  sleep 1
done
opened=$(date +%s)
grep '^viewers-open' "$OUT/viewers.log"
mapfile -t browser_side < <(echo "$viewers"; descendants "$viewers")
echo "measuring with $VIEWERS viewers (${#browser_side[@]} processes on the browser side) for $WINDOW s after $SETTLE s"
sleep "$SETTLE"
measure "open"

wait_for=$((opened + HOLD - $(date +%s)))
if [ "$wait_for" -gt 0 ]; then
  echo "keeping the viewers open for $wait_for s more"
  sleep "$wait_for"
fi
echo "measuring again after $HOLD s with the viewers open"
measure "held"
live=$(grep '^live:' "$OUT/viewers.log" | tail -1)
kill "$viewers" 2>/dev/null || true
wait "$viewers" 2>/dev/null || true

{
  echo "dashboard viewers: $VIEWERS on $PAGE, one headless Chromium; load: $WORKERS simulated volunteers, $UNITS_PER_SYNC units per ~$COMPUTE_MS ms"
  awk -v viewers="$VIEWERS" -v hold="$HOLD" -v window="$WINDOW" '
    { cpu[$1] = $2; rss[$1] = $3; browser[$1] = $4; units[$1] = $5 }
    END {
      printf "%-40s %12s %14s %18s %14s\n", "(CPU over " window " s; % of one core)", "no viewer", viewers " viewers", "after " hold " s open", "per viewer"
      printf "%-40s %12.1f %14.1f %18.1f %14.3f\n", "coordinator CPU %", cpu["none"], cpu["open"], cpu["held"], (cpu["open"] - cpu["none"]) / viewers
      printf "%-40s %12.1f %14.1f %18.1f %14.3f\n", "coordinator RSS MiB", rss["none"], rss["open"], rss["held"], (rss["open"] - rss["none"]) / viewers
      printf "%-40s %12.0f %14.0f %18.0f\n", "load: units validated per second", units["none"], units["open"], units["held"]
      printf "%-40s %12s %14.1f %18.1f %14.3f\n", "viewers: browser side CPU %", "-", browser["open"], browser["held"], browser["open"] / viewers
    }' "$OUT/windows.txt"
  echo "viewers' circuits, last 10 s: ${live#live: }"
} | tee "$OUT/figures.txt"
