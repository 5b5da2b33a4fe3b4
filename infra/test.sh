#!/usr/bin/env bash
# The whole test suite: unit, API, store conformance, end-to-end process tests and the dashboard's browser tests.
# Installs what it needs; starts and stops whatever servers the tests use.
set -euo pipefail
cd "$(dirname "$0")/.."

./infra/ensure-dotnet.sh
# The build compiles the example WebAssembly apps with clang.
./infra/ensure-wasm-toolchain.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# The dashboard's browser tests drive Debian's Chromium through Playwright.
VOLUNTEER_TEST_CHROMIUM=$(./infra/ensure-chromium.sh)
export VOLUNTEER_TEST_CHROMIUM

# One real PostgreSQL server for the run (store conformance, cluster tests), stopped by its PID at exit.
pg_dir=$(mktemp -d /tmp/volunteer-test-pg.XXXXXX)
pg_port=$((20000 + RANDOM % 10000))  # below the ephemeral range (32768+), which client sockets may hold
log=$(mktemp)
trap './infra/postgres.sh stop "$pg_dir"; rm -f "$log"' EXIT
./infra/postgres.sh private "$pg_dir" "$pg_port" >/dev/null
export VOLUNTEER_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Database=volunteer;Username=volunteer;Password=volunteer"
status=0
dotnet test Volunteer.sln -c Release 2>&1 | tee "$log" || status=$?

# One closing line for CI, summed over the test projects.
sum() { grep -Eo "$1: +[0-9]+" "$log" | awk '{ total += $2 } END { print total + 0 }'; }
passed=$(sum Passed)
failed=$(sum Failed)
skipped=$(sum Skipped)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited with $status (a build error or a crashed test host; see above)"
  failed=1
fi
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit $status
