#!/usr/bin/env bash
# WASM benchmark: counts the primes in [FROM, TO) in units of UNIT_SIZE with the built-in primes app (native .NET) and
# with the example primes.wasm in the fuel-metered Wasmtime sandbox, on one thread of this machine, one run each, and
# prints both times and their ratio (the goal: WASM within 2x of native). Environment: FROM (0), TO (10^9),
# UNIT_SIZE (10^8).
set -euo pipefail
cd "$(dirname "$0")/.."

FROM=${FROM:-0}
TO=${TO:-1000000000}
UNIT_SIZE=${UNIT_SIZE:-100000000}

./infra/ensure-dotnet.sh
./infra/ensure-wasm-toolchain.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
build_log=$(mktemp)
dotnet build tests/Volunteer.WasmBench -c Release -v quiet -nologo >"$build_log" || { cat "$build_log"; exit 1; }
rm -f "$build_log"
dotnet tests/Volunteer.WasmBench/bin/Release/net10.0/Volunteer.WasmBench.dll "$FROM" "$TO" "$UNIT_SIZE"
