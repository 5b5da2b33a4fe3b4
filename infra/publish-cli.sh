#!/usr/bin/env bash
# The scientist's command line, volunteer, as scientists install it, into artifacts/cli/:
#   infra/publish-cli.sh [RID... | tool]
# RID (default: linux-x64 linux-arm64 win-x64 osx-arm64): a self-contained single-file executable, no .NET needed,
#   at artifacts/cli/<rid>/volunteer[.exe].
# tool: the dotnet tool package (for people who have .NET 10), at artifacts/cli/tool/Volunteer.Cli.<version>.nupkg:
#   dotnet tool install -g --add-source artifacts/cli/tool Volunteer.Cli
set -euo pipefail
exec "$(dirname "$0")/publish-app.sh" coordinator/Volunteer.Cli artifacts/cli volunteer "$@"
