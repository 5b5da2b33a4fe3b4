#!/usr/bin/env bash
# Starts the coordinator beside this script in place of the script (same process id), with the runtime settings only
# the environment can carry: runtime.env beside it (the GC's gen0 budget). A value the environment already holds wins.
# Copied beside the dll by the build and by dotnet publish; the launch scripts, the systemd unit and the image run it:
#   bash coordinator/Volunteer.Coordinator/bin/Release/net10.0/coordinator.sh --urls http://127.0.0.1:5080
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)"
while IFS='=' read -r name value; do
  case "$name" in
    '' | '#'*) ;;
    *) [ -n "${!name:-}" ] || export "$name=$value" ;;
  esac
done <"$dir/runtime.env"
exec dotnet "$dir/Volunteer.Coordinator.dll" "$@"
