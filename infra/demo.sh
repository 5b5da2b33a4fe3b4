#!/usr/bin/env bash
# The platform's main job on the embedded default: a coordinator (SQLite store) serving the dashboard, local worker
# processes, and a sample `primes` job whose progress is shown here until its result is printed (a small `mandelbrot`
# image renders beside it, for the dashboard to show). Run from a terminal, it then keeps serving the dashboard until
# Ctrl+C; run without one (CI, a pipe), it ends after printing the result.
#
#   ./infra/demo.sh                      primes in [0, 10^9), 3 workers, quorum 2
#   WORKERS=4 TO=10000000000 ./infra/demo.sh
#   MANDELBROT=0 ./infra/demo.sh         without the image
set -euo pipefail
cd "$(dirname "$0")/.."

WORKERS=${WORKERS:-3}
FROM=${FROM:-0}
TO=${TO:-1000000000}
UNIT_SIZE=${UNIT_SIZE:-10000000}
PORT=${PORT:-5080}
STATE=${STATE:-.volunteer/demo}
API_KEY=${API_KEY:-demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')}
MANDELBROT=${MANDELBROT:-1}
URL="http://127.0.0.1:$PORT"

echo "Dashboard: $URL/  (jobs, hosts and cluster pages: sign in with the API key $API_KEY)"

./infra/ensure-dotnet.sh
# The build compiles the example WebAssembly apps with clang.
./infra/ensure-wasm-toolchain.sh
command -v curl >/dev/null 2>&1 || { apt-get update -q && apt-get install -y -q curl; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "Building…"
dotnet build Volunteer.sln -c Release -v quiet -nologo >/dev/null
worker=worker/Volunteer.Worker/bin/Release/net10.0/volunteer-worker.dll

rm -rf "$STATE"
mkdir -p "$STATE/logs"
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT INT TERM

Volunteer__ApiKey="$API_KEY" Volunteer__DataDirectory="$STATE/coordinator" \
  bash coordinator/Volunteer.Coordinator/bin/Release/net10.0/coordinator.sh --urls "$URL" >"$STATE/logs/coordinator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  curl -sf "$URL/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "$URL/health" >/dev/null || { echo "The coordinator did not start; see $STATE/logs/coordinator.log"; exit 1; }
echo "Coordinator up at $URL (data in $STATE/coordinator, API key $API_KEY); dashboard at $URL/"
# On a desktop, open the dashboard in the reader's browser.
if { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; } && command -v xdg-open >/dev/null 2>&1; then
  xdg-open "$URL/" >/dev/null 2>&1 || true
fi

slots=$(( ($(nproc) + WORKERS - 1) / WORKERS ))
for i in $(seq 1 "$WORKERS"); do
  # The coordinator never gives two replicas of a unit to one account or one /24 network: each worker connects
  # from a /24 of its own in 127.0.0.0/8 (all loopback on Linux) and attaches with an anonymous account of its own.
  source="127.0.$((10 + i)).1"
  dotnet "$worker" attach "$URL" --state-dir "$STATE/worker-$i" --name "demo-worker-$i" --slots "$slots" \
    --source-address "$source" >/dev/null
  Worker__IdleSyncInterval=00:00:01 dotnet "$worker" run --state-dir "$STATE/worker-$i" --slots "$slots" \
    --source-address "$source" >"$STATE/logs/worker-$i.log" 2>&1 &
  pids+=($!)
done
echo "$WORKERS workers attached and running ($slots slot(s) each), each from a /24 of its own (127.0.11.1 on) with an account of its own"

job=$(curl -sf -X POST "$URL/api/v1/jobs" -H "X-Api-Key: $API_KEY" -H 'Content-Type: application/json' \
  -d "{\"app\":\"primes\",\"parameters\":{\"from\":$FROM,\"to\":$TO,\"unitSize\":$UNIT_SIZE},\"redundancy\":{\"targetResults\":2,\"minQuorum\":2,\"maxErrorResults\":3,\"maxTotalResults\":6}}")
id=$(echo "$job" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
echo "Submitted job $id: count the primes in [$FROM, $TO), units of $UNIT_SIZE, each computed by two volunteers until they earn trust, then alone but for spot checks"
echo "  watch it at $URL/jobs/$id"
if [ "$MANDELBROT" = "1" ]; then
  image=$(curl -sf -X POST "$URL/api/v1/jobs" -H "X-Api-Key: $API_KEY" -H 'Content-Type: application/json' \
    -d '{"app":"mandelbrot","parameters":{"centerX":-0.743643887,"centerY":0.131825904,"scale":0.02,"width":1024,"height":768,"maxIterations":2000,"tileSize":128}}')
  image_id=$(echo "$image" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
  echo "Submitted job $image_id: a 1024×768 Mandelbrot image in 48 tiles; watch it fill in at $URL/jobs/$image_id"
fi

field() { echo "$1" | grep -o "\"$2\":[^,}]*" | head -1 | cut -d: -f2 | tr -d '"'; }
started=$(date +%s)
while true; do
  view=$(curl -sf "$URL/api/v1/jobs/$id" -H "X-Api-Key: $API_KEY")
  state=$(field "$view" state)
  printf '\r  %-9s units: %s assimilated, %s in progress, %s pending of %s   (%ss)  ' \
    "$state" "$(field "$view" assimilated)" "$(field "$view" inProgress)" "$(field "$view" pending)" \
    "$(field "$view" unitCount)" "$(( $(date +%s) - started ))"
  [ "$state" = "Running" ] || break
  sleep 1
done
echo
if [ "$state" != "Completed" ]; then
  echo "The job ended $state: $(field "$view" failureReason)"
  exit 1
fi
result=$(curl -sf "$URL/api/v1/jobs/$id/result" -H "X-Api-Key: $API_KEY")
echo "Result: $result"
echo "There are $(field "$result" primeCount) primes in [$FROM, $TO)."
# From a terminal, the reader may want to look around the dashboard before everything stops.
if [ -t 0 ] && [ -t 1 ]; then
  echo "The dashboard keeps serving at $URL/ (API key $API_KEY). Press Ctrl+C to stop the coordinator and the workers."
  wait "${pids[0]}" || true
fi
