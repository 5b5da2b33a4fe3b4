#!/usr/bin/env bash
# A Volunteer cluster on this machine: PostgreSQL (installed and started if missing), N coordinator
# silos as separate processes over it, and W worker processes that fail over between the silos.
# Runs until Ctrl+C, then stops every process it started.
#
#   ./infra/cluster.sh                 3 silos, 2 workers
#   SILOS=2 WORKERS=4 ./infra/cluster.sh
#
# Silo i (1..N) listens on HTTP 5080+i, silo port 11110+i, gateway port 30000+i. For several hosts
# see README.md (compose file and Kubernetes manifests under infra/).
set -euo pipefail
cd "$(dirname "$0")/.."

SILOS=${SILOS:-3}
WORKERS=${WORKERS:-2}
STATE=${STATE:-.volunteer/cluster}
API_KEY=${API_KEY:-cluster-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')}

./infra/ensure-dotnet.sh
./infra/ensure-wasm-toolchain.sh  # the solution builds the example WebAssembly apps
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
connection=${CONNECTION:-$(./infra/postgres.sh system)}

dotnet build Volunteer.sln -c Release -v quiet -nologo >/dev/null
worker=worker/Volunteer.Worker/bin/Release/net10.0/volunteer-worker.dll

mkdir -p "$STATE/logs"
pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT INT TERM

urls=()
for i in $(seq 1 "$SILOS"); do
  url="http://127.0.0.1:$((5080 + i))"
  urls+=("$url")
  ConnectionStrings__Volunteer="$connection" Volunteer__ApiKey="$API_KEY" \
    Orleans__SiloPort=$((11110 + i)) Orleans__GatewayPort=$((30000 + i)) Orleans__AdvertisedIP=127.0.0.1 \
    bash coordinator/Volunteer.Coordinator/bin/Release/net10.0/coordinator.sh --urls "$url" >"$STATE/logs/silo-$i.log" 2>&1 &
  pids+=($!)
done
for url in "${urls[@]}"; do
  for _ in $(seq 1 150); do curl -sf "$url/health" >/dev/null 2>&1 && break; sleep 0.2; done
done
echo "$SILOS silos up: ${urls[*]}  (API key $API_KEY)"
curl -s "${urls[0]}/api/v1/cluster"; echo

for i in $(seq 1 "$WORKERS"); do
  dir="$STATE/worker-$i"
  [ -d "$dir/projects" ] || dotnet "$worker" attach "${urls[@]}" --state-dir "$dir" --name "cluster-worker-$i" >/dev/null
  dotnet "$worker" run --state-dir "$dir" >"$STATE/logs/worker-$i.log" 2>&1 &
  pids+=($!)
done
echo "$WORKERS workers running; logs in $STATE/logs. Submit jobs to any silo, e.g.:"
echo "  curl -X POST ${urls[0]}/api/v1/jobs -H 'X-Api-Key: $API_KEY' -H 'Content-Type: application/json' \\"
echo "       -d '{\"app\":\"primes\",\"parameters\":{\"from\":0,\"to\":1000000000,\"unitSize\":10000000}}'"
echo "Ctrl+C stops the cluster."
wait
