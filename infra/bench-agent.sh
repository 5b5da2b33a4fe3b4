#!/usr/bin/env bash
# Agent benchmark: what the worker agent itself costs per unit. A coordinator on the embedded default (SQLite) and
# AGENTS real agent processes (volunteer-worker run, from the Release build), each attached with an anonymous account
# of its own from a /24 of its own in 127.0.0.0/8, compute a "checksum" job (units that cost no CPU: the agent, not
# the science, is the bound), every unit twice (quorum 2, adaptive replication off). After WARMUP seconds it measures
# for MEASURE seconds and prints:
#   units validated per second     (the job's valid + assimilated units, from the job API)
#   agent CPU seconds per unit     (utime + stime of the agent processes, /proc/PID/stat, per replica computed)
#   disk bytes written per unit    (write_bytes of the agent processes, /proc/PID/io, per replica computed)
#   write syscalls per unit        (syscw, /proc/PID/io, per replica computed)
#   syncs per unit                 (sync requests the coordinator logged, per replica computed)
# "Per unit" is per replica computed: each unit validated in the window counts as its two replicas. Figures, not
# assertions; they go to .volunteer/bench-agent/figures.txt too.
#
#   ./infra/bench-agent.sh                         4 agents, 1 slot each, 30 s measured after 10 s
#   AGENTS=8 SLOTS=2 MEASURE=60 ./infra/bench-agent.sh
#   NO_BUILD=1 ./infra/bench-agent.sh              use the Release build as it is
#   AGENT_LOG=Warning ./infra/bench-agent.sh       the agents log warnings only (default Information, as a service logs)
#   PORT=41080                                     the coordinator's HTTP port (its silo ports are PORT+1, PORT+2)
#   IN_PROGRESS_PER_CORE=64                        the coordinator's Volunteer:InProgressPerCore (default: its own, 2),
#                                                  which bounds the work buffer an agent may hold
set -euo pipefail
cd "$(dirname "$0")/.."

AGENTS=${AGENTS:-4}
SLOTS=${SLOTS:-1}
UNITS=${UNITS:-1000000}
WARMUP=${WARMUP:-10}
MEASURE=${MEASURE:-30}
PORT=${PORT:-41080}
AGENT_LOG=${AGENT_LOG:-Information}
IN_PROGRESS_PER_CORE=${IN_PROGRESS_PER_CORE:-}
OUT=.volunteer/bench-agent

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ -z "${NO_BUILD:-}" ]; then
  ./infra/ensure-dotnet.sh
  ./infra/ensure-wasm-toolchain.sh  # the solution builds the example WebAssembly apps
  build_log=$(mktemp)
  dotnet build Volunteer.sln -c Release -v quiet -nologo >"$build_log" || { cat "$build_log"; exit 1; }
  rm -f "$build_log"
fi
rm -rf "$OUT"
mkdir -p "$OUT"
worker_dll=worker/Volunteer.Worker/bin/Release/net10.0/volunteer-worker.dll
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

api_key=bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
url="http://127.0.0.1:$PORT"
# Sync requests are counted from the coordinator's request log; nothing else of it is logged.
coordinator_settings=()
if [ -n "$IN_PROGRESS_PER_CORE" ]; then coordinator_settings+=(Volunteer__InProgressPerCore="$IN_PROGRESS_PER_CORE"); fi
env "${coordinator_settings[@]}" Volunteer__ApiKey="$api_key" Volunteer__DataDirectory="$OUT/coordinator" \
  Volunteer__SyncsPerWorkerPerSecond=100000 Volunteer__DailyQuotaPerCore=100000000 Volunteer__AttachesPerAddressPerMinute=100000 \
  Orleans__SiloPort=$((PORT + 1)) Orleans__GatewayPort=$((PORT + 2)) \
  Logging__LogLevel__Default=Warning Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics=Information \
  bash coordinator/Volunteer.Coordinator/bin/Release/net10.0/coordinator.sh --urls "$url" >"$OUT/coordinator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do curl -sf "$url/health" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "$url/health" >/dev/null || { echo "The coordinator did not start:"; tail -20 "$OUT/coordinator.log"; exit 1; }

agent_pids=()
for i in $(seq 0 $((AGENTS - 1))); do
  source="127.0.$((40 + i)).1"
  dotnet "$worker_dll" attach "$url" --state-dir "$OUT/agent-$i" --slots "$SLOTS" --name "bench-agent-$i" \
    --source-address "$source" >"$OUT/agent-$i.attach.log" 2>&1
  Logging__LogLevel__Default="$AGENT_LOG" Worker__PeerPort=$((PORT + 10 + i)) \
    dotnet "$worker_dll" run --state-dir "$OUT/agent-$i" --slots "$SLOTS" --source-address "$source" >"$OUT/agent-$i.log" 2>&1 &
  agent_pids+=($!)
  pids+=($!)
done

job=$(curl -sf -H "X-Api-Key: $api_key" -H 'Content-Type: application/json' "$url/api/v1/jobs" \
  -d "{\"app\":\"checksum\",\"parameters\":{\"units\":$UNITS,\"seed\":7},\"redundancy\":{\"targetResults\":2,\"minQuorum\":2,\"maxErrorResults\":2,\"maxTotalResults\":4},\"adaptive\":false}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

validated() {
  curl -sf -H "X-Api-Key: $api_key" "$url/api/v1/jobs/$job" | python3 -c 'import json,sys; u=json.load(sys.stdin)["units"]; print(u["valid"]+u["assimilated"])'
}
# The agents' CPU ticks, bytes written and write syscalls; syncs the coordinator saw.
sample() {
  local ticks=0 bytes=0 writes=0
  for pid in "${agent_pids[@]}"; do
    read -r utime stime < <(awk '{print $14, $15}' "/proc/$pid/stat")
    ticks=$((ticks + utime + stime))
    bytes=$((bytes + $(awk '/^write_bytes:/ {print $2}' "/proc/$pid/io")))
    writes=$((writes + $(awk '/^syscw:/ {print $2}' "/proc/$pid/io")))
  done
  local syncs
  syncs=$(grep -c 'POST http://127.0.0.1:'"$PORT"'/api/v1/workers/sync' "$OUT/coordinator.log" || true)
  echo "$(date +%s.%N) $(validated) $ticks $bytes $writes $syncs"
}

sleep "$WARMUP"
read -r t0 v0 c0 b0 w0 s0 < <(sample)
sleep "$MEASURE"
read -r t1 v1 c1 b1 w1 s1 < <(sample)
hz=$(getconf CLK_TCK)
python3 - "$t0" "$v0" "$c0" "$b0" "$w0" "$s0" "$t1" "$v1" "$c1" "$b1" "$w1" "$s1" "$hz" "$AGENTS" "$SLOTS" "$AGENT_LOG" "$IN_PROGRESS_PER_CORE" <<'EOF' | tee "$OUT/figures.txt"
import sys
t0, v0, c0, b0, w0, s0, t1, v1, c1, b1, w1, s1 = map(float, sys.argv[1:13])
hz, agents, slots, log, in_progress = float(sys.argv[13]), sys.argv[14], sys.argv[15], sys.argv[16], sys.argv[17]
seconds, computed = t1 - t0, max(2 * (v1 - v0), 1)
print(f"{agents} agents x {slots} slot(s), agent log {log}, in progress per core {in_progress or 'default'}, measured {seconds:.1f} s: {v1 - v0:.0f} units validated")
print(f"units validated per second     {(v1 - v0) / seconds:10.1f}")
print(f"agent CPU seconds per unit     {(c1 - c0) / hz / computed:10.5f}")
print(f"disk bytes written per unit    {(b1 - b0) / computed:10.0f}")
print(f"write syscalls per unit        {(w1 - w0) / computed:10.2f}")
print(f"syncs per unit                 {(s1 - s0) / computed:10.3f}")
EOF
