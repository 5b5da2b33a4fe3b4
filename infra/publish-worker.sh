#!/usr/bin/env bash
# The worker agent as volunteers install it, into artifacts/worker/:
#   infra/publish-worker.sh [RID... | tool]
# RID (default: linux-x64 linux-arm64 win-x64 osx-arm64): a self-contained single-file executable, no .NET needed on
#   the volunteer's machine, at artifacts/worker/<rid>/volunteer-worker[.exe].
# tool: the dotnet tool package (for people who have .NET 10 with ASP.NET Core), at
#   artifacts/worker/tool/Volunteer.Worker.<version>.nupkg: dotnet tool install -g --add-source artifacts/worker/tool Volunteer.Worker
set -euo pipefail
exec "$(dirname "$0")/publish-app.sh" worker/Volunteer.Worker artifacts/worker volunteer-worker "$@"
