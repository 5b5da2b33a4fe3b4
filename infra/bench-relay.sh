#!/usr/bin/env bash
# Relay benchmark: W real worker processes start a job whose every unit reads one shared input (a 64 MiB DNA
# sequence, app "motifs"). Prints, with peer relay on and off, the coordinator's bytes served ÷ the input's size and
# the time from submission until every worker holds the input. Environment: WORKERS (default "8 32"), SIZE_MIB (64),
# PORT (5190), RELAY ("true false": relay on, then off). Figures go to .volunteer/bench-relay/figures.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

WORKERS=${WORKERS:-"8 32"}
SIZE_MIB=${SIZE_MIB:-64}
PORT=${PORT:-5190}
OUT=.volunteer/bench-relay

./infra/ensure-dotnet.sh
./infra/ensure-wasm-toolchain.sh  # the solution builds the example WebAssembly apps
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
build_log=$(mktemp)
dotnet build Volunteer.sln -c Release -v quiet -nologo >"$build_log" || { cat "$build_log"; exit 1; }
rm -f "$build_log"
rm -rf "$OUT"
mkdir -p "$OUT"
worker_dll=worker/Volunteer.Worker/bin/Release/net10.0/volunteer-worker.dll
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# One sequence for every run: upper-case ACGT from /dev/urandom.
sequence="$OUT/sequence.dna"
python3 -c "
import os, sys
table = bytes(b'ACGT'[i & 3] for i in range(256))
with open(sys.argv[1], 'wb') as f:
    for _ in range(int(sys.argv[2])):
        f.write(os.urandom(1 << 20).translate(table))
" "$sequence" "$SIZE_MIB"
size=$(stat -c %s "$sequence")
digest="sha256:$(sha256sum "$sequence" | cut -d' ' -f1)"
hex=${digest#sha256:}

run() {  # run RELAY WORKERS: prints "relay workers ratio seconds"
  local relay=$1 workers=$2 dir="$OUT/relay-$1-$2" api_key
  api_key=bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  mkdir -p "$dir"
  local url="http://127.0.0.1:$PORT"
  Volunteer__ApiKey="$api_key" Volunteer__DataDirectory="$dir/data" Volunteer__ListPeers="$relay" \
    Volunteer__SyncsPerWorkerPerSecond=1000 Volunteer__AttachesPerAddressPerMinute=100000 Logging__LogLevel__Default=Warning \
    bash coordinator/Volunteer.Coordinator/bin/Release/net10.0/coordinator.sh --urls "$url" >"$dir/coordinator.log" 2>&1 &
  local coordinator=$!
  pids+=("$coordinator")
  for _ in $(seq 1 150); do curl -sf "$url/health" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -sf -X PUT -H "X-Api-Key: $api_key" --data-binary @"$sequence" "$url/api/v1/blobs/$digest" >/dev/null
  local worker_pids=()
  for i in $(seq 0 $((workers - 1))); do
    local source="127.$((1 + i / 256)).$((i % 256)).1"
    dotnet "$worker_dll" attach "$url" --state-dir "$dir/w$i" --slots 1 --name "bench-$i" --source-address "$source" >"$dir/w$i.attach.log" 2>&1
    Worker__IdleSyncInterval=00:00:00.500 dotnet "$worker_dll" run --state-dir "$dir/w$i" --slots 1 --source-address "$source" \
      >"$dir/w$i.log" 2>&1 &
    worker_pids+=($!)
    pids+=($!)
  done
  sleep 5  # every agent has started and synced once, idle
  local motifs
  motifs=$(python3 -c "
import itertools, json, sys
letters = [''.join(p) for p in itertools.product('ACGT', repeat=6)]
print(json.dumps(letters[:int(sys.argv[1])]))" "$workers")
  local started job
  started=$(date +%s.%N)
  job=$(curl -sf -H "X-Api-Key: $api_key" -H 'Content-Type: application/json' "$url/api/v1/jobs" \
    -d "{\"app\":\"motifs\",\"parameters\":{\"sequence\":\"$digest\",\"motifs\":$motifs,\"motifsPerUnit\":1},\"adaptive\":false}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  local held=0 finished=""
  while [ "$held" -lt "$workers" ]; do
    held=$(find "$dir" -path "*/blobs/$hex/blob" 2>/dev/null | wc -l)
    sleep 0.1
  done
  finished=$(date +%s.%N)
  local state=""
  for _ in $(seq 1 1200); do
    state=$(curl -sf -H "X-Api-Key: $api_key" "$url/api/v1/jobs/$job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
    [ "$state" = Running ] || break
    sleep 0.5
  done
  local bytes
  bytes=$(curl -sf -H "X-Api-Key: $api_key" "$url/api/v1/jobs/$job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["relay"]["coordinatorBytes"])')
  for pid in "${worker_pids[@]}" "$coordinator"; do kill "$pid" 2>/dev/null || true; done
  wait "${worker_pids[@]}" "$coordinator" 2>/dev/null || true
  python3 -c "import sys; print(f'{sys.argv[1]:>5} {sys.argv[2]:>7} {int(sys.argv[3])/int(sys.argv[4]):>18.2f} {float(sys.argv[6])-float(sys.argv[5]):>22.1f}  {sys.argv[7]}')" \
    "$relay" "$workers" "$bytes" "$size" "$started" "$finished" "$state"
}

{
  echo "shared input: $size bytes ($digest)"
  printf '%5s %7s %18s %22s  %s\n' relay workers "coordinator/blob" "s until all hold it" "job"
  for w in $WORKERS; do
    for relay in ${RELAY:-true false}; do
      run "$relay" "$w"
    done
  done
} | tee "$OUT/figures.txt"
